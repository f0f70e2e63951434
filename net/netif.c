/*
 * netif protocol core: ring index and slot validation, queue state,
 * response pushing and the multicast filter.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "netif.h"
#include "netif-ring.h"

uint32_t netif_ring_size(size_t entry_size)
{
    size_t slots;
    uint32_t size = 1;

    if (entry_size == 0) {
        return 0;
    }
    slots = (NETIF_PAGE_SIZE - NETIF_SRING_HEADER_SIZE) / entry_size;
    if (slots == 0) {
        return 0;
    }
    while ((size_t)size * 2 <= slots) {
        size *= 2;
    }
    return size;
}

enum netif_verdict netif_check_requests(uint32_t req_prod, uint32_t req_cons,
                                        uint32_t rsp_prod_pvt,
                                        uint32_t ring_size,
                                        uint32_t *pending,
                                        const char **why)
{
    /*
     * Unsigned differences handle index wrap-around.  Requests beyond
     * rsp_prod_pvt + ring_size would overwrite slots whose responses the
     * frontend has not seen (RING_REQUEST_PROD_OVERFLOW); consumed past
     * produced means the indexes are garbage.
     */
    if (req_prod - rsp_prod_pvt > ring_size) {
        *why = "Impossible number of requests";
        return NETIF_FATAL;
    }
    if (req_cons - rsp_prod_pvt > req_prod - rsp_prod_pvt) {
        *why = "Request consumer ahead of producer";
        return NETIF_FATAL;
    }
    *pending = req_prod - req_cons;
    return NETIF_OK;
}

enum netif_verdict netif_check_tx_slot(const struct netif_tx_request *req,
                                       const char **why)
{
    if ((uint32_t)req->offset + req->size > NETIF_PAGE_SIZE) {
        *why = "Cross page boundary";
        return NETIF_FATAL;
    }
    return NETIF_OK;
}

uint32_t netif_page_index_read(const void *page, uint32_t offset)
{
    /* One load, never torn by a copy routine */
    return __atomic_load_n((const uint32_t *)((const uint8_t *)page + offset),
                           __ATOMIC_RELAXED);
}

void netif_page_index_write(void *page, uint32_t offset, uint32_t value)
{
    __atomic_store_n((uint32_t *)((uint8_t *)page + offset), value,
                     __ATOMIC_RELAXED);
}

void netif_queue_init(struct netif_queue *q, const struct netif_ops *ops,
                      void *opaque, const struct netif_backend_config *be,
                      const struct netif_frontend_features *fe,
                      struct netif_mcast_filter *mcast)
{
    q->ops = ops;
    q->opaque = opaque;
    q->backend = be;
    q->frontend = *fe;
    q->mcast = mcast;
    q->tx = (struct netif_ring_indexes) { 0 };
    q->rx = (struct netif_ring_indexes) { 0 };
    memset(&q->stats, 0, sizeof(q->stats));
}

void netif_queue_fail(struct netif_queue *q, const char *fmt, ...)
{
    va_list ap;

    if (q->stats.fatal) {
        return;
    }
    q->stats.fatal = true;
    va_start(ap, fmt);
    vsnprintf(q->stats.fatal_reason, sizeof(q->stats.fatal_reason), fmt,
              ap);
    va_end(ap);
}

bool netif_ring_push_responses(struct netif_queue *q, enum netif_ring ring)
{
    struct netif_ring_indexes *idx = ring == NETIF_RING_TX ? &q->tx : &q->rx;
    uint32_t new_prod = idx->rsp_prod_pvt;
    uint32_t old_prod = idx->rsp_pushed;
    uint32_t rsp_event;

    if (new_prod == old_prod) {
        return false;
    }
    netif_wmb();    /* the frontend sees responses before rsp_prod */
    ring_write_index(q, ring, SRING_RSP_PROD, new_prod);
    idx->rsp_pushed = new_prod;
    netif_mb();     /* publish rsp_prod before reading rsp_event */
    rsp_event = ring_read_index(q, ring, SRING_RSP_EVENT);
    /* Notify if rsp_event lies in (old_prod, new_prod]. */
    return (uint32_t)(new_prod - rsp_event) < (uint32_t)(new_prod - old_prod);
}

void netif_ring_view(struct netif_queue *q, enum netif_ring ring,
                     struct netif_ring_view *view)
{
    const struct netif_ring_indexes *idx = ring == NETIF_RING_TX ? &q->tx
                                                                 : &q->rx;

    memset(view, 0, sizeof(*view));
    view->shared.req_prod = ring_read_index(q, ring, SRING_REQ_PROD);
    view->shared.req_event = ring_read_index(q, ring, SRING_REQ_EVENT);
    view->shared.rsp_prod = ring_read_index(q, ring, SRING_RSP_PROD);
    view->shared.rsp_event = ring_read_index(q, ring, SRING_RSP_EVENT);
    view->req_cons = idx->req_cons;
    view->rsp_prod_pvt = idx->rsp_prod_pvt;
}

static bool mac_equal(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, 6) == 0;
}

bool netif_mcast_add(struct netif_mcast_filter *f, const uint8_t addr[6])
{
    if (f->count >= NETIF_MCAST_MAX) {
        return false;
    }
    memcpy(f->addr[f->count], addr, 6);
    f->count++;
    return true;
}

void netif_mcast_del(struct netif_mcast_filter *f, const uint8_t addr[6])
{
    uint32_t i;

    for (i = 0; i < f->count; i++) {
        if (mac_equal(f->addr[i], addr)) {
            f->count--;
            memmove(f->addr[i], f->addr[i + 1], (f->count - i) * 6);
            return;
        }
    }
}

bool netif_mcast_match(const struct netif_mcast_filter *f,
                       const uint8_t addr[6])
{
    uint32_t i;

    for (i = 0; i < f->count; i++) {
        if (mac_equal(f->addr[i], addr)) {
            return true;
        }
    }
    return false;
}
