/*
 * 2-level event channel ABI: pending and mask bitmaps in shared_info, a
 * per-vCPU selector word naming which bitmap words have pending events.
 * Ports are limited to the square of the guest's word size (4096 in
 * 64-bit mode, 1024 in compat mode).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stddef.h>

#include "evtchn.h"

/*
 * The pending and mask bitmaps have the same bit numbering in both modes on
 * a little-endian host, so they are handled as 32-bit words.  The selector
 * is one guest word: 64 bits at vcpu_info+8, or 32 bits at +4 in compat.
 */

static uint32_t *shared_bitmap(const struct evtchn_domain *d, bool mask)
{
    uint8_t *shinfo = d->env.shared_info(d->env.opaque);
    size_t bitmap_bytes;

    if (!shinfo) {
        return NULL;
    }
    bitmap_bytes = d->long_mode ? 64 * sizeof(uint64_t)
                                : 32 * sizeof(uint32_t);
    return (uint32_t *)(shinfo + EVTCHN_SHINFO_PENDING_OFFSET +
                        (mask ? bitmap_bytes : 0));
}

static bool test_and_set_bit32(uint32_t *words, uint32_t bit)
{
    uint32_t m = 1u << (bit % 32);

    return __atomic_fetch_or(&words[bit / 32], m, __ATOMIC_SEQ_CST) & m;
}

static bool test_and_clear_bit32(uint32_t *words, uint32_t bit)
{
    uint32_t m = 1u << (bit % 32);

    return __atomic_fetch_and(&words[bit / 32], ~m, __ATOMIC_SEQ_CST) & m;
}

static bool test_bit32(const uint32_t *words, uint32_t bit)
{
    return __atomic_load_n(&words[bit / 32], __ATOMIC_SEQ_CST) &
           (1u << (bit % 32));
}

static uint32_t evtchn_2l_max_ports(const struct evtchn_domain *d)
{
    return d->long_mode ? 64u * 64u : 32u * 32u;
}

/*
 * Set the selector bit for `port`'s bitmap word in `vcpu`'s vcpu_info, then
 * evtchn_upcall_pending; only a newly set selector bit needs the upcall,
 * as the guest clears upcall_pending before it scans the selector.
 */
static void evtchn_2l_mark_pending(struct evtchn_domain *d, uint32_t vcpu,
                                   evtchn_port_t port)
{
    uint8_t *vi = d->env.vcpu_info(d->env.opaque, vcpu);
    bool was_set;

    if (!vi) {
        return;
    }
    if (d->long_mode) {
        uint64_t *sel = (uint64_t *)(vi + 8);
        uint64_t m = 1ull << (port / 64);

        was_set = __atomic_fetch_or(sel, m, __ATOMIC_SEQ_CST) & m;
    } else {
        uint32_t *sel = (uint32_t *)(vi + 4);
        uint32_t m = 1u << (port / 32);

        was_set = __atomic_fetch_or(sel, m, __ATOMIC_SEQ_CST) & m;
    }
    if (!was_set) {
        evtchn_vcpu_mark_events_pending(d, vcpu);
    }
}

static void evtchn_2l_set_pending(struct evtchn_domain *d, uint32_t vcpu,
                                  evtchn_port_t port)
{
    uint32_t *pending = shared_bitmap(d, false);
    uint32_t *mask = shared_bitmap(d, true);

    if (!pending || !evtchn_port_valid(d, port)) {
        return;
    }
    /* Already pending: the guest has been (or will be) told. */
    if (test_and_set_bit32(pending, port)) {
        return;
    }
    if (!test_bit32(mask, port)) {
        evtchn_2l_mark_pending(d, vcpu, port);
    }
}

static void evtchn_2l_clear_pending(struct evtchn_domain *d,
                                    evtchn_port_t port)
{
    uint32_t *pending = shared_bitmap(d, false);

    if (pending && evtchn_port_valid(d, port)) {
        test_and_clear_bit32(pending, port);
    }
}

static void evtchn_2l_unmask(struct evtchn_domain *d, uint32_t vcpu,
                             evtchn_port_t port)
{
    uint32_t *pending = shared_bitmap(d, false);
    uint32_t *mask = shared_bitmap(d, true);

    if (!pending || !evtchn_port_valid(d, port)) {
        return;
    }
    /*
     * Clear the mask before testing pending: an event set in between then
     * sees the port unmasked and notifies by itself, so none is lost.
     */
    if (test_and_clear_bit32(mask, port) && test_bit32(pending, port)) {
        evtchn_2l_mark_pending(d, vcpu, port);
    }
}

static bool evtchn_2l_is_pending(const struct evtchn_domain *d,
                                 evtchn_port_t port)
{
    uint32_t *pending = shared_bitmap(d, false);

    return pending && evtchn_port_valid(d, port) && test_bit32(pending, port);
}

static bool evtchn_2l_is_masked(const struct evtchn_domain *d,
                                evtchn_port_t port)
{
    uint32_t *mask = shared_bitmap(d, true);

    /* Without shared_info every port reads as masked, as in Xen. */
    return !mask || !evtchn_port_valid(d, port) || test_bit32(mask, port);
}

/* Bits are dropped at once; 2-level has no queue to stay on. */
static bool evtchn_2l_is_busy(const struct evtchn_domain *d,
                              evtchn_port_t port)
{
    (void)d;
    (void)port;
    return false;
}

/* The bitmaps live in shared_info: there is nothing to set up. */
static int evtchn_2l_setup(struct evtchn_domain *d)
{
    (void)d;
    return 0;
}

static void evtchn_2l_teardown(struct evtchn_domain *d)
{
    (void)d;
}

const struct evtchn_port_ops evtchn_port_ops_2l = {
    .name = "2-level",
    .max_ports = evtchn_2l_max_ports,
    .set_pending = evtchn_2l_set_pending,
    .clear_pending = evtchn_2l_clear_pending,
    .unmask = evtchn_2l_unmask,
    .is_pending = evtchn_2l_is_pending,
    .is_masked = evtchn_2l_is_masked,
    .is_busy = evtchn_2l_is_busy,
    .setup = evtchn_2l_setup,
    .teardown = evtchn_2l_teardown,
};
