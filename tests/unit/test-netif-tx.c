/*
 * netif guest TX: netback's request validation (indexes, chains, extras,
 * slots, grants) against crafted rings.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>

#include "netif.h"
#include "netif-fake-frontend.h"

#define BUDGET 64

static void assert_tx_status(struct fake_frontend *f, uint32_t idx,
                             uint16_t id, int16_t status)
{
    struct netif_tx_response rsp = fake_tx_response(f, idx);

    g_assert_cmpint(rsp.status, ==, status);
    if (status != NETIF_RSP_NULL) {
        g_assert_cmpuint(rsp.id, ==, id);
    }
}

static void assert_fatal(struct fake_frontend *f, const char *reason)
{
    g_assert_true(netif_queue_failed(&f->queue));
    g_assert_true(g_str_has_prefix(f->queue.stats.fatal_reason, reason));
}

static uint32_t rsp_prod(struct fake_frontend *f)
{
    return fake_sring(f, NETIF_RING_TX)->rsp_prod;
}

static struct netif_extra_info gso_extra(uint8_t type, uint16_t size)
{
    struct netif_extra_info e = { .type = XEN_NETIF_EXTRA_TYPE_GSO };

    e.u.gso.type = type;
    e.u.gso.size = size;
    return e;
}

static void test_single_packet(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_work w;

    fake_tx_add(f, 3, 100, 60, NETTXF_csum_blank, 42);
    fake_tx_publish(f);
    fake_sring(f, NETIF_RING_TX)->rsp_event = 1;
    w = netif_tx_process(&f->queue, BUDGET);

    g_assert_cmpuint(w.done, ==, 1);
    g_assert_false(w.more);
    g_assert_true(w.notify);
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    g_assert_cmpuint(f->delivered[0].len, ==, 60);
    g_assert_cmpmem(f->delivered[0].data, 60, f->grant[3] + 100, 60);
    g_assert_cmpint(f->delivered[0].csum, ==, NETIF_CSUM_PARTIAL);
    g_assert_cmpuint(f->delivered[0].gso_type, ==, XEN_NETIF_GSO_TYPE_NONE);
    assert_tx_status(f, 0, 42, NETIF_RSP_OKAY);
    g_assert_cmpuint(rsp_prod(f), ==, 1);
    /* Ring drained: req_event re-armed for the next request. */
    g_assert_cmpuint(fake_sring(f, NETIF_RING_TX)->req_event, ==, 2);
    g_assert_cmpuint(f->queue.stats.tx_packets, ==, 1);
    g_assert_cmpuint(f->queue.stats.tx_bytes, ==, 60);
    fake_free(f);
}

/* What HMP "info xen-net" prints: shared indexes as found, ours beside. */
static void test_ring_view(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_ring_view v;
    uint32_t reads;

    fake_tx_add(f, 3, 0, 60, 0, 1);
    fake_tx_add(f, 4, 0, 60, 0, 2);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, 1);
    fake_sring(f, NETIF_RING_TX)->rsp_event = 77;
    reads = f->req_prod_reads;

    netif_ring_view(&f->queue, NETIF_RING_TX, &v);
    g_assert_cmpuint(v.shared.req_prod, ==, 2);
    g_assert_cmpuint(v.req_cons, ==, 1);
    g_assert_cmpuint(v.shared.rsp_prod, ==, 1);
    g_assert_cmpuint(v.rsp_prod_pvt, ==, 1);
    g_assert_cmpuint(v.shared.rsp_event, ==, 77);
    /* The budget ran out before the ring was drained: not re-armed. */
    g_assert_cmpuint(v.shared.req_event, ==,
                     fake_sring(f, NETIF_RING_TX)->req_event);
    g_assert_cmpuint(f->req_prod_reads, ==, reads + 1);

    netif_ring_view(&f->queue, NETIF_RING_RX, &v);
    g_assert_cmpuint(v.shared.req_prod, ==, 0);
    g_assert_cmpuint(v.req_cons, ==, 0);
    g_assert_false(netif_queue_failed(&f->queue));
    fake_free(f);
}

static void test_csum_flags(void)
{
    struct fake_frontend *f = fake_new();

    fake_tx_add(f, 1, 0, 60, NETTXF_data_validated, 1);
    fake_tx_add(f, 1, 0, 60, 0, 2);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(f->nr_delivered, ==, 2);
    g_assert_cmpint(f->delivered[0].csum, ==, NETIF_CSUM_VALIDATED);
    g_assert_cmpint(f->delivered[1].csum, ==, NETIF_CSUM_NONE);
    fake_free(f);
}

