/*
 * Event channel port ABIs behind one port-ops table, after Xen's
 * event_2l.c / event_fifo.c split.
 *
 * Plain C, no QEMU headers.  Guest memory and upcall injection come in
 * through struct evtchn_env, so the same code runs inside QEMU and in the
 * unit tests.  Shared words are accessed with host atomics: the guest
 * updates them with locked instructions on the same memory.
 *
 * Locking: the embedder serialises every call into this library for one
 * domain (QEMU holds XenEvtchnState's port_lock).  The library takes no
 * locks itself; the only concurrency it handles is guest vCPUs writing
 * guest memory, with bounded atomic protocols.  No call ever follows a
 * guest-written LINK chain or reads a queue HEAD.
 *
 * The embedder's part, as Xen's event_channel.c does it: call
 * evtchn_port_bind() when a port is bound, ops->clear_pending() when it
 * is closed, ops->unmask() (EVTCHNOP_unmask) only for a bound port,
 * evtchn_alloc_port() so that busy ports are skipped, and
 * evtchn_vcpu_info_changed() when a vCPU registers its vcpu_info.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XENBED_EVTCHN_H
#define XENBED_EVTCHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t evtchn_port_t;

/* Typed trace points, one per guest-visible ABI operation. */
enum evtchn_trace_event {
    EVTCHN_TRACE_SET_PENDING,       /* arg: priority (FIFO) */
    EVTCHN_TRACE_LINKED,            /* queued; arg: priority */
    EVTCHN_TRACE_NEW_HEAD,          /* HEAD written; arg: priority */
    EVTCHN_TRACE_UPCALL,            /* upcall injected */
    EVTCHN_TRACE_SAVED_NO_PAGE,     /* no event-array page yet */
    EVTCHN_TRACE_DROPPED_NO_CB,     /* vCPU has no control block */
    EVTCHN_TRACE_LINK_FAILED,       /* guest broke the BUSY protocol */
    EVTCHN_TRACE_CLEAR_PENDING,
    EVTCHN_TRACE_UNMASK,
    EVTCHN_TRACE_INIT_CONTROL,      /* arg: return code */
    EVTCHN_TRACE_EXPAND_ARRAY,      /* arg: return code */
    EVTCHN_TRACE_SET_PRIORITY,      /* arg: return code */
    EVTCHN_TRACE_ABI_SWITCH,        /* arg: 1 = now FIFO, 0 = now 2-level */
    EVTCHN_TRACE__MAX,
};

const char *evtchn_trace_name(enum evtchn_trace_event ev);

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

    /*
     * FIFO only (NULL map_gfn or port_bound: the FIFO hypercalls return
     * -ENOSYS).  map_gfn returns a host pointer to the 4 KiB guest frame
     * `gfn` if it is writable RAM, else NULL; each successful map is
     * released by exactly one unmap_gfn.
     */
    void *(*map_gfn)(void *opaque, uint64_t gfn);
    void (*unmap_gfn)(void *opaque, uint64_t gfn, void *host);
    /* Optional: the library wrote into `gfn` (for migration). */
    void (*mark_dirty)(void *opaque, uint64_t gfn);
    /*
     * Is `port` bound (not free or reserved)?  If so, set *vcpu to its
     * notify vCPU.  Used at the 2-level -> FIFO switch and to re-raise
     * saved events when an array page arrives.
     */
    bool (*port_bound)(void *opaque, evtchn_port_t port, uint32_t *vcpu);
    /* Optional: trace hook; vcpu or port is UINT32_MAX when not relevant. */
    void (*trace)(void *opaque, enum evtchn_trace_event ev, uint32_t vcpu,
                  evtchn_port_t port, int64_t arg);
};

struct evtchn_fifo;             /* private to event_fifo.c */
struct evtchn_port_state;

