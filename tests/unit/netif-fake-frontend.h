/*
 * A fake netfront for the netif core tests and fuzzers: two ring pages, a
 * small grant table, and netif_ops that count every shared-memory access.
 * Header-only so that each test and fuzz target builds it in.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XENBED_NETIF_FAKE_FRONTEND_H
#define XENBED_NETIF_FAKE_FRONTEND_H

#include <stdlib.h>
#include <string.h>

#include "netif.h"

#define FAKE_GREFS 64u
#define FAKE_MAX_DELIVERED 300u

struct fake_packet {
    uint8_t *data;
    uint32_t len;
    enum netif_csum csum;
    uint8_t gso_type;
    uint16_t gso_size;
};

struct fake_frontend {
    uint8_t tx_page[NETIF_PAGE_SIZE];
    uint8_t rx_page[NETIF_PAGE_SIZE];
    uint8_t grant[FAKE_GREFS][NETIF_PAGE_SIZE];
    bool grant_valid[FAKE_GREFS];

    /* Frontend-private producer indexes (published with *_publish). */
    uint32_t tx_req_prod;
    uint32_t rx_req_prod;

    /* Shared-memory accesses the backend made. */
    uint32_t ring_entry_reads;
    uint32_t req_prod_reads;
    uint32_t gref_copies;
    uint32_t gref_batches;  /* copy_grefs calls */

    /* Fuzzing: abort if the core asks for a copy outside the page. */
    bool abort_on_bad_copy;
    /* Hostile frontend: rewrite every ring entry right after it is read. */
    bool scribble_after_read;
    /* Move req_prod just before the Nth read of it (0: never). */
    uint32_t bump_req_prod_on_read;
    uint32_t bump_req_prod_by;

    struct fake_packet delivered[FAKE_MAX_DELIVERED];
    uint32_t nr_delivered;

    /* The last TX packet the core dropped: its first id, slots, why */
    uint32_t nr_dropped;
    uint16_t dropped_id;
    uint32_t dropped_slots;
    const char *dropped_why;

    struct netif_backend_config backend;
    struct netif_frontend_features features;
    struct netif_mcast_filter mcast;
    struct netif_queue queue;
};

static inline uint8_t *fake_page(struct fake_frontend *f, enum netif_ring r)
{
    return r == NETIF_RING_TX ? f->tx_page : f->rx_page;
}

static inline uint32_t fake_index_read(void *opaque, enum netif_ring ring,
                                       uint32_t offset)
{
    struct fake_frontend *f = opaque;
    uint8_t *page = fake_page(f, ring);

    if (offset == offsetof(struct netif_sring_header, req_prod)) {
        f->req_prod_reads++;
        if (f->bump_req_prod_on_read == f->req_prod_reads) {
            struct netif_sring_header *h = (void *)page;

            h->req_prod += f->bump_req_prod_by;
        }
    }
    return netif_page_index_read(page, offset);
}

static inline void fake_index_write(void *opaque, enum netif_ring ring,
                                    uint32_t offset, uint32_t value)
{
    struct fake_frontend *f = opaque;

    netif_page_index_write(fake_page(f, ring), offset, value);
}

static inline void fake_entry_read(void *opaque, enum netif_ring ring,
                                   uint32_t offset, void *dst, uint32_t len)
{
    struct fake_frontend *f = opaque;
    uint8_t *page = fake_page(f, ring);

    memcpy(dst, page + offset, len);
    f->ring_entry_reads++;
    if (f->scribble_after_read) {
        memset(page + offset, 0xa5 ^ (uint8_t)f->ring_entry_reads, len);
    }
}

static inline void fake_entry_write(void *opaque, enum netif_ring ring,
                                    uint32_t offset, const void *src,
                                    uint32_t len)
{
    struct fake_frontend *f = opaque;

    memcpy(fake_page(f, ring) + offset, src, len);
}

static inline void fake_copy_grefs(void *opaque, bool to_domain,
                                   struct netif_gref_copy *copies,
                                   uint32_t nr)
{
    struct fake_frontend *f = opaque;
    uint32_t i;

    f->gref_batches++;
    for (i = 0; i < nr; i++) {
        struct netif_gref_copy *c = &copies[i];

        f->gref_copies++;
        if (f->abort_on_bad_copy && c->offset + c->len > NETIF_PAGE_SIZE) {
            abort();
        }
        c->ok = c->gref < FAKE_GREFS && f->grant_valid[c->gref] &&
                c->offset + c->len <= NETIF_PAGE_SIZE;
        if (!c->ok) {
            continue;
        }
        if (to_domain) {
            memcpy(f->grant[c->gref] + c->offset, c->buf, c->len);
        } else {
            memcpy(c->buf, f->grant[c->gref] + c->offset, c->len);
        }
    }
}

static inline void fake_tx_deliver(void *opaque,
                                   const struct netif_tx_packet *pkt)
{
    struct fake_frontend *f = opaque;
    struct fake_packet *p;

    if (f->nr_delivered >= FAKE_MAX_DELIVERED) {
        abort();
    }
    p = &f->delivered[f->nr_delivered++];
    p->data = malloc(pkt->len ? pkt->len : 1);
    memcpy(p->data, pkt->data, pkt->len);
    p->len = pkt->len;
    p->csum = pkt->csum;
    p->gso_type = pkt->gso_type;
    p->gso_size = pkt->gso_size;
}

