/*
 * netif protocol core: ring layouts and netback-grade request validation.
 *
 * Plain C, no QEMU headers: the QEMU device (hw/) and the unit tests both
 * use it.  Layouts follow Xen's public/io/netif.h and io/ring.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XENBED_NETIF_H
#define XENBED_NETIF_H

#include <stddef.h>
#include <stdint.h>

#define NETIF_PAGE_SIZE 4096u

/* struct netif_tx_request: one TX slot as the frontend writes it. */
struct netif_tx_request {
    uint32_t gref;
    uint16_t offset;
    uint16_t flags;
    uint16_t id;
    uint16_t size;
};

#define NETTXF_csum_blank  (1u << 0)
#define NETTXF_data_validated (1u << 1)
#define NETTXF_more_data   (1u << 2)
#define NETTXF_extra_info  (1u << 3)

/* Shared ring header (io/ring.h): four indexes, then padding to 64 bytes. */
#define NETIF_SRING_HEADER_SIZE 64u
#define NETIF_TX_ENTRY_SIZE 12u     /* union of tx request and response */
#define NETIF_RX_ENTRY_SIZE 8u      /* union of rx request and response */

enum netif_verdict {
    NETIF_OK = 0,
    NETIF_DROP,     /* answer with NETIF_RSP_ERROR, keep the interface */
    NETIF_FATAL,    /* impossible ring state: the interface is failed */
};

/*
 * Entries in a one-page ring whose entries are entry_size bytes: the
 * largest power of two that fits after the header (io/ring.h __RING_SIZE).
 */
uint32_t netif_ring_size(size_t entry_size);

/*
 * Checklist item 1: how many requests the frontend published that have not
 * been consumed.  A req_prod that runs more than a ring ahead of what was
 * answered is fatal ("Impossible number of requests"), whatever the
 * wrap-around.  On NETIF_OK, *pending holds the count.
 */
enum netif_verdict netif_check_requests(uint32_t req_prod, uint32_t req_cons,
                                        uint32_t rsp_prod_pvt,
                                        uint32_t ring_size,
                                        uint32_t *pending,
                                        const char **why);

/* Checklist item 5: a slot must lie within its granted page. */
enum netif_verdict netif_check_tx_slot(const struct netif_tx_request *req,
                                       const char **why);

#endif
