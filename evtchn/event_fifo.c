/*
 * FIFO-based event channel ABI (Xen 4.4+): one 32-bit event word per port
 * in guest-provided array pages, and per vCPU a control block with one
 * queue HEAD per priority and a READY bitmap.  The hypervisor appends to a
 * queue by writing the LINK field of the queue's tail word; the guest
 * consumes from HEAD.  Only the tail is hypervisor-private.
 *
 * Every operation touches O(1) guest words with bounded retries.  The
 * guest may write anything into its pages at any time; nothing here
 * follows a LINK or reads a HEAD, so garbage only hurts the guest.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evtchn.h"

#define WORD_BIT(bit)   (1u << (bit))

/* The unit test compiles this file with a hook to lose cmpxchg races. */
#ifdef EVTCHN_FIFO_TEST_HOOKS
void evtchn_fifo_test_before_cmpxchg(uint32_t *word);
#else
static inline void evtchn_fifo_test_before_cmpxchg(uint32_t *word)
{
    (void)word;
}
#endif

struct fifo_vcpu {
    uint8_t *cb_page;           /* mapped frame; NULL: no control block */
    uint64_t cb_gfn;
    uint32_t cb_offset;
    uint32_t tail[EVTCHN_FIFO_MAX_QUEUES];   /* 0: queue empty */
};

struct fifo_port {
    uint8_t priority;           /* queue for the next link */
    uint8_t last_priority;      /* queue it was last linked on ... */
    uint32_t last_vcpu;         /* ... so its old tail can be reset */
    bool pending_nopage;        /* raised while no array page covered it */
};

struct evtchn_fifo {
    uint32_t nr_pages;
    uint32_t *array[EVTCHN_FIFO_MAX_PAGES];
    uint64_t array_gfn[EVTCHN_FIFO_MAX_PAGES];
    struct fifo_vcpu *vcpus;    /* d->nr_vcpus entries */
    struct fifo_port *ports;    /* grown on demand, never past max port */
    uint32_t nr_port_slots;
};

static const struct fifo_port default_port = {
    .priority = EVTCHN_FIFO_PRIORITY_DEFAULT,
};

/* ---- guest memory ---- */

