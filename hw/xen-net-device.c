/*
 * xen-net-device: Xen netif backend on QEMU's net/ layer, with split event
 * channels, multi-queue and TX offloads.
 *
 * The device keeps QOM, xenstore, grant copies and event channels; the
 * ring protocol and everything the guest can get wrong in it live in
 * xenbed's net/ core (net/README.md), which the unit tests and fuzzers
 * reach.  It replaces hw/net/xen_nic.c (by Gerd Hoffmann) under the same
 * type name, backend type and properties, so "-nic model=xen-net-device"
 * and toolstack-created "qnic" backends keep working.
 *
 * Everything runs under the BQL in the main loop.  Per queue: the TX ring
 * is processed on the TX channel's event, at most XEN_NET_TX_BUDGET
 * packets per event, then a bottom half continues; guest RX arrives
 * through the NIC's receive callback, spread over the RX rings by flow
 * hash, and the RX channel's event flushes what the net layer queued
 * while the ring was full.  With rx-coalesce, in-order TCP segments of a
 * burst are merged into one GSO packet per queue (net/netif-offload.c),
 * which a bottom half passes on once the net layer has no more.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qobject/qdict.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-net.h"
#include "exec/memory.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "net/eth.h"
#include "net/net.h"
#include "standard-headers/linux/virtio_net.h"
#include "net/util.h"
#include "hw/boards.h"
#include "hw/xen/xen-backend.h"
#include "hw/xen/xen-bus-helper.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/net/trace.h"

#include "../net/netif.h"

#define TYPE_XEN_NET_DEVICE "xen-net-device"
OBJECT_DECLARE_SIMPLE_TYPE(XenNetDev, XEN_NET_DEVICE)

/*
 * TX packets per event before a bottom half takes over, so that a guest
 * that keeps its TX ring full cannot hold the main loop.
 */
#define XEN_NET_TX_BUDGET 64
/* Default for max-queues: the vCPUs, capped like netback's default. */
#define XEN_NET_DEFAULT_MAX_QUEUES 8
/* RX ring re-check period for frontends without feature-rx-notify. */
#define XEN_NET_RX_POLL_MS 10

typedef struct XenNetQueue {
    XenNetDev *netdev;
    unsigned int index;
    struct netif_queue_keys keys;   /* as the frontend wrote them */
    uint32_t ring_ref[2];           /* [0] TX, [1] RX */
    void *ring[2];
    XenEventChannel *tx_channel;
    XenEventChannel *rx_channel;    /* NULL: tx_channel serves both */
    QEMUBH *tx_bh;
    QEMUTimer *rx_poll;
    struct netif_lro *lro;          /* NULL: no merging on this queue */
    bool fatal_reported;
    uint64_t tx_gso_dropped;
    uint64_t tx_offload_passed;     /* GSO or partial csum to the peer */
    uint64_t rx_ring_full;          /* packets held back: no RX buffers */
    struct netif_queue core;        /* last: holds a 64 KiB TX buffer */
} XenNetQueue;

/*
 * A connected queue in the migration stream: where the frontend put its
 * rings and ports, the backend's private ring indexes and the counters.
 */
typedef struct XenNetQueueState {
    struct netif_queue_keys keys;
    struct netif_ring_indexes tx;
    struct netif_ring_indexes rx;
    uint64_t stats[10];             /* struct netif_stats' counters */
    bool fatal;
    uint8_t fatal_reason[sizeof_field(struct netif_stats, fatal_reason)];
    uint64_t tx_gso_dropped;
    uint64_t tx_offload_passed;
    uint64_t rx_ring_full;
} XenNetQueueState;

struct XenNetDev {
    XenDevice xendev;
    int dev;
    NICConf conf;
    NICState *nic;
    unsigned int nic_queues;

    uint32_t max_queues;            /* 0: vCPUs, at most 8 */
    bool split_event_channels;
    bool sg;
    bool gso_tcpv4;
    bool gso_tcpv6;
    bool ipv6_csum_offload;
    bool multicast_control;
    bool rx_coalesce;
    bool peer_offloads;
    bool peer_vnet_hdr;             /* frames carry a virtio_net_hdr */
    struct netif_backend_config config;
    QEMUBH *rx_flush_bh;

    bool connected;
    unsigned int num_queues;
    XenNetQueue **queues;
    struct netif_frontend_features features;
    struct netif_mcast_filter mcast;
    uint8_t *seg_buf;

    /* Nothing touches guest memory while the VM is stopped (migration). */
    bool vm_running;
    VMChangeStateEntry *vm_state;

    /* Filled only to be saved or just loaded */
    uint32_t saved_backend_state;
    uint32_t saved_frontend_state;
    uint32_t saved_num_queues;      /* 0: not connected */
    XenNetQueueState saved_queue[NETIF_MAX_QUEUES];
};

/* ---- netif core callbacks ---- */

static uint32_t xen_net_index_read(void *opaque, enum netif_ring ring,
                                   uint32_t offset)
{
    XenNetQueue *q = opaque;

    return netif_page_index_read(q->ring[ring == NETIF_RING_RX], offset);
}

static void xen_net_index_write(void *opaque, enum netif_ring ring,
                                uint32_t offset, uint32_t value)
{
    XenNetQueue *q = opaque;

    netif_page_index_write(q->ring[ring == NETIF_RING_RX], offset, value);
}

static void xen_net_entry_read(void *opaque, enum netif_ring ring,
                               uint32_t offset, void *dst, uint32_t len)
{
    XenNetQueue *q = opaque;

    memcpy(dst, (uint8_t *)q->ring[ring == NETIF_RING_RX] + offset, len);
}

static void xen_net_entry_write(void *opaque, enum netif_ring ring,
                                uint32_t offset, const void *src,
                                uint32_t len)
{
    XenNetQueue *q = opaque;

    memcpy((uint8_t *)q->ring[ring == NETIF_RING_RX] + offset, src, len);
}

static bool xen_net_copy_segments(XenNetQueue *q, bool to_domain,
                                  XenDeviceGrantCopySegment *segs,
                                  unsigned int nr)
{
    Error *local_err = NULL;

    xen_device_copy_grant_refs(&q->netdev->xendev, to_domain, segs, nr,
                               &local_err);
    if (local_err) {
        error_free(local_err);
        return false;
    }
    return true;
}

/*
 * A packet's grant copies in one call, as netback's gnttab_batch_copy.
 * The call fails as a whole, so only then is each copied alone, to say
 * which failed.
 */
static void xen_net_copy_grefs(void *opaque, bool to_domain,
                               struct netif_gref_copy *copies, uint32_t nr)
{
    XenNetQueue *q = opaque;
    XenDeviceGrantCopySegment segs[NETIF_RX_MAX_SLOTS + NETIF_TX_FATAL_SLOTS];
    uint32_t i;
    bool ok;

