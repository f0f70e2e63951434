/*
 * netif software offloads: blank checksums completed, TCP GSO frames cut
 * into MSS-sized segments, guest frames with lying lengths refused, and
 * in-order TCP segments merged back into one GSO packet (RX LRO).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "netif.h"

#define MAX_SEGS 64

struct seg_log {
    uint32_t count;
    uint32_t len[MAX_SEGS];
    uint8_t data[MAX_SEGS][2048];
};

static void log_segment(void *opaque, const uint8_t *frame, uint32_t len)
{
    struct seg_log *log = opaque;

    g_assert_cmpuint(log->count, <, MAX_SEGS);
    g_assert_cmpuint(len, <=, sizeof(log->data[0]));
    memcpy(log->data[log->count], frame, len);
    log->len[log->count++] = len;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)be16(p) << 16 | be16(p + 2);
}

/* Ones' complement sum, folded: 0xffff over data with a right checksum. */
static uint16_t ones_sum(uint32_t sum, const uint8_t *p, uint32_t len)
{
    uint32_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += be16(p + i);
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

/* Verify the IP and L4 checksums of frame as a receiver would. */
static void assert_checksums(const uint8_t *frame, uint32_t len, bool ipv6,
                             uint8_t proto)
{
    uint32_t l3 = 14, l4, l4_len, sum = 0;

    if (ipv6) {
        l4 = l3 + 40;
        l4_len = be16(frame + l3 + 4);
        sum = ones_sum(0, frame + l3 + 8, 32);
    } else {
        l4 = l3 + (frame[l3] & 0xf) * 4;
        l4_len = be16(frame + l3 + 2) - (l4 - l3);
        g_assert_cmphex(ones_sum(0, frame + l3, l4 - l3), ==, 0xffff);
        sum = ones_sum(0, frame + l3 + 12, 8);
    }
    g_assert_cmpuint(l4 + l4_len, <=, len);
    sum += proto + l4_len;
    g_assert_cmphex(ones_sum(sum, frame + l4, l4_len), ==, 0xffff);
}

/* Ethernet + IPv4 or IPv6 + TCP (20 bytes) or UDP, payload 0, 1, 2... */
static uint32_t build_frame(uint8_t *f, bool ipv6, uint8_t proto,
                            uint32_t payload)
{
    uint32_t l3 = 14, l4, l4_hlen = proto == 6 ? 20 : 8, i;

    memset(f, 0, 14 + 40 + l4_hlen + payload);
    memset(f, 0x52, 12);
    f[12] = ipv6 ? 0x86 : 0x08;
    f[13] = ipv6 ? 0xdd : 0x00;
    if (ipv6) {
        f[l3] = 0x60;
        f[l3 + 4] = (l4_hlen + payload) >> 8;
        f[l3 + 5] = (l4_hlen + payload) & 0xff;
        f[l3 + 6] = proto;
        f[l3 + 7] = 64;
        f[l3 + 8 + 15] = 1;
        f[l3 + 24 + 15] = 2;
        l4 = l3 + 40;
    } else {
        f[l3] = 0x45;
        f[l3 + 2] = (20 + l4_hlen + payload) >> 8;
        f[l3 + 3] = (20 + l4_hlen + payload) & 0xff;
        f[l3 + 4] = 0x12;
        f[l3 + 5] = 0x34;
        f[l3 + 6] = 0x40;           /* DF */
        f[l3 + 8] = 64;
        f[l3 + 9] = proto;
        memcpy(f + l3 + 12, (uint8_t[]){ 10, 0, 2, 15, 10, 0, 2, 100 }, 8);
        /* The guest fills in the IPv4 header checksum itself. */
        f[l3 + 10] = (uint8_t)(~ones_sum(0, f + l3, 20) >> 8);
        f[l3 + 11] = (uint8_t)~ones_sum(0, f + l3, 20);
        l4 = l3 + 20;
    }
    f[l4] = 0x9c;                   /* ports 40000 -> 80 */
    f[l4 + 1] = 0x40;
    f[l4 + 3] = 80;
    if (proto == 6) {
        memcpy(f + l4 + 4, (uint8_t[]){ 0xff, 0xff, 0xfc, 0x00 }, 4);
        f[l4 + 12] = 5 << 4;
        f[l4 + 13] = 0x80 | 0x18 | 0x01;    /* CWR PSH ACK FIN */
    } else {
        f[l4 + 4] = (8 + payload) >> 8;
        f[l4 + 5] = (8 + payload) & 0xff;
    }
    for (i = 0; i < payload; i++) {
        f[l4 + l4_hlen + i] = (uint8_t)(i * 7 + 3);
    }
    return l4 + l4_hlen + payload;
}

static void test_csum_complete(void)
{
    static const struct {
        bool ipv6;
        uint8_t proto;
        uint32_t payload;
    } cases[] = {
        { false, 6, 100 }, { false, 6, 101 }, { false, 17, 33 },
        { true, 6, 1000 }, { true, 17, 0 },
    };
    uint8_t f[2048];
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint32_t len = build_frame(f, cases[i].ipv6, cases[i].proto,
                                   cases[i].payload);

        g_assert_true(netif_csum_complete(f, len));
        assert_checksums(f, len, cases[i].ipv6, cases[i].proto);
    }
}