static uint32_t word_load(const uint32_t *w)
{
    return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

static uint32_t word_set_bit(uint32_t *w, int bit)
{
    return __atomic_fetch_or(w, WORD_BIT(bit), __ATOMIC_SEQ_CST) &
           WORD_BIT(bit);
}

static uint32_t word_clear_bit(uint32_t *w, int bit)
{
    return __atomic_fetch_and(w, ~WORD_BIT(bit), __ATOMIC_SEQ_CST) &
           WORD_BIT(bit);
}

static void mark_dirty(const struct evtchn_domain *d, uint64_t gfn)
{
    if (d->env.mark_dirty) {
        d->env.mark_dirty(d->env.opaque, gfn);
    }
}

static uint32_t *fifo_word(const struct evtchn_domain *d, evtchn_port_t port)
{
    const struct evtchn_fifo *f = d->fifo;

    if (!f || port > d->fifo_max_port ||
        port >= f->nr_pages * EVTCHN_FIFO_WORDS_PER_PAGE) {
        return NULL;
    }
    return f->array[port / EVTCHN_FIFO_WORDS_PER_PAGE] +
           port % EVTCHN_FIFO_WORDS_PER_PAGE;
}

static void word_dirty(const struct evtchn_domain *d, evtchn_port_t port)
{
    mark_dirty(d, d->fifo->array_gfn[port / EVTCHN_FIFO_WORDS_PER_PAGE]);
}

static uint32_t *cb_ready(const struct fifo_vcpu *v)
{
    return (uint32_t *)(v->cb_page + v->cb_offset + EVTCHN_FIFO_CB_READY);
}

static uint32_t *cb_head(const struct fifo_vcpu *v, unsigned prio)
{
    return (uint32_t *)(v->cb_page + v->cb_offset + EVTCHN_FIFO_CB_HEAD(prio));
}

/* ---- per-port hypervisor state ---- */

static const struct fifo_port *fifo_port_peek(const struct evtchn_domain *d,
                                              evtchn_port_t port)
{
    const struct evtchn_fifo *f = d->fifo;

    return port < f->nr_port_slots ? &f->ports[port] : &default_port;
}

/* The record for `port`, growing the table; NULL past max port or OOM. */
static struct fifo_port *fifo_port_get(struct evtchn_domain *d,
                                       evtchn_port_t port)
{
    struct evtchn_fifo *f = d->fifo;
    uint32_t limit = d->fifo_max_port + 1;
    uint32_t slots;
    struct fifo_port *grown;

    if (port < f->nr_port_slots) {
        return &f->ports[port];
    }
    if (port >= limit) {
        return NULL;
    }
    /* Doubling keeps a 2^17-port bind storm at O(n) total copying. */
    slots = f->nr_port_slots ? f->nr_port_slots * 2 : 64;
    if (slots <= port) {
        slots = port + 1;
    }
    if (slots > limit) {
        slots = limit;
    }
    grown = realloc(f->ports, slots * sizeof(*grown));
    if (!grown) {
        return NULL;
    }
    for (uint32_t i = f->nr_port_slots; i < slots; i++) {
        grown[i] = default_port;
    }
    f->ports = grown;
    f->nr_port_slots = slots;
    return &f->ports[port];
}

/* ---- port operations ---- */

/*
 * Returns 1 if LINK was written, 0 if the tail is no longer LINKED (the
 * guest consumed it: the queue is empty), -EAGAIN if the guest changed
 * the word under us.
 */
static int try_set_link(uint32_t *w, uint32_t *old, evtchn_port_t link)
{
    uint32_t new;

    if (!(*old & WORD_BIT(EVTCHN_FIFO_LINKED))) {
        return 0;
    }
    new = (*old & ~(WORD_BIT(EVTCHN_FIFO_BUSY) | EVTCHN_FIFO_LINK_MASK)) |
          link;
    evtchn_fifo_test_before_cmpxchg(w);
    if (__atomic_compare_exchange_n(w, old, new, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST)) {
        return 1;
    }
    return -EAGAIN;
}

/*
 * Point the tail's LINK at `port` iff the tail is still LINKED.
 *
 * While an event is LINKED the guest may only set MASKED, clear MASKED,
 * clear PENDING, or clear LINKED and LINK together.  Setting BUSY forbids
 * clearing MASKED (the guest spins), so a well-behaved guest can make the
 * cmpxchg fail at most 4 times.  Past that the guest is misbehaving and
 * loses the event, rather than holding us in a loop.
 */
static bool fifo_set_link(struct evtchn_domain *d, evtchn_port_t tail,
                          evtchn_port_t port)
{
    uint32_t *w = fifo_word(d, tail);
    uint32_t old;
    int rc;

    if (!w) {
        return false;
    }
    word_dirty(d, tail);
    old = word_load(w);
    rc = try_set_link(w, &old, port);
    if (rc >= 0) {
        return rc;
    }

    word_set_bit(w, EVTCHN_FIFO_BUSY);
    old = word_load(w);
    for (int try = 0; try < 4; try++) {
        rc = try_set_link(w, &old, port);
        if (rc >= 0) {
            /* A successful cmpxchg cleared BUSY itself. */
            if (rc == 0) {
                word_clear_bit(w, EVTCHN_FIFO_BUSY);
            }
            return rc;
        }
    }
    evtchn_trace(d, EVTCHN_TRACE_LINK_FAILED, UINT32_MAX, port, tail);
    word_clear_bit(w, EVTCHN_FIFO_BUSY);
    return true;
}

static void evtchn_fifo_set_pending(struct evtchn_domain *d, uint32_t vcpu,
                                    evtchn_port_t port)
{
    struct evtchn_fifo *f = d->fifo;
    struct fifo_vcpu *v;
    struct fifo_port *p;
    uint32_t *w, *q_tail, *old_tail;
    unsigned prio;
    bool linked = true;

    /* Port 0 is never linked: a tail or LINK of 0 means "none". */
    if (port == 0 || !evtchn_port_valid(d, port) || vcpu >= d->nr_vcpus) {
        return;
    }
    p = fifo_port_get(d, port);
    if (!p) {
        return;
    }

    /* No array page yet: expand_array raises it when the page arrives. */
    w = fifo_word(d, port);
    if (!w) {
        p->pending_nopage = true;
        evtchn_trace(d, EVTCHN_TRACE_SAVED_NO_PAGE, vcpu, port, 0);
        return;
    }

    /*
     * The guest must not unmask an event before the vCPU has a control
     * block, so dropping it is safe; PENDING stays clear as in Xen.
     */
    v = &f->vcpus[vcpu];
    if (!v->cb_page) {
        evtchn_trace(d, EVTCHN_TRACE_DROPPED_NO_CB, vcpu, port, 0);
        return;
    }

    prio = p->priority;
    q_tail = &v->tail[prio];
    old_tail = &f->vcpus[p->last_vcpu].tail[p->last_priority];

    word_set_bit(w, EVTCHN_FIFO_PENDING);
    word_dirty(d, port);

    /*
     * PENDING && !LINKED is linked again: the guest dequeued the event
     * but has not acked it, and a new event must not be lost.
     */
    if (!(word_load(w) & WORD_BIT(EVTCHN_FIFO_MASKED)) &&
        !word_set_bit(w, EVTCHN_FIFO_LINKED)) {
        /*
         * If the port was its old queue's tail, that queue is now empty;
         * linking a later event behind it would splice the two queues.
         */
        if (*old_tail == port) {
            *old_tail = 0;
        }
        if (old_tail != q_tail) {
            p->last_vcpu = vcpu;
            p->last_priority = prio;
        }

        linked = false;
        if (*q_tail) {
            linked = fifo_set_link(d, *q_tail, port);
        }
        if (!linked) {
            __atomic_store_n(cb_head(v, prio), port, __ATOMIC_SEQ_CST);
            mark_dirty(d, v->cb_gfn);
            evtchn_trace(d, EVTCHN_TRACE_NEW_HEAD, vcpu, port, prio);
        }
        *q_tail = port;
        evtchn_trace(d, EVTCHN_TRACE_LINKED, vcpu, port, prio);
    }

    /* READY only for a new HEAD: a set READY bit means HEAD is valid. */
    if (!linked && !word_set_bit(cb_ready(v), (int)prio)) {
        mark_dirty(d, v->cb_gfn);
        evtchn_vcpu_mark_events_pending(d, vcpu);
    }
}

/* Only PENDING: the guest unlinks and skips events that are not pending. */
static void evtchn_fifo_clear_pending(struct evtchn_domain *d,
                                      evtchn_port_t port)
{
    uint32_t *w;

    if (!evtchn_port_valid(d, port)) {
        return;
    }
    if (port < d->fifo->nr_port_slots) {
        d->fifo->ports[port].pending_nopage = false;
    }
    w = fifo_word(d, port);
    if (w) {
        word_clear_bit(w, EVTCHN_FIFO_PENDING);
        word_dirty(d, port);
    }
}

/* The guest may have cleared MASKED itself already (win-xenbus does). */
static void evtchn_fifo_unmask(struct evtchn_domain *d, uint32_t vcpu,
                               evtchn_port_t port)
{
    uint32_t *w = evtchn_port_valid(d, port) ? fifo_word(d, port) : NULL;

    if (!w) {
        return;
    }
    word_clear_bit(w, EVTCHN_FIFO_MASKED);
    word_dirty(d, port);
    if (word_load(w) & WORD_BIT(EVTCHN_FIFO_PENDING)) {
        evtchn_fifo_set_pending(d, vcpu, port);
    }
}

static bool evtchn_fifo_is_pending(const struct evtchn_domain *d,
                                   evtchn_port_t port)
{
    const uint32_t *w = fifo_word(d, port);

    return w && (word_load(w) & WORD_BIT(EVTCHN_FIFO_PENDING));
}

static bool evtchn_fifo_is_masked(const struct evtchn_domain *d,
                                  evtchn_port_t port)
{
    const uint32_t *w = fifo_word(d, port);

    return !w || (word_load(w) & WORD_BIT(EVTCHN_FIFO_MASKED));
}

static int evtchn_fifo_priority(const struct evtchn_domain *d,
                                evtchn_port_t port)
{
    const struct evtchn_fifo *f = d->fifo;

    return port < f->nr_port_slots ? f->ports[port].priority
                                   : EVTCHN_FIFO_PRIORITY_DEFAULT;
}

/* Still on a queue: reusing it now would corrupt the guest's list. */
static bool evtchn_fifo_is_busy(const struct evtchn_domain *d,
                                evtchn_port_t port)
{
    const uint32_t *w = fifo_word(d, port);

    return w && (word_load(w) & WORD_BIT(EVTCHN_FIFO_LINKED));
}

static uint32_t evtchn_fifo_max_ports(const struct evtchn_domain *d)
{
    return d->fifo_max_port + 1;
}

/* A stale saved event must not fire on the port's next owner. */
static void evtchn_fifo_bind(struct evtchn_domain *d, evtchn_port_t port)
{
    if (port < d->fifo->nr_port_slots) {
        d->fifo->ports[port].priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
        d->fifo->ports[port].pending_nopage = false;
    }
}

/* Applies to the next link only; a queued event stays where it is. */
static int evtchn_fifo_set_priority(struct evtchn_domain *d,
                                    evtchn_port_t port, uint32_t priority)
{
    struct fifo_port *p;

    if (priority > EVTCHN_FIFO_PRIORITY_MIN) {
        return -EINVAL;
    }
    p = fifo_port_get(d, port);
    if (!p) {
        return -ENOMEM;
    }
    p->priority = priority;
    return 0;
}

static void evtchn_fifo_port_state(const struct evtchn_domain *d,
                                   evtchn_port_t port,
                                   struct evtchn_port_state *st)
{
    const struct fifo_port *p = fifo_port_peek(d, port);
    const uint32_t *w = fifo_word(d, port);

    st->priority = p->priority;
    st->last_vcpu = p->last_vcpu;
    st->last_priority = p->last_priority;
    st->saved_pending = p->pending_nopage;
    if (w) {
        uint32_t val = word_load(w);

        st->has_word = true;
        st->linked = val & WORD_BIT(EVTCHN_FIFO_LINKED);
        st->busy = val & WORD_BIT(EVTCHN_FIFO_BUSY);
        st->link = val & EVTCHN_FIFO_LINK_MASK;
    }
}

/* An empty event array and idle queues for every vCPU (XSA-107). */
static int evtchn_fifo_setup(struct evtchn_domain *d)
{
    struct evtchn_fifo *f = calloc(1, sizeof(*f));

    if (!f) {
        return -ENOMEM;
    }
    f->vcpus = calloc(d->nr_vcpus ? d->nr_vcpus : 1, sizeof(*f->vcpus));
    if (!f->vcpus) {
        free(f);
        return -ENOMEM;
    }
    d->fifo = f;
    return 0;
}

static void evtchn_fifo_teardown(struct evtchn_domain *d)
{
    struct evtchn_fifo *f = d->fifo;

    if (!f) {
        return;
    }
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        if (f->vcpus[i].cb_page) {
            d->env.unmap_gfn(d->env.opaque, f->vcpus[i].cb_gfn,
                             f->vcpus[i].cb_page);
        }
    }
    for (uint32_t i = 0; i < f->nr_pages; i++) {
        d->env.unmap_gfn(d->env.opaque, f->array_gfn[i], f->array[i]);
    }
    free(f->vcpus);
    free(f->ports);
    free(f);
    d->fifo = NULL;
}

