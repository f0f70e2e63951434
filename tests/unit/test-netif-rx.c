/*
 * netif guest RX: response production with and without feature-sg, GSO
 * extra info, checksum flags, ring-space checks and notification.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>

#include "netif.h"
#include "netif-fake-frontend.h"

static uint8_t payload[NETIF_RX_MAX_PACKET + 1];

static struct netif_rx_packet rx_packet(uint32_t len)
{
    struct netif_rx_packet pkt = { .data = payload, .len = len };

    return pkt;
}

static void post_buffers(struct fake_frontend *f, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        fake_rx_add(f, 10 + i, (uint16_t)(500 + i));
    }
    fake_rx_publish(f);
}

static void assert_rx_rsp(struct fake_frontend *f, uint32_t idx,
                          uint16_t id, uint16_t flags, int16_t status)
{
    struct netif_rx_response rsp = fake_rx_response(f, idx);

    g_assert_cmpuint(rsp.id, ==, id);
    g_assert_cmpuint(rsp.flags, ==, flags);
    g_assert_cmpint(rsp.status, ==, status);
    g_assert_cmpuint(rsp.offset, ==, 0);
    if (status > 0) {
        g_assert_cmpuint((uint32_t)rsp.offset + status, <=, NETIF_PAGE_SIZE);
    }
}

static void test_single_slot_no_sg(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(1500);
    bool notify;

    f->features.sg = false;
    fake_reinit(f);
    post_buffers(f, 2);
    fake_sring(f, NETIF_RING_RX)->rsp_event = 1;
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 1);
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_DONE);
    g_assert_true(notify);
    assert_rx_rsp(f, 0, 500, 0, 1500);
    g_assert_cmpmem(f->grant[10], 1500, payload, 1500);
    g_assert_cmpuint(fake_sring(f, NETIF_RING_RX)->rsp_prod, ==, 1);
    g_assert_cmpuint(f->queue.rx.req_cons, ==, 1);
    g_assert_cmpuint(f->queue.stats.rx_packets, ==, 1);
    g_assert_cmpuint(f->queue.stats.rx_bytes, ==, 1500);

    /* One page is the most without feature-sg. */
    pkt = rx_packet(NETIF_PAGE_SIZE + 1);
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_DROPPED);
    g_assert_false(notify);
    g_assert_cmpuint(f->queue.rx.req_cons, ==, 1);
    g_assert_cmpuint(f->queue.stats.rx_dropped, ==, 1);
    fake_free(f);
}

static void test_multi_slot_sg(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(10000);
    bool notify;

    post_buffers(f, 4);
    pkt.csum = NETIF_CSUM_VALIDATED;
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 3);
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_DONE);
    assert_rx_rsp(f, 0, 500, NETRXF_more_data | NETRXF_data_validated, 4096);
    assert_rx_rsp(f, 1, 501, NETRXF_more_data, 4096);
    assert_rx_rsp(f, 2, 502, 0, 10000 - 8192);
    g_assert_cmpmem(f->grant[10], 4096, payload, 4096);
    g_assert_cmpmem(f->grant[11], 4096, payload + 4096, 4096);
    g_assert_cmpmem(f->grant[12], 1808, payload + 8192, 1808);
    g_assert_cmpuint(fake_sring(f, NETIF_RING_RX)->rsp_prod, ==, 3);
    g_assert_cmpuint(f->gref_batches, ==, 1);
    g_assert_cmpuint(f->gref_copies, ==, 3);
    fake_free(f);
}

static void test_gso_extra_slot(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(5000);
    struct netif_rx_response raw;
    struct netif_extra_info extra;
    bool notify;

    post_buffers(f, 3);
    pkt.csum = NETIF_CSUM_PARTIAL;
    pkt.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
    pkt.gso_size = 1448;
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 3);
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_DONE);
    assert_rx_rsp(f, 0, 500, NETRXF_more_data | NETRXF_extra_info |
                  NETRXF_csum_blank | NETRXF_data_validated, 4096);
    /* The extra info sits right after the first data slot. */
    raw = fake_rx_response(f, 1);
    memcpy(&extra, &raw, sizeof(extra));
    g_assert_cmpuint(extra.type, ==, XEN_NETIF_EXTRA_TYPE_GSO);
    g_assert_cmpuint(extra.flags, ==, 0);
    g_assert_cmpuint(extra.u.gso.type, ==, XEN_NETIF_GSO_TYPE_TCPV4);
    g_assert_cmpuint(extra.u.gso.size, ==, 1448);
    assert_rx_rsp(f, 2, 502, 0, 5000 - 4096);
    g_assert_cmpmem(f->grant[12], 904, payload + 4096, 904);
    g_assert_cmpuint(f->queue.stats.rx_gso_packets, ==, 1);
    fake_free(f);
}