static void test_csum_with_vlan_and_padding(void)
{
    uint8_t plain[2048], f[2048];
    uint32_t len = build_frame(plain, false, 17, 2);

    /* Insert an 802.1Q tag and pad the frame past the IP length. */
    memcpy(f, plain, 12);
    memcpy(f + 12, (uint8_t[]){ 0x81, 0x00, 0x00, 0x05 }, 4);
    memcpy(f + 16, plain + 12, len - 12);
    memset(f + len + 4, 0xee, 20);
    g_assert_true(netif_csum_complete(f, len + 24));
    g_assert_cmphex(ones_sum(0, f + 18, 20), ==, 0xffff);
    /* The padding is not summed: the checksum matches the untagged one. */
    g_assert_true(netif_csum_complete(plain, len));
    g_assert_cmpmem(f + 18 + 20 + 6, 2, plain + 14 + 20 + 6, 2);
}

static void test_csum_refuses_lies(void)
{
    uint8_t f[2048], copy[2048];
    uint32_t len = build_frame(f, false, 6, 100);

    /* IP total length beyond the frame. */
    f[14 + 2] = 0x10;
    memcpy(copy, f, len);
    g_assert_false(netif_csum_complete(f, len));
    g_assert_cmpmem(f, len, copy, len);
    /* TCP data offset beyond the IP packet. */
    len = build_frame(f, false, 6, 10);
    f[14 + 20 + 12] = 15 << 4;
    g_assert_false(netif_csum_complete(f, len));
    /* IHL below 5, a fragment, truncated frames, not IP. */
    len = build_frame(f, false, 6, 10);
    f[14] = 0x44;
    g_assert_false(netif_csum_complete(f, len));
    len = build_frame(f, false, 6, 10);
    f[14 + 7] = 8;
    g_assert_false(netif_csum_complete(f, len));
    len = build_frame(f, true, 6, 10);
    g_assert_false(netif_csum_complete(f, 14 + 39));
    g_assert_false(netif_csum_complete(f, 13));
    f[12] = 0x08;
    f[13] = 0x06;
    g_assert_false(netif_csum_complete(f, len));
}

static void check_segments(bool ipv6, uint32_t payload, uint16_t mss)
{
    static uint8_t seg[NETIF_GSO_SEG_MAX];
    uint8_t f[8192];
    struct seg_log *log = g_new0(struct seg_log, 1);
    uint32_t len = build_frame(f, ipv6, 6, payload);
    uint32_t hlen = 14 + (ipv6 ? 40 : 20) + 20;
    uint32_t l4 = hlen - 20, i, pos = 0;
    uint32_t expected = MAX(1, (payload + mss - 1) / mss);

    g_assert_cmpuint(netif_gso_segment(f, len, mss, seg, log_segment, log),
                     ==, expected);
    g_assert_cmpuint(log->count, ==, expected);
    for (i = 0; i < log->count; i++) {
        const uint8_t *s = log->data[i];
        uint32_t chunk = MIN(mss, payload - pos);
        uint8_t flags = s[l4 + 13];

        g_assert_cmpuint(log->len[i], ==, hlen + chunk);
        assert_checksums(s, log->len[i], ipv6, 6);
        g_assert_cmphex(be32(s + l4 + 4), ==, 0xfffffc00u + pos);
        if (!ipv6) {
            g_assert_cmphex(be16(s + 14 + 4), ==, 0x1234 + i);
        }
        g_assert_cmpmem(s + hlen, chunk, f + hlen + pos, chunk);
        g_assert_cmpint(!!(flags & 0x80), ==, i == 0);                /* CWR */
        g_assert_cmpint(!!(flags & 0x09), ==, i == log->count - 1);   /* FIN PSH */
        g_assert_true(flags & 0x10);                                  /* ACK */
        pos += chunk;
    }
    g_assert_cmpuint(pos, ==, payload);
    g_free(log);
}