const struct evtchn_port_ops evtchn_port_ops_fifo = {
    .name = "FIFO",
    .max_ports = evtchn_fifo_max_ports,
    .set_pending = evtchn_fifo_set_pending,
    .clear_pending = evtchn_fifo_clear_pending,
    .unmask = evtchn_fifo_unmask,
    .priority = evtchn_fifo_priority,
    .is_pending = evtchn_fifo_is_pending,
    .is_masked = evtchn_fifo_is_masked,
    .is_busy = evtchn_fifo_is_busy,
    .bind = evtchn_fifo_bind,
    .set_priority = evtchn_fifo_set_priority,
    .port_state = evtchn_fifo_port_state,
    .setup = evtchn_fifo_setup,
    .teardown = evtchn_fifo_teardown,
};

/* ---- hypercalls ---- */

static bool fifo_ready_pending(const struct fifo_vcpu *v)
{
    return v->cb_page && word_load(cb_ready(v)) != 0;
}

void evtchn_vcpu_info_changed(struct evtchn_domain *d, uint32_t vcpu)
{
    if (d->fifo && vcpu < d->nr_vcpus &&
        fifo_ready_pending(&d->fifo->vcpus[vcpu])) {
        evtchn_vcpu_mark_events_pending(d, vcpu);
    }
}