static void fake_tx_dropped(void *opaque, uint16_t id, uint32_t slots,
                            const char *why)
{
    struct fake_frontend *f = opaque;

    f->nr_dropped++;
    f->dropped_id = id;
    f->dropped_slots = slots;
    f->dropped_why = why;
}

static const struct netif_ops fake_ops = {
    .index_read = fake_index_read,
    .index_write = fake_index_write,
    .entry_read = fake_entry_read,
    .entry_write = fake_entry_write,
    .copy_grefs = fake_copy_grefs,
    .tx_deliver = fake_tx_deliver,
    .tx_dropped = fake_tx_dropped,
};

static inline struct netif_sring_header *fake_sring(struct fake_frontend *f,
                                                    enum netif_ring r)
{
    return (struct netif_sring_header *)fake_page(f, r);
}

/* Backend offers everything; frontend asks for everything. */
static inline struct fake_frontend *fake_new(void)
{
    /* Distinct bytes per gref and offset, built once (fuzzers are hot). */
    static uint8_t pattern[FAKE_GREFS][NETIF_PAGE_SIZE];
    static bool pattern_ready;
    struct fake_frontend *f = calloc(1, sizeof(*f));
    uint32_t i, b;

    if (!f) {
        abort();
    }
    if (!pattern_ready) {
        for (i = 0; i < FAKE_GREFS; i++) {
            for (b = 0; b < NETIF_PAGE_SIZE; b++) {
                pattern[i][b] = (uint8_t)(i * 7 + b);
            }
        }
        pattern_ready = true;
    }
    memcpy(f->grant, pattern, sizeof(pattern));
    for (i = 0; i < FAKE_GREFS; i++) {
        f->grant_valid[i] = true;
    }
    f->backend = (struct netif_backend_config) {
        .max_queues = 4, .split_event_channels = true, .sg = true,
        .gso_tcpv4 = true, .gso_tcpv6 = true, .ipv6_csum_offload = true,
        .multicast_control = true,
    };
    f->features = (struct netif_frontend_features) {
        .rx_notify = true, .sg = true, .gso_tcpv4 = true, .gso_tcpv6 = true,
        .ipv6_csum_offload = true,
    };
    netif_queue_init(&f->queue, &fake_ops, f, &f->backend, &f->features,
                     &f->mcast);
    return f;
}

/* Re-read the features after a test changed f->features. */
static inline void fake_reinit(struct fake_frontend *f)
{
    netif_queue_init(&f->queue, &fake_ops, f, &f->backend, &f->features,
                     &f->mcast);
}

static inline void fake_clear_delivered(struct fake_frontend *f)
{
    uint32_t i;

    for (i = 0; i < f->nr_delivered; i++) {
        free(f->delivered[i].data);
    }
    f->nr_delivered = 0;
}

static inline void fake_free(struct fake_frontend *f)
{
    fake_clear_delivered(f);
    free(f);
}

static inline uint32_t fake_entry_offset(enum netif_ring r, uint32_t idx)
{
    uint32_t size = r == NETIF_RING_TX ? NETIF_TX_ENTRY_SIZE
                                       : NETIF_RX_ENTRY_SIZE;

    return NETIF_SRING_HEADER_SIZE + (idx % NETIF_RING_SIZE) * size;
}

/* Write one TX request at the private producer index. */
static inline void fake_tx_add(struct fake_frontend *f, uint32_t gref,
                               uint16_t offset, uint16_t size,
                               uint16_t flags, uint16_t id)
{
    struct netif_tx_request req = {
        .gref = gref, .offset = offset, .flags = flags, .id = id,
        .size = size,
    };

    memcpy(f->tx_page + fake_entry_offset(NETIF_RING_TX, f->tx_req_prod),
           &req, sizeof(req));
    f->tx_req_prod++;
}

static inline void fake_tx_add_extra(struct fake_frontend *f,
                                     const struct netif_extra_info *extra)
{
    memcpy(f->tx_page + fake_entry_offset(NETIF_RING_TX, f->tx_req_prod),
           extra, sizeof(*extra));
    f->tx_req_prod++;
}

static inline void fake_tx_publish(struct fake_frontend *f)
{
    fake_sring(f, NETIF_RING_TX)->req_prod = f->tx_req_prod;
}

static inline struct netif_tx_response fake_tx_response(
    struct fake_frontend *f, uint32_t idx)
{
    struct netif_tx_response rsp;

    memcpy(&rsp, f->tx_page + fake_entry_offset(NETIF_RING_TX, idx),
           sizeof(rsp));
    return rsp;
}

static inline void fake_rx_add(struct fake_frontend *f, uint32_t gref,
                               uint16_t id)
{
    struct netif_rx_request req = { .id = id, .gref = gref };

    memcpy(f->rx_page + fake_entry_offset(NETIF_RING_RX, f->rx_req_prod),
           &req, sizeof(req));
    f->rx_req_prod++;
}

static inline void fake_rx_publish(struct fake_frontend *f)
{
    fake_sring(f, NETIF_RING_RX)->req_prod = f->rx_req_prod;
}

static inline struct netif_rx_response fake_rx_response(
    struct fake_frontend *f, uint32_t idx)
{
    struct netif_rx_response rsp;

    memcpy(&rsp, f->rx_page + fake_entry_offset(NETIF_RING_RX, idx),
           sizeof(rsp));
    return rsp;
}

#endif
