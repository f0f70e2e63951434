/*
 * libFuzzer target: guest TX ring contents, req_prod movements, grant
 * validity and backend features against netif_tx_process.  Besides
 * ASan/UBSan, it checks the invariants a hostile frontend must not break:
 * bounded work per call, copies inside granted pages, every consumed slot
 * answered, packet sizes within the protocol's limits.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netif.h"
#include "netif-fake-frontend.h"
#include "fuzz-check.h"

struct input {
    const uint8_t *data;
    size_t size;
};

static uint8_t take_u8(struct input *in)
{
    uint8_t v = 0;

    if (in->size) {
        v = in->data[0];
        in->data++;
        in->size--;
    }
    return v;
}

static uint32_t take_u32(struct input *in)
{
    uint32_t v = take_u8(in);

    v |= (uint32_t)take_u8(in) << 8;
    v |= (uint32_t)take_u8(in) << 16;
    return v | (uint32_t)take_u8(in) << 24;
}

/* A req_prod near the consumer usually, anywhere sometimes. */
static uint32_t pick_req_prod(struct input *in, uint32_t cons)
{
    uint8_t mode = take_u8(in);

    if (mode & 0x80) {
        return take_u32(in);
    }
    return cons + (mode & 0x7f) * 3;
}

/*
 * Six input bytes make one plausible slot, so that the fuzzer reaches
 * chains, extras and GSO quickly: b0 bit 7 selects an extra-info slot.
 */
static uint32_t put_structured_slot(struct fake_frontend *f, uint32_t idx,
                                    struct input *in)
{
    uint8_t kind = take_u8(in);
    uint8_t gref = take_u8(in);
    uint8_t lo = take_u8(in);
    uint8_t hi = take_u8(in);
    uint8_t off = take_u8(in);
    uint8_t id = take_u8(in);
    uint8_t *slot = f->tx_page + fake_entry_offset(NETIF_RING_TX, idx);

    if ((kind & 0xf0) == 0xf0) {
        /* A whole more_data chain of small slots, 1 to 32 long. */
        uint32_t n = lo % 32 + 1, total = 0, i;

        for (i = 1; i < n; i++) {
            total += (hi + i) % 8 + 1;
        }
        for (i = 0; i < n; i++) {
            struct netif_tx_request req = {
                .gref = (gref + i) % (FAKE_GREFS + 1),
                .flags = i + 1 < n ? NETTXF_more_data : 0,
                .id = (uint16_t)(id + i),
                .size = i ? (hi + i) % 8 + 1
                          : (uint16_t)(total + (off & 0x7f)),
                .offset = (uint16_t)(off * 8 + i),
            };

            if (i == 0 && (kind & 1)) {
                req.flags |= NETTXF_extra_info;
            }
            slot = f->tx_page + fake_entry_offset(NETIF_RING_TX, idx + i);
            memcpy(slot, &req, sizeof(req));
        }
        return n;
    }
    if (kind & 0x80) {
        struct netif_extra_info e = { 0 };

        e.type = (kind >> 4) & 7;
        e.flags = kind & XEN_NETIF_EXTRA_FLAG_MORE;
        e.u.gso.size = (uint16_t)(lo | hi << 8);
        e.u.gso.type = gref & 3;
        memcpy(slot, &e, sizeof(e));
    } else {
        struct netif_tx_request req = {
            .gref = gref % (FAKE_GREFS + 4),
            .flags = kind & 0xf,
            .id = id,
            .size = hi & 0x80 ? (uint16_t)(lo | hi << 8) : lo,
            .offset = (uint16_t)(off * 16 + (hi & 0xf)),
        };

        memcpy(slot, &req, sizeof(req));
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    struct fake_frontend *f = fake_new();
    uint8_t cfg = take_u8(&in);
    uint32_t start = take_u32(&in);
    uint32_t i, call;
    size_t ring_bytes;

    f->abort_on_bad_copy = true;
    f->backend.sg = cfg & 1;
    f->backend.gso_tcpv4 = cfg & 2;
    f->backend.gso_tcpv6 = cfg & 4;
    f->scribble_after_read = cfg & 8;
    fake_reinit(f);
    if (!(cfg & 16)) {
        f->queue.mcast = NULL;
    }
    if (cfg & 32) {
        /* Start near the 2^32 wrap. */
        start |= 0xffffff00u;
    }
    f->queue.tx.req_cons = f->queue.tx.rsp_prod_pvt = start;
    f->queue.tx.rsp_pushed = start;
    fake_sring(f, NETIF_RING_TX)->rsp_prod = start;

    for (i = 0; i < FAKE_GREFS; i++) {
        f->grant_valid[i] = take_u8(&in) & 1 ? false : true;
    }
    fake_sring(f, NETIF_RING_TX)->rsp_event = take_u32(&in);

    /* Then ring entries, then per-call controls. */
    if (cfg & 64) {
        ring_bytes = NETIF_RING_SIZE * NETIF_TX_ENTRY_SIZE;
        if (ring_bytes > in.size / 2) {
            ring_bytes = in.size / 2;
        }
        memcpy(f->tx_page + NETIF_SRING_HEADER_SIZE, in.data, ring_bytes);
        in.data += ring_bytes;
        in.size -= ring_bytes;
    } else {
        uint32_t slots = take_u8(&in);

        for (i = 0; i < slots && in.size;) {
            i += put_structured_slot(f, start + i, &in);
        }
    }

    for (call = 0; call < 8 && !netif_queue_failed(&f->queue); call++) {
        uint32_t reads_before = f->ring_entry_reads;
        uint32_t cons_before = f->queue.tx.req_cons;
        uint32_t budget = take_u8(&in) % 80;
        uint32_t req_prod = pick_req_prod(&in, cons_before);
        struct netif_work w;

        fake_sring(f, NETIF_RING_TX)->req_prod = req_prod;
        w = netif_tx_process(&f->queue, budget);

        CHECK(w.done <= budget);
        /* Never more than one ring of slots per call. */
        CHECK(f->ring_entry_reads - reads_before <= NETIF_RING_SIZE);
        CHECK(f->queue.tx.req_cons - cons_before <= NETIF_RING_SIZE);
        CHECK(f->queue.tx.req_cons - cons_before <= req_prod - cons_before);
        if (!netif_queue_failed(&f->queue)) {
            /* Every consumed slot got its answer, and it was pushed. */
            CHECK(f->queue.tx.rsp_prod_pvt == f->queue.tx.req_cons);
            CHECK(fake_sring(f, NETIF_RING_TX)->rsp_prod ==
                  f->queue.tx.rsp_prod_pvt);
        } else {
            CHECK(f->queue.stats.fatal_reason[0] != '\0');
            CHECK(w.done <= budget);
        }
        for (i = 0; i < f->nr_delivered; i++) {
            CHECK(f->delivered[i].len >= NETIF_ETH_HLEN);
            CHECK(f->delivered[i].len <= NETIF_MAX_PACKET);
            CHECK(f->delivered[i].gso_type == XEN_NETIF_GSO_TYPE_NONE ||
                  f->delivered[i].gso_size != 0);
        }
        fake_clear_delivered(f);
    }
    if (netif_queue_failed(&f->queue)) {
        /* Failed is final: no reads, no answers. */
        uint32_t reads = f->ring_entry_reads + f->req_prod_reads;
        struct netif_work w = netif_tx_process(&f->queue, 64);

        CHECK(w.done == 0 && !w.notify);
        CHECK(f->ring_entry_reads + f->req_prod_reads == reads);
    }
    fake_free(f);
    return 0;
}
