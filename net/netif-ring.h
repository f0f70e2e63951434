/*
 * Shared-ring access for the netif core (io/ring.h semantics), private to
 * net/.  Every access goes through the embedding's netif_ops.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XENBED_NETIF_RING_H
#define XENBED_NETIF_RING_H

#include "netif.h"

#define SRING_REQ_PROD  offsetof(struct netif_sring_header, req_prod)
#define SRING_REQ_EVENT offsetof(struct netif_sring_header, req_event)
#define SRING_RSP_PROD  offsetof(struct netif_sring_header, rsp_prod)
#define SRING_RSP_EVENT offsetof(struct netif_sring_header, rsp_event)

/* The guest's vCPUs run concurrently with us: these order our accesses. */
#define netif_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define netif_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define netif_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)

static inline uint32_t ring_entry_offset(enum netif_ring ring, uint32_t idx)
{
    uint32_t entry = ring == NETIF_RING_TX ? NETIF_TX_ENTRY_SIZE
                                           : NETIF_RX_ENTRY_SIZE;

    return NETIF_SRING_HEADER_SIZE + (idx & (NETIF_RING_SIZE - 1)) * entry;
}

static inline uint32_t ring_read_index(struct netif_queue *q,
                                       enum netif_ring ring, uint32_t offset)
{
    return q->ops->index_read(q->opaque, ring, offset);
}

static inline void ring_write_index(struct netif_queue *q,
                                    enum netif_ring ring, uint32_t offset,
                                    uint32_t value)
{
    q->ops->index_write(q->opaque, ring, offset, value);
}

/* Copy entry `idx` out of the shared page: the only read of that slot. */
static inline void ring_copy_entry(struct netif_queue *q,
                                   enum netif_ring ring, uint32_t idx,
                                   void *dst, uint32_t len)
{
    q->ops->entry_read(q->opaque, ring, ring_entry_offset(ring, idx), dst,
                       len);
}

static inline void ring_put_entry(struct netif_queue *q, enum netif_ring ring,
                                  uint32_t idx, const void *src, uint32_t len)
{
    q->ops->entry_write(q->opaque, ring, ring_entry_offset(ring, idx), src,
                        len);
}

/* RING_PUSH_RESPONSES_AND_CHECK_NOTIFY; returns whether to notify. */
bool netif_ring_push_responses(struct netif_queue *q, enum netif_ring ring);

/* Put the queue in the failed state (netback's xenvif_fatal_tx_err). */
void netif_queue_fail(struct netif_queue *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