static void test_notify_only_past_rsp_event(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_work w;

    /* The frontend wants an event only once rsp_prod reaches 5. */
    fake_sring(f, NETIF_RING_TX)->rsp_event = 5;
    fake_tx_add(f, 1, 0, 60, 0, 1);
    fake_tx_add(f, 1, 0, 60, 0, 2);
    fake_tx_publish(f);
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(rsp_prod(f), ==, 2);
    g_assert_false(w.notify);

    fake_tx_add(f, 1, 0, 60, 0, 3);
    fake_tx_add(f, 1, 0, 60, 0, 4);
    fake_tx_add(f, 1, 0, 60, 0, 5);
    fake_tx_publish(f);
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(rsp_prod(f), ==, 5);
    g_assert_true(w.notify);

    /* Nothing new to push: no event even though rsp_event is old. */
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_false(w.notify);

    /* rsp_event == the old rsp_prod: the frontend saw that one already. */
    fake_sring(f, NETIF_RING_TX)->rsp_event = 5;
    fake_tx_add(f, 1, 0, 60, 0, 6);
    fake_tx_publish(f);
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(rsp_prod(f), ==, 6);
    g_assert_false(w.notify);
    fake_free(f);
}

static void test_impossible_req_prod(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_work w;

    fake_sring(f, NETIF_RING_TX)->req_prod = 0x80000000u;
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(w.done, ==, 0);
    g_assert_false(w.more);
    assert_fatal(f, "Impossible number of requests");
    g_assert_cmpuint(f->ring_entry_reads, ==, 0);
    g_assert_cmpuint(rsp_prod(f), ==, 0);

    /* Failed stays failed, and costs nothing. */
    fake_sring(f, NETIF_RING_TX)->req_prod = 1;
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(w.done, ==, 0);
    g_assert_cmpuint(f->req_prod_reads, ==, 1);
    fake_free(f);
}

static void test_ring_size_boundary(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_work w;
    uint32_t i;

    /* A full ring (256 requests) is legal. */
    for (i = 0; i < NETIF_RING_SIZE; i++) {
        fake_tx_add(f, 1, 0, 60, 0, (uint16_t)i);
    }
    fake_tx_publish(f);
    w = netif_tx_process(&f->queue, NETIF_RING_SIZE);
    g_assert_cmpuint(w.done, ==, NETIF_RING_SIZE);
    g_assert_false(netif_queue_failed(&f->queue));
    g_assert_cmpuint(rsp_prod(f), ==, NETIF_RING_SIZE);
    fake_free(f);

    /* One more than a ring ahead is not. */
    f = fake_new();
    fake_sring(f, NETIF_RING_TX)->req_prod = NETIF_RING_SIZE + 1;
    netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, "Impossible number of requests");
    fake_free(f);
}

static void test_index_wraparound(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_work w;
    uint32_t start = 0xfffffffeu, i;

    f->queue.tx.req_cons = f->queue.tx.rsp_prod_pvt = start;
    f->queue.tx.rsp_pushed = start;
    f->tx_req_prod = start;
    for (i = 0; i < 4; i++) {
        fake_tx_add(f, 1, 0, 60, 0, (uint16_t)i);
    }
    fake_tx_publish(f);
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(w.done, ==, 4);
    g_assert_false(netif_queue_failed(&f->queue));
    g_assert_cmpuint(rsp_prod(f), ==, 2);
    for (i = 0; i < 4; i++) {
        assert_tx_status(f, start + i, (uint16_t)i, NETIF_RSP_OKAY);
    }
    fake_free(f);
}

static void test_gso_extra(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_extra_info e = gso_extra(XEN_NETIF_GSO_TYPE_TCPV6, 1400);

    fake_tx_add(f, 2, 0, 100, NETTXF_extra_info | NETTXF_csum_blank, 7);
    fake_tx_add_extra(f, &e);
    fake_tx_add(f, 2, 0, 60, 0, 8);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);

    g_assert_false(netif_queue_failed(&f->queue));
    g_assert_cmpuint(f->nr_delivered, ==, 2);
    g_assert_cmpuint(f->delivered[0].gso_type, ==, XEN_NETIF_GSO_TYPE_TCPV6);
    g_assert_cmpuint(f->delivered[0].gso_size, ==, 1400);
    g_assert_cmpuint(f->delivered[1].gso_type, ==, XEN_NETIF_GSO_TYPE_NONE);
    /* An extra info slot is consumed and answered NETIF_RSP_NULL. */
    assert_tx_status(f, 0, 7, NETIF_RSP_OKAY);
    assert_tx_status(f, 1, 0, NETIF_RSP_NULL);
    assert_tx_status(f, 2, 8, NETIF_RSP_OKAY);
    g_assert_cmpuint(f->queue.stats.tx_gso_packets, ==, 1);
    fake_free(f);
}