static int map_control_block(struct evtchn_domain *d, uint32_t vcpu,
                             uint64_t gfn, uint32_t offset)
{
    struct fifo_vcpu *v = &d->fifo->vcpus[vcpu];
    uint8_t *page;

    /* There is no unregister; only reset removes a control block. */
    if (v->cb_page) {
        return -EINVAL;
    }
    page = d->env.map_gfn(d->env.opaque, gfn);
    if (!page) {
        return -EINVAL;
    }
    v->cb_gfn = gfn;
    v->cb_offset = offset;
    memset(v->tail, 0, sizeof(v->tail));
    v->cb_page = page;

    /* A READY bit the guest left set must still get its upcall. */
    if (fifo_ready_pending(v)) {
        evtchn_vcpu_mark_events_pending(d, vcpu);
    }
    return 0;
}

/*
 * First control block: switch the domain from 2-level.  Bound ports keep
 * their 2-level pending bit as a saved event, raised when their array
 * page arrives; mask bits are not carried over (the new pages decide).
 */
static int fifo_switch_from_2l(struct evtchn_domain *d, uint64_t gfn,
                               uint32_t offset, uint32_t vcpu)
{
    uint32_t prev_ports = d->ops->max_ports(d);
    int rc;

    rc = evtchn_port_ops_fifo.setup(d);
    if (rc < 0) {
        return rc;
    }
    rc = map_control_block(d, vcpu, gfn, offset);
    for (evtchn_port_t port = 1; rc == 0 && port < prev_ports; port++) {
        uint32_t notify_vcpu;
        struct fifo_port *p;

        if (!d->env.port_bound(d->env.opaque, port, &notify_vcpu) ||
            !evtchn_port_ops_2l.is_pending(d, port)) {
            continue;
        }
        p = fifo_port_get(d, port);
        if (p) {
            p->pending_nopage = true;
        } else if (port <= d->fifo_max_port) {
            rc = -ENOMEM;
        }
    }
    if (rc < 0) {
        evtchn_port_ops_fifo.teardown(d);
        return rc;
    }
    d->ops = &evtchn_port_ops_fifo;
    evtchn_trace(d, EVTCHN_TRACE_ABI_SWITCH, vcpu, UINT32_MAX, 1);
    return 0;
}