    assert(nr <= ARRAY_SIZE(segs));
    for (i = 0; i < nr; i++) {
        segs[i] = (XenDeviceGrantCopySegment) { .len = copies[i].len };
        if (to_domain) {
            segs[i].source.virt = copies[i].buf;
            segs[i].dest.foreign.ref = copies[i].gref;
            segs[i].dest.foreign.offset = copies[i].offset;
        } else {
            segs[i].source.foreign.ref = copies[i].gref;
            segs[i].source.foreign.offset = copies[i].offset;
            segs[i].dest.virt = copies[i].buf;
        }
    }
    ok = xen_net_copy_segments(q, to_domain, segs, nr);
    for (i = 0; i < nr; i++) {
        copies[i].ok = ok || xen_net_copy_segments(q, to_domain, &segs[i], 1);
    }
}

static NetClientState *xen_net_nc(XenNetQueue *q)
{
    return qemu_get_subqueue(q->netdev->nic, q->index % q->netdev->nic_queues);
}

static void xen_net_send_with_hdr(XenNetQueue *q,
                                  const struct virtio_net_hdr *hdr,
                                  const uint8_t *frame, uint32_t len)
{
    struct iovec iov[2] = {
        { .iov_base = (void *)hdr, .iov_len = sizeof(*hdr) },
        { .iov_base = (void *)frame, .iov_len = len },
    };

    qemu_sendv_packet(xen_net_nc(q), iov, 2);
}

static void xen_net_send(void *opaque, const uint8_t *frame, uint32_t len)
{
    XenNetQueue *q = opaque;

    if (q->netdev->peer_vnet_hdr) {
        struct virtio_net_hdr hdr = { 0 };

        xen_net_send_with_hdr(q, &hdr, frame, len);
        return;
    }
    qemu_send_packet(xen_net_nc(q), frame, len);
}

/*
 * A peer that takes virtio-net headers gets GSO frames and partial
 * checksums as they are, described in the header, as virtio-net does.
 * False if the frame's headers do not parse: it is then handled as for
 * any peer.
 */
static bool xen_net_pass_offloads(XenNetQueue *q,
                                  const struct netif_tx_packet *pkt)
{
    struct virtio_net_hdr hdr = { 0 };
    struct netif_l3l4 l;

    if (!netif_parse_l3l4(pkt->data, pkt->len, &l)) {
        return false;
    }
    if (pkt->gso_type != XEN_NETIF_GSO_TYPE_NONE) {
        /* The peer's kernel would refuse a type that is not the frame's. */
        if (l.proto != IP_PROTO_TCP || pkt->gso_size < NETIF_GSO_MIN_MSS ||
            l.ipv6 != (pkt->gso_type == XEN_NETIF_GSO_TYPE_TCPV6)) {
            return false;
        }
        hdr.gso_type = pkt->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ?
                       VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
        hdr.gso_size = cpu_to_le16(pkt->gso_size);
        hdr.hdr_len = cpu_to_le16(l.l4 + l.l4_hlen);
    }
    /* A GSO frame's checksum is partial too (the pseudo-header sum). */
    hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    hdr.csum_start = cpu_to_le16(l.l4);
    hdr.csum_offset = cpu_to_le16(l.csum_off - l.l4);
    xen_net_send_with_hdr(q, &hdr, pkt->data, pkt->len);
    q->tx_offload_passed++;
    trace_xen_netdev_tx_offload_passed(q->netdev->dev, q->index, pkt->gso_type,
                                       pkt->gso_size, pkt->len);
    return true;
}

/*
 * Other peers (slirp) take plain frames: GSO frames are cut into
 * segments and blank checksums are filled in, in software.
 */
static void xen_net_tx_deliver(void *opaque, const struct netif_tx_packet *pkt)
{
    XenNetQueue *q = opaque;

    if (q->netdev->peer_vnet_hdr &&
        (pkt->gso_type != XEN_NETIF_GSO_TYPE_NONE ||
         pkt->csum == NETIF_CSUM_PARTIAL) &&
        xen_net_pass_offloads(q, pkt)) {
        return;
    }
    if (pkt->gso_type != XEN_NETIF_GSO_TYPE_NONE) {
        uint32_t segments = netif_gso_segment(pkt->data, pkt->len,
                                              pkt->gso_size,
                                              q->netdev->seg_buf,
                                              xen_net_send, q);

        if (segments) {
            trace_xen_netdev_tx_gso_segmented(q->netdev->dev, q->index,
                                              pkt->gso_size, pkt->len,
                                              segments);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "vif%d q%u: GSO frame that is "
                          "not TCP or has MSS %u, dropped\n",
                          q->netdev->dev, q->index, pkt->gso_size);
            trace_xen_netdev_tx_gso_dropped(q->netdev->dev, q->index,
                                            pkt->gso_size, pkt->len);
            q->tx_gso_dropped++;
        }
        return;
    }
    if (pkt->csum == NETIF_CSUM_PARTIAL) {
        netif_csum_complete(pkt->data, pkt->len);
    }
    xen_net_send(q, pkt->data, pkt->len);
}

static void xen_net_tx_dropped(void *opaque, uint16_t id, uint32_t slots,
                               const char *why)
{
    XenNetQueue *q = opaque;

    trace_xen_netdev_tx_dropped(q->netdev->dev, q->index, id, slots, why);
}

static const struct netif_ops xen_net_ops = {
    .index_read = xen_net_index_read,
    .index_write = xen_net_index_write,
    .entry_read = xen_net_entry_read,
    .entry_write = xen_net_entry_write,
    .copy_grefs = xen_net_copy_grefs,
    .tx_deliver = xen_net_tx_deliver,
    .tx_dropped = xen_net_tx_dropped,
};

/* ---- data path ---- */

static void xen_net_notify(XenNetQueue *q, XenEventChannel *channel)
{
    xen_device_notify_event_channel(&q->netdev->xendev, channel, NULL);
}

/* A failed queue stops; the device and its other queues carry on. */
static void xen_net_report_fatal(XenNetQueue *q)
{
    if (q->fatal_reported) {
        return;
    }
    q->fatal_reported = true;
    trace_xen_netdev_queue_failed(q->netdev->dev, q->index,
                                  q->core.stats.fatal_reason);
    error_report("xen-net-device vif%d queue %u failed: %s", q->netdev->dev,
                 q->index, q->core.stats.fatal_reason);
    timer_del(q->rx_poll);
    qemu_bh_cancel(q->tx_bh);
}