static void test_gso_not_offered_drops(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_extra_info e = gso_extra(XEN_NETIF_GSO_TYPE_TCPV4, 1400);

    f->backend.gso_tcpv4 = false;
    fake_tx_add(f, 2, 0, 100, NETTXF_extra_info, 7);
    fake_tx_add_extra(f, &e);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    g_assert_cmpuint(f->nr_delivered, ==, 0);
    assert_tx_status(f, 0, 7, NETIF_RSP_ERROR);
    assert_tx_status(f, 1, 0, NETIF_RSP_NULL);
    fake_free(f);
}

static void run_fatal_extra(const struct netif_extra_info *e,
                            const char *reason)
{
    struct fake_frontend *f = fake_new();

    fake_tx_add(f, 1, 0, 60, 0, 1);     /* answered before the bad one */
    fake_tx_add(f, 2, 0, 100, NETTXF_extra_info, 7);
    fake_tx_add_extra(f, e);
    fake_tx_add(f, 1, 0, 60, 0, 9);     /* never reached */
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, reason);
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    g_assert_cmpuint(rsp_prod(f), ==, 1);
    fake_free(f);
}

static void test_bad_extra_types(void)
{
    struct netif_extra_info e = { 0 };

    e.type = XEN_NETIF_EXTRA_TYPE_NONE;
    run_fatal_extra(&e, "Invalid extra type: 0");
    e.type = XEN_NETIF_EXTRA_TYPE_MAX;
    run_fatal_extra(&e, "Invalid extra type: 5");
    e.type = 255;
    run_fatal_extra(&e, "Invalid extra type: 255");
}

static void test_gso_size_zero(void)
{
    struct netif_extra_info e = gso_extra(XEN_NETIF_GSO_TYPE_TCPV4, 0);

    run_fatal_extra(&e, "GSO size must not be zero");
}

static void test_gso_bad_type(void)
{
    struct netif_extra_info e = gso_extra(3, 1400);

    run_fatal_extra(&e, "Bad GSO type 3");
    e = gso_extra(XEN_NETIF_GSO_TYPE_NONE, 1400);
    run_fatal_extra(&e, "Bad GSO type 0");
}

static void test_missing_extra(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_extra_info e = gso_extra(XEN_NETIF_GSO_TYPE_TCPV4, 100);

    /* Extra flag on the last published slot. */
    fake_tx_add(f, 2, 0, 100, NETTXF_extra_info, 7);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, "Missing extra info");
    fake_free(f);

    /* An extra with FLAG_MORE and nothing after it. */
    f = fake_new();
    e.flags = XEN_NETIF_EXTRA_FLAG_MORE;
    fake_tx_add(f, 2, 0, 100, NETTXF_extra_info, 7);
    fake_tx_add_extra(f, &e);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, "Missing extra info");
    fake_free(f);
}