int evtchn_fifo_init_control(struct evtchn_domain *d, uint64_t control_gfn,
                             uint32_t offset, uint32_t vcpu,
                             uint8_t *link_bits)
{
    int rc;

    if (link_bits) {
        *link_bits = EVTCHN_FIFO_LINK_BITS;
    }
    if (!d->env.map_gfn || !d->env.port_bound) {
        rc = -ENOSYS;
    } else if (vcpu >= d->nr_vcpus) {
        rc = -ENOENT;
    } else if (offset > EVTCHN_FIFO_PAGE_SIZE - EVTCHN_FIFO_CB_SIZE ||
               (offset & 7)) {
        /* Must not cross the page; must be 8-byte aligned. */
        rc = -EINVAL;
    } else if (!d->fifo) {
        rc = fifo_switch_from_2l(d, control_gfn, offset, vcpu);
    } else {
        rc = map_control_block(d, vcpu, control_gfn, offset);
    }
    evtchn_trace(d, EVTCHN_TRACE_INIT_CONTROL, vcpu, UINT32_MAX, rc);
    return rc;
}

/* Raise the events saved while [first, end) had no page. */
static void fifo_raise_saved(struct evtchn_domain *d, evtchn_port_t first,
                             evtchn_port_t end)
{
    struct evtchn_fifo *f = d->fifo;

    if (end > f->nr_port_slots) {
        end = f->nr_port_slots;
    }
    for (evtchn_port_t port = first; port < end; port++) {
        uint32_t notify_vcpu;

        if (!f->ports[port].pending_nopage) {
            continue;
        }
        f->ports[port].pending_nopage = false;
        if (d->env.port_bound(d->env.opaque, port, &notify_vcpu)) {
            evtchn_fifo_set_pending(d, notify_vcpu, port);
        }
    }
}

