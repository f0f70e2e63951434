/*
 * netif-garbage.h: the offload-garbage frames of the hostile frontend,
 * shared by tests/guest/progs/fakevif.c (in the guest) and
 * tests/qtest/xen-netif-test.c (a qtest frontend)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef NETIF_GARBAGE_H
#define NETIF_GARBAGE_H

#include <stdint.h>
#include <string.h>

/*
 * Frames that claim offloads they cannot have.  Each goes in one slot with
 * csum_blank, most with a TCPv4 or TCPv6 GSO extra: the backend answers
 * OKAY and passes them to a peer with virtio-net headers, cuts or completes
 * them in software, or drops them, reading nothing past their slot.  Each
 * frame is Ethernet, IPv4 (or IPv6) and TCP headers as a real frame has
 * them, then `payload` bytes, with one defect; all fit in one data page at
 * once (garbage_slot()), after a 42-byte ARP request at its start.  They
 * are resets, which a peer should not answer (slirp does, with RST ACK).
 */
enum garbage {
    G_IHL_15,           /* IPv4 IHL 15: options run past the frame */
    G_TOTAL_PAST,       /* IPv4 total length 4000 in a 154-byte frame */
    G_DOFF_15,          /* TCP data offset 15: header past the frame */
    G_UDP,              /* UDP with a TCPv4 GSO extra */
    G_V6_AS_V4,         /* IPv6 frame, TCPv4 GSO extra */
    G_V4_AS_V6,         /* IPv4 frame, TCPv6 GSO extra */
    G_MSS_47,           /* GSO size under any real MSS */
    G_ICMP_CSUM,        /* csum_blank on ICMP: no L4 checksum to fill */
    G_FRAGMENT_CSUM,    /* csum_blank on a non-first IPv4 fragment */
    G_VLAN_GSO,         /* well-formed, VLAN-tagged, 3 segments */
    G_GSO,              /* well-formed, 3 segments */
    G_COUNT
};

static inline uint16_t garbage_frame(uint8_t *p, enum garbage g,
                                     const uint8_t mac[6])
{
    uint16_t payload = g == G_VLAN_GSO || g == G_GSO ? 600 : 100;
    uint16_t l3 = 14, len;
    uint8_t *ip, *tcp;

    memset(p, 0, 256);
    memset(p, 0xff, 6);
    memcpy(p + 6, mac, 6);
    if (g == G_VLAN_GSO) {
        memcpy(p + 12, (uint8_t[]){ 0x81, 0x00, 0x00, 0x05 }, 4);
        l3 += 4;
    }
    ip = p + l3;
    if (g == G_V6_AS_V4) {
        memcpy(p + l3 - 2, (uint8_t[]){ 0x86, 0xdd }, 2);
        ip[0] = 0x60;
        ip[4] = (20 + payload) >> 8;
        ip[5] = (20 + payload) & 0xff;
        ip[6] = 6;
        ip[7] = 64;
        ip[8] = 0xfe;
        ip[9] = 0x80;
        ip[24] = 0xfe;
        ip[25] = 0x80;
        tcp = ip + 40;
    } else {
        uint16_t total = g == G_TOTAL_PAST ? 4000 : 40 + payload;

        memcpy(p + l3 - 2, (uint8_t[]){ 0x08, 0x00 }, 2);
        ip[0] = g == G_IHL_15 ? 0x4f : 0x45;
        ip[2] = total >> 8;
        ip[3] = total & 0xff;
        ip[6] = g == G_FRAGMENT_CSUM ? 0x20 : 0x40;    /* MF, or DF */
        ip[7] = g == G_FRAGMENT_CSUM ? 0x10 : 0;
        ip[8] = 64;
        ip[9] = g == G_UDP ? 17 : g == G_ICMP_CSUM ? 1 : 6;
        memcpy(ip + 12, (uint8_t[]){ 10, 0, 2, 15, 10, 0, 2, 2 }, 8);
        tcp = ip + 20;
    }
    tcp[0] = 0x9c;                      /* ports 40000 -> 80 */
    tcp[1] = 0x40;
    tcp[3] = 80;
    tcp[12] = g == G_DOFF_15 ? 0xf0 : 0x50;
    tcp[13] = 0x04;                     /* RST: nobody answers it */
    tcp[14] = 0xff;
    len = tcp + 20 + payload - p;
    memset(tcp + 20, 'x', payload);
    return g == G_IHL_15 || g == G_DOFF_15 ? tcp + 20 - p : len;
}

/* Where frame g goes in the data page, and the GSO extra it carries */
struct garbage_slot {
    uint16_t offset;
    int gso;                /* with an extra: */
    uint16_t gso_size;
    int gso_tcpv6;          /* TCPv6 GSO type, else TCPv4 */
};

static inline struct garbage_slot garbage_slot(enum garbage g)
{
    struct garbage_slot s = {
        .offset = g < G_VLAN_GSO ? 256 * (g + 1) :
                  g == G_VLAN_GSO ? 2560 : 3300,
        .gso = g != G_ICMP_CSUM && g != G_FRAGMENT_CSUM,
        .gso_size = g == G_MSS_47 ? 47 :
                    g == G_GSO || g == G_VLAN_GSO ? 256 : 1448,
        .gso_tcpv6 = g == G_V4_AS_V6,
    };
    return s;
}

#endif