static void test_frontend_cannot_take(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(3000);

    f->features.gso_tcpv6 = false;
    f->features.no_csum_offload = true;
    fake_reinit(f);
    pkt.gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
    pkt.gso_size = 1000;
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 0);
    pkt.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 2);
    pkt.gso_size = 0;
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 0);

    pkt = rx_packet(3000);
    pkt.csum = NETIF_CSUM_PARTIAL;
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 0);
    pkt = rx_packet(0);
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 0);
    pkt = rx_packet(NETIF_RX_MAX_PACKET);
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==,
                     NETIF_RX_MAX_SLOTS);
    pkt = rx_packet(NETIF_RX_MAX_PACKET + 1);
    g_assert_cmpuint(netif_rx_slots_needed(&f->queue, &pkt), ==, 0);
    fake_free(f);
}

static void test_no_space_arms_req_event(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(9000);
    bool notify;

    post_buffers(f, 2);
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_NO_SPACE);
    g_assert_false(notify);
    g_assert_cmpuint(f->queue.rx.req_cons, ==, 0);
    g_assert_cmpuint(fake_sring(f, NETIF_RING_RX)->req_event, ==, 3);
    g_assert_cmpuint(fake_sring(f, NETIF_RING_RX)->rsp_prod, ==, 0);

    post_buffers(f, 1);
    g_assert_true(netif_rx_has_slots(&f->queue, 3));
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_DONE);
    g_assert_cmpuint(f->queue.rx.req_cons, ==, 3);
    fake_free(f);
}

static void test_impossible_rx_req_prod(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(100);
    bool notify;

    fake_sring(f, NETIF_RING_RX)->req_prod = 0x80000000u;
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_FAILED);
    g_assert_true(netif_queue_failed(&f->queue));
    g_assert_true(g_str_has_prefix(f->queue.stats.fatal_reason,
                                   "RX Impossible number of requests"));
    g_assert_cmpuint(f->ring_entry_reads, ==, 0);
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_FAILED);
    fake_free(f);
}

static void test_bad_rx_gref(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(6000);
    bool notify;

    post_buffers(f, 4);
    f->grant_valid[11] = false;
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_DONE);
    assert_rx_rsp(f, 0, 500, NETRXF_more_data, 4096);
    assert_rx_rsp(f, 1, 501, 0, NETIF_RSP_ERROR);
    g_assert_cmpuint(f->queue.stats.rx_errors, ==, 1);
    g_assert_cmpuint(f->queue.stats.rx_packets, ==, 0);

    /* The ring keeps going. */
    pkt = rx_packet(100);
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_DONE);
    assert_rx_rsp(f, 2, 502, 0, 100);
    g_assert_false(netif_queue_failed(&f->queue));
    fake_free(f);
}

static void test_rx_notify(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(100);
    bool notify;

    post_buffers(f, 4);
    fake_sring(f, NETIF_RING_RX)->rsp_event = 3;
    netif_rx_put(&f->queue, &pkt, &notify);
    g_assert_false(notify);
    netif_rx_put(&f->queue, &pkt, &notify);
    g_assert_false(notify);
    netif_rx_put(&f->queue, &pkt, &notify);
    g_assert_true(notify);
    netif_rx_put(&f->queue, &pkt, &notify);
    g_assert_false(notify);
    fake_free(f);
}

/* RX requests are copied once too: scribbling after reads changes nothing. */
static void test_rx_double_fetch(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_rx_packet pkt = rx_packet(9000);
    bool notify;

    post_buffers(f, 3);
    f->scribble_after_read = true;
    g_assert_cmpint(netif_rx_put(&f->queue, &pkt, &notify), ==,
                    NETIF_RX_DONE);
    assert_rx_rsp(f, 0, 500, NETRXF_more_data, 4096);
    assert_rx_rsp(f, 1, 501, NETRXF_more_data, 4096);
    assert_rx_rsp(f, 2, 502, 0, 808);
    g_assert_cmpmem(f->grant[12], 808, payload + 8192, 808);
    g_assert_cmpuint(f->ring_entry_reads, ==, 3);
    fake_free(f);
}

int main(int argc, char **argv)
{
    uint32_t i;

    for (i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 31 + i / 251);
    }
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/netif/rx/single-slot-no-sg", test_single_slot_no_sg);
    g_test_add_func("/netif/rx/multi-slot-sg", test_multi_slot_sg);
    g_test_add_func("/netif/rx/gso-extra-slot", test_gso_extra_slot);
    g_test_add_func("/netif/rx/frontend-cannot-take",
                    test_frontend_cannot_take);
    g_test_add_func("/netif/rx/no-space", test_no_space_arms_req_event);
    g_test_add_func("/netif/rx/impossible-req-prod",
                    test_impossible_rx_req_prod);
    g_test_add_func("/netif/rx/bad-gref", test_bad_rx_gref);
    g_test_add_func("/netif/rx/notify", test_rx_notify);
    g_test_add_func("/netif/rx/double-fetch", test_rx_double_fetch);
    return g_test_run();
}