int evtchn_fifo_expand_array(struct evtchn_domain *d, uint64_t array_gfn)
{
    struct evtchn_fifo *f = d->fifo;
    evtchn_port_t first, end;
    uint32_t *page;
    int rc = 0;

    if (!f) {
        rc = -EOPNOTSUPP;
        goto out;
    }
    if (f->nr_pages >= EVTCHN_FIFO_MAX_PAGES) {
        rc = -ENOSPC;
        goto out;
    }
    first = f->nr_pages * EVTCHN_FIFO_WORDS_PER_PAGE;
    end = first + EVTCHN_FIFO_WORDS_PER_PAGE;
    /* Every port with a word has a record: set_pending never allocates. */
    if (first <= d->fifo_max_port &&
        !fifo_port_get(d, end <= d->fifo_max_port ? end - 1
                                                  : d->fifo_max_port)) {
        rc = -ENOMEM;
        goto out;
    }
    page = d->env.map_gfn(d->env.opaque, array_gfn);
    if (!page) {
        rc = -EINVAL;
        goto out;
    }
    f->array[f->nr_pages] = page;
    f->array_gfn[f->nr_pages] = array_gfn;
    f->nr_pages++;
    fifo_raise_saved(d, first, end);
out:
    evtchn_trace(d, EVTCHN_TRACE_EXPAND_ARRAY, UINT32_MAX, UINT32_MAX, rc);
    return rc;
}

/* ---- migration ---- */

int evtchn_fifo_save(const struct evtchn_domain *d,
                     struct evtchn_fifo_save *s)
{
    const struct evtchn_fifo *f = d->fifo;

    memset(s, 0, sizeof(*s));
    if (!f) {
        return 0;
    }
    s->fifo = true;
    s->nr_pages = f->nr_pages;
    memcpy(s->array_gfn, f->array_gfn, sizeof(s->array_gfn));
    s->nr_vcpus = d->nr_vcpus;
    s->vcpus = calloc(d->nr_vcpus ? d->nr_vcpus : 1, sizeof(*s->vcpus));
    s->nr_ports = f->nr_port_slots;
    s->ports = calloc(f->nr_port_slots ? f->nr_port_slots : 1,
                      sizeof(*s->ports));
    if (!s->vcpus || !s->ports) {
        evtchn_fifo_save_free(s);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < d->nr_vcpus; i++) {
        const struct fifo_vcpu *v = &f->vcpus[i];

        s->vcpus[i].has_control_block = v->cb_page != NULL;
        s->vcpus[i].control_gfn = v->cb_gfn;
        s->vcpus[i].control_offset = v->cb_offset;
        memcpy(s->vcpus[i].tail, v->tail, sizeof(v->tail));
    }
    for (uint32_t i = 0; i < f->nr_port_slots; i++) {
        s->ports[i].priority = f->ports[i].priority;
        s->ports[i].last_priority = f->ports[i].last_priority;
        s->ports[i].last_vcpu = f->ports[i].last_vcpu;
        s->ports[i].pending_nopage = f->ports[i].pending_nopage;
    }
    return 0;
}

