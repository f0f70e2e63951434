/*
 * netif core: ring sizes, index checks and slot bounds (spec §4.5).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>

#include "netif.h"

static void test_ring_sizes(void)
{
    g_assert_cmpuint(netif_ring_size(NETIF_TX_ENTRY_SIZE), ==, 256);
    g_assert_cmpuint(netif_ring_size(NETIF_RX_ENTRY_SIZE), ==, 256);
    g_assert_cmpuint(netif_ring_size(0), ==, 0);
    g_assert_cmpuint(netif_ring_size(5000), ==, 0);
}

static void test_requests_pending(void)
{
    const char *why = NULL;
    uint32_t pending = 0;

    g_assert_cmpint(netif_check_requests(10, 5, 5, 256, &pending, &why), ==,
                    NETIF_OK);
    g_assert_cmpuint(pending, ==, 5);

    /* Indexes wrap around 2^32. */
    g_assert_cmpint(netif_check_requests(3, 0xfffffffeu, 0xfffffffeu, 256,
                                         &pending, &why), ==, NETIF_OK);
    g_assert_cmpuint(pending, ==, 5);

    /* A full ring is legal. */
    g_assert_cmpint(netif_check_requests(1256, 1000, 1000, 256, &pending,
                                         &why), ==, NETIF_OK);
    g_assert_cmpuint(pending, ==, 256);
}

static void test_requests_impossible(void)
{
    const char *why = NULL;
    uint32_t pending = 12345;

    /* One past a full ring. */
    g_assert_cmpint(netif_check_requests(1257, 1000, 1000, 256, &pending,
                                         &why), ==, NETIF_FATAL);
    g_assert_cmpstr(why, ==, "Impossible number of requests");

    /* req_prod moved 2^31 ahead: fatal, never ~2^31 requests to walk. */
    why = NULL;
    g_assert_cmpint(netif_check_requests(7u + 0x80000000u, 7, 7, 256,
                                         &pending, &why), ==, NETIF_FATAL);
    g_assert_cmpstr(why, ==, "Impossible number of requests");

    /* req_prod moved backwards. */
    why = NULL;
    g_assert_cmpint(netif_check_requests(4, 5, 5, 256, &pending, &why), ==,
                    NETIF_FATAL);
    g_assert_nonnull(why);
    g_assert_cmpuint(pending, ==, 12345);
}

static void test_tx_slot_bounds(void)
{
    struct netif_tx_request req = { .offset = 4000, .size = 96 };
    const char *why = NULL;

    g_assert_cmpint(netif_check_tx_slot(&req, &why), ==, NETIF_OK);
    req.size = 97;
    g_assert_cmpint(netif_check_tx_slot(&req, &why), ==, NETIF_FATAL);
    g_assert_cmpstr(why, ==, "Cross page boundary");

    /* 16-bit fields must not wrap when added. */
    req.offset = 0xffff;
    req.size = 0xffff;
    g_assert_cmpint(netif_check_tx_slot(&req, &why), ==, NETIF_FATAL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/netif/ring-sizes", test_ring_sizes);
    g_test_add_func("/netif/requests/pending", test_requests_pending);
    g_test_add_func("/netif/requests/impossible", test_requests_impossible);
    g_test_add_func("/netif/tx-slot/bounds", test_tx_slot_bounds);
    return g_test_run();
}
