/*
 * netif offloads done in software for peers that take neither partial
 * checksums nor GSO frames (slirp): complete a blank TCP/UDP checksum,
 * and cut a TCP GSO frame into MSS-sized frames with full checksums.
 * The other way, in-order TCP segments from the peer are merged into one
 * GSO packet for a frontend that takes them (software LRO), as the host
 * stack's GRO hands netback large packets.
 *
 * Every length comes from the frame and is checked against the frame's
 * size before use: the frame is guest data.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "netif.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
    uint32_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += get_be16(p + i);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

bool netif_parse_l3(const uint8_t *frame, uint32_t len, struct netif_l3 *out)
{
    uint32_t l3 = NETIF_ETH_HLEN;
    uint16_t ethertype;

    if (len < NETIF_ETH_HLEN) {
        return false;
    }
    ethertype = get_be16(frame + 12);
    if (ethertype == NETIF_ETH_P_VLAN) {
        if (len < NETIF_ETH_HLEN + 4) {
            return false;
        }
        ethertype = get_be16(frame + 16);
        l3 += 4;
    }
    out->l3 = l3;
    if (ethertype == NETIF_ETH_P_IPV4) {
        if (len < l3 + 20 || (frame[l3] >> 4) != 4) {
            return false;
        }
        out->ipv6 = false;
        out->hlen = (frame[l3] & 0xf) * 4u;
        out->proto = frame[l3 + 9];
        out->addrs = l3 + 12;
        out->addrs_len = 8;
        out->fragment = (get_be16(frame + l3 + 6) & 0x3fff) != 0;
        return true;
    }
    if (ethertype == NETIF_ETH_P_IPV6) {
        if (len < l3 + 40 || (frame[l3] >> 4) != 6) {
            return false;
        }
        out->ipv6 = true;
        out->hlen = 40;
        out->proto = frame[l3 + 6];
        out->addrs = l3 + 8;
        out->addrs_len = 32;
        out->fragment = false;
        return true;
    }
    return false;
}

bool netif_parse_l3l4(const uint8_t *frame, uint32_t len,
                      struct netif_l3l4 *out)
{
    struct netif_l3 ip;

    if (!netif_parse_l3(frame, len, &ip)) {
        return false;
    }
    out->l3 = ip.l3;
    out->ipv6 = ip.ipv6;
    out->proto = ip.proto;
    out->l4 = ip.l3 + ip.hlen;
    if (!ip.ipv6) {
        uint32_t total = get_be16(frame + ip.l3 + 2);

        if (ip.hlen < 20 || total < ip.hlen || ip.l3 + total > len) {
            return false;
        }
        /* A fragment has no L4 header to checksum (but the first). */
        if (ip.fragment) {
            return false;
        }
        out->end = ip.l3 + total;
    } else {
        uint32_t plen = get_be16(frame + ip.l3 + 4);

        /* No extension headers: netfront's TSO6 frames have none. */
        if (ip.l3 + 40 + plen > len) {
            return false;
        }
        out->end = ip.l3 + 40 + plen;
    }
    if (out->proto == NETIF_IPPROTO_TCP) {
        uint32_t doff;

        if (out->end < out->l4 + 20) {
            return false;
        }
        doff = (frame[out->l4 + 12] >> 4) * 4u;
        if (doff < 20 || out->l4 + doff > out->end) {
            return false;
        }
        out->l4_hlen = doff;
        out->csum_off = out->l4 + 16;
    } else if (out->proto == NETIF_IPPROTO_UDP) {
        if (out->end < out->l4 + 8) {
            return false;
        }
        out->l4_hlen = 8;
        out->csum_off = out->l4 + 6;
    } else {
        return false;
    }
    return true;
}

static uint32_t pseudo_header_sum(const uint8_t *frame,
                                  const struct netif_l3l4 *p)
{
    uint32_t l4_len = p->end - p->l4;
    uint32_t sum;

    if (p->ipv6) {
        sum = csum_add(0, frame + p->l3 + 8, 32);
    } else {
        sum = csum_add(0, frame + p->l3 + 12, 8);
    }
    return sum + p->proto + (l4_len & 0xffff) + (l4_len >> 16);
}