static bool xen_net_tx_run(XenNetQueue *q)
{
    struct netif_work w;

    if (!q->netdev->vm_running || netif_queue_failed(&q->core)) {
        return false;
    }
    w = netif_tx_process(&q->core, XEN_NET_TX_BUDGET);
    if (w.notify) {
        xen_net_notify(q, q->tx_channel);
    }
    if (netif_queue_failed(&q->core)) {
        xen_net_report_fatal(q);
    } else if (w.more) {
        qemu_bh_schedule(q->tx_bh);
    }
    return w.done > 0;
}

static void xen_net_tx_bh(void *opaque)
{
    xen_net_tx_run(opaque);
}

static bool xen_net_rx_put(XenNetQueue *q, const struct netif_rx_packet *pkt)
{
    uint64_t rx_errors = q->core.stats.rx_errors;
    bool notify;

    switch (netif_rx_put(&q->core, pkt, &notify)) {
    case NETIF_RX_DONE:
        if (q->core.stats.rx_errors != rx_errors) {
            /* Answered with errors: a grant the frontend posted failed */
            trace_xen_netdev_rx_copy_failed(q->netdev->dev, q->index,
                                            pkt->len);
        }
        if (notify) {
            xen_net_notify(q, q->rx_channel ? q->rx_channel : q->tx_channel);
        }
        return true;
    case NETIF_RX_NO_SPACE:
        /*
         * The caller keeps the packet; the armed req_event brings it
         * back.  The poll covers frontends without rx-notify, and one
         * that kept moving req_prod while it was being armed, after
         * which netif_rx_has_slots() gives up and no event is certain.
         */
        q->rx_ring_full++;
        timer_mod(q->rx_poll, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
                  XEN_NET_RX_POLL_MS);
        return false;
    case NETIF_RX_FAILED:
        xen_net_report_fatal(q);
        return true;
    case NETIF_RX_DROPPED:
        trace_xen_netdev_rx_dropped(q->netdev->dev, q->index, pkt->len,
                                    pkt->gso_type, pkt->gso_size);
        return true;
    default:
        return true;
    }
}

/* Pass the merged packet on; false if the ring has no room for it yet. */
static bool xen_net_lro_flush(XenNetQueue *q)
{
    struct netif_rx_packet pkt;

    if (!q->lro || !q->lro->len) {
        return true;
    }
    netif_lro_packet(q->lro, &pkt);
    if (!xen_net_rx_put(q, &pkt)) {
        return false;
    }
    q->lro->len = 0;
    return true;
}

static void xen_net_lro_flush_all(XenNetDev *netdev)
{
    unsigned int i;

    for (i = 0; i < netdev->num_queues; i++) {
        xen_net_lro_flush(netdev->queues[i]);
    }
}

/* The net layer has delivered a burst: pass on what was merged. */
static void xen_net_rx_flush_bh(void *opaque)
{
    XenNetDev *netdev = opaque;

    if (netdev->vm_running) {
        xen_net_lro_flush_all(netdev);
    }
}

/* RX requests were posted: deliver what the net layer held back. */
static void xen_net_rx_kick(XenNetDev *netdev)
{
    unsigned int i;

    if (!netdev->vm_running) {
        return;
    }
    xen_net_lro_flush_all(netdev);
    for (i = 0; i < netdev->nic_queues; i++) {
        qemu_flush_queued_packets(qemu_get_subqueue(netdev->nic, i));
    }
}

static void xen_net_rx_poll(void *opaque)
{
    XenNetQueue *q = opaque;

    xen_net_rx_kick(q->netdev);
}

static bool xen_net_tx_event(void *opaque)
{
    return xen_net_tx_run(opaque);
}

static bool xen_net_rx_event(void *opaque)
{
    XenNetQueue *q = opaque;

    xen_net_rx_kick(q->netdev);
    return false;
}

static bool xen_net_event(void *opaque)
{
    XenNetQueue *q = opaque;
    bool done = xen_net_tx_run(q);

    xen_net_rx_kick(q->netdev);
    return done;
}

/* What a peer's virtio-net header says, for netfront; false: drop it. */
static bool xen_net_rx_offloads(const struct virtio_net_hdr *hdr,
                                struct netif_rx_packet *pkt)
{
    switch (hdr->gso_type) {
    case VIRTIO_NET_HDR_GSO_NONE:
        break;
    case VIRTIO_NET_HDR_GSO_TCPV4:
        pkt->gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
        pkt->gso_size = le16_to_cpu(hdr->gso_size);
        break;
    case VIRTIO_NET_HDR_GSO_TCPV6:
        pkt->gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
        pkt->gso_size = le16_to_cpu(hdr->gso_size);
        break;
    default:
        return false;   /* UFO, USO, ECN: never offered to the peer */
    }
    if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        pkt->csum = NETIF_CSUM_PARTIAL;
    } else if (hdr->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
        pkt->csum = NETIF_CSUM_VALIDATED;
    }
    return true;
}

/* Tell a vnet-header peer which offloads the frontend takes on RX. */
static void xen_net_set_peer_offloads(XenNetDev *netdev, bool connected)
{
    const struct netif_frontend_features *fe = &netdev->features;
    bool csum = connected && !fe->no_csum_offload;
    bool gso = csum && fe->sg;
    unsigned int i;

    if (!netdev->peer_vnet_hdr) {
        return;
    }
    for (i = 0; i < netdev->nic_queues; i++) {
        qemu_set_offload(qemu_get_subqueue(netdev->nic, i)->peer, csum,
                         gso && fe->gso_tcpv4, gso && fe->gso_tcpv6,
                         0, 0, 0, 0);
    }
}

static bool xen_net_can_receive(NetClientState *nc)
{
    XenNetDev *netdev = qemu_get_nic_opaque(nc);

    return netdev->connected && netdev->vm_running;
}

