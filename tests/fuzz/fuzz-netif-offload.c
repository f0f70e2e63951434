/*
 * libFuzzer target: a guest TX frame (after two bytes of MSS) through the
 * software offloads, and as an RX frame twice through the LRO merger.
 * Whatever the headers claim, nothing is read or written outside the
 * frame and the segment buffer, every segment fits the segment buffer,
 * the segment count is bounded by the MSS floor, and a merged packet
 * never exceeds NETIF_LRO_MAX_FRAME.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netif.h"
#include "fuzz-check.h"

static uint8_t seg_buf[NETIF_GSO_SEG_MAX];
static struct netif_lro lro;

static void lro_pass_on(void)
{
    struct netif_rx_packet pkt;

    netif_lro_packet(&lro, &pkt);
    CHECK(pkt.data == lro.buf && pkt.len <= NETIF_LRO_MAX_FRAME);
    lro.len = 0;
}

static void segment(void *opaque, const uint8_t *frame, uint32_t len)
{
    uint32_t *count = opaque;

    CHECK(frame == seg_buf);
    CHECK(len >= NETIF_ETH_HLEN && len <= NETIF_GSO_SEG_MAX);
    (*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t count = 0, made;
    uint16_t mss;
    uint8_t *frame;
    size_t len;

    if (size < 2 || size > 2 + NETIF_MAX_PACKET) {
        return 0;
    }
    mss = (uint16_t)(data[0] << 8 | data[1]);
    len = size - 2;
    /* Exactly-sized heap copies, so ASan sees any overrun. */
    frame = malloc(len ? len : 1);
    memcpy(frame, data + 2, len);
    lro.len = 0;
    for (int i = 0; i < 2; i++) {
        enum netif_lro_verdict v = netif_lro_offer(&lro, frame, len);

        if (v == NETIF_LRO_FLUSH) {
            lro_pass_on();
            CHECK(netif_lro_offer(&lro, frame, len) != NETIF_LRO_FLUSH);
        }
    }
    if (lro.len) {
        lro_pass_on();
    }
    made = netif_gso_segment(frame, len, mss, seg_buf, segment, &count);
    CHECK(made == count);
    CHECK(made <= NETIF_MAX_PACKET / NETIF_GSO_MIN_MSS + 1);
    netif_csum_complete(frame, len);
    free(frame);
    return 0;
}