static void test_mcast(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_extra_info e = { .type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD };
    const uint8_t addr[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    uint32_t i, idx = 0;

    memcpy(e.u.mcast.addr, addr, 6);
    fake_tx_add(f, 0, 0, 0, NETTXF_extra_info, 11);
    fake_tx_add_extra(f, &e);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    assert_tx_status(f, 0, 11, NETIF_RSP_OKAY);
    assert_tx_status(f, 1, 0, NETIF_RSP_NULL);
    g_assert_true(netif_mcast_match(&f->mcast, addr));
    g_assert_cmpuint(f->nr_delivered, ==, 0);

    e.type = XEN_NETIF_EXTRA_TYPE_MCAST_DEL;
    fake_tx_add(f, 0, 0, 0, NETTXF_extra_info, 12);
    fake_tx_add_extra(f, &e);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    assert_tx_status(f, 2, 12, NETIF_RSP_OKAY);
    g_assert_false(netif_mcast_match(&f->mcast, addr));

    /* The 65th address does not fit: ERROR, interface stays up. */
    e.type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
    for (i = 0; i <= NETIF_MCAST_MAX; i++) {
        e.u.mcast.addr[5] = (uint8_t)i;
        fake_tx_add(f, 0, 0, 0, NETTXF_extra_info, (uint16_t)(100 + i));
        fake_tx_add_extra(f, &e);
    }
    fake_tx_publish(f);
    netif_tx_process(&f->queue, NETIF_MCAST_MAX + 1);
    idx = 4;
    for (i = 0; i < NETIF_MCAST_MAX; i++, idx += 2) {
        assert_tx_status(f, idx, (uint16_t)(100 + i), NETIF_RSP_OKAY);
    }
    assert_tx_status(f, idx, (uint16_t)(100 + NETIF_MCAST_MAX),
                     NETIF_RSP_ERROR);
    g_assert_cmpuint(f->mcast.count, ==, NETIF_MCAST_MAX);
    g_assert_false(netif_queue_failed(&f->queue));
    fake_free(f);
}

/*
 * A chain of `slots` slots (first + slots-1 frags) on grefs 1..slots with
 * the given per-slot sizes; the first slot's size field is the total.
 */
static void add_chain(struct fake_frontend *f, uint32_t slots,
                      const uint16_t *sizes, uint16_t first_id)
{
    uint32_t total = 0, i;

    for (i = 0; i < slots; i++) {
        total += sizes[i];
    }
    for (i = 0; i < slots; i++) {
        uint16_t flags = i + 1 < slots ? NETTXF_more_data : 0;

        fake_tx_add(f, 1 + i % (FAKE_GREFS - 1), (uint16_t)(i * 8),
                    i == 0 ? (uint16_t)total : sizes[i], flags,
                    (uint16_t)(first_id + i));
    }
}

static void assert_chain_delivered(struct fake_frontend *f, uint32_t slots,
                                   const uint16_t *sizes)
{
    struct fake_packet *p = &f->delivered[f->nr_delivered - 1];
    uint32_t pos = 0, i;

    for (i = 0; i < slots; i++) {
        uint32_t gref = 1 + i % (FAKE_GREFS - 1);

        g_assert_cmpmem(p->data + pos, sizes[i], f->grant[gref] + i * 8,
                        sizes[i]);
        pos += sizes[i];
    }
    g_assert_cmpuint(p->len, ==, pos);
}

static void test_chain_ok(void)
{
    struct fake_frontend *f = fake_new();
    uint16_t sizes[19];
    uint32_t i;

    /* First + 18 frags is the most netback accepts. */
    for (i = 0; i < 19; i++) {
        sizes[i] = (uint16_t)(i == 0 ? 54 : 1000 + i);
    }
    add_chain(f, 19, sizes, 0);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    assert_chain_delivered(f, 19, sizes);
    for (i = 0; i < 19; i++) {
        assert_tx_status(f, i, (uint16_t)i, NETIF_RSP_OKAY);
    }
    /* One batch of grant copies for the packet, as gnttab_batch_copy */
    g_assert_cmpuint(f->gref_batches, ==, 1);
    g_assert_cmpuint(f->gref_copies, ==, 19);
    fake_free(f);
}

/* XSA-423/432: many tiny slots must assemble exactly, nothing more. */
static void test_xsa432_tiny_slots(void)
{
    struct fake_frontend *f = fake_new();
    uint16_t sizes[18];
    uint32_t i;

    sizes[0] = NETIF_ETH_HLEN;
    for (i = 1; i < 18; i++) {
        sizes[i] = (uint16_t)(1 + i % 7);
    }
    add_chain(f, 18, sizes, 0);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    assert_chain_delivered(f, 18, sizes);
    fake_free(f);

    /* All 18 slots of 1-7 bytes: the first holds no Ethernet header. */
    f = fake_new();
    for (i = 0; i < 18; i++) {
        sizes[i] = (uint16_t)(1 + i % 7);
    }
    add_chain(f, 18, sizes, 0);
    fake_tx_add(f, 1, 0, 60, 0, 99);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    g_assert_cmpuint(f->nr_delivered, ==, 1);   /* only the next packet */
    g_assert_cmpuint(f->delivered[0].len, ==, 60);
    for (i = 0; i < 18; i++) {
        assert_tx_status(f, i, (uint16_t)i, NETIF_RSP_ERROR);
    }
    assert_tx_status(f, 18, 99, NETIF_RSP_OKAY);
    g_assert_cmpuint(f->queue.stats.tx_errors, ==, 1);
    /* The drop is reported, with the packet's first id and why */
    g_assert_cmpuint(f->nr_dropped, ==, 1);
    g_assert_cmpuint(f->dropped_id, ==, 0);
    g_assert_cmpuint(f->dropped_slots, ==, 18);
    g_assert_cmpstr(f->dropped_why, ==, "shorter than an Ethernet header");
    fake_free(f);
}

static void run_long_chain(uint32_t slots, bool expect_fatal)
{
    struct fake_frontend *f = fake_new();
    uint16_t sizes[300];
    uint32_t i;

    for (i = 0; i < slots; i++) {
        sizes[i] = 60;
    }
    add_chain(f, slots, sizes, 0);
    fake_tx_add(f, 1, 0, 60, 0, 999);
    /* A ring holds 256 slots: a longer chain is a full ring of more_data. */
    fake_sring(f, NETIF_RING_TX)->req_prod =
        MIN(f->tx_req_prod, NETIF_RING_SIZE);
    netif_tx_process(&f->queue, BUDGET);
    if (expect_fatal) {
        assert_fatal(f, "Malicious frontend");
        g_assert_cmpuint(f->nr_delivered, ==, 0);
        g_assert_cmpuint(rsp_prod(f), ==, 0);
        /* Stopped at the limit: never walked the rest of the chain. */
        g_assert_cmpuint(f->ring_entry_reads, ==, 1 + NETIF_TX_FATAL_SLOTS);
        g_assert_cmpuint(f->gref_copies, ==, 0);
    } else {
        /* Dropped, every slot answered, and the next packet goes. */
        g_assert_false(netif_queue_failed(&f->queue));
        for (i = 0; i < slots; i++) {
            assert_tx_status(f, i, (uint16_t)i, NETIF_RSP_ERROR);
        }
        g_assert_cmpuint(f->nr_delivered, ==, 1);
        assert_tx_status(f, slots, 999, NETIF_RSP_OKAY);
    }
    fake_free(f);
}

static void test_chain_limits(void)
{
    run_long_chain(20, false);      /* 19 frags > legacy 18: drop */
    run_long_chain(21, false);      /* 20 frags: still a drop */
    run_long_chain(22, true);       /* 21 frags: malicious */
    run_long_chain(300, true);
}

static void test_chain_longer_than_ring(void)
{
    struct fake_frontend *f = fake_new();

    /* more_data on the last published request. */
    fake_tx_add(f, 1, 0, 120, NETTXF_more_data, 1);
    fake_tx_add(f, 1, 0, 60, NETTXF_more_data, 2);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, "Asked for 1 slots but exceeds this limit");
    g_assert_cmpuint(rsp_prod(f), ==, 0);
    fake_free(f);
}