static ssize_t xen_net_receive(NetClientState *nc, const uint8_t *buf,
                               size_t size)
{
    XenNetDev *netdev = qemu_get_nic_opaque(nc);
    struct netif_rx_packet pkt = {
        .data = buf, .len = size, .csum = NETIF_CSUM_NONE,
    };
    ssize_t whole = size;
    XenNetQueue *q;

    assert(bql_locked());

    if (!netdev->vm_running) {
        return 0;       /* the net layer keeps it until the VM runs */
    }
    if (netdev->peer_vnet_hdr) {
        struct virtio_net_hdr hdr;

        if (size < sizeof(hdr)) {
            return whole;
        }
        memcpy(&hdr, buf, sizeof(hdr));
        buf += sizeof(hdr);
        size -= sizeof(hdr);
        pkt.data = buf;
        pkt.len = size;
        if (!xen_net_rx_offloads(&hdr, &pkt)) {
            return whole;
        }
    }
    if (!netdev->connected || size > NETIF_RX_MAX_PACKET) {
        return whole;
    }
    if (netdev->features.multicast_control && size >= 6 && (buf[0] & 1) &&
        !is_broadcast_ether_addr(buf) && !netif_mcast_match(&netdev->mcast,
                                                            buf)) {
        return whole;
    }
    /* Like netback: the flow hash picks the ring, whatever the peer. */
    q = netdev->queues[netif_select_queue(buf, size, netdev->num_queues)];

    /* Frames the peer already merged or left a checksum to skip it. */
    if (q->lro && pkt.gso_type == XEN_NETIF_GSO_TYPE_NONE &&
        pkt.csum == NETIF_CSUM_NONE) {
        enum netif_lro_verdict verdict = netif_lro_offer(q->lro, buf, size);

        if (verdict == NETIF_LRO_FLUSH) {
            if (!xen_net_lro_flush(q)) {
                return 0;
            }
            /* Nothing is held now: the frame starts a packet or passes. */
            verdict = netif_lro_offer(q->lro, buf, size);
        }
        if (verdict == NETIF_LRO_HELD) {
            /* A full or pushed packet goes now; one left behind waits. */
            if (!q->lro->closed || !xen_net_lro_flush(q)) {
                qemu_bh_schedule(netdev->rx_flush_bh);
            }
            return whole;
        }
    }
    return xen_net_rx_put(q, &pkt) ? whole : 0;
}

/* ---- xenbus ---- */

static bool xen_net_read_key(void *opaque, const char *key, char *buf,
                             size_t size)
{
    char *value = xen_device_frontend_read(opaque, key);

    if (!value) {
        return false;
    }
    /* Too long to be a number: hand on something that does not parse. */
    pstrcpy(buf, size, strlen(value) < size ? value : "");
    free(value);
    return true;
}

static void xen_net_disconnect(XenDevice *xendev, Error **errp)
{
    XenNetDev *netdev = XEN_NET_DEVICE(xendev);
    unsigned int i, r;

    trace_xen_netdev_disconnect(netdev->dev);

    assert(bql_locked());

    netdev->connected = false;
    xen_net_set_peer_offloads(netdev, false);
    for (i = 0; i < netdev->num_queues; i++) {
        XenNetQueue *q = netdev->queues[i];

        if (!q) {
            continue;
        }
        qemu_bh_delete(q->tx_bh);
        timer_free(q->rx_poll);
        g_free(q->lro);
        if (q->tx_channel) {
            xen_device_unbind_event_channel(xendev, q->tx_channel, NULL);
        }
        if (q->rx_channel) {
            xen_device_unbind_event_channel(xendev, q->rx_channel, NULL);
        }
        for (r = 0; r < 2; r++) {
            if (q->ring[r]) {
                xen_device_unmap_grant_refs(xendev, q->ring[r],
                                            &q->ring_ref[r], 1, NULL);
            }
        }
        g_free(q);
    }
    g_free(netdev->queues);
    netdev->queues = NULL;
    netdev->num_queues = 0;
}

static bool xen_net_connect_queue(XenNetDev *netdev, XenNetQueue *q,
                                  const struct netif_queue_keys *keys,
                                  Error **errp)
{
    XenDevice *xendev = &netdev->xendev;
    unsigned int r;

    q->keys = *keys;
    q->ring_ref[0] = keys->tx_ring_ref;
    q->ring_ref[1] = keys->rx_ring_ref;
    for (r = 0; r < 2; r++) {
        q->ring[r] = xen_device_map_grant_refs(xendev, &q->ring_ref[r], 1,
                                               PROT_READ | PROT_WRITE, errp);
        if (!q->ring[r]) {
            error_prepend(errp, "queue %u: failed to map %s ring ref %u: ",
                          q->index, r ? "rx" : "tx", q->ring_ref[r]);
            return false;
        }
    }
    q->tx_channel = xen_device_bind_event_channel(xendev, keys->evtchn_tx,
                                                  keys->split ?
                                                  xen_net_tx_event :
                                                  xen_net_event, q, errp);
    if (!q->tx_channel) {
        error_prepend(errp, "queue %u: ", q->index);
        return false;
    }
    if (keys->split) {
        q->rx_channel = xen_device_bind_event_channel(xendev,
                                                      keys->evtchn_rx,
                                                      xen_net_rx_event, q,
                                                      errp);
        if (!q->rx_channel) {
            error_prepend(errp, "queue %u: ", q->index);
            return false;
        }
    }
    netif_queue_init(&q->core, &xen_net_ops, q, &netdev->config,
                     &netdev->features, &netdev->mcast);
    /* Merged packets need SG, TSO and partial checksums in netfront. */
    if (netdev->rx_coalesce && netdev->features.sg &&
        netdev->features.gso_tcpv4 && !netdev->features.no_csum_offload) {
        q->lro = g_new0(struct netif_lro, 1);
    }
    trace_xen_netdev_connect(netdev->dev, q->ring_ref[0], q->ring_ref[1],
                             keys->evtchn_tx);
    return true;
}

/* Map the rings and bind the ports of `n` queues, then go connected. */
static bool xen_net_attach(XenNetDev *netdev, unsigned int n,
                           const struct netif_queue_keys *keys, Error **errp)
{
    XenDevice *xendev = &netdev->xendev;
    unsigned int i;

    netdev->queues = g_new0(XenNetQueue *, n);
    netdev->num_queues = n;
    for (i = 0; i < n; i++) {
        XenNetQueue *q = g_new0(XenNetQueue, 1);

        netdev->queues[i] = q;
        q->netdev = netdev;
        q->index = i;
        q->tx_bh = qemu_bh_new_guarded(xen_net_tx_bh, q,
                                       &DEVICE(xendev)->mem_reentrancy_guard);
        q->rx_poll = timer_new_ms(QEMU_CLOCK_VIRTUAL, xen_net_rx_poll, q);
        if (!xen_net_connect_queue(netdev, q, &keys[i], errp)) {
            return false;
        }
    }
    netdev->connected = true;
    xen_net_set_peer_offloads(netdev, true);
    return true;
}

static bool xen_net_connect(XenDevice *xendev, Error **errp)
{
    XenNetDev *netdev = XEN_NET_DEVICE(xendev);
    struct netif_frontend_config *fc = g_new0(struct netif_frontend_config,
                                              1);
    char why[128];
    unsigned int i;
    bool ok = false;

    assert(bql_locked());

    if (!netif_read_frontend(&netdev->config, xen_net_read_key, xendev, fc,
                             why, sizeof(why))) {
        error_setg(errp, "%s", why);
        goto out;
    }
    netdev->features = fc->features;
    memset(&netdev->mcast, 0, sizeof(netdev->mcast));
    if (!xen_net_attach(netdev, fc->num_queues, fc->queue, errp)) {
        goto out;
    }

    /*
     * netfront notified every port and posted RX buffers before it went
     * Connected, while the ports were not bound yet: those events are
     * lost, so look at every ring now.
     */
    for (i = 0; i < netdev->num_queues; i++) {
        xen_net_tx_run(netdev->queues[i]);
    }
    xen_net_rx_kick(netdev);
    ok = true;
out:
    g_free(fc);
    return ok;
}