static void test_gso_segments(void)
{
    check_segments(false, 3000, 1000);
    check_segments(false, 2500, 1000);
    check_segments(true, 4000, 1440);
    check_segments(false, 10, 1460);   /* one segment */
    check_segments(false, 0, 1460);    /* a bare header still goes out */
}

static void test_gso_refuses(void)
{
    static uint8_t seg[NETIF_GSO_SEG_MAX];
    struct seg_log *log = g_new0(struct seg_log, 1);
    uint8_t f[8192];
    uint32_t len = build_frame(f, false, 6, 3000);

    /* An MSS of 1 would turn one guest packet into 65k frames. */
    g_assert_cmpuint(netif_gso_segment(f, len, NETIF_GSO_MIN_MSS - 1, seg,
                                       log_segment, log), ==, 0);
    g_assert_cmpuint(netif_gso_segment(f, len, 0, seg, log_segment, log),
                     ==, 0);
    len = build_frame(f, false, 17, 3000);
    g_assert_cmpuint(netif_gso_segment(f, len, 1000, seg, log_segment, log),
                     ==, 0);
    len = build_frame(f, true, 6, 3000);
    g_assert_cmpuint(netif_gso_segment(f, len - 1, 1000, seg, log_segment,
                                       log), ==, 0);
    g_assert_cmpuint(log->count, ==, 0);
    g_free(log);
}

/* A TCP/IPv4 frame with only ACK set and right checksums, cut at mss. */
static struct seg_log *ack_segments(uint8_t *f, uint32_t payload,
                                    uint16_t mss, uint32_t *len)
{
    static uint8_t seg[NETIF_GSO_SEG_MAX];
    struct seg_log *log = g_new0(struct seg_log, 1);

    *len = build_frame(f, false, 6, payload);
    f[14 + 20 + 13] = 0x10;
    g_assert_true(netif_csum_complete(f, *len));
    netif_gso_segment(f, *len, mss, seg, log_segment, log);
    return log;
}

static void test_lro_merges(void)
{
    static struct netif_lro lro;
    static uint8_t f[NETIF_LRO_MAX_FRAME];
    uint8_t copy[8192];
    struct netif_rx_packet pkt;
    uint32_t len, i;
    struct seg_log *log = ack_segments(f, 6000, 1448, &len);

    memset(&lro, 0, sizeof(lro));
    g_assert_cmpuint(log->count, ==, 5);
    for (i = 0; i < log->count; i++) {
        g_assert_cmpint(netif_lro_offer(&lro, log->data[i], log->len[i]), ==,
                        NETIF_LRO_HELD);
        /* Only the short last segment ends the packet. */
        g_assert_cmpint(lro.closed, ==, i == log->count - 1);
    }
    netif_lro_packet(&lro, &pkt);
    g_assert_cmpuint(pkt.len, ==, len);
    g_assert_cmpint(pkt.csum, ==, NETIF_CSUM_PARTIAL);
    g_assert_cmpuint(pkt.gso_type, ==, XEN_NETIF_GSO_TYPE_TCPV4);
    g_assert_cmpuint(pkt.gso_size, ==, 1448);
    /* The original frame again, but for the IP id and the checksum. */
    g_assert_cmpmem(pkt.data + 54, len - 54, f + 54, len - 54);
    g_assert_cmphex(be16(pkt.data + 14 + 2), ==, len - 14);
    g_assert_cmphex(be32(pkt.data + 34 + 4), ==, 0xfffffc00u);
    g_assert_cmphex(ones_sum(0, pkt.data + 14, 20), ==, 0xffff);
    /* The partial checksum completes to the right one. */
    memcpy(copy, pkt.data, len);
    g_assert_true(netif_csum_complete(copy, len));
    assert_checksums(copy, len, false, 6);
    g_free(log);

    /* One segment goes as it came, its checksum already checked. */
    log = ack_segments(f, 100, 1448, &len);
    memset(&lro, 0, sizeof(lro));
    g_assert_cmpint(netif_lro_offer(&lro, log->data[0], log->len[0]), ==,
                    NETIF_LRO_HELD);
    netif_lro_packet(&lro, &pkt);
    g_assert_cmpint(pkt.csum, ==, NETIF_CSUM_VALIDATED);
    g_assert_cmpuint(pkt.gso_type, ==, XEN_NETIF_GSO_TYPE_NONE);
    g_assert_cmpmem(pkt.data, pkt.len, log->data[0], log->len[0]);
    g_free(log);
}