/* Fill the L4 checksum of a parsed frame from scratch. */
static void l4_checksum(uint8_t *frame, const struct netif_l3l4 *p)
{
    uint32_t l4_len = p->end - p->l4;
    uint32_t sum = pseudo_header_sum(frame, p);
    uint16_t csum;

    put_be16(frame + p->csum_off, 0);
    sum = csum_add(sum, frame + p->l4, l4_len);
    csum = csum_fold(sum);
    if (csum == 0 && p->proto == NETIF_IPPROTO_UDP) {
        csum = 0xffff;
    }
    put_be16(frame + p->csum_off, csum);
}

static void ipv4_header_checksum(uint8_t *frame, const struct netif_l3l4 *p)
{
    put_be16(frame + p->l3 + 10, 0);
    put_be16(frame + p->l3 + 10,
             csum_fold(csum_add(0, frame + p->l3, p->l4 - p->l3)));
}

bool netif_csum_complete(uint8_t *frame, uint32_t len)
{
    struct netif_l3l4 p;

    if (!netif_parse_l3l4(frame, len, &p)) {
        return false;
    }
    l4_checksum(frame, &p);
    return true;
}

uint32_t netif_gso_segment(const uint8_t *frame, uint32_t len, uint16_t mss,
                           uint8_t *seg, netif_segment_fn out, void *opaque)
{
    struct netif_l3l4 p;
    uint32_t hlen, payload, pos, count = 0;
    uint32_t seq;
    uint16_t ip_id;
    uint8_t flags;

    if (mss < NETIF_GSO_MIN_MSS || !netif_parse_l3l4(frame, len, &p) ||
        p.proto != NETIF_IPPROTO_TCP) {
        return 0;
    }
    hlen = p.l4 + p.l4_hlen;
    payload = p.end - hlen;
    if (hlen + mss > NETIF_GSO_SEG_MAX) {
        return 0;
    }
    seq = (uint32_t)get_be16(frame + p.l4 + 4) << 16 |
          get_be16(frame + p.l4 + 6);
    ip_id = p.ipv6 ? 0 : get_be16(frame + p.l3 + 4);
    flags = frame[p.l4 + 13];

    pos = 0;
    do {
        uint32_t chunk = payload - pos < mss ? payload - pos : mss;
        bool last = pos + chunk >= payload;
        struct netif_l3l4 sp = p;
        uint32_t s = seq + pos;

        memcpy(seg, frame, hlen);
        memcpy(seg + hlen, frame + hlen + pos, chunk);
        sp.end = hlen + chunk;
        if (p.ipv6) {
            put_be16(seg + p.l3 + 4, (uint16_t)(sp.end - p.l4));
        } else {
            put_be16(seg + p.l3 + 2, (uint16_t)(sp.end - p.l3));
            put_be16(seg + p.l3 + 4, (uint16_t)(ip_id + count));
            ipv4_header_checksum(seg, &sp);
        }
        put_be16(seg + p.l4 + 4, s >> 16);
        put_be16(seg + p.l4 + 6, s & 0xffff);
        seg[p.l4 + 13] = flags;
        if (!last) {
            seg[p.l4 + 13] &= ~(TCP_FIN | TCP_PSH);
        }
        if (count) {
            seg[p.l4 + 13] &= ~TCP_CWR;
        }
        l4_checksum(seg, &sp);
        out(opaque, seg, sp.end);
        count++;
        pos += chunk;
    } while (pos < payload);
    return count;
}

/* ---- RX: merging TCP segments (software LRO) ---- */

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

/*
 * A frame that may be merged: TCP over IPv4 without IP options, with
 * payload, only ACK and PSH set, and both checksums right (the guest
 * will not check the merged packet's).
 */
static bool lro_candidate(const uint8_t *frame, uint32_t len,
                          struct netif_l3l4 *p)
{
    uint8_t flags;

    if (!netif_parse_l3l4(frame, len, p) || p->ipv6 ||
        p->proto != NETIF_IPPROTO_TCP || p->l3 != NETIF_ETH_HLEN ||
        p->l4 != p->l3 + 20 || p->end <= p->l4 + p->l4_hlen) {
        return false;
    }
    flags = frame[p->l4 + 13];
    if (flags != TCP_ACK && flags != (TCP_ACK | TCP_PSH)) {
        return false;
    }
    return csum_fold(csum_add(0, frame + p->l3, 20)) == 0 &&
           csum_fold(csum_add(pseudo_header_sum(frame, p), frame + p->l4,
                              p->end - p->l4)) == 0;
}

