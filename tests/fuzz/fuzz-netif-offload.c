/*
 * libFuzzer target: a guest TX frame (after two bytes of MSS) through the
 * software offloads.  Whatever the headers claim, nothing is read or
 * written outside the frame and the segment buffer, every segment fits
 * the segment buffer, and the segment count is bounded by the MSS floor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netif.h"
#include "fuzz-check.h"

static uint8_t seg_buf[NETIF_GSO_SEG_MAX];

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
    made = netif_gso_segment(frame, len, mss, seg_buf, segment, &count);
    CHECK(made == count);
    CHECK(made <= NETIF_MAX_PACKET / NETIF_GSO_MIN_MSS + 1);
    netif_csum_complete(frame, len);
    free(frame);
    return 0;
}
