/*
 * Event channel port ABIs behind one port-ops table, after Xen's
 * event_2l.c / event_fifo.c split.
 *
 * Plain C, no QEMU headers.  Guest memory and upcall injection come in
 * through struct evtchn_env, so the same code runs inside QEMU and in the
 * unit tests.  Shared words are accessed with host atomics: the guest
 * updates them with locked instructions on the same memory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XENBED_EVTCHN_H
#define XENBED_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t evtchn_port_t;

/* What the embedding (QEMU or a test) provides. */
struct evtchn_env {
    void *opaque;
    /*
     * Host pointer to the guest's shared_info (evtchn_pending and
     * evtchn_mask arrays), or NULL while the guest has none mapped.
     */
    void *(*shared_info)(void *opaque);
    /* Host pointer to vCPU `vcpu`'s vcpu_info, or NULL. */
    void *(*vcpu_info)(void *opaque, uint32_t vcpu);
    /* Deliver the upcall to `vcpu`: evtchn_upcall_pending went 0 -> 1. */
    void (*raise_upcall)(void *opaque, uint32_t vcpu);
};

struct evtchn_domain {
    const struct evtchn_port_ops *ops;
    struct evtchn_env env;
    bool long_mode;             /* 64-bit shared_info layout */
};

struct evtchn_port_ops {
    const char *name;
    uint32_t (*max_ports)(const struct evtchn_domain *d);
    /* Mark `port` pending and notify `vcpu` if it is not masked. */
    void (*set_pending)(struct evtchn_domain *d, uint32_t vcpu,
                        evtchn_port_t port);
    void (*clear_pending)(struct evtchn_domain *d, evtchn_port_t port);
    /* Unmask `port`; a pending event is then delivered to `vcpu`. */
    void (*unmask)(struct evtchn_domain *d, uint32_t vcpu,
                   evtchn_port_t port);
    bool (*is_pending)(const struct evtchn_domain *d, evtchn_port_t port);
    bool (*is_masked)(const struct evtchn_domain *d, evtchn_port_t port);
};

extern const struct evtchn_port_ops evtchn_port_ops_2l;

/* Offsets in the guest ABI (public/xen.h). */
#define EVTCHN_SHINFO_VCPU_INFO_SIZE   64u
#define EVTCHN_SHINFO_MAX_VCPUS        32u
#define EVTCHN_SHINFO_PENDING_OFFSET   (EVTCHN_SHINFO_MAX_VCPUS * \
                                        EVTCHN_SHINFO_VCPU_INFO_SIZE)
#define EVTCHN_VCPU_UPCALL_PENDING     0u
#define EVTCHN_VCPU_UPCALL_MASK        1u

void evtchn_domain_init(struct evtchn_domain *d,
                        const struct evtchn_env *env, bool long_mode);

/* Every ABI operation takes its port range from here; out of range: no-op. */
static inline bool evtchn_port_valid(const struct evtchn_domain *d,
                                     evtchn_port_t port)
{
    return port < d->ops->max_ports(d);
}

#endif
