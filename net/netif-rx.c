/*
 * netif guest RX: fill a packet into the frontend's posted buffers the
 * way Linux netback's rx.c does.  One request per 4 KiB of data (all at
 * offset 0), the GSO extra-info slot right after the first data slot, and
 * responses at the same ring positions as the requests they answer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "netif.h"
#include "netif-ring.h"

/*
 * A guest that keeps moving req_prod could keep us re-checking forever;
 * after this many tries it just waits for its own notification.
 */
#define RX_SLOT_CHECK_TRIES 4

static bool rx_gso_wanted(const struct netif_queue *q, uint8_t type)
{
    if (type == XEN_NETIF_GSO_TYPE_TCPV4) {
        return q->frontend.gso_tcpv4;
    }
    if (type == XEN_NETIF_GSO_TYPE_TCPV6) {
        return q->frontend.gso_tcpv6;
    }
    return false;
}

uint32_t netif_rx_slots_needed(const struct netif_queue *q,
                               const struct netif_rx_packet *pkt)
{
    uint32_t data_slots;

    if (pkt->len == 0 || pkt->len > NETIF_RX_MAX_PACKET) {
        return 0;
    }
    data_slots = (pkt->len + NETIF_PAGE_SIZE - 1) / NETIF_PAGE_SIZE;
    if (data_slots > 1 && !q->frontend.sg) {
        return 0;
    }
    if (pkt->csum == NETIF_CSUM_PARTIAL && q->frontend.no_csum_offload) {
        return 0;
    }
    if (pkt->gso_type == XEN_NETIF_GSO_TYPE_NONE) {
        return data_slots;
    }
    if (!rx_gso_wanted(q, pkt->gso_type) || pkt->gso_size == 0) {
        return 0;
    }
    return data_slots + 1;
}

bool netif_rx_has_slots(struct netif_queue *q, uint32_t slots)
{
    uint32_t req_prod, avail;
    const char *why;
    int tries;

    if (q->stats.fatal) {
        return false;
    }
    for (tries = 0; tries < RX_SLOT_CHECK_TRIES; tries++) {
        req_prod = ring_read_index(q, NETIF_RING_RX, SRING_REQ_PROD);
        netif_rmb();
        if (netif_check_requests(req_prod, q->rx.req_cons,
                                 q->rx.rsp_prod_pvt, NETIF_RING_SIZE,
                                 &avail, &why) != NETIF_OK) {
            netif_queue_fail(q, "RX %s: req_prod %u req_cons %u", why,
                             req_prod, q->rx.req_cons);
            return false;
        }
        if (avail >= slots) {
            return true;
        }
        /* Ask for an event on the next request posted, then re-check. */
        ring_write_index(q, NETIF_RING_RX, SRING_REQ_EVENT, req_prod + 1);
        netif_mb();
        if (ring_read_index(q, NETIF_RING_RX, SRING_REQ_PROD) == req_prod) {
            return false;
        }
    }
    return false;
}

/* Consume one request and answer it in the same ring position. */
static void rx_put_response(struct netif_queue *q,
                            const struct netif_rx_response *rsp)
{
    ring_put_entry(q, NETIF_RING_RX, q->rx.req_cons, rsp, sizeof(*rsp));
    q->rx.req_cons++;
}

static uint16_t rx_first_flags(const struct netif_rx_packet *pkt,
                               bool gso_extra)
{
    uint16_t flags = 0;

    if (pkt->csum == NETIF_CSUM_PARTIAL) {
        flags |= NETRXF_csum_blank | NETRXF_data_validated;
    } else if (pkt->csum == NETIF_CSUM_VALIDATED) {
        flags |= NETRXF_data_validated;
    }
    if (gso_extra) {
        flags |= NETRXF_extra_info;
    }
    return flags;
}

enum netif_rx_result netif_rx_put(struct netif_queue *q,
                                  const struct netif_rx_packet *pkt,
                                  bool *notify)
{
    uint32_t slots = netif_rx_slots_needed(q, pkt);
    bool gso_extra = pkt->gso_type != XEN_NETIF_GSO_TYPE_NONE;
    struct netif_rx_request reqs[NETIF_RX_MAX_SLOTS];
    struct netif_gref_copy copies[NETIF_RX_MAX_SLOTS];
    bool copy_failed = false;
    uint32_t data_slots, pos = 0, slot;

    *notify = false;
    if (q->stats.fatal) {
        return NETIF_RX_FAILED;
    }
    if (slots == 0) {
        q->stats.rx_dropped++;
        return NETIF_RX_DROPPED;
    }
    if (!netif_rx_has_slots(q, slots)) {
        return q->stats.fatal ? NETIF_RX_FAILED : NETIF_RX_NO_SPACE;
    }

    /* The data slots' requests, then their copies in one batch */
    data_slots = slots - gso_extra;
    for (slot = 0; slot < data_slots; slot++) {
        uint32_t chunk = pkt->len - pos;

        if (chunk > NETIF_PAGE_SIZE) {
            chunk = NETIF_PAGE_SIZE;
        }
        /* The extra-info slot follows the first data slot. */
        ring_copy_entry(q, NETIF_RING_RX, q->rx.req_cons + slot +
                        (slot && gso_extra), &reqs[slot], sizeof(reqs[slot]));
        copies[slot] = (struct netif_gref_copy) {
            .gref = reqs[slot].gref, .offset = 0,
            .buf = (uint8_t *)pkt->data + pos, .len = chunk,
        };
        pos += chunk;
    }
    q->ops->copy_grefs(q->opaque, true, copies, data_slots);

    /* Responses at the positions of the requests they answer */
    for (slot = 0; slot < data_slots; slot++) {
        struct netif_rx_response rsp = { 0 };

        rsp.id = reqs[slot].id;
        rsp.offset = 0;
        rsp.flags = slot + 1 < data_slots ? NETRXF_more_data : 0;
        if (slot == 0) {
            rsp.flags |= rx_first_flags(pkt, gso_extra);
        }
        if (copies[slot].ok) {
            rsp.status = (int16_t)copies[slot].len;
        } else {
            rsp.status = NETIF_RSP_ERROR;
            copy_failed = true;
        }
        rx_put_response(q, &rsp);

        if (slot == 0 && gso_extra) {
            struct netif_extra_info extra;
            struct netif_rx_response raw;

            memset(&extra, 0, sizeof(extra));
            extra.type = XEN_NETIF_EXTRA_TYPE_GSO;
            extra.u.gso.type = pkt->gso_type;
            extra.u.gso.size = pkt->gso_size;
            memcpy(&raw, &extra, sizeof(raw));
            rx_put_response(q, &raw);
        }
    }

    q->rx.rsp_prod_pvt = q->rx.req_cons;
    *notify = netif_ring_push_responses(q, NETIF_RING_RX);
    if (copy_failed) {
        q->stats.rx_errors++;
    } else {
        q->stats.rx_packets++;
        q->stats.rx_bytes += pkt->len;
        if (gso_extra) {
            q->stats.rx_gso_packets++;
        }
    }
    return NETIF_RX_DONE;
}