struct evtchn_domain {
    const struct evtchn_port_ops *ops;
    struct evtchn_env env;
    bool long_mode;             /* 64-bit shared_info layout */
    uint32_t nr_vcpus;          /* vCPU ids 0 .. nr_vcpus - 1 exist */
    uint32_t fifo_max_port;     /* highest port under FIFO */
    struct evtchn_fifo *fifo;   /* NULL under 2-level */
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
    /* NULL: the ABI has no priorities (2-level). */
    int (*priority)(const struct evtchn_domain *d, evtchn_port_t port);
    bool (*is_pending)(const struct evtchn_domain *d, evtchn_port_t port);
    bool (*is_masked)(const struct evtchn_domain *d, evtchn_port_t port);
    /* A closed port that is still queued must not be reallocated. */
    bool (*is_busy)(const struct evtchn_domain *d, evtchn_port_t port);
    /* A port was just bound (Xen's `init` hook). */
    void (*bind)(struct evtchn_domain *d, evtchn_port_t port);
    /* NULL: the ABI has no priorities (EVTCHNOP_set_priority -ENOSYS). */
    int (*set_priority)(struct evtchn_domain *d, evtchn_port_t port,
                        uint32_t priority);
    /* Fill the ABI-specific fields of `st`. */
    void (*port_state)(const struct evtchn_domain *d, evtchn_port_t port,
                       struct evtchn_port_state *st);
    /* Install / drop this ABI's per-domain state. */
    int (*setup)(struct evtchn_domain *d);
    void (*teardown)(struct evtchn_domain *d);
};

extern const struct evtchn_port_ops evtchn_port_ops_2l;
extern const struct evtchn_port_ops evtchn_port_ops_fifo;

/* Offsets in the guest ABI (public/xen.h). */
#define EVTCHN_SHINFO_VCPU_INFO_SIZE   64u
#define EVTCHN_SHINFO_MAX_VCPUS        32u
#define EVTCHN_SHINFO_PENDING_OFFSET   (EVTCHN_SHINFO_MAX_VCPUS * \
                                        EVTCHN_SHINFO_VCPU_INFO_SIZE)
#define EVTCHN_VCPU_UPCALL_PENDING     0u
#define EVTCHN_VCPU_UPCALL_MASK        1u

/*
 * FIFO ABI: defined token for token as public/event_channel.h defines
 * them, so that this header and Xen's (QEMU's include/hw/xen/interface/)
 * can be included in one file.
 */
#define EVTCHN_FIFO_PRIORITY_MAX     0
#define EVTCHN_FIFO_PRIORITY_DEFAULT 7
#define EVTCHN_FIFO_PRIORITY_MIN     15
#define EVTCHN_FIFO_MAX_QUEUES (EVTCHN_FIFO_PRIORITY_MIN + 1)

typedef uint32_t event_word_t;

#define EVTCHN_FIFO_PENDING 31
#define EVTCHN_FIFO_MASKED  30
#define EVTCHN_FIFO_LINKED  29
#define EVTCHN_FIFO_BUSY    28

#define EVTCHN_FIFO_LINK_BITS 17
#define EVTCHN_FIFO_LINK_MASK ((1 << EVTCHN_FIFO_LINK_BITS) - 1)

#define EVTCHN_FIFO_NR_CHANNELS (1 << EVTCHN_FIFO_LINK_BITS)

/* The core's own, which Xen's public headers do not define. */
#define EVTCHN_FIFO_MAX_PORT           (EVTCHN_FIFO_NR_CHANNELS - 1)
#define EVTCHN_FIFO_PAGE_SIZE          4096u
#define EVTCHN_FIFO_WORDS_PER_PAGE     (EVTCHN_FIFO_PAGE_SIZE / 4)
#define EVTCHN_FIFO_MAX_PAGES          (EVTCHN_FIFO_NR_CHANNELS / \
                                        EVTCHN_FIFO_WORDS_PER_PAGE)
/* Control block: uint32 ready, uint32 pad, uint32 head[16]. */
#define EVTCHN_FIFO_CB_SIZE            72u
#define EVTCHN_FIFO_CB_READY           0u
#define EVTCHN_FIFO_CB_HEAD(prio)      (8u + 4u * (prio))