static void test_slot_bigger_than_rest(void)
{
    struct fake_frontend *f = fake_new();

    /* A 64 KiB+ frame whose first size wrapped: drop, not fatal. */
    fake_tx_add(f, 1, 0, 100, NETTXF_more_data, 1);
    fake_tx_add(f, 2, 0, 200, 0, 2);
    fake_tx_add(f, 1, 0, 60, 0, 3);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    assert_tx_status(f, 0, 1, NETIF_RSP_ERROR);
    assert_tx_status(f, 1, 2, NETIF_RSP_ERROR);
    assert_tx_status(f, 2, 3, NETIF_RSP_OKAY);
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    fake_free(f);

    /* One byte over is enough (and the wrapped size is never used). */
    f = fake_new();
    fake_tx_add(f, 1, 0, 100, NETTXF_more_data, 1);
    fake_tx_add(f, 2, 0, 101, 0, 2);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    assert_tx_status(f, 0, 1, NETIF_RSP_ERROR);
    assert_tx_status(f, 1, 2, NETIF_RSP_ERROR);
    g_assert_cmpuint(f->nr_delivered, ==, 0);
    fake_free(f);
}

static void test_cross_page(void)
{
    struct fake_frontend *f = fake_new();

    fake_tx_add(f, 1, 4000, 96, 0, 1);      /* ends exactly at 4096 */
    fake_tx_add(f, 1, 4001, 96, 0, 2);      /* offset + size = 4097 */
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, "Cross page boundary");
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    assert_tx_status(f, 0, 1, NETIF_RSP_OKAY);
    g_assert_cmpuint(rsp_prod(f), ==, 1);
    fake_free(f);

    /* In a follow-on slot, even of a packet that is being dropped. */
    f = fake_new();
    fake_tx_add(f, 1, 0, 200, NETTXF_more_data, 1);
    fake_tx_add(f, 1, 0, 300, NETTXF_more_data, 2);   /* too big: drop */
    fake_tx_add(f, 1, 4090, 7, 0, 3);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, "Cross page boundary");
    g_assert_cmpuint(rsp_prod(f), ==, 0);
    fake_free(f);
}

static void test_too_short(void)
{
    struct fake_frontend *f = fake_new();

    fake_tx_add(f, 1, 0, NETIF_ETH_HLEN - 1, 0, 1);
    fake_tx_add(f, 1, 0, NETIF_ETH_HLEN, 0, 2);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    assert_tx_status(f, 0, 1, NETIF_RSP_ERROR);
    assert_tx_status(f, 1, 2, NETIF_RSP_OKAY);
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    g_assert_cmpuint(f->delivered[0].len, ==, NETIF_ETH_HLEN);
    fake_free(f);
}