static void xen_net_frontend_changed(XenDevice *xendev,
                                     enum xenbus_state frontend_state,
                                     Error **errp)
{
    ERRP_GUARD();
    enum xenbus_state backend_state = xen_device_backend_get_state(xendev);

    trace_xen_netdev_frontend_changed(xendev->name, frontend_state);

    switch (frontend_state) {
    case XenbusStateConnected:
        if (backend_state == XenbusStateConnected) {
            break;
        }

        xen_net_disconnect(xendev, errp);
        if (*errp) {
            break;
        }

        if (!xen_net_connect(xendev, errp)) {
            xen_net_disconnect(xendev, NULL);
            xen_device_backend_set_state(xendev, XenbusStateClosing);
            break;
        }

        xen_device_backend_set_state(xendev, XenbusStateConnected);
        break;

    case XenbusStateClosing:
        xen_device_backend_set_state(xendev, XenbusStateClosing);
        break;

    case XenbusStateClosed:
    case XenbusStateUnknown:
        xen_net_disconnect(xendev, errp);
        if (*errp) {
            break;
        }

        xen_device_backend_set_state(xendev, XenbusStateClosed);
        break;

    case XenbusStateInitialised:
        /*
         * Linux netback does nothing on the frontend going (back) to
         * XenbusStateInitialised, so do the same here.
         */
    default:
        break;
    }
}

/* ---- migration ---- */

/*
 * The rings are written through a host mapping, which migration does not
 * see: once the VM is stopped for the last pass, say that they changed.
 * Grant copies into the guest's buffers are marked as they unmap.
 */
static void xen_net_mark_rings_dirty(XenNetDev *netdev)
{
    unsigned int i, r;

    for (i = 0; i < netdev->num_queues; i++) {
        for (r = 0; r < 2; r++) {
            void *ring = netdev->queues[i]->ring[r];
            ram_addr_t offset;
            MemoryRegion *mr = ring ? memory_region_from_host(ring, &offset)
                                    : NULL;

            if (mr) {
                memory_region_set_dirty(mr, offset, XEN_PAGE_SIZE);
            }
        }
    }
}

static void xen_net_vm_state_change(void *opaque, bool running,
                                    RunState state)
{
    XenNetDev *netdev = opaque;
    unsigned int i;

    if (!running) {
        /* A merged packet the ring takes now is not lost with the VM. */
        xen_net_lro_flush_all(netdev);
        xen_net_mark_rings_dirty(netdev);
        netdev->vm_running = false;
        return;
    }
    netdev->vm_running = true;
    if (netdev->connected) {
        /* Requests and events that came while the device waited */
        for (i = 0; i < netdev->num_queues; i++) {
            xen_net_tx_run(netdev->queues[i]);
        }
        xen_net_rx_kick(netdev);
    }
}

static int xen_net_pre_save(void *opaque)
{
    XenNetDev *netdev = opaque;
    unsigned int i;

    netdev->saved_backend_state = netdev->xendev.backend_state;
    netdev->saved_frontend_state = netdev->xendev.frontend_state;
    netdev->saved_num_queues = netdev->connected ? netdev->num_queues : 0;
    memset(netdev->saved_queue, 0, sizeof(netdev->saved_queue));
    for (i = 0; i < netdev->saved_num_queues; i++) {
        XenNetQueue *q = netdev->queues[i];
        const struct netif_stats *st = &q->core.stats;
        XenNetQueueState *qs = &netdev->saved_queue[i];

        /* A merged packet the ring had no room for when the VM stopped */
        uint64_t rx_dropped = st->rx_dropped + (q->lro && q->lro->len);

        *qs = (XenNetQueueState) {
            .keys = q->keys,
            .tx = q->core.tx,
            .rx = q->core.rx,
            .stats = {
                st->tx_packets, st->tx_bytes, st->tx_errors,
                st->tx_gso_packets, st->tx_mcast_requests, st->rx_packets,
                st->rx_bytes, st->rx_errors, rx_dropped,
                st->rx_gso_packets,
            },
            .fatal = st->fatal,
            .tx_gso_dropped = q->tx_gso_dropped,
            .tx_offload_passed = q->tx_offload_passed,
            .rx_ring_full = q->rx_ring_full,
        };
        memcpy(qs->fatal_reason, st->fatal_reason, sizeof(qs->fatal_reason));
    }
    return 0;
}

static void xen_net_restore_queue(XenNetQueue *q, const XenNetQueueState *qs)
{
    struct netif_stats *st = &q->core.stats;

    q->core.tx = qs->tx;
    q->core.rx = qs->rx;
    *st = (struct netif_stats) {
        .tx_packets = qs->stats[0], .tx_bytes = qs->stats[1],
        .tx_errors = qs->stats[2], .tx_gso_packets = qs->stats[3],
        .tx_mcast_requests = qs->stats[4], .rx_packets = qs->stats[5],
        .rx_bytes = qs->stats[6], .rx_errors = qs->stats[7],
        .rx_dropped = qs->stats[8], .rx_gso_packets = qs->stats[9],
        .fatal = qs->fatal,
    };
    memcpy(st->fatal_reason, qs->fatal_reason, sizeof(st->fatal_reason));
    st->fatal_reason[sizeof(st->fatal_reason) - 1] = '\0';
    q->tx_gso_dropped = qs->tx_gso_dropped;
    q->tx_offload_passed = qs->tx_offload_passed;
    q->rx_ring_full = qs->rx_ring_full;
    if (st->fatal) {
        xen_net_report_fatal(q);
    }
}

static bool xen_net_saved_queues_valid(void *opaque, int version_id)
{
    XenNetDev *netdev = opaque;

    return netdev->saved_num_queues <= netdev->config.max_queues &&
           netdev->mcast.count <= NETIF_MCAST_MAX;
}

static int xen_net_post_load(void *opaque, int version_id)
{
    XenNetDev *netdev = opaque;
    XenDevice *xendev = &netdev->xendev;
    struct netif_queue_keys keys[NETIF_MAX_QUEUES];
    Error *local_err = NULL;
    unsigned int i, n = netdev->saved_num_queues;

    /*
     * xenstore's watches may have connected the device afresh from the
     * loaded keys already (it did not touch the stopped guest's rings):
     * start again from what the source had.
     */
    xen_net_disconnect(xendev, NULL);
    xendev->backend_state = netdev->saved_backend_state;
    xendev->frontend_state = netdev->saved_frontend_state;
    if (!n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        keys[i] = netdev->saved_queue[i].keys;
    }
    if (!xen_net_attach(netdev, n, keys, &local_err)) {
        /* The guest took its rings or ports away: fail the device only. */
        error_reportf_err(local_err, "xen-net-device vif%d after migration: ",
                          netdev->dev);
        xen_net_disconnect(xendev, NULL);
        xen_device_backend_set_state(xendev, XenbusStateClosing);
        return 0;
    }
    for (i = 0; i < n; i++) {
        xen_net_restore_queue(netdev->queues[i], &netdev->saved_queue[i]);
    }
    trace_xen_netdev_post_load(netdev->dev, n);
    return 0;
}