void evtchn_fifo_save_free(struct evtchn_fifo_save *s)
{
    free(s->vcpus);
    free(s->ports);
    memset(s, 0, sizeof(*s));
}

/* The stream is untrusted too: every index must stay in range. */
static bool fifo_save_valid(const struct evtchn_domain *d,
                            const struct evtchn_fifo_save *s)
{
    uint32_t nr_words = s->nr_pages * EVTCHN_FIFO_WORDS_PER_PAGE;

    if (s->nr_pages > EVTCHN_FIFO_MAX_PAGES || s->nr_vcpus > d->nr_vcpus ||
        s->nr_ports > d->fifo_max_port + 1) {
        return false;
    }
    for (uint32_t i = 0; i < s->nr_vcpus; i++) {
        const struct evtchn_fifo_vcpu_save *v = &s->vcpus[i];

        if (v->control_offset > EVTCHN_FIFO_PAGE_SIZE - EVTCHN_FIFO_CB_SIZE ||
            (v->control_offset & 7)) {
            return false;
        }
        for (unsigned q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++) {
            if (v->tail[q] >= nr_words || v->tail[q] > d->fifo_max_port) {
                return false;
            }
        }
    }
    for (uint32_t i = 0; i < s->nr_ports; i++) {
        if (s->ports[i].priority > EVTCHN_FIFO_PRIORITY_MIN ||
            s->ports[i].last_priority > EVTCHN_FIFO_PRIORITY_MIN ||
            s->ports[i].last_vcpu >= d->nr_vcpus) {
            return false;
        }
    }
    return true;
}

int evtchn_fifo_restore(struct evtchn_domain *d,
                        const struct evtchn_fifo_save *s)
{
    struct evtchn_fifo *f;
    int rc;

    evtchn_reset_abi(d);
    if (!s->fifo) {
        return 0;
    }
    if (!d->env.map_gfn || !fifo_save_valid(d, s)) {
        return -EINVAL;
    }
    rc = evtchn_port_ops_fifo.setup(d);
    if (rc < 0) {
        return rc;
    }
    f = d->fifo;
    if (s->nr_ports && !fifo_port_get(d, s->nr_ports - 1)) {
        rc = -ENOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < s->nr_ports; i++) {
        f->ports[i].priority = s->ports[i].priority;
        f->ports[i].last_priority = s->ports[i].last_priority;
        f->ports[i].last_vcpu = s->ports[i].last_vcpu;
        f->ports[i].pending_nopage = s->ports[i].pending_nopage;
    }
    for (uint32_t i = 0; i < s->nr_pages; i++) {
        f->array[i] = d->env.map_gfn(d->env.opaque, s->array_gfn[i]);
        if (!f->array[i]) {
            rc = -EINVAL;
            goto fail;
        }
        f->array_gfn[i] = s->array_gfn[i];
        f->nr_pages++;
    }
    for (uint32_t i = 0; i < s->nr_vcpus; i++) {
        struct fifo_vcpu *v = &f->vcpus[i];

        if (!s->vcpus[i].has_control_block) {
            continue;
        }
        v->cb_page = d->env.map_gfn(d->env.opaque, s->vcpus[i].control_gfn);
        if (!v->cb_page) {
            rc = -EINVAL;
            goto fail;
        }
        v->cb_gfn = s->vcpus[i].control_gfn;
        v->cb_offset = s->vcpus[i].control_offset;
        memcpy(v->tail, s->vcpus[i].tail, sizeof(v->tail));
    }
    d->ops = &evtchn_port_ops_fifo;
    return 0;

fail:
    evtchn_port_ops_fifo.teardown(d);
    return rc;
}
