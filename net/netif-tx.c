/*
 * netif guest TX: consume requests the way Linux netback does
 * (xenvif_tx_build_gops, xenvif_get_extras, xenvif_count_requests), copy
 * each request out of the shared ring exactly once, assemble the packet,
 * deliver it and answer every slot.
 *
 * Unlike QEMU's xen_nic.c this never walks more than a ring of requests
 * per call (req_prod is checked against the ring size), consumes extra-info
 * slots with NETIF_RSP_NULL answers, and stops after `budget` packets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "netif.h"
#include "netif-ring.h"

/* Everything one packet's slots said, copied out of the ring. */
struct tx_slots {
    struct netif_tx_request first;
    uint16_t total;             /* first.size before frags are subtracted */
    uint32_t extra_count;
    struct netif_extra_info extras[XEN_NETIF_EXTRA_TYPE_MAX - 1];
    uint32_t nr_frags;
    struct netif_tx_request frags[NETIF_TX_FATAL_SLOTS];
};

static void tx_put_response(struct netif_queue *q, uint16_t id,
                            int16_t status)
{
    struct netif_tx_response rsp = { .id = id, .status = status };

    ring_put_entry(q, NETIF_RING_TX, q->tx.rsp_prod_pvt++, &rsp,
                   sizeof(rsp));
}

/* Answer the first slot, then NETIF_RSP_NULL for each extra-info slot. */
static void tx_respond_first(struct netif_queue *q, const struct tx_slots *s,
                             int16_t status)
{
    uint32_t i;

    tx_put_response(q, s->first.id, status);
    for (i = 0; i < s->extra_count; i++) {
        tx_put_response(q, 0, NETIF_RSP_NULL);
    }
}

/* Answer every slot of the packet, in ring order. */
static void tx_respond_all(struct netif_queue *q, const struct tx_slots *s,
                           int16_t status)
{
    uint32_t i;

    tx_respond_first(q, s, status);
    for (i = 0; i < s->nr_frags; i++) {
        tx_put_response(q, s->frags[i].id, status);
    }
}

static void tx_drop(struct netif_queue *q, const struct tx_slots *s,
                    const char *why)
{
    tx_respond_all(q, s, NETIF_RSP_ERROR);
    q->stats.tx_errors++;
    if (q->ops->tx_dropped) {
        q->ops->tx_dropped(q->opaque, s->first.id, 1 + s->nr_frags, why);
    }
}

/* xenvif_get_extras: each extra slot is consumed and remembered by type. */
static bool tx_get_extras(struct netif_queue *q, struct tx_slots *s,
                          uint32_t *avail)
{
    struct netif_extra_info extra;

    do {
        if (*avail == 0) {
            netif_queue_fail(q, "Missing extra info");
            return false;
        }
        ring_copy_entry(q, NETIF_RING_TX, q->tx.req_cons, &extra,
                        sizeof(extra));
        q->tx.req_cons++;
        (*avail)--;
        s->extra_count++;
        if (extra.type == XEN_NETIF_EXTRA_TYPE_NONE ||
            extra.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
            netif_queue_fail(q, "Invalid extra type: %u", extra.type);
            return false;
        }
        s->extras[extra.type - 1] = extra;
    } while (extra.flags & XEN_NETIF_EXTRA_FLAG_MORE);
    return true;
}

/*
 * xenvif_count_requests: copy the follow-on slots of a more_data chain.
 * Sets *drop to why, for a chain netback drops without failing the
 * interface.
 */
static bool tx_get_frags(struct netif_queue *q, struct tx_slots *s,
                         uint32_t avail, const char **drop)
{
    struct netif_tx_request *frag;
    bool more_data = s->first.flags & NETTXF_more_data;
    const char *why;

    while (more_data) {
        if (s->nr_frags >= avail) {
            netif_queue_fail(q, "Asked for %u slots but exceeds this limit",
                             avail);
            return false;
        }
        /* fatal_skb_slots is checked before the legacy limit, as netback. */
        if (s->nr_frags >= NETIF_TX_FATAL_SLOTS) {
            netif_queue_fail(q, "Malicious frontend using %u slots",
                             s->nr_frags);
            return false;
        }
        if (s->nr_frags >= NETIF_TX_LEGACY_SLOTS_MAX) {
            *drop = "too many slots";
        }
        frag = &s->frags[s->nr_frags];
        ring_copy_entry(q, NETIF_RING_TX, q->tx.req_cons + s->nr_frags, frag,
                        sizeof(*frag));
        s->nr_frags++;
        /*
         * first.size covers the frame; a slot bigger than what is left
         * means the frame was 64 KiB or more.  Buggy frontends do that:
         * drop, not fatal.
         */
        if (frag->size > s->first.size) {
            *drop = "a slot larger than the rest of the packet";
        }
        s->first.size -= frag->size;
        if (netif_check_tx_slot(frag, &why) != NETIF_OK) {
            netif_queue_fail(q, "%s, offset %u size %u", why, frag->offset,
                             frag->size);
            return false;
        }
        more_data = frag->flags & NETTXF_more_data;
    }
    return true;
}