static void test_bad_gref_mid_chain(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_extra_info e = gso_extra(XEN_NETIF_GSO_TYPE_TCPV4, 1000);
    uint32_t i;

    f->grant_valid[3] = false;
    fake_tx_add(f, 1, 0, 5000, NETTXF_more_data | NETTXF_extra_info, 10);
    fake_tx_add_extra(f, &e);
    fake_tx_add(f, 2, 0, 2000, NETTXF_more_data, 11);
    fake_tx_add(f, 3, 0, 2000, NETTXF_more_data, 12);   /* not granted */
    fake_tx_add(f, 4, 0, 900, 0, 13);
    fake_tx_add(f, 1, 0, 60, 0, 14);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);

    g_assert_false(netif_queue_failed(&f->queue));
    assert_tx_status(f, 0, 10, NETIF_RSP_ERROR);
    assert_tx_status(f, 1, 0, NETIF_RSP_NULL);
    for (i = 2; i < 5; i++) {
        assert_tx_status(f, i, (uint16_t)(9 + i), NETIF_RSP_ERROR);
    }
    assert_tx_status(f, 5, 14, NETIF_RSP_OKAY);
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    g_assert_cmpuint(f->delivered[0].len, ==, 60);
    g_assert_cmpuint(f->queue.stats.tx_errors, ==, 1);
    g_assert_cmpuint(f->queue.stats.tx_packets, ==, 1);
    g_assert_cmpuint(f->nr_dropped, ==, 1);
    g_assert_cmpuint(f->dropped_id, ==, 10);
    g_assert_cmpuint(f->dropped_slots, ==, 4);
    g_assert_cmpstr(f->dropped_why, ==, "a grant that cannot be copied");
    fake_free(f);
}

static void test_bad_gref_first_slot(void)
{
    struct fake_frontend *f = fake_new();

    fake_tx_add(f, FAKE_GREFS + 5, 0, 60, 0, 1);    /* never granted */
    fake_tx_add(f, 1, 0, 60, 0, 2);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    assert_tx_status(f, 0, 1, NETIF_RSP_ERROR);
    assert_tx_status(f, 1, 2, NETIF_RSP_OKAY);
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    fake_free(f);
}

static void test_no_sg_drops_chains(void)
{
    struct fake_frontend *f = fake_new();

    f->backend.sg = false;
    fake_tx_add(f, 1, 0, 120, NETTXF_more_data, 1);
    fake_tx_add(f, 2, 0, 60, 0, 2);
    fake_tx_publish(f);
    netif_tx_process(&f->queue, BUDGET);
    g_assert_false(netif_queue_failed(&f->queue));
    assert_tx_status(f, 0, 1, NETIF_RSP_ERROR);
    assert_tx_status(f, 1, 2, NETIF_RSP_ERROR);
    g_assert_cmpuint(f->nr_delivered, ==, 0);
    fake_free(f);
}

/* One ring with every kind of packet, for comparing runs. */
static void add_mixed_ring(struct fake_frontend *f)
{
    struct netif_extra_info e = gso_extra(XEN_NETIF_GSO_TYPE_TCPV4, 536);
    uint16_t sizes[5] = { 100, 200, 300, 400, 500 };

    fake_tx_add(f, 1, 10, 60, NETTXF_csum_blank, 1);
    fake_tx_add(f, 2, 0, 3000, NETTXF_extra_info | NETTXF_more_data, 2);
    fake_tx_add_extra(f, &e);
    fake_tx_add(f, 3, 100, 1000, 0, 3);
    add_chain(f, 5, sizes, 20);
    fake_tx_add(f, 1, 0, 10, 0, 4);                     /* too short */
    fake_tx_add(f, 1, 0, 100, NETTXF_more_data, 5);     /* slot too big */
    fake_tx_add(f, 2, 0, 200, 0, 6);
    fake_tx_add(f, 5, 0, 1500, 0, 7);
}

/*
 * XSA-155: the frontend rewrites each slot right after the backend read
 * it.  A backend that reads a slot twice would see garbage; this one must
 * produce exactly the clean run's packets and responses.
 */