static const VMStateDescription xen_net_vmstate_queue = {
    .name = "xen-net-device/queue",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(keys.tx_ring_ref, XenNetQueueState),
        VMSTATE_UINT32(keys.rx_ring_ref, XenNetQueueState),
        VMSTATE_UINT32(keys.evtchn_tx, XenNetQueueState),
        VMSTATE_UINT32(keys.evtchn_rx, XenNetQueueState),
        VMSTATE_BOOL(keys.split, XenNetQueueState),
        VMSTATE_UINT32(tx.req_cons, XenNetQueueState),
        VMSTATE_UINT32(tx.rsp_prod_pvt, XenNetQueueState),
        VMSTATE_UINT32(rx.req_cons, XenNetQueueState),
        VMSTATE_UINT32(rx.rsp_prod_pvt, XenNetQueueState),
        VMSTATE_UINT32(tx.rsp_pushed, XenNetQueueState),
        VMSTATE_UINT32(rx.rsp_pushed, XenNetQueueState),
        VMSTATE_UINT64_ARRAY(stats, XenNetQueueState, 10),
        VMSTATE_BOOL(fatal, XenNetQueueState),
        VMSTATE_UINT8_ARRAY(fatal_reason, XenNetQueueState,
                            sizeof_field(XenNetQueueState, fatal_reason)),
        VMSTATE_UINT64(tx_gso_dropped, XenNetQueueState),
        VMSTATE_UINT64(tx_offload_passed, XenNetQueueState),
        VMSTATE_UINT64(rx_ring_full, XenNetQueueState),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * The xenstore keys, grant table and event channel ports migrate with
 * their own devices; this is the backend's side of the connection.
 */
static const VMStateDescription xen_net_vmstate = {
    .name = "xen-net-device",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = xen_net_pre_save,
    .post_load = xen_net_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(saved_backend_state, XenNetDev),
        VMSTATE_UINT32(saved_frontend_state, XenNetDev),
        VMSTATE_BOOL(features.rx_notify, XenNetDev),
        VMSTATE_BOOL(features.sg, XenNetDev),
        VMSTATE_BOOL(features.gso_tcpv4, XenNetDev),
        VMSTATE_BOOL(features.gso_tcpv6, XenNetDev),
        VMSTATE_BOOL(features.ipv6_csum_offload, XenNetDev),
        VMSTATE_BOOL(features.no_csum_offload, XenNetDev),
        VMSTATE_BOOL(features.multicast_control, XenNetDev),
        VMSTATE_UINT32(mcast.count, XenNetDev),
        VMSTATE_UINT8_2DARRAY(mcast.addr, XenNetDev, NETIF_MCAST_MAX, 6),
        VMSTATE_UINT32(saved_num_queues, XenNetDev),
        VMSTATE_VALIDATE("queues and multicast addresses within limits",
                         xen_net_saved_queues_valid),
        VMSTATE_STRUCT_VARRAY_UINT32(saved_queue, XenNetDev,
                                     saved_num_queues, 1,
                                     xen_net_vmstate_queue, XenNetQueueState),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- QOM ---- */

static NetClientInfo net_xen_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = xen_net_can_receive,
    .receive = xen_net_receive,
};

/* One queue's counters and state, as query-xen-net reports them. */
static XenNetQueueInfo *xen_net_queue_info(const XenNetQueue *q)
{
    const struct netif_stats *st = &q->core.stats;
    XenNetQueueInfo *info = g_new0(XenNetQueueInfo, 1);

    info->index = q->index;
    info->failed = st->fatal;
    info->reason = st->fatal ? g_strdup(st->fatal_reason) : NULL;
    info->tx_packets = st->tx_packets;
    info->tx_bytes = st->tx_bytes;
    info->tx_errors = st->tx_errors;
    info->tx_gso = st->tx_gso_packets;
    info->tx_gso_dropped = q->tx_gso_dropped;
    info->tx_offload_passed = q->tx_offload_passed;
    info->rx_packets = st->rx_packets;
    info->rx_bytes = st->rx_bytes;
    info->rx_errors = st->rx_errors;
    info->rx_dropped = st->rx_dropped;
    info->rx_ring_full = q->rx_ring_full;
    info->rx_gso = st->rx_gso_packets;
    return info;
}

static XenNetInfo *xen_net_info(XenNetDev *netdev)
{
    XenNetInfo *info = g_new0(XenNetInfo, 1);
    XenNetQueueInfoList **tail = &info->queues;
    unsigned int i;

    info->path = object_get_canonical_path(OBJECT(netdev));
    info->vif = netdev->dev;
    info->connected = netdev->connected;
    for (i = 0; i < netdev->num_queues; i++) {
        QAPI_LIST_APPEND(tail, xen_net_queue_info(netdev->queues[i]));
    }
    return info;
}

/* One line per queue, for queue-stats and info xen-net */
static void xen_net_format_queues(GString *s, const XenNetInfo *info)
{
    const XenNetQueueInfoList *l;

    for (l = info->queues; l; l = l->next) {
        const XenNetQueueInfo *q = l->value;

        g_string_append_printf(s, "queue %u: tx-packets %" PRIu64
                               " tx-bytes %" PRIu64 " tx-errors %" PRIu64
                               " tx-gso %" PRIu64 " tx-gso-dropped %" PRIu64
                               " rx-packets %" PRIu64 " rx-bytes %" PRIu64
                               " rx-errors %" PRIu64 " rx-dropped %" PRIu64
                               " rx-ring-full %" PRIu64 " rx-gso %" PRIu64
                               " tx-offload-passed %" PRIu64
                               " %s%s%s\n", q->index,
                               q->tx_packets, q->tx_bytes, q->tx_errors,
                               q->tx_gso, q->tx_gso_dropped,
                               q->rx_packets, q->rx_bytes, q->rx_errors,
                               q->rx_dropped, q->rx_ring_full,
                               q->rx_gso, q->tx_offload_passed,
                               q->failed ? "failed (" : "ok",
                               q->failed ? q->reason : "",
                               q->failed ? ")" : "");
    }
}

/* "queue-stats": one line per connected queue. */
static char *xen_net_get_queue_stats(Object *obj, Error **errp)
{
    g_autoptr(XenNetInfo) info = xen_net_info(XEN_NET_DEVICE(obj));
    GString *s = g_string_new("");

    xen_net_format_queues(s, info);
    return g_string_free(s, false);
}

static int xen_net_query_one(Object *obj, void *opaque)
{
    XenNetInfoList ***tail = opaque;

    if (object_dynamic_cast(obj, TYPE_XEN_NET_DEVICE)) {
        QAPI_LIST_APPEND(*tail, xen_net_info(XEN_NET_DEVICE(obj)));
    }
    return 0;
}

XenNetInfoList *qmp_query_xen_net(Error **errp)
{
    XenNetInfoList *head = NULL, **tail = &head;

    object_child_foreach_recursive(object_get_root(), xen_net_query_one,
                                   &tail);
    return head;
}

/* Where each ring stands, and what is held back: for a stalled guest. */
static void xen_net_hmp_rings(Monitor *mon, XenNetDev *netdev)
{
    static const char *const names[] = { "tx", "rx" };
    unsigned int i, r;

    for (i = 0; i < netdev->num_queues; i++) {
        XenNetQueue *q = netdev->queues[i];

        for (r = 0; r < 2; r++) {
            struct netif_ring_view v;

            netif_ring_view(&q->core, r ? NETIF_RING_RX : NETIF_RING_TX, &v);
            monitor_printf(mon, "  queue %u %s ring: req-prod %u req-cons %u "
                           "req-event %u rsp-prod %u (ours %u) "
                           "rsp-event %u\n", i, names[r],
                           v.shared.req_prod, v.req_cons, v.shared.req_event,
                           v.shared.rsp_prod, v.rsp_prod_pvt,
                           v.shared.rsp_event);
        }
        monitor_printf(mon, "  queue %u held: merged %u bytes, rx-poll %s\n",
                       i, q->lro ? q->lro->len : 0,
                       timer_pending(q->rx_poll) ? "armed" : "idle");
    }
    for (i = 0; i < netdev->nic_queues; i++) {
        NetClientState *nc = qemu_get_subqueue(netdev->nic, i);

        monitor_printf(mon, "  net queue %u: receive %s\n", i,
                       nc->receive_disabled ? "disabled" : "enabled");
    }
}

static int xen_net_hmp_one(Object *obj, void *opaque)
{
    Monitor *mon = opaque;
    XenNetDev *netdev;
    g_autoptr(XenNetInfo) info = NULL;
    g_autoptr(GString) stats = g_string_new("");

    if (!object_dynamic_cast(obj, TYPE_XEN_NET_DEVICE)) {
        return 0;
    }
    netdev = XEN_NET_DEVICE(obj);
    info = xen_net_info(netdev);
    xen_net_format_queues(stats, info);
    monitor_printf(mon, "%s: vif%" PRId64 ", %u queue%s%s\n%s", info->path,
                   info->vif, netdev->num_queues,
                   netdev->num_queues == 1 ? "" : "s",
                   info->connected ? "" : " (not connected)", stats->str);
    if (netdev->connected) {
        xen_net_hmp_rings(mon, netdev);
    }
    return 0;
}

void hmp_info_xen_net(Monitor *mon, const QDict *qdict)
{
    object_child_foreach_recursive(object_get_root(), xen_net_hmp_one, mon);
}

static void xen_net_realize(XenDevice *xendev, Error **errp)
{
    ERRP_GUARD();
    XenNetDev *netdev = XEN_NET_DEVICE(xendev);
    MachineState *ms = MACHINE(qdev_get_machine());
    struct netif_key keys[NETIF_BACKEND_KEYS_MAX];
    uint32_t max_queues = netdev->max_queues;
    NetClientState *nc;
    size_t i, n;

    if (max_queues == 0) {
        max_queues = MIN(MAX(ms->smp.cpus, 1), XEN_NET_DEFAULT_MAX_QUEUES);
    }
    if (max_queues > NETIF_MAX_QUEUES) {
        error_setg(errp, "max-queues must be at most %u", NETIF_MAX_QUEUES);
        return;
    }
    netdev->config = (struct netif_backend_config) {
        .max_queues = max_queues,
        .split_event_channels = netdev->split_event_channels,
        .sg = netdev->sg,
        .gso_tcpv4 = netdev->gso_tcpv4,
        .gso_tcpv6 = netdev->gso_tcpv6,
        .ipv6_csum_offload = netdev->ipv6_csum_offload,
        .multicast_control = netdev->multicast_control,
    };

    qemu_macaddr_default_if_unset(&netdev->conf.macaddr);

    xen_device_frontend_printf(xendev, "mac", "%02x:%02x:%02x:%02x:%02x:%02x",
                               netdev->conf.macaddr.a[0],
                               netdev->conf.macaddr.a[1],
                               netdev->conf.macaddr.a[2],
                               netdev->conf.macaddr.a[3],
                               netdev->conf.macaddr.a[4],
                               netdev->conf.macaddr.a[5]);

    netdev->nic = qemu_new_nic(&net_xen_info, &netdev->conf,
                               object_get_typename(OBJECT(xendev)),
                               DEVICE(xendev)->id,
                               &xendev->qdev.mem_reentrancy_guard, netdev);
    netdev->nic_queues = MAX(netdev->conf.peers.queues, 1);
    /* Like e1000e: offloads pass only if every queue's peer has headers. */
    netdev->peer_vnet_hdr = netdev->peer_offloads;
    for (i = 0; i < netdev->nic_queues; i++) {
        nc = qemu_get_subqueue(netdev->nic, i);
        if (!nc->peer || !qemu_has_vnet_hdr(nc->peer)) {
            netdev->peer_vnet_hdr = false;
        }
    }
    for (i = 0; netdev->peer_vnet_hdr && i < netdev->nic_queues; i++) {
        qemu_set_vnet_hdr_len(qemu_get_subqueue(netdev->nic, i)->peer,
                              sizeof(struct virtio_net_hdr));
    }
    netdev->seg_buf = g_malloc(NETIF_GSO_SEG_MAX);
    netdev->rx_flush_bh = qemu_bh_new_guarded(xen_net_rx_flush_bh, netdev,
                                              &DEVICE(xendev)->
                                              mem_reentrancy_guard);

    nc = qemu_get_queue(netdev->nic);
    qemu_format_nic_info_str(nc, netdev->conf.macaddr.a);
    netdev->vm_running = runstate_is_running();
    netdev->vm_state = qemu_add_vm_change_state_handler(
        xen_net_vm_state_change, netdev);

    /* Every backend key, before the frontend can read any of them */
    n = netif_backend_keys(&netdev->config, keys);
    for (i = 0; i < n; i++) {
        xen_device_backend_printf(xendev, keys[i].name, "%u", keys[i].value);
    }

    trace_xen_netdev_realize(netdev->dev, nc->info_str, nc->peer ?
                             nc->peer->name : "(none)");
}

static char *xen_net_get_name(XenDevice *xendev, Error **errp)
{
    XenNetDev *netdev = XEN_NET_DEVICE(xendev);

    if (netdev->dev == -1) {
        XenBus *xenbus = XEN_BUS(qdev_get_parent_bus(DEVICE(xendev)));
        int idx = (xen_mode == XEN_EMULATE) ? 0 : 1;
        Error *local_err = NULL;
        char *value;

        /* Theoretically we could go up to INT_MAX here but that's overkill */
        while (idx < 100) {
            value = xs_node_read(xenbus->xsh, XBT_NULL, NULL, &local_err,
                                 "/local/domain/%u/device/vif/%u",
                                 xendev->frontend_id, idx);
            if (!value) {
                if (errno == ENOENT) {
                    netdev->dev = idx;
                    error_free(local_err);
                    goto found;
                }
                error_propagate(errp, local_err);
                return NULL;
            }
            free(value);
            idx++;
        }
        error_setg(errp, "cannot find device index for netdev device");
        return NULL;
    }
 found:
    return g_strdup_printf("%u", netdev->dev);
}

static void xen_net_unrealize(XenDevice *xendev)
{
    XenNetDev *netdev = XEN_NET_DEVICE(xendev);

    trace_xen_netdev_unrealize(netdev->dev);

    /* Disconnect from the frontend in case this has not already happened */
    xen_net_disconnect(xendev, NULL);

    if (netdev->vm_state) {
        qemu_del_vm_change_state_handler(netdev->vm_state);
        netdev->vm_state = NULL;
    }
    if (netdev->nic) {
        qemu_del_nic(netdev->nic);
    }
    g_free(netdev->seg_buf);
    netdev->seg_buf = NULL;
    if (netdev->rx_flush_bh) {
        qemu_bh_delete(netdev->rx_flush_bh);
        netdev->rx_flush_bh = NULL;
    }
}

static const Property xen_net_properties[] = {
    DEFINE_NIC_PROPERTIES(XenNetDev, conf),
    DEFINE_PROP_INT32("idx", XenNetDev, dev, -1),
    DEFINE_PROP_UINT32("max-queues", XenNetDev, max_queues, 0),
    DEFINE_PROP_BOOL("split-event-channels", XenNetDev, split_event_channels,
                     true),
    DEFINE_PROP_BOOL("sg", XenNetDev, sg, true),
    DEFINE_PROP_BOOL("gso-tcpv4", XenNetDev, gso_tcpv4, true),
    DEFINE_PROP_BOOL("gso-tcpv6", XenNetDev, gso_tcpv6, true),
    DEFINE_PROP_BOOL("ipv6-csum-offload", XenNetDev, ipv6_csum_offload, true),
    DEFINE_PROP_BOOL("multicast-control", XenNetDev, multicast_control,
                     false),
    DEFINE_PROP_BOOL("rx-coalesce", XenNetDev, rx_coalesce, true),
    DEFINE_PROP_BOOL("peer-offloads", XenNetDev, peer_offloads, true),
};

static void xen_net_class_init(ObjectClass *class, void *data)
{
    DeviceClass *dev_class = DEVICE_CLASS(class);
    XenDeviceClass *xendev_class = XEN_DEVICE_CLASS(class);

    xendev_class->backend = "qnic";
    xendev_class->device = "vif";
    xendev_class->get_name = xen_net_get_name;
    xendev_class->realize = xen_net_realize;
    xendev_class->frontend_changed = xen_net_frontend_changed;
    xendev_class->unrealize = xen_net_unrealize;
    set_bit(DEVICE_CATEGORY_NETWORK, dev_class->categories);
    dev_class->user_creatable = true;
    dev_class->vmsd = &xen_net_vmstate;

    device_class_set_props(dev_class, xen_net_properties);
    object_class_property_add_str(class, "queue-stats",
                                  xen_net_get_queue_stats, NULL);
    object_class_property_set_description(class, "queue-stats",
        "per-queue packet, byte, error and GSO counters and failed state");
}

static const TypeInfo xen_net_type_info = {
    .name = TYPE_XEN_NET_DEVICE,
    .parent = TYPE_XEN_DEVICE,
    .instance_size = sizeof(XenNetDev),
    .class_init = xen_net_class_init,
};

static void xen_net_register_types(void)
{
    type_register_static(&xen_net_type_info);
}

type_init(xen_net_register_types)

/* Called to instantiate a XenNetDev when the backend is detected. */
static void xen_net_device_create(XenBackendInstance *backend,
                                  QDict *opts, Error **errp)
{
    ERRP_GUARD();
    XenBus *xenbus = xen_backend_get_bus(backend);
    const char *name = xen_backend_get_name(backend);
    XenDevice *xendev = NULL;
    unsigned long number;
    const char *macstr;
    XenNetDev *net;
    MACAddr mac;

    if (qemu_strtoul(name, NULL, 10, &number) || number >= INT_MAX) {
        error_setg(errp, "failed to parse name '%s'", name);
        goto fail;
    }

    trace_xen_netdev_create(number);

    macstr = qdict_get_try_str(opts, "mac");
    if (macstr == NULL) {
        error_setg(errp, "no MAC address found");
        goto fail;
    }

    if (net_parse_macaddr(mac.a, macstr) < 0) {
        error_setg(errp, "failed to parse MAC address");
        goto fail;
    }

    xendev = XEN_DEVICE(qdev_new(TYPE_XEN_NET_DEVICE));
    net = XEN_NET_DEVICE(xendev);

    net->dev = number;
    memcpy(&net->conf.macaddr, &mac, sizeof(mac));

    if (qdev_realize_and_unref(DEVICE(xendev), BUS(xenbus), errp)) {
        xen_backend_set_device(backend, xendev);
        return;
    }

    error_prepend(errp, "realization of net device %lu failed: ",
                  number);

 fail:
    if (xendev) {
        object_unparent(OBJECT(xendev));
    }
}

static void xen_net_device_destroy(XenBackendInstance *backend,
                                   Error **errp)
{
    XenDevice *xendev = xen_backend_get_device(backend);
    XenNetDev *netdev = XEN_NET_DEVICE(xendev);

    trace_xen_netdev_destroy(netdev->dev);

    object_unparent(OBJECT(xendev));
}

static const XenBackendInfo xen_net_backend_info  = {
    .type = "qnic",
    .create = xen_net_device_create,
    .destroy = xen_net_device_destroy,
};

static void xen_net_register_backend(void)
{
    xen_backend_register(&xen_net_backend_info);
}

xen_backend_init(xen_net_register_backend);