/*
 * Start a domain under 2-level.  `nr_vcpus` bounds the vCPU ids FIFO
 * accepts (size it for max_cpus); `fifo_max_port` caps ports under FIFO
 * (at most EVTCHN_FIFO_MAX_PORT).
 */
void evtchn_domain_init(struct evtchn_domain *d,
                        const struct evtchn_env *env, bool long_mode,
                        uint32_t nr_vcpus, uint32_t fifo_max_port);
/* Drop all ABI state (unmaps every FIFO page); the domain is 2-level. */
void evtchn_domain_destroy(struct evtchn_domain *d);

/* Every ABI operation takes its port range from here; out of range: no-op. */
static inline bool evtchn_port_valid(const struct evtchn_domain *d,
                                     evtchn_port_t port)
{
    return port < d->ops->max_ports(d);
}

static inline bool evtchn_abi_is_fifo(const struct evtchn_domain *d)
{
    return d->ops == &evtchn_port_ops_fifo;
}

/* Set evtchn_upcall_pending in vcpu_info; inject if it went 0 -> 1. */
void evtchn_vcpu_mark_events_pending(struct evtchn_domain *d, uint32_t vcpu);

/*
 * `vcpu` registered a vcpu_info: under FIFO, a control block whose READY
 * word is already non-zero gets the upcall it could not receive before.
 */
void evtchn_vcpu_info_changed(struct evtchn_domain *d, uint32_t vcpu);

/*
 * Hypercalls.  Each returns 0 or a negative Xen errno, checking in Xen's
 * order.  The embedder copies the guest structs in and out.
 */
int evtchn_fifo_init_control(struct evtchn_domain *d, uint64_t control_gfn,
                             uint32_t offset, uint32_t vcpu,
                             uint8_t *link_bits);
int evtchn_fifo_expand_array(struct evtchn_domain *d, uint64_t array_gfn);
/*
 * EVTCHNOP_set_priority.  `port_in_use`: the port is bound (not free,
 * reserved or consumed by the emulator itself).
 */
int evtchn_set_priority(struct evtchn_domain *d, evtchn_port_t port,
                        bool port_in_use, uint32_t priority);

/*
 * EVTCHNOP_reset, soft reset, reboot: back to 2-level with all FIFO state
 * gone.  Call after closing the guest's ports.
 */
void evtchn_reset_abi(struct evtchn_domain *d);

/* A port was bound: priority back to the default. */
void evtchn_port_bind(struct evtchn_domain *d, evtchn_port_t port);

/*
 * Which ports are in use, for allocation: the lowest free port is found
 * in O(max_ports / 4096) word reads plus one per busy port skipped, so
 * binding all 2^17 ports is not quadratic.  Port 0 is always in use.
 */
#define EVTCHN_PORT_MAP_WORDS   (EVTCHN_FIFO_NR_CHANNELS / 64)
struct evtchn_port_map {
    uint64_t used[EVTCHN_PORT_MAP_WORDS];           /* bit: port in use */
    uint64_t full[EVTCHN_PORT_MAP_WORDS / 64];      /* bit: used[] all set */
};

void evtchn_port_map_init(struct evtchn_port_map *m);
void evtchn_port_map_set(struct evtchn_port_map *m, evtchn_port_t port,
                         bool in_use);
bool evtchn_port_map_test(const struct evtchn_port_map *m,
                          evtchn_port_t port);
/*
 * Mark and return the lowest port below max_ports that is neither in use
 * nor busy (still queued after close), or -ENOSPC.
 */
int evtchn_alloc_port(const struct evtchn_domain *d,
                      struct evtchn_port_map *m);

/* Introspection, e.g. for QMP xen-event-list. */
struct evtchn_port_state {
    bool pending;
    bool masked;
    bool linked;                /* FIFO only */
    bool busy;                  /* FIFO BUSY bit */
    bool has_word;              /* FIFO: an event-array page covers it */
    bool saved_pending;         /* FIFO: pending while it had no page */
    uint8_t priority;           /* FIFO; 2-level reports the default */
    uint32_t last_vcpu;         /* FIFO queue it was last linked on */
    uint8_t last_priority;
    uint32_t link;              /* FIFO LINK field as the guest left it */
};
void evtchn_port_get_state(const struct evtchn_domain *d, evtchn_port_t port,
                           struct evtchn_port_state *st);

