/*
 * Flow hash for spreading received frames over RX queues, the role of
 * skb_get_hash() in netback's select_queue.  Toeplitz over the same
 * fields as RSS (addresses, then TCP/UDP ports), so one flow always lands
 * on one queue and results can be checked against published vectors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "netif.h"

/* The Microsoft RSS verification key. */
static const uint8_t rss_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
    0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
    0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

#define ETH_P_IPV4  0x0800
#define ETH_P_IPV6  0x86dd
#define ETH_P_VLAN  0x8100
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

/* At most 16 + 16 + 2 + 2 input bytes, so the key never runs out. */
static uint32_t toeplitz(const uint8_t *input, size_t len)
{
    uint32_t hash = 0;
    uint32_t window;
    size_t i;
    int bit;

    window = (uint32_t)rss_key[0] << 24 | (uint32_t)rss_key[1] << 16 |
             (uint32_t)rss_key[2] << 8 | rss_key[3];
    for (i = 0; i < len; i++) {
        for (bit = 7; bit >= 0; bit--) {
            if (input[i] & (1u << bit)) {
                hash ^= window;
            }
            window <<= 1;
            if (rss_key[i + 4] & (1u << bit)) {
                window |= 1;
            }
        }
    }
    return hash;
}

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t netif_flow_hash(const uint8_t *frame, size_t len)
{
    uint8_t input[36];
    size_t in_len, l3, l4 = 0;
    uint16_t ethertype;
    uint8_t proto;

    if (len < NETIF_ETH_HLEN) {
        return 0;
    }
    ethertype = get_be16(frame + 12);
    l3 = NETIF_ETH_HLEN;
    if (ethertype == ETH_P_VLAN) {
        if (len < l3 + 4) {
            return 0;
        }
        ethertype = get_be16(frame + 16);
        l3 += 4;
    }

    if (ethertype == ETH_P_IPV4) {
        size_t ihl;

        if (len < l3 + 20 || (frame[l3] >> 4) != 4) {
            return 0;
        }
        ihl = (size_t)(frame[l3] & 0xf) * 4;
        proto = frame[l3 + 9];
        memcpy(input, frame + l3 + 12, 8);  /* source, destination */
        in_len = 8;
        /*
         * Only the first fragment carries ports: hash every fragment of a
         * datagram on the addresses alone so they stay on one queue.
         */
        if (ihl >= 20 && (get_be16(frame + l3 + 6) & 0x3fff) == 0) {
            l4 = l3 + ihl;
        }
    } else if (ethertype == ETH_P_IPV6) {
        if (len < l3 + 40 || (frame[l3] >> 4) != 6) {
            return 0;
        }
        proto = frame[l3 + 6];
        memcpy(input, frame + l3 + 8, 32);
        in_len = 32;
        l4 = l3 + 40;
    } else {
        return 0;
    }

    if (l4 && (proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_) &&
        len >= l4 + 4) {
        memcpy(input + in_len, frame + l4, 4);  /* source, dest port */
        in_len += 4;
    }
    return toeplitz(input, in_len);
}

uint32_t netif_select_queue(const uint8_t *frame, size_t len,
                            uint32_t num_queues)
{
    if (num_queues <= 1) {
        return 0;
    }
    return netif_flow_hash(frame, len) % num_queues;
}