static void test_double_fetch(void)
{
    struct fake_frontend *clean = fake_new();
    struct fake_frontend *evil = fake_new();
    struct netif_work wc, we;
    uint32_t i;

    add_mixed_ring(clean);
    add_mixed_ring(evil);
    fake_tx_publish(clean);
    fake_tx_publish(evil);
    evil->scribble_after_read = true;
    wc = netif_tx_process(&clean->queue, BUDGET);
    we = netif_tx_process(&evil->queue, BUDGET);

    g_assert_false(netif_queue_failed(&clean->queue));
    g_assert_false(netif_queue_failed(&evil->queue));
    g_assert_cmpuint(wc.done, ==, 6);
    g_assert_cmpuint(we.done, ==, wc.done);
    g_assert_cmpuint(evil->ring_entry_reads, ==, clean->ring_entry_reads);
    g_assert_cmpuint(evil->ring_entry_reads, ==, clean->tx_req_prod);
    g_assert_cmpuint(evil->nr_delivered, ==, clean->nr_delivered);
    for (i = 0; i < clean->nr_delivered; i++) {
        g_assert_cmpmem(evil->delivered[i].data, evil->delivered[i].len,
                        clean->delivered[i].data, clean->delivered[i].len);
        g_assert_cmpuint(evil->delivered[i].gso_size, ==,
                         clean->delivered[i].gso_size);
        g_assert_cmpint(evil->delivered[i].csum, ==,
                        clean->delivered[i].csum);
    }
    for (i = 0; i < clean->tx_req_prod; i++) {
        struct netif_tx_response a = fake_tx_response(clean, i);
        struct netif_tx_response b = fake_tx_response(evil, i);

        g_assert_cmpint(a.status, ==, b.status);
        if (a.status != NETIF_RSP_NULL) {
            g_assert_cmpuint(a.id, ==, b.id);
        }
    }
    fake_free(clean);
    fake_free(evil);
}

/* req_prod jumps to garbage after the backend took its snapshot. */
static void test_req_prod_moves_during_call(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_work w;

    fake_tx_add(f, 1, 0, 60, 0, 1);
    fake_tx_add(f, 1, 0, 60, 0, 2);
    fake_tx_publish(f);
    f->bump_req_prod_on_read = 2;
    f->bump_req_prod_by = 0x80000000u;
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(w.done, ==, 2);
    g_assert_true(w.more);              /* the final check saw movement */
    g_assert_false(netif_queue_failed(&f->queue));
    /* One snapshot for the whole batch, one re-read for the final check. */
    g_assert_cmpuint(f->req_prod_reads, ==, 2);
    g_assert_cmpuint(f->ring_entry_reads, ==, 2);
    /* The next call validates the new value. */
    netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, "Impossible number of requests");
    fake_free(f);
}

static void test_budget(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_work w;
    uint32_t i;

    for (i = 0; i < 10; i++) {
        fake_tx_add(f, 1, 0, 60, 0, (uint16_t)i);
    }
    fake_tx_publish(f);
    fake_sring(f, NETIF_RING_TX)->req_event = 1234;

    w = netif_tx_process(&f->queue, 4);
    g_assert_cmpuint(w.done, ==, 4);
    g_assert_true(w.more);
    g_assert_cmpuint(f->queue.tx.req_cons, ==, 4);
    g_assert_cmpuint(rsp_prod(f), ==, 4);   /* answers not held back */
    /* Still busy: req_event is left alone until the ring is drained. */
    g_assert_cmpuint(fake_sring(f, NETIF_RING_TX)->req_event, ==, 1234);

    w = netif_tx_process(&f->queue, 4);
    g_assert_cmpuint(w.done, ==, 4);
    g_assert_true(w.more);
    w = netif_tx_process(&f->queue, 4);
    g_assert_cmpuint(w.done, ==, 2);
    g_assert_false(w.more);
    g_assert_cmpuint(fake_sring(f, NETIF_RING_TX)->req_event, ==, 11);
    g_assert_cmpuint(f->nr_delivered, ==, 10);
    fake_free(f);
}

static void test_final_check_race(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_work w;

    fake_tx_add(f, 1, 0, 60, 0, 1);
    fake_tx_add(f, 1, 0, 60, 0, 2);     /* written, published late */
    fake_sring(f, NETIF_RING_TX)->req_prod = 1;
    /* The frontend publishes between our drain and the final check. */
    f->bump_req_prod_on_read = 2;
    f->bump_req_prod_by = 1;
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(w.done, ==, 1);
    g_assert_true(w.more);
    w = netif_tx_process(&f->queue, BUDGET);
    g_assert_cmpuint(w.done, ==, 1);
    g_assert_false(w.more);
    g_assert_cmpuint(f->nr_delivered, ==, 2);
    fake_free(f);
}

/* A peer that answers every frame at once, into the guest's RX ring. */
static void deliver_and_reply(void *opaque, const struct netif_tx_packet *pkt)
{
    struct fake_frontend *f = opaque;
    struct netif_rx_packet reply = { .data = pkt->data, .len = pkt->len };
    bool notify;

    fake_tx_deliver(opaque, pkt);
    netif_rx_put(&f->queue, &reply, &notify);
}