/* Same flow and headers as what is held, and the next sequence number. */
static bool lro_joins(const struct netif_lro *lro, const uint8_t *frame,
                      const struct netif_l3l4 *p)
{
    const uint8_t *held = lro->buf;
    uint32_t hdr = p->l4 + p->l4_hlen;
    uint32_t payload = p->end - hdr;

    return !lro->closed && hdr == lro->hdr_len && payload <= lro->mss &&
           lro->len + payload <= NETIF_LRO_MAX_FRAME &&
           get_be32(frame + p->l4 + 4) == lro->next_seq &&
           memcmp(frame, held, NETIF_ETH_HLEN) == 0 &&
           frame[p->l3 + 1] == held[p->l3 + 1] &&           /* TOS */
           frame[p->l3 + 8] == held[p->l3 + 8] &&           /* TTL */
           memcmp(frame + p->l3 + 12, held + p->l3 + 12, 8) == 0 &&
           memcmp(frame + p->l4, held + p->l4, 4) == 0 &&   /* ports */
           memcmp(frame + p->l4 + 8, held + p->l4 + 8, 4) == 0 &&  /* ack */
           memcmp(frame + p->l4 + 20, held + p->l4 + 20,
                  p->l4_hlen - 20) == 0;                     /* options */
}

enum netif_lro_verdict netif_lro_offer(struct netif_lro *lro,
                                       const uint8_t *frame, uint32_t len)
{
    struct netif_l3l4 p;
    uint32_t hdr, payload;
    uint8_t flags;

    if (!lro_candidate(frame, len, &p)) {
        return lro->len ? NETIF_LRO_FLUSH : NETIF_LRO_PASS;
    }
    hdr = p.l4 + p.l4_hlen;
    payload = p.end - hdr;
    flags = frame[p.l4 + 13];
    if (lro->len) {
        if (!lro_joins(lro, frame, &p)) {
            return NETIF_LRO_FLUSH;
        }
        memcpy(lro->buf + lro->len, frame + hdr, payload);
        lro->len += payload;
        lro->segs++;
        /* The latest window, and PSH if any segment had it. */
        memcpy(lro->buf + p.l4 + 14, frame + p.l4 + 14, 2);
        lro->buf[p.l4 + 13] |= flags;
    } else {
        memcpy(lro->buf, frame, p.end);     /* without Ethernet padding */
        lro->len = p.end;
        lro->segs = 1;
        lro->mss = payload;
        lro->hdr_len = hdr;
        lro->l4 = p.l4;
    }
    lro->next_seq = get_be32(frame + p.l4 + 4) + payload;
    /* Like GRO: PSH or a short segment ends it, and so does a full one. */
    lro->closed = (flags & TCP_PSH) || payload < lro->mss ||
                  lro->len + lro->mss > NETIF_LRO_MAX_FRAME;
    return NETIF_LRO_HELD;
}

void netif_lro_packet(struct netif_lro *lro, struct netif_rx_packet *pkt)
{
    struct netif_l3l4 p = {
        .l3 = NETIF_ETH_HLEN, .l4 = lro->l4, .end = lro->len,
        .proto = NETIF_IPPROTO_TCP, .csum_off = lro->l4 + 16,
    };

    memset(pkt, 0, sizeof(*pkt));
    pkt->data = lro->buf;
    pkt->len = lro->len;
    if (lro->segs == 1) {
        pkt->csum = NETIF_CSUM_VALIDATED;   /* checked on the way in */
        return;
    }
    put_be16(lro->buf + p.l3 + 2, (uint16_t)(p.end - p.l3));
    ipv4_header_checksum(lro->buf, &p);
    /* A partial checksum holds the pseudo-header sum (CHECKSUM_PARTIAL). */
    put_be16(lro->buf + p.csum_off,
             (uint16_t)~csum_fold(pseudo_header_sum(lro->buf, &p)));
    pkt->csum = NETIF_CSUM_PARTIAL;
    pkt->gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
    pkt->gso_size = (uint16_t)lro->mss;
}
