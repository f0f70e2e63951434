/*
 * netif core: ring sizes, index checks, slot bounds within a page, the
 * multicast filter and the flow hash.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

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

static void test_mcast_filter(void)
{
    struct netif_mcast_filter f = { 0 };
    uint8_t a[6] = { 1, 0, 0x5e, 0, 0, 1 };
    uint8_t b[6] = { 1, 0, 0x5e, 0, 0, 2 };
    uint32_t i;

    g_assert_false(netif_mcast_match(&f, a));
    g_assert_true(netif_mcast_add(&f, a));
    g_assert_true(netif_mcast_add(&f, b));
    g_assert_true(netif_mcast_match(&f, a));
    netif_mcast_del(&f, a);
    g_assert_false(netif_mcast_match(&f, a));
    g_assert_true(netif_mcast_match(&f, b));
    netif_mcast_del(&f, a);     /* absent: no-op */
    g_assert_cmpuint(f.count, ==, 1);
    for (i = 1; i < NETIF_MCAST_MAX; i++) {
        g_assert_true(netif_mcast_add(&f, a));
    }
    g_assert_false(netif_mcast_add(&f, b));
    g_assert_cmpuint(f.count, ==, NETIF_MCAST_MAX);
}

/* An Ethernet frame with an IPv4 or IPv6 header and TCP ports. */
static size_t make_frame(uint8_t *frame, bool ipv6, const uint8_t *src,
                         const uint8_t *dst, uint16_t sport, uint16_t dport,
                         uint8_t proto)
{
    size_t l3 = 14, addr_len = ipv6 ? 16 : 4, l4;

    memset(frame, 0, 128);
    frame[12] = ipv6 ? 0x86 : 0x08;
    frame[13] = ipv6 ? 0xdd : 0x00;
    if (ipv6) {
        frame[l3] = 0x60;
        frame[l3 + 6] = proto;
        memcpy(frame + l3 + 8, src, addr_len);
        memcpy(frame + l3 + 24, dst, addr_len);
        l4 = l3 + 40;
    } else {
        frame[l3] = 0x45;
        frame[l3 + 9] = proto;
        memcpy(frame + l3 + 12, src, addr_len);
        memcpy(frame + l3 + 16, dst, addr_len);
        l4 = l3 + 20;
    }
    frame[l4] = sport >> 8;
    frame[l4 + 1] = sport & 0xff;
    frame[l4 + 2] = dport >> 8;
    frame[l4 + 3] = dport & 0xff;
    return l4 + 20;
}

/* Microsoft's RSS verification vectors for the default key. */
static void test_flow_hash_vectors(void)
{
    static const uint8_t v4_src[4] = { 66, 9, 149, 187 };
    static const uint8_t v4_dst[4] = { 161, 142, 100, 80 };
    static const uint8_t v4_src2[4] = { 199, 92, 111, 2 };
    static const uint8_t v4_dst2[4] = { 65, 69, 140, 83 };
    static const uint8_t v6_src[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00,
                                        0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7 };
    static const uint8_t v6_dst[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00,
                                        0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1 };
    uint8_t frame[160];
    size_t len;

    len = make_frame(frame, false, v4_src, v4_dst, 2794, 1766, 6);
    g_assert_cmphex(netif_flow_hash(frame, len), ==, 0x51ccc178);
    len = make_frame(frame, false, v4_src, v4_dst, 2794, 1766, 1);
    g_assert_cmphex(netif_flow_hash(frame, len), ==, 0x323e8fc2);
    len = make_frame(frame, false, v4_src2, v4_dst2, 14230, 4739, 17);
    g_assert_cmphex(netif_flow_hash(frame, len), ==, 0xc626b0ea);
    len = make_frame(frame, true, v6_src, v6_dst, 2794, 1766, 6);
    g_assert_cmphex(netif_flow_hash(frame, len), ==, 0x40207d3d);
    len = make_frame(frame, true, v6_src, v6_dst, 2794, 1766, 58);
    g_assert_cmphex(netif_flow_hash(frame, len), ==, 0x2cc18cd5);

    /* An 802.1Q tag does not change the flow. */
    len = make_frame(frame, false, v4_src, v4_dst, 2794, 1766, 6);
    memmove(frame + 16, frame + 12, len - 12);
    frame[12] = 0x81;
    frame[13] = 0x00;
    frame[14] = 0x00;
    frame[15] = 0x05;
    g_assert_cmphex(netif_flow_hash(frame, len + 4), ==, 0x51ccc178);
    g_assert_cmphex(netif_flow_hash(frame, 16), ==, 0);

    /* A fragment hashes on the addresses only. */
    len = make_frame(frame, false, v4_src, v4_dst, 2794, 1766, 6);
    frame[14 + 6] = 0x20;   /* more fragments */
    g_assert_cmphex(netif_flow_hash(frame, len), ==, 0x323e8fc2);
}

static void test_select_queue(void)
{
    static const uint8_t src[4] = { 10, 0, 0, 1 };
    static const uint8_t dst[4] = { 10, 0, 0, 2 };
    static const uint8_t src6[16] = { 0xfe, 0x80, [15] = 1 };
    uint8_t frame[128];
    uint32_t hits[4] = { 0 };
    uint32_t port, q;
    size_t len;

    for (port = 0; port < 400; port++) {
        len = make_frame(frame, false, src, dst, (uint16_t)(1024 + port),
                         80, 6);
        q = netif_select_queue(frame, len, 4);
        g_assert_cmpuint(q, <, 4);
        /* Deterministic: one flow, one queue. */
        g_assert_cmpuint(netif_select_queue(frame, len, 4), ==, q);
        hits[q]++;
        g_assert_cmpuint(netif_select_queue(frame, len, 1), ==, 0);
    }
    /* 400 flows reach every one of 4 queues. */
    for (q = 0; q < 4; q++) {
        g_assert_cmpuint(hits[q], >, 40);
    }

    /* ARP, runts and truncated headers go to queue 0. */
    memset(frame, 0, sizeof(frame));
    frame[12] = 0x08;
    frame[13] = 0x06;
    g_assert_cmpuint(netif_flow_hash(frame, 60), ==, 0);
    g_assert_cmpuint(netif_flow_hash(frame, 10), ==, 0);
    len = make_frame(frame, true, src6, src6, 1, 2, 6);
    g_assert_cmpuint(netif_flow_hash(frame, len), !=, 0);
    g_assert_cmpuint(netif_flow_hash(frame, 14 + 39), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/netif/ring-sizes", test_ring_sizes);
    g_test_add_func("/netif/requests/pending", test_requests_pending);
    g_test_add_func("/netif/requests/impossible", test_requests_impossible);
    g_test_add_func("/netif/tx-slot/bounds", test_tx_slot_bounds);
    g_test_add_func("/netif/mcast-filter", test_mcast_filter);
    g_test_add_func("/netif/flow-hash/vectors", test_flow_hash_vectors);
    g_test_add_func("/netif/flow-hash/select-queue", test_select_queue);
    return g_test_run();
}