static void test_lro_stops(void)
{
    static struct netif_lro lro;
    static uint8_t f[NETIF_LRO_MAX_FRAME];
    uint8_t bad[2048];
    uint32_t len, i, held = 0;
    struct seg_log *log = ack_segments(f, 4000, 1000, &len);

    memset(&lro, 0, sizeof(lro));
    /* Not a candidate: a wrong TCP checksum, SYN, UDP, IPv6. */
    memcpy(bad, log->data[0], log->len[0]);
    bad[14 + 20 + 16] ^= 1;
    g_assert_cmpint(netif_lro_offer(&lro, bad, log->len[0]), ==,
                    NETIF_LRO_PASS);
    memcpy(bad, log->data[0], log->len[0]);
    bad[14 + 20 + 13] = 0x12;
    g_assert_true(netif_csum_complete(bad, log->len[0]));
    g_assert_cmpint(netif_lro_offer(&lro, bad, log->len[0]), ==,
                    NETIF_LRO_PASS);
    len = build_frame(bad, false, 17, 100);
    g_assert_true(netif_csum_complete(bad, len));
    g_assert_cmpint(netif_lro_offer(&lro, bad, len), ==, NETIF_LRO_PASS);
    len = build_frame(bad, true, 6, 100);
    bad[14 + 40 + 13] = 0x10;
    g_assert_true(netif_csum_complete(bad, len));
    g_assert_cmpint(netif_lro_offer(&lro, bad, len), ==, NETIF_LRO_PASS);
    g_assert_cmpuint(lro.len, ==, 0);

    /* Held: a gap in sequence, another flow or a non-candidate flushes. */
    g_assert_cmpint(netif_lro_offer(&lro, log->data[0], log->len[0]), ==,
                    NETIF_LRO_HELD);
    g_assert_cmpint(netif_lro_offer(&lro, log->data[2], log->len[2]), ==,
                    NETIF_LRO_FLUSH);
    memcpy(bad, log->data[1], log->len[1]);
    bad[14 + 20 + 1] ^= 1;                          /* source port */
    g_assert_true(netif_csum_complete(bad, log->len[1]));
    g_assert_cmpint(netif_lro_offer(&lro, bad, log->len[1]), ==,
                    NETIF_LRO_FLUSH);
    g_assert_cmpint(netif_lro_offer(&lro, bad, 13), ==, NETIF_LRO_FLUSH);
    /* PSH on a joining segment ends the packet. */
    memcpy(bad, log->data[1], log->len[1]);
    bad[14 + 20 + 13] = 0x18;
    g_assert_true(netif_csum_complete(bad, log->len[1]));
    g_assert_cmpint(netif_lro_offer(&lro, bad, log->len[1]), ==,
                    NETIF_LRO_HELD);
    g_assert_true(lro.closed);
    g_assert_cmpint(netif_lro_offer(&lro, log->data[2], log->len[2]), ==,
                    NETIF_LRO_FLUSH);

    /* Never more than NETIF_LRO_MAX_FRAME: full segments, in order. */
    g_free(log);
    log = ack_segments(f, 1100, 1100, &len);
    memset(&lro, 0, sizeof(lro));
    for (i = 0; i < 100; i++) {
        uint32_t seq = 0xfffffc00u + i * 1100;

        memcpy(bad, log->data[0], len);
        bad[38] = seq >> 24;
        bad[39] = seq >> 16;
        bad[40] = seq >> 8;
        bad[41] = seq;
        g_assert_true(netif_csum_complete(bad, len));
        g_assert_cmpint(netif_lro_offer(&lro, bad, len), ==, NETIF_LRO_HELD);
        held++;
        g_assert_cmpuint(lro.len, <=, NETIF_LRO_MAX_FRAME);
        if (lro.closed) {
            break;
        }
    }
    g_assert_cmpuint(held, ==, (NETIF_LRO_MAX_FRAME - 54) / 1100);
    g_free(log);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/netif/offload/csum", test_csum_complete);
    g_test_add_func("/netif/offload/csum-vlan-padding",
                    test_csum_with_vlan_and_padding);
    g_test_add_func("/netif/offload/csum-refuses-lies",
                    test_csum_refuses_lies);
    g_test_add_func("/netif/offload/gso-segments", test_gso_segments);
    g_test_add_func("/netif/offload/gso-refuses", test_gso_refuses);
    g_test_add_func("/netif/offload/lro-merges", test_lro_merges);
    g_test_add_func("/netif/offload/lro-stops", test_lro_stops);
    return g_test_run();
}