/*
 * The reply to the first packet finds RX req_prod 2^31 ahead and fails
 * the queue in the middle of a TX batch: that packet is answered, nothing
 * after it is sent (guest test: fakevif rx-prod).
 */
static void test_fail_during_deliver(void)
{
    struct fake_frontend *f = fake_new();
    struct netif_ops ops = fake_ops;
    struct netif_work w;
    uint32_t i;

    ops.tx_deliver = deliver_and_reply;
    netif_queue_init(&f->queue, &ops, f, &f->backend, &f->features,
                     &f->mcast);
    fake_sring(f, NETIF_RING_RX)->req_prod = 0x80000000u;
    for (i = 0; i < 3; i++) {
        fake_tx_add(f, 1, 0, 60, 0, (uint16_t)i);
    }
    fake_tx_publish(f);

    w = netif_tx_process(&f->queue, BUDGET);
    assert_fatal(f, "RX Impossible number of requests");
    g_assert_cmpuint(f->nr_delivered, ==, 1);
    g_assert_cmpuint(w.done, ==, 1);
    g_assert_false(w.more);
    g_assert_cmpuint(rsp_prod(f), ==, 1);
    assert_tx_status(f, 0, 0, NETIF_RSP_OKAY);
    g_assert_cmpuint(f->queue.tx.req_cons, ==, 1);
    fake_free(f);
}

static void test_queue_init_resets(void)
{
    struct fake_frontend *f = fake_new();

    fake_sring(f, NETIF_RING_TX)->req_prod = 0x80000000u;
    netif_tx_process(&f->queue, BUDGET);
    g_assert_true(netif_queue_failed(&f->queue));
    fake_reinit(f);
    g_assert_false(netif_queue_failed(&f->queue));
    g_assert_cmpstr(f->queue.stats.fatal_reason, ==, "");
    g_assert_cmpuint(f->queue.tx.req_cons, ==, 0);
    fake_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/netif/tx/single-packet", test_single_packet);
    g_test_add_func("/netif/tx/csum-flags", test_csum_flags);
    g_test_add_func("/netif/tx/ring-view", test_ring_view);
    g_test_add_func("/netif/tx/notify-rsp-event",
                    test_notify_only_past_rsp_event);
    g_test_add_func("/netif/tx/impossible-req-prod",
                    test_impossible_req_prod);
    g_test_add_func("/netif/tx/ring-size-boundary", test_ring_size_boundary);
    g_test_add_func("/netif/tx/index-wraparound", test_index_wraparound);
    g_test_add_func("/netif/tx/extra/gso", test_gso_extra);
    g_test_add_func("/netif/tx/extra/gso-not-offered",
                    test_gso_not_offered_drops);
    g_test_add_func("/netif/tx/extra/bad-types", test_bad_extra_types);
    g_test_add_func("/netif/tx/extra/gso-size-zero", test_gso_size_zero);
    g_test_add_func("/netif/tx/extra/gso-bad-type", test_gso_bad_type);
    g_test_add_func("/netif/tx/extra/missing", test_missing_extra);
    g_test_add_func("/netif/tx/extra/mcast", test_mcast);
    g_test_add_func("/netif/tx/chain/ok", test_chain_ok);
    g_test_add_func("/netif/tx/chain/xsa432-tiny-slots",
                    test_xsa432_tiny_slots);
    g_test_add_func("/netif/tx/chain/limits", test_chain_limits);
    g_test_add_func("/netif/tx/chain/longer-than-ring",
                    test_chain_longer_than_ring);
    g_test_add_func("/netif/tx/chain/slot-bigger-than-rest",
                    test_slot_bigger_than_rest);
    g_test_add_func("/netif/tx/chain/no-sg", test_no_sg_drops_chains);
    g_test_add_func("/netif/tx/bad-gref-first-slot",
                    test_bad_gref_first_slot);
    g_test_add_func("/netif/tx/cross-page", test_cross_page);
    g_test_add_func("/netif/tx/too-short", test_too_short);
    g_test_add_func("/netif/tx/bad-gref-mid-chain", test_bad_gref_mid_chain);
    g_test_add_func("/netif/tx/double-fetch", test_double_fetch);
    g_test_add_func("/netif/tx/req-prod-moves",
                    test_req_prod_moves_during_call);
    g_test_add_func("/netif/tx/budget", test_budget);
    g_test_add_func("/netif/tx/final-check-race", test_final_check_race);
    g_test_add_func("/netif/tx/queue-init-resets", test_queue_init_resets);
    g_test_add_func("/netif/tx/fail-during-deliver",
                    test_fail_during_deliver);
    return g_test_run();
}
