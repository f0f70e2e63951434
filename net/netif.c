/*
 * netif protocol core: ring index and slot validation.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "netif.h"

uint32_t netif_ring_size(size_t entry_size)
{
    size_t slots;
    uint32_t size = 1;

    if (entry_size == 0) {
        return 0;
    }
    slots = (NETIF_PAGE_SIZE - NETIF_SRING_HEADER_SIZE) / entry_size;
    if (slots == 0) {
        return 0;
    }
    while ((size_t)size * 2 <= slots) {
        size *= 2;
    }
    return size;
}

enum netif_verdict netif_check_requests(uint32_t req_prod, uint32_t req_cons,
                                        uint32_t rsp_prod_pvt,
                                        uint32_t ring_size,
                                        uint32_t *pending,
                                        const char **why)
{
    /*
     * Unsigned differences handle index wrap-around.  Requests beyond
     * rsp_prod_pvt + ring_size would overwrite slots whose responses the
     * frontend has not seen (RING_REQUEST_PROD_OVERFLOW); consumed past
     * produced means the indexes are garbage.
     */
    if (req_prod - rsp_prod_pvt > ring_size) {
        *why = "Impossible number of requests";
        return NETIF_FATAL;
    }
    if (req_cons - rsp_prod_pvt > req_prod - rsp_prod_pvt) {
        *why = "Request consumer ahead of producer";
        return NETIF_FATAL;
    }
    *pending = req_prod - req_cons;
    return NETIF_OK;
}

enum netif_verdict netif_check_tx_slot(const struct netif_tx_request *req,
                                       const char **why)
{
    if ((uint32_t)req->offset + req->size > NETIF_PAGE_SIZE) {
        *why = "Cross page boundary";
        return NETIF_FATAL;
    }
    return NETIF_OK;
}