static bool tx_gso_advertised(const struct netif_queue *q, uint8_t type)
{
    if (type == XEN_NETIF_GSO_TYPE_TCPV4) {
        return q->backend->gso_tcpv4;
    }
    return q->backend->gso_tcpv6;
}

/*
 * Copy the slots into tx_buf, in one batch; bounded by the slot and the
 * total sizes.  False if any copy failed.
 */
static bool tx_assemble(struct netif_queue *q, const struct tx_slots *s)
{
    struct netif_gref_copy copies[1 + NETIF_TX_FATAL_SLOTS];
    uint32_t pos = s->first.size;
    uint32_t i;

    copies[0] = (struct netif_gref_copy) {
        .gref = s->first.gref, .offset = s->first.offset,
        .buf = q->tx_buf, .len = s->first.size,
    };
    for (i = 0; i < s->nr_frags; i++) {
        const struct netif_tx_request *frag = &s->frags[i];

        if (pos + frag->size > s->total) {
            return false;   /* cannot happen after tx_get_frags */
        }
        copies[1 + i] = (struct netif_gref_copy) {
            .gref = frag->gref, .offset = frag->offset,
            .buf = q->tx_buf + pos, .len = frag->size,
        };
        pos += frag->size;
    }
    if (pos != s->total) {
        return false;
    }
    q->ops->copy_grefs(q->opaque, false, copies, 1 + s->nr_frags);
    for (i = 0; i < 1 + s->nr_frags; i++) {
        if (!copies[i].ok) {
            return false;
        }
    }
    return true;
}

static void tx_extra_mcast(struct netif_queue *q, const struct tx_slots *s)
{
    const struct netif_extra_info *add =
        &s->extras[XEN_NETIF_EXTRA_TYPE_MCAST_ADD - 1];
    const struct netif_extra_info *del =
        &s->extras[XEN_NETIF_EXTRA_TYPE_MCAST_DEL - 1];
    int16_t status = NETIF_RSP_OKAY;

    q->stats.tx_mcast_requests++;
    if (add->type) {
        if (!q->mcast || !netif_mcast_add(q->mcast, add->u.mcast.addr)) {
            status = NETIF_RSP_ERROR;
        }
    } else if (q->mcast) {
        netif_mcast_del(q->mcast, del->u.mcast.addr);
    }
    tx_respond_first(q, s, status);
}

/*
 * One packet starting at tx.req_cons; *avail is the number of published,
 * unconsumed requests.  Returns false once the queue has failed.  Fatal
 * checks come before any response of the packet is written.
 */
