/*
 * ABI-independent event channel code: domain lifetime, the upcall,
 * hypercalls that only dispatch, port allocation and introspection.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <string.h>

#include "evtchn.h"

static const char *const trace_names[EVTCHN_TRACE__MAX] = {
    [EVTCHN_TRACE_SET_PENDING] = "set_pending",
    [EVTCHN_TRACE_LINKED] = "linked",
    [EVTCHN_TRACE_NEW_HEAD] = "new_head",
    [EVTCHN_TRACE_UPCALL] = "upcall",
    [EVTCHN_TRACE_SAVED_NO_PAGE] = "saved_no_page",
    [EVTCHN_TRACE_DROPPED_NO_CB] = "dropped_no_control_block",
    [EVTCHN_TRACE_LINK_FAILED] = "link_failed",
    [EVTCHN_TRACE_CLEAR_PENDING] = "clear_pending",
    [EVTCHN_TRACE_UNMASK] = "unmask",
    [EVTCHN_TRACE_INIT_CONTROL] = "init_control",
    [EVTCHN_TRACE_EXPAND_ARRAY] = "expand_array",
    [EVTCHN_TRACE_SET_PRIORITY] = "set_priority",
    [EVTCHN_TRACE_ABI_SWITCH] = "abi_switch",
};

const char *evtchn_trace_name(enum evtchn_trace_event ev)
{
    if ((unsigned)ev >= EVTCHN_TRACE__MAX) {
        return "unknown";
    }
    return trace_names[ev];
}

void evtchn_domain_init(struct evtchn_domain *d,
                        const struct evtchn_env *env, bool long_mode,
                        uint32_t nr_vcpus, uint32_t fifo_max_port)
{
    memset(d, 0, sizeof(*d));
    d->ops = &evtchn_port_ops_2l;
    d->env = *env;
    d->long_mode = long_mode;
    d->nr_vcpus = nr_vcpus;
    if (fifo_max_port > EVTCHN_FIFO_MAX_PORT) {
        fifo_max_port = EVTCHN_FIFO_MAX_PORT;
    }
    d->fifo_max_port = fifo_max_port;
}

void evtchn_domain_destroy(struct evtchn_domain *d)
{
    evtchn_reset_abi(d);
}

void evtchn_reset_abi(struct evtchn_domain *d)
{
    if (d->ops == &evtchn_port_ops_2l) {
        return;
    }
    d->ops->teardown(d);
    d->ops = &evtchn_port_ops_2l;
    evtchn_trace(d, EVTCHN_TRACE_ABI_SWITCH, UINT32_MAX, UINT32_MAX, 0);
}

void evtchn_vcpu_mark_events_pending(struct evtchn_domain *d, uint32_t vcpu)
{
    uint8_t *vi = d->env.vcpu_info(d->env.opaque, vcpu);

    /* No vcpu_info yet: evtchn_vcpu_info_changed() catches up later. */
    if (!vi) {
        return;
    }
    if (!__atomic_exchange_n(vi + EVTCHN_VCPU_UPCALL_PENDING, 1,
                             __ATOMIC_SEQ_CST)) {
        evtchn_trace(d, EVTCHN_TRACE_UPCALL, vcpu, UINT32_MAX, 0);
        d->env.raise_upcall(d->env.opaque, vcpu);
    }
}

int evtchn_set_priority(struct evtchn_domain *d, evtchn_port_t port,
                        bool port_in_use, uint32_t priority)
{
    int rc;

    /* Xen's order: port validity, then the ABI, then the port's state. */
    if (!evtchn_port_valid(d, port)) {
        rc = -EINVAL;
    } else if (!d->ops->set_priority) {
        rc = -ENOSYS;
    } else if (!port_in_use) {
        rc = -EACCES;
    } else {
        rc = d->ops->set_priority(d, port, priority);
    }
    evtchn_trace(d, EVTCHN_TRACE_SET_PRIORITY, UINT32_MAX, port, rc);
    return rc;
}

void evtchn_port_bind(struct evtchn_domain *d, evtchn_port_t port)
{
    if (d->ops->bind && evtchn_port_valid(d, port)) {
        d->ops->bind(d, port);
    }
}

void evtchn_port_map_init(struct evtchn_port_map *m)
{
    memset(m, 0, sizeof(*m));
    evtchn_port_map_set(m, 0, true);
}

void evtchn_port_map_set(struct evtchn_port_map *m, evtchn_port_t port,
                         bool in_use)
{
    uint32_t w = port / 64;

    /* Port 0 is reserved: it is never handed out, whatever the caller. */
    if (port >= EVTCHN_FIFO_NR_CHANNELS || (port == 0 && !in_use)) {
        return;
    }
    if (in_use) {
        m->used[w] |= 1ull << (port % 64);
    } else {
        m->used[w] &= ~(1ull << (port % 64));
    }
    if (m->used[w] == UINT64_MAX) {
        m->full[w / 64] |= 1ull << (w % 64);
    } else {
        m->full[w / 64] &= ~(1ull << (w % 64));
    }
}

bool evtchn_port_map_test(const struct evtchn_port_map *m,
                          evtchn_port_t port)
{
    return port < EVTCHN_FIFO_NR_CHANNELS &&
           (m->used[port / 64] & (1ull << (port % 64)));
}

int evtchn_alloc_port(const struct evtchn_domain *d,
                      struct evtchn_port_map *m)
{
    uint32_t max = d->ops->max_ports(d);

    for (uint32_t i = 0; i < EVTCHN_PORT_MAP_WORDS / 64; i++) {
        for (uint64_t words = ~m->full[i]; words; words &= words - 1) {
            uint32_t w = i * 64 + __builtin_ctzll(words);

            for (uint64_t bits = ~m->used[w]; bits; bits &= bits - 1) {
                evtchn_port_t port = w * 64 + __builtin_ctzll(bits);

                if (port >= max) {
                    return -ENOSPC;
                }
                if (!d->ops->is_busy(d, port)) {
                    evtchn_port_map_set(m, port, true);
                    return port;
                }
            }
        }
    }
    return -ENOSPC;
}

void evtchn_port_get_state(const struct evtchn_domain *d, evtchn_port_t port,
                           struct evtchn_port_state *st)
{
    memset(st, 0, sizeof(*st));
    st->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
    st->last_priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
    st->pending = d->ops->is_pending(d, port);
    st->masked = d->ops->is_masked(d, port);
    if (d->ops->port_state && evtchn_port_valid(d, port)) {
        d->ops->port_state(d, port, st);
    }
}