/*
 * Migration.  Guest memory holds the event words, HEAD and READY; this is
 * everything else.  evtchn_fifo_save() fills `s` (allocating its arrays;
 * release with evtchn_fifo_save_free()); evtchn_fifo_restore() re-maps
 * every frame and installs the state, or returns -EINVAL (a frame is not
 * RAM) / -ENOMEM and leaves the domain 2-level.
 */
struct evtchn_fifo_vcpu_save {
    bool has_control_block;
    uint64_t control_gfn;
    uint32_t control_offset;
    uint32_t tail[EVTCHN_FIFO_MAX_QUEUES];
};

struct evtchn_fifo_port_save {
    uint8_t priority;
    uint8_t last_priority;
    bool pending_nopage;
    uint32_t last_vcpu;
};

struct evtchn_fifo_save {
    bool fifo;                  /* false: 2-level, nothing else is set */
    uint32_t nr_pages;
    uint64_t array_gfn[EVTCHN_FIFO_MAX_PAGES];
    uint32_t nr_vcpus;
    struct evtchn_fifo_vcpu_save *vcpus;
    uint32_t nr_ports;
    struct evtchn_fifo_port_save *ports;
};

int evtchn_fifo_save(const struct evtchn_domain *d,
                     struct evtchn_fifo_save *s);
void evtchn_fifo_save_free(struct evtchn_fifo_save *s);
int evtchn_fifo_restore(struct evtchn_domain *d,
                        const struct evtchn_fifo_save *s);

/* Internal: trace through the env hook if there is one. */
static inline void evtchn_trace(const struct evtchn_domain *d,
                                enum evtchn_trace_event ev, uint32_t vcpu,
                                evtchn_port_t port, int64_t arg)
{
    if (d->env.trace) {
        d->env.trace(d->env.opaque, ev, vcpu, port, arg);
    }
}

/*
 * Port operations, dispatched as Xen's xen/event.h does: callers use
 * these rather than d->ops, so that each operation is traced once and
 * the same way under either ABI (set_pending with the port's priority,
 * -1 for 2-level).  A port outside the current ABI's range is ignored.
 */
static inline void evtchn_port_set_pending(struct evtchn_domain *d,
                                           uint32_t vcpu, evtchn_port_t port)
{
    if (!evtchn_port_valid(d, port)) {
        return;
    }
    evtchn_trace(d, EVTCHN_TRACE_SET_PENDING, vcpu, port,
                 d->ops->priority ? d->ops->priority(d, port) : -1);
    d->ops->set_pending(d, vcpu, port);
}

static inline void evtchn_port_clear_pending(struct evtchn_domain *d,
                                             evtchn_port_t port)
{
    if (!evtchn_port_valid(d, port)) {
        return;
    }
    evtchn_trace(d, EVTCHN_TRACE_CLEAR_PENDING, UINT32_MAX, port, 0);
    d->ops->clear_pending(d, port);
}

/* A pending event is then delivered to `vcpu`. */
static inline void evtchn_port_unmask(struct evtchn_domain *d, uint32_t vcpu,
                                      evtchn_port_t port)
{
    if (!evtchn_port_valid(d, port)) {
        return;
    }
    evtchn_trace(d, EVTCHN_TRACE_UNMASK, vcpu, port, 0);
    d->ops->unmask(d, vcpu, port);
}

static inline bool evtchn_port_is_pending(const struct evtchn_domain *d,
                                          evtchn_port_t port)
{
    return evtchn_port_valid(d, port) && d->ops->is_pending(d, port);
}

/* A port outside the range reads as masked, as Xen's evtchn_is_masked. */
static inline bool evtchn_port_is_masked(const struct evtchn_domain *d,
                                         evtchn_port_t port)
{
    return !evtchn_port_valid(d, port) || d->ops->is_masked(d, port);
}

#endif