static bool tx_one_packet(struct netif_queue *q, uint32_t *avail)
{
    struct tx_slots s;
    struct netif_tx_packet pkt;
    const char *drop = NULL;
    const struct netif_extra_info *gso;
    const char *why;

    memset(&s, 0, sizeof(s));
    ring_copy_entry(q, NETIF_RING_TX, q->tx.req_cons, &s.first,
                    sizeof(s.first));
    q->tx.req_cons++;
    (*avail)--;
    s.total = s.first.size;

    if (s.first.flags & NETTXF_extra_info) {
        if (!tx_get_extras(q, &s, avail)) {
            return false;
        }
    }
    if (s.extras[XEN_NETIF_EXTRA_TYPE_MCAST_ADD - 1].type ||
        s.extras[XEN_NETIF_EXTRA_TYPE_MCAST_DEL - 1].type) {
        /* A control request: no data, and its more_data is not followed. */
        tx_extra_mcast(q, &s);
        return true;
    }

    if (!tx_get_frags(q, &s, *avail, &drop)) {
        return false;
    }
    q->tx.req_cons += s.nr_frags;
    *avail -= s.nr_frags;
    if (s.nr_frags && !q->backend->sg) {
        drop = "a chain without feature-sg";
    }
    if (!drop && s.first.size < NETIF_ETH_HLEN) {
        drop = "shorter than an Ethernet header";
    }
    if (drop) {
        tx_drop(q, &s, drop);
        return true;
    }
    if (netif_check_tx_slot(&s.first, &why) != NETIF_OK) {
        netif_queue_fail(q, "%s, offset %u size %u", why, s.first.offset,
                         s.first.size);
        return false;
    }

    memset(&pkt, 0, sizeof(pkt));
    gso = &s.extras[XEN_NETIF_EXTRA_TYPE_GSO - 1];
    if (gso->type) {
        if (gso->u.gso.size == 0) {
            netif_queue_fail(q, "GSO size must not be zero");
            return false;
        }
        if (gso->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
            gso->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) {
            netif_queue_fail(q, "Bad GSO type %u", gso->u.gso.type);
            return false;
        }
        if (!tx_gso_advertised(q, gso->u.gso.type)) {
            tx_drop(q, &s, "a GSO type not offered");
            return true;
        }
        pkt.gso_type = gso->u.gso.type;
        pkt.gso_size = gso->u.gso.size;
    }

    if (!tx_assemble(q, &s)) {
        /* A bad gref anywhere: the whole packet fails, every slot ERROR. */
        tx_drop(q, &s, "a grant that cannot be copied");
        return true;
    }

    pkt.data = q->tx_buf;
    pkt.len = s.total;
    if (s.first.flags & NETTXF_csum_blank) {
        pkt.csum = NETIF_CSUM_PARTIAL;
    } else if (s.first.flags & NETTXF_data_validated) {
        pkt.csum = NETIF_CSUM_VALIDATED;
    }
    q->ops->tx_deliver(q->opaque, &pkt);
    tx_respond_all(q, &s, NETIF_RSP_OKAY);
    q->stats.tx_packets++;
    q->stats.tx_bytes += pkt.len;
    if (pkt.gso_type != XEN_NETIF_GSO_TYPE_NONE) {
        q->stats.tx_gso_packets++;
    }
    return true;
}

/* RING_FINAL_CHECK_FOR_REQUESTS on an empty ring: re-arm req_event. */
static bool tx_final_check(struct netif_queue *q)
{
    uint32_t req_prod;

    ring_write_index(q, NETIF_RING_TX, SRING_REQ_EVENT, q->tx.req_cons + 1);
    netif_mb();     /* req_event visible before req_prod is read again */
    req_prod = ring_read_index(q, NETIF_RING_TX, SRING_REQ_PROD);
    /* Any movement is work; the next call validates the count. */
    return req_prod != q->tx.req_cons;
}

struct netif_work netif_tx_process(struct netif_queue *q, uint32_t budget)
{
    struct netif_work work = { 0 };
    uint32_t req_prod, avail;
    const char *why;

    if (q->stats.fatal) {
        return work;
    }
    req_prod = ring_read_index(q, NETIF_RING_TX, SRING_REQ_PROD);
    netif_rmb();    /* requests up to req_prod are visible */
    if (netif_check_requests(req_prod, q->tx.req_cons, q->tx.rsp_prod_pvt,
                             NETIF_RING_SIZE, &avail, &why) != NETIF_OK) {
        netif_queue_fail(q, "%s: req_prod %u req_cons %u", why, req_prod,
                         q->tx.req_cons);
        return work;
    }

    /*
     * Delivering a packet can fail the queue too: a peer that answers at
     * once (slirp) re-enters the RX path, which may find the RX ring
     * broken.  A failed queue sends nothing more.
     */
    while (avail > 0 && work.done < budget && !q->stats.fatal) {
        if (!tx_one_packet(q, &avail)) {
            break;
        }
        work.done++;
    }

    /* Answers for packets before a fatal one still reach the guest. */
    work.notify = netif_ring_push_responses(q, NETIF_RING_TX);
    if (q->stats.fatal) {
        return work;
    }
    work.more = avail > 0 || tx_final_check(q);
    return work;
}
