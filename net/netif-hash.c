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

uint32_t netif_flow_hash(const uint8_t *frame, size_t len)
{
    uint8_t input[36];
    struct netif_l3 ip;
    size_t in_len, l4 = 0;

    if (len > UINT32_MAX || !netif_parse_l3(frame, len, &ip)) {
        return 0;
    }
    memcpy(input, frame + ip.addrs, ip.addrs_len);
    in_len = ip.addrs_len;
    /*
     * Only the first fragment carries ports: hash every fragment of a
     * datagram on the addresses alone so they stay on one queue.
     */
    if (ip.hlen >= 20 && !ip.fragment) {
        l4 = ip.l3 + ip.hlen;
    }
    if (l4 && (ip.proto == NETIF_IPPROTO_TCP ||
               ip.proto == NETIF_IPPROTO_UDP) && len >= l4 + 4) {
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
