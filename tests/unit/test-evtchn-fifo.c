/*
 * FIFO event channel ABI against simulated guest RAM, with a simulated
 * guest consumer that follows Linux's events_fifo.c protocol.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <string.h>

#include "evtchn.h"

#define PAGE            EVTCHN_FIFO_PAGE_SIZE
#define RAM_PAGES       160u            /* gfns 0..159 are RAM */
#define ROM_GFN         500u            /* anything else is not */
#define NR_VCPUS        4u
#define MAX_PORT        EVTCHN_FIFO_MAX_PORT
#define GUARD_BYTE      0xa5
#define CB_GFN(vcpu)    (1u + (vcpu))   /* one control block page each */
#define ARRAY_GFN(i)    (10u + (i))     /* event array pages */

#define PENDING         (1u << EVTCHN_FIFO_PENDING)
#define MASKED          (1u << EVTCHN_FIFO_MASKED)
#define LINKED          (1u << EVTCHN_FIFO_LINKED)
#define BUSY            (1u << EVTCHN_FIFO_BUSY)
#define LINK_MASK       EVTCHN_FIFO_LINK_MASK
#define RESERVED_BITS   0x0ffe0000u     /* bits 17..27 */

/* The guest's private consumer state for one vCPU. */
typedef struct {
    uint32_t local_head[EVTCHN_FIFO_MAX_QUEUES];
} GuestVcpu;

typedef struct Fixture Fixture;
typedef void (*CmpxchgHook)(Fixture *fx, uint32_t *word);

struct Fixture {
    /* Each page sits between two guard pages; teardown checks them. */
    uint8_t *ram_alloc[RAM_PAGES];
    int maps[RAM_PAGES];
    unsigned dirty[RAM_PAGES];
    uint8_t *shinfo;
    unsigned upcalls[NR_VCPUS];
    unsigned traces[EVTCHN_TRACE__MAX];
    uint8_t *bound;                     /* per port */
    uint32_t *notify_vcpu;              /* per port */
    GuestVcpu guest[NR_VCPUS];
    uint32_t array_pages;               /* pages handed to expand_array */
    CmpxchgHook cmpxchg_hook;
    unsigned hook_calls;
    unsigned hook_saw_busy;
    /* The embedder's lock; pthread so that TSan understands it. */
    pthread_mutex_t port_lock;
    struct evtchn_domain d;
};

static Fixture *hooked_fixture;

static uint8_t *ram(Fixture *fx, uint64_t gfn)
{
    return fx->ram_alloc[gfn] + PAGE;
}

/* ---- env callbacks ---- */

static void *fx_shared_info(void *opaque)
{
    return ((Fixture *)opaque)->shinfo;
}

static void *fx_vcpu_info(void *opaque, uint32_t vcpu)
{
    Fixture *fx = opaque;

    return vcpu < NR_VCPUS ? fx->shinfo + vcpu * EVTCHN_SHINFO_VCPU_INFO_SIZE
                           : NULL;
}

static void fx_raise_upcall(void *opaque, uint32_t vcpu)
{
    Fixture *fx = opaque;

    g_assert_cmpuint(vcpu, <, NR_VCPUS);
    __atomic_fetch_add(&fx->upcalls[vcpu], 1, __ATOMIC_SEQ_CST);
}

static void *fx_map_gfn(void *opaque, uint64_t gfn)
{
    Fixture *fx = opaque;

    if (gfn >= RAM_PAGES) {
        return NULL;
    }
    fx->maps[gfn]++;
    return ram(fx, gfn);
}

static void fx_unmap_gfn(void *opaque, uint64_t gfn, void *host)
{
    Fixture *fx = opaque;

    g_assert_cmpuint(gfn, <, RAM_PAGES);
    g_assert_true(host == ram(fx, gfn));
    g_assert_cmpint(fx->maps[gfn], >, 0);
    fx->maps[gfn]--;
}

static void fx_mark_dirty(void *opaque, uint64_t gfn)
{
    Fixture *fx = opaque;

    g_assert_cmpuint(gfn, <, RAM_PAGES);
    __atomic_fetch_add(&fx->dirty[gfn], 1, __ATOMIC_SEQ_CST);
}

static bool fx_port_bound(void *opaque, evtchn_port_t port, uint32_t *vcpu)
{
    Fixture *fx = opaque;

    g_assert_cmpuint(port, <=, MAX_PORT);
    *vcpu = fx->notify_vcpu[port];
    return fx->bound[port];
}

static void fx_trace(void *opaque, enum evtchn_trace_event ev, uint32_t vcpu,
                     evtchn_port_t port, int64_t arg)
{
    Fixture *fx = opaque;

    g_assert_cmpint(ev, <, EVTCHN_TRACE__MAX);
    g_assert_cmpstr(evtchn_trace_name(ev), !=, "unknown");
    __atomic_fetch_add(&fx->traces[ev], 1, __ATOMIC_SEQ_CST);
}

void evtchn_fifo_test_before_cmpxchg(uint32_t *word);
void evtchn_fifo_test_before_cmpxchg(uint32_t *word)
{
    Fixture *fx = hooked_fixture;

    if (fx && fx->cmpxchg_hook) {
        fx->hook_calls++;
        fx->cmpxchg_hook(fx, word);
    }
}

static void fx_init_domain(Fixture *fx, uint32_t max_port)
{
    struct evtchn_env env = {
        .opaque = fx,
        .shared_info = fx_shared_info,
        .vcpu_info = fx_vcpu_info,
        .raise_upcall = fx_raise_upcall,
        .map_gfn = fx_map_gfn,
        .unmap_gfn = fx_unmap_gfn,
        .mark_dirty = fx_mark_dirty,
        .port_bound = fx_port_bound,
        .trace = fx_trace,
    };

    evtchn_domain_init(&fx->d, &env, true, NR_VCPUS, max_port);
}

static void fx_setup(Fixture *fx, gconstpointer unused)
{
    memset(fx, 0, sizeof(*fx));
    for (unsigned i = 0; i < RAM_PAGES; i++) {
        fx->ram_alloc[i] = g_aligned_alloc(3, PAGE, PAGE);
        memset(fx->ram_alloc[i], GUARD_BYTE, 3 * PAGE);
        memset(ram(fx, i), 0, PAGE);
    }
    fx->shinfo = g_aligned_alloc0(1, PAGE, PAGE);
    fx->bound = g_malloc0(EVTCHN_FIFO_NR_CHANNELS);
    fx->notify_vcpu = g_new0(uint32_t, EVTCHN_FIFO_NR_CHANNELS);
    pthread_mutex_init(&fx->port_lock, NULL);
    hooked_fixture = fx;
    fx_init_domain(fx, MAX_PORT);
}

static void fx_teardown(Fixture *fx, gconstpointer unused)
{
    evtchn_domain_destroy(&fx->d);
    g_assert_false(evtchn_abi_is_fifo(&fx->d));
    for (unsigned i = 0; i < RAM_PAGES; i++) {
        const uint8_t *a = fx->ram_alloc[i];

        /* Every map was unmapped; nothing was written outside a page. */
        g_assert_cmpint(fx->maps[i], ==, 0);
        for (unsigned b = 0; b < PAGE; b++) {
            if (a[b] != GUARD_BYTE || a[2 * PAGE + b] != GUARD_BYTE) {
                g_error("gfn %u: guard byte %u overwritten", i, b);
            }
        }
        g_aligned_free(fx->ram_alloc[i]);
    }
    hooked_fixture = NULL;
    pthread_mutex_destroy(&fx->port_lock);
    g_aligned_free(fx->shinfo);
    g_free(fx->bound);
    g_free(fx->notify_vcpu);
}

/* ---- guest-side view ---- */

static uint32_t *guest_word(Fixture *fx, evtchn_port_t port)
{
    g_assert_cmpuint(port / EVTCHN_FIFO_WORDS_PER_PAGE, <, fx->array_pages);
    return (uint32_t *)ram(fx, ARRAY_GFN(port / EVTCHN_FIFO_WORDS_PER_PAGE)) +
           port % EVTCHN_FIFO_WORDS_PER_PAGE;
}

static uint32_t word(Fixture *fx, evtchn_port_t port)
{
    return __atomic_load_n(guest_word(fx, port), __ATOMIC_SEQ_CST);
}

static uint32_t *cb_field(Fixture *fx, uint32_t vcpu, uint32_t off)
{
    return (uint32_t *)(ram(fx, CB_GFN(vcpu)) + off);
}

static uint32_t ready(Fixture *fx, uint32_t vcpu)
{
    return __atomic_load_n(cb_field(fx, vcpu, EVTCHN_FIFO_CB_READY),
                           __ATOMIC_SEQ_CST);
}

static uint32_t head(Fixture *fx, uint32_t vcpu, unsigned prio)
{
    return __atomic_load_n(cb_field(fx, vcpu, EVTCHN_FIFO_CB_HEAD(prio)),
                           __ATOMIC_SEQ_CST);
}

static uint8_t *upcall_pending(Fixture *fx, uint32_t vcpu)
{
    return fx->shinfo + vcpu * EVTCHN_SHINFO_VCPU_INFO_SIZE +
           EVTCHN_VCPU_UPCALL_PENDING;
}

static void init_cb(Fixture *fx, uint32_t vcpu)
{
    uint8_t link_bits = 0;

    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, CB_GFN(vcpu), 0, vcpu,
                                             &link_bits), ==, 0);
    g_assert_cmpuint(link_bits, ==, EVTCHN_FIFO_LINK_BITS);
    g_assert_true(evtchn_abi_is_fifo(&fx->d));
}

/* Linux initialises every word of a new page to MASKED first. */
static void expand(Fixture *fx, bool masked)
{
    uint32_t *w = (uint32_t *)ram(fx, ARRAY_GFN(fx->array_pages));

    for (unsigned i = 0; i < EVTCHN_FIFO_WORDS_PER_PAGE; i++) {
        w[i] = masked ? MASKED : 0;
    }
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d,
                                             ARRAY_GFN(fx->array_pages)),
                    ==, 0);
    fx->array_pages++;
}

/* The usual start: vCPU 0..n-1 with control blocks, unmasked pages. */
static void start_fifo(Fixture *fx, unsigned vcpus, unsigned pages)
{
    for (unsigned v = 0; v < vcpus; v++) {
        init_cb(fx, v);
    }
    for (unsigned i = 0; i < pages; i++) {
        expand(fx, false);
    }
}

static void bind(Fixture *fx, evtchn_port_t port, uint32_t vcpu)
{
    fx->bound[port] = 1;
    fx->notify_vcpu[port] = vcpu;
    evtchn_port_bind(&fx->d, port);
}

static void send(Fixture *fx, evtchn_port_t port)
{
    evtchn_port_set_pending(&fx->d, fx->notify_vcpu[port], port);
}

static void send_locked(Fixture *fx, evtchn_port_t port)
{
    pthread_mutex_lock(&fx->port_lock);
    send(fx, port);
    pthread_mutex_unlock(&fx->port_lock);
}

/* Linux clear_linked(): returns the old LINK. */
static uint32_t guest_clear_linked(uint32_t *w)
{
    uint32_t old = __atomic_load_n(w, __ATOMIC_SEQ_CST);

    while (!__atomic_compare_exchange_n(w, &old,
                                        old & ~(LINKED | LINK_MASK), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old & LINK_MASK;
}

/*
 * Linux evtchn_fifo_unmask(): clear MASKED unless PENDING (then it is the
 * hypervisor's job) and never while BUSY (the cmpxchg expects it clear).
 */
static void guest_unmask(Fixture *fx, evtchn_port_t port)
{
    uint32_t *w = guest_word(fx, port);
    uint32_t old = __atomic_load_n(w, __ATOMIC_SEQ_CST);

    for (;;) {
        if (!(old & MASKED)) {
            return;
        }
        if (old & PENDING) {
            pthread_mutex_lock(&fx->port_lock);
            evtchn_port_unmask(&fx->d, fx->notify_vcpu[port], port);
            pthread_mutex_unlock(&fx->port_lock);
            return;
        }
        old &= ~BUSY;
        if (__atomic_compare_exchange_n(w, &old, old & ~MASKED, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            return;
        }
    }
}

typedef void (*Dispatch)(Fixture *fx, uint32_t vcpu, evtchn_port_t port,
                         void *opaque);

/* Linux consume_one_event(). */
static void guest_consume_one(Fixture *fx, uint32_t vcpu, unsigned q,
                              uint32_t *ready_local, Dispatch dispatch,
                              void *opaque)
{
    GuestVcpu *g = &fx->guest[vcpu];
    evtchn_port_t port = g->local_head[q];
    uint32_t next, w;

    if (!port) {
        port = head(fx, vcpu, q);
    }
    g_assert_cmpuint(port, !=, 0);
    g_assert_cmpuint(port, <=, MAX_PORT);
    next = guest_clear_linked(guest_word(fx, port));
    if (!next) {
        *ready_local &= ~(1u << q);
    }
    w = word(fx, port);
    if ((w & PENDING) && !(w & MASKED)) {
        dispatch(fx, vcpu, port, opaque);
    }
    g->local_head[q] = next;
}

/* Linux __evtchn_fifo_handle_events() after the upcall. */
static void guest_handle_events(Fixture *fx, uint32_t vcpu, Dispatch dispatch,
                                void *opaque)
{
    uint32_t *cb_ready = cb_field(fx, vcpu, EVTCHN_FIFO_CB_READY);
    uint32_t r = __atomic_exchange_n(cb_ready, 0, __ATOMIC_SEQ_CST);

    while (r) {
        unsigned q = __builtin_ctz(r);

        guest_consume_one(fx, vcpu, q, &r, dispatch, opaque);
        r |= __atomic_exchange_n(cb_ready, 0, __ATOMIC_SEQ_CST);
    }
}

/* Until nothing is left: the upcall flag, READY and local heads. */
static void guest_drain(Fixture *fx, uint32_t vcpu, Dispatch dispatch,
                        void *opaque)
{
    __atomic_store_n(upcall_pending(fx, vcpu), 0, __ATOMIC_SEQ_CST);
    guest_handle_events(fx, vcpu, dispatch, opaque);
    for (unsigned q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++) {
        g_assert_cmpuint(fx->guest[vcpu].local_head[q], ==, 0);
    }
}

/* Ack like Linux's handler: clear PENDING; record the port. */
static void record_dispatch(Fixture *fx, uint32_t vcpu, evtchn_port_t port,
                            void *opaque)
{
    GArray *seen = opaque;

    __atomic_fetch_and(guest_word(fx, port), ~PENDING, __ATOMIC_SEQ_CST);
    g_array_append_val(seen, port);
}

static GArray *drain_ports(Fixture *fx, uint32_t vcpu)
{
    GArray *seen = g_array_new(false, false, sizeof(evtchn_port_t));

    guest_drain(fx, vcpu, record_dispatch, seen);
    return seen;
}

/* ---- 5.1 scenario 1: init_control ---- */

static void test_init_control_errors(Fixture *fx, gconstpointer unused)
{
    uint8_t link_bits = 0;

    /* The vCPU is checked before the offset. */
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 1, 4025, NR_VCPUS,
                                             &link_bits), ==, -ENOENT);
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 1, 0, UINT32_MAX,
                                             NULL), ==, -ENOENT);
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 1, 4025, 0, NULL),
                    ==, -EINVAL);
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 1, 4032, 0, NULL),
                    ==, -EINVAL);
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 1, 4, 0, NULL),
                    ==, -EINVAL);
    /* Non-RAM on the first call: the switch is undone. */
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, ROM_GFN, 0, 0, NULL),
                    ==, -EINVAL);
    g_assert_false(evtchn_abi_is_fifo(&fx->d));
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 10), ==, -EOPNOTSUPP);

    /* The last 72 bytes of a page are a legal control block. */
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 1, 4024, 0,
                                             &link_bits), ==, 0);
    g_assert_cmpuint(link_bits, ==, 17);
    g_assert_true(evtchn_abi_is_fifo(&fx->d));
    g_assert_cmpstr(fx->d.ops->name, ==, "FIFO");
    g_assert_cmpint(fx->maps[1], ==, 1);

    /* No re-registration, not even of the same frame. */
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 1, 4024, 0, NULL),
                    ==, -EINVAL);
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 2, 0, 0, NULL),
                    ==, -EINVAL);
    /* Non-RAM once FIFO is on: this vCPU just stays without one. */
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, ROM_GFN, 0, 1, NULL),
                    ==, -EINVAL);
    g_assert_true(evtchn_abi_is_fifo(&fx->d));
    g_assert_cmpint(fx->maps[1], ==, 1);
    g_assert_cmpint(fx->maps[2], ==, 0);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_INIT_CONTROL], ==, 10);
}

/* ---- scenario 2: expand_array ---- */

static void test_expand_array_errors(Fixture *fx, gconstpointer unused)
{
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 10), ==, -EOPNOTSUPP);
    init_cb(fx, 0);
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, ROM_GFN), ==, -EINVAL);
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, UINT64_MAX), ==,
                    -EINVAL);
    /* The same frame twice, and the control block's frame: allowed. */
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 10), ==, 0);
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 10), ==, 0);
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, CB_GFN(0)), ==, 0);
    g_assert_cmpint(fx->maps[10], ==, 2);
    g_assert_cmpint(fx->maps[CB_GFN(0)], ==, 2);
    for (unsigned i = 3; i < EVTCHN_FIFO_MAX_PAGES; i++) {
        g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 20), ==, 0);
    }
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 21), ==, -ENOSPC);
    g_assert_cmpint(fx->maps[21], ==, 0);

    /* The aliased pages work (for the guest's definition of work). */
    bind(fx, 1025, 0);
    send(fx, 1025);
    g_assert_true(evtchn_port_is_pending(&fx->d, 1025));
    g_assert_true(evtchn_port_is_pending(&fx->d, 1));
    evtchn_reset_abi(&fx->d);
    for (unsigned i = 0; i < RAM_PAGES; i++) {
        g_assert_cmpint(fx->maps[i], ==, 0);
    }
}

/* ---- scenario 3: set_priority ---- */

static void test_set_priority(Fixture *fx, gconstpointer unused)
{
    g_assert_cmpint(evtchn_set_priority(&fx->d, 3, true, 1), ==, -ENOSYS);
    start_fifo(fx, 1, 1);
    bind(fx, 3, 0);
    bind(fx, 4, 0);
    g_assert_cmpint(evtchn_set_priority(&fx->d, MAX_PORT + 1, true, 1),
                    ==, -EINVAL);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 5, false, 1), ==, -EACCES);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 3, true, 16), ==, -EINVAL);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 3, true, 15), ==, 0);

    /* Linked at 15; a change now applies to the next link only. */
    send(fx, 3);
    g_assert_cmpuint(head(fx, 0, 15), ==, 3);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 3, true, 0), ==, 0);
    send(fx, 3);
    g_assert_cmpuint(head(fx, 0, 0), ==, 0);
    g_assert_cmphex(ready(fx, 0), ==, 1u << 15);

    g_autoptr(GArray) seen = drain_ports(fx, 0);
    g_assert_cmpuint(seen->len, ==, 1);
    send(fx, 3);
    g_assert_cmpuint(head(fx, 0, 0), ==, 3);
    g_assert_cmphex(ready(fx, 0), ==, 1u << 0);

    /* A new bind restores the default priority. */
    bind(fx, 4, 0);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 4, true, 2), ==, 0);
    bind(fx, 4, 0);
    send(fx, 4);
    g_assert_cmpuint(head(fx, 0, EVTCHN_FIFO_PRIORITY_DEFAULT), ==, 4);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_SET_PRIORITY], ==, 7);
}

/* ---- scenario 4: one queue ---- */

static void test_single_then_second_event(Fixture *fx, gconstpointer unused)
{
    struct evtchn_port_state st;

    start_fifo(fx, 2, 1);
    bind(fx, 5, 1);
    bind(fx, 9, 1);
    send(fx, 5);
    g_assert_cmphex(word(fx, 5), ==, PENDING | LINKED);
    g_assert_cmpuint(head(fx, 1, 7), ==, 5);
    g_assert_cmphex(ready(fx, 1), ==, 1u << 7);
    g_assert_cmpuint(fx->upcalls[1], ==, 1);
    g_assert_cmpuint(*upcall_pending(fx, 1), ==, 1);
    g_assert_cmpuint(fx->upcalls[0], ==, 0);
    g_assert_cmphex(ready(fx, 0), ==, 0);

    /* Behind the first: LINK only, no READY change, no upcall. */
    *upcall_pending(fx, 1) = 0;
    send(fx, 9);
    g_assert_cmphex(word(fx, 5), ==, PENDING | LINKED | 9);
    g_assert_cmphex(word(fx, 9), ==, PENDING | LINKED);
    g_assert_cmpuint(head(fx, 1, 7), ==, 5);
    g_assert_cmpuint(fx->upcalls[1], ==, 1);
    g_assert_cmpuint(*upcall_pending(fx, 1), ==, 0);

    /* Sending a linked port again changes nothing. */
    send(fx, 5);
    g_assert_cmphex(word(fx, 5), ==, PENDING | LINKED | 9);

    evtchn_port_get_state(&fx->d, 5, &st);
    g_assert_true(st.pending && st.linked && st.has_word);
    g_assert_false(st.masked || st.busy || st.saved_pending);
    g_assert_cmpuint(st.priority, ==, 7);
    g_assert_cmpuint(st.last_vcpu, ==, 1);
    g_assert_cmpuint(st.last_priority, ==, 7);
    g_assert_cmpuint(st.link, ==, 9);
    g_assert_true(fx->d.ops->is_busy(&fx->d, 5));

    /* The guest sees them in order. */
    g_autoptr(GArray) seen = drain_ports(fx, 1);
    g_assert_cmpuint(seen->len, ==, 2);
    g_assert_cmpuint(g_array_index(seen, evtchn_port_t, 0), ==, 5);
    g_assert_cmpuint(g_array_index(seen, evtchn_port_t, 1), ==, 9);
    g_assert_false(fx->d.ops->is_busy(&fx->d, 5));

    /* Every hypervisor write was reported for migration. */
    g_assert_cmpuint(fx->dirty[ARRAY_GFN(0)], >, 0);
    g_assert_cmpuint(fx->dirty[CB_GFN(1)], >, 0);
    g_assert_cmpuint(fx->dirty[CB_GFN(0)], ==, 0);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_LINKED], ==, 2);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_NEW_HEAD], ==, 1);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_UPCALL], ==, 1);
    /* The dispatch wrapper traced each send once, as under 2-level. */
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_SET_PENDING], ==, 3);
}

/* ---- scenario 5: the tail is consumed under our feet ---- */

static void hook_consume_tail(Fixture *fx, uint32_t *w)
{
    guest_clear_linked(w);
}

static void test_tail_consumed_concurrently(Fixture *fx, gconstpointer unused)
{
    start_fifo(fx, 1, 1);
    bind(fx, 5, 0);
    bind(fx, 6, 0);
    send(fx, 5);
    /* The guest reads HEAD and dequeues 5 between our read and cmpxchg. */
    fx->guest[0].local_head[7] = 0;
    __atomic_store_n(cb_field(fx, 0, EVTCHN_FIFO_CB_READY), 0,
                     __ATOMIC_SEQ_CST);
    fx->cmpxchg_hook = hook_consume_tail;
    send(fx, 6);
    fx->cmpxchg_hook = NULL;
    g_assert_cmpuint(fx->hook_calls, ==, 1);
    /* Then 6 is a new HEAD, with READY and an upcall; BUSY is gone. */
    g_assert_cmphex(word(fx, 5), ==, PENDING);
    g_assert_cmphex(word(fx, 6), ==, PENDING | LINKED);
    g_assert_cmpuint(head(fx, 0, 7), ==, 6);
    g_assert_cmphex(ready(fx, 0), ==, 1u << 7);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);
}

/* ---- scenario 6: BUSY ---- */

/* A guest that keeps toggling MASKED, ignoring BUSY. */
static void hook_toggle_mask(Fixture *fx, uint32_t *w)
{
    if (__atomic_load_n(w, __ATOMIC_SEQ_CST) & BUSY) {
        fx->hook_saw_busy++;
    }
    __atomic_fetch_xor(w, MASKED, __ATOMIC_SEQ_CST);
}

/* A well-behaved guest's unmask, tried while BUSY is set. */
static void hook_guest_unmask_busy(Fixture *fx, uint32_t *w)
{
    uint32_t old = __atomic_load_n(w, __ATOMIC_SEQ_CST);

    if (old & BUSY) {
        uint32_t expect = old & ~BUSY;

        fx->hook_saw_busy++;
        /* Linux's cmpxchg expects BUSY clear, so it cannot succeed. */
        g_assert_false(__atomic_compare_exchange_n(w, &expect,
                                                   expect & ~MASKED, false,
                                                   __ATOMIC_SEQ_CST,
                                                   __ATOMIC_SEQ_CST));
        return;
    }
    /* Before BUSY: the guest sets MASKED, making our cmpxchg fail. */
    __atomic_fetch_or(w, MASKED, __ATOMIC_SEQ_CST);
}

static void test_busy_protocol(Fixture *fx, gconstpointer unused)
{
    start_fifo(fx, 1, 1);
    bind(fx, 5, 0);
    bind(fx, 6, 0);
    bind(fx, 7, 0);
    send(fx, 5);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);

    /* Misbehaving guest: 1 + 4 failures, then we give up and return. */
    fx->cmpxchg_hook = hook_toggle_mask;
    send(fx, 6);
    fx->cmpxchg_hook = NULL;
    g_assert_cmpuint(fx->hook_calls, ==, 5);
    g_assert_cmpuint(fx->hook_saw_busy, ==, 4);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_LINK_FAILED], ==, 1);
    g_assert_cmphex(word(fx, 5) & (BUSY | LINK_MASK), ==, 0);
    /* The event counts as linked: no new HEAD, no upcall; 6 is the tail. */
    g_assert_cmpuint(head(fx, 0, 7), ==, 5);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);
    g_assert_cmphex(word(fx, 6), ==, PENDING | LINKED);

    /* Well-behaved guest masking 6, then unmasking while BUSY: waits. */
    fx->hook_calls = fx->hook_saw_busy = 0;
    fx->cmpxchg_hook = hook_guest_unmask_busy;
    send(fx, 7);
    fx->cmpxchg_hook = NULL;
    g_assert_cmpuint(fx->hook_saw_busy, ==, 1);
    g_assert_cmpuint(fx->hook_calls, ==, 2);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_LINK_FAILED], ==, 1);
    g_assert_cmphex(word(fx, 6), ==, PENDING | LINKED | MASKED | 7);
}

/* ---- scenario 7, 8 ---- */

static void test_masked_then_unmask(Fixture *fx, gconstpointer unused)
{
    start_fifo(fx, 1, 0);
    expand(fx, true);
    bind(fx, 70, 0);
    send(fx, 70);
    g_assert_cmphex(word(fx, 70), ==, PENDING | MASKED);
    g_assert_cmphex(ready(fx, 0), ==, 0);
    g_assert_cmpuint(fx->upcalls[0], ==, 0);
    g_assert_true(evtchn_port_is_masked(&fx->d, 70));

    /* Linux's unmask sees PENDING and asks the hypervisor. */
    guest_unmask(fx, 70);
    g_assert_cmphex(word(fx, 70), ==, PENDING | LINKED);
    g_assert_cmpuint(head(fx, 0, 7), ==, 70);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);

    /* An unmask hypercall with MASKED already clear is harmless. */
    evtchn_port_unmask(&fx->d, 0, 70);
    g_assert_cmphex(word(fx, 70), ==, PENDING | LINKED);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);

    /* Not pending: no link. */
    __atomic_fetch_or(guest_word(fx, 71), MASKED, __ATOMIC_SEQ_CST);
    evtchn_port_unmask(&fx->d, 0, 71);
    g_assert_cmphex(word(fx, 71), ==, 0);
}

static void test_relink_pending_unlinked(Fixture *fx, gconstpointer unused)
{
    start_fifo(fx, 1, 1);
    bind(fx, 12, 0);
    send(fx, 12);
    /* Dequeued but not acked yet. */
    __atomic_store_n(cb_field(fx, 0, EVTCHN_FIFO_CB_READY), 0,
                     __ATOMIC_SEQ_CST);
    guest_clear_linked(guest_word(fx, 12));
    g_assert_cmphex(word(fx, 12), ==, PENDING);
    send(fx, 12);
    g_assert_cmphex(word(fx, 12), ==, PENDING | LINKED);
    g_assert_cmpuint(head(fx, 0, 7), ==, 12);
    g_assert_cmphex(ready(fx, 0), ==, 1u << 7);
}

/* ---- scenario 9: queue change while linked (e33d4257fc) ---- */

static void test_queue_change_while_linked(Fixture *fx, gconstpointer arg)
{
    bool change_vcpu = GPOINTER_TO_INT(arg);
    uint32_t new_vcpu = change_vcpu ? 1 : 0;
    unsigned new_prio = change_vcpu ? 7 : 3;

    start_fifo(fx, 2, 1);
    bind(fx, 20, 0);
    bind(fx, 21, 0);
    send(fx, 20);
    if (change_vcpu) {
        fx->notify_vcpu[20] = 1;
    } else {
        g_assert_cmpint(evtchn_set_priority(&fx->d, 20, true, 3), ==, 0);
    }
    /* Still linked: stays where it is. */
    send(fx, 20);
    g_assert_cmphex(word(fx, 20), ==, PENDING | LINKED);
    g_assert_cmpuint(head(fx, new_vcpu, new_prio), ==, 0);

    /* Consumed, then raised on the new queue. */
    g_autoptr(GArray) seen = drain_ports(fx, 0);
    g_assert_cmpuint(seen->len, ==, 1);
    send(fx, 20);
    g_assert_cmpuint(head(fx, new_vcpu, new_prio), ==, 20);
    g_assert_cmphex(ready(fx, new_vcpu), ==, 1u << new_prio);

    /*
     * The old queue's tail was 20 and is reset: 21 becomes a new HEAD
     * there instead of being spliced behind 20 on the new queue.
     */
    send(fx, 21);
    g_assert_cmphex(word(fx, 20) & LINK_MASK, ==, 0);
    g_assert_cmpuint(head(fx, 0, 7), ==, 21);
    g_assert_true(ready(fx, 0) & (1u << 7));
}

/* ---- scenario 10, 11 ---- */

static void test_event_without_page(Fixture *fx, gconstpointer unused)
{
    struct evtchn_port_state st;

    start_fifo(fx, 1, 1);
    bind(fx, 1500, 0);
    bind(fx, 1501, 0);
    send(fx, 1500);
    send(fx, 1501);
    evtchn_port_clear_pending(&fx->d, 1501);
    g_assert_false(evtchn_port_is_pending(&fx->d, 1500));
    g_assert_true(evtchn_port_is_masked(&fx->d, 1500));
    evtchn_port_get_state(&fx->d, 1500, &st);
    g_assert_true(st.saved_pending);
    g_assert_false(st.has_word);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_SAVED_NO_PAGE], ==, 2);

    expand(fx, true);
    g_assert_cmphex(word(fx, 1500), ==, PENDING | MASKED);
    g_assert_cmphex(word(fx, 1501), ==, MASKED);
    g_assert_cmpuint(fx->upcalls[0], ==, 0);
    evtchn_port_get_state(&fx->d, 1500, &st);
    g_assert_false(st.saved_pending);

    guest_unmask(fx, 1500);
    g_assert_cmphex(word(fx, 1500), ==, PENDING | LINKED);
    g_assert_cmpuint(head(fx, 0, 7), ==, 1500);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);
}

static void test_no_control_block(Fixture *fx, gconstpointer unused)
{
    start_fifo(fx, 1, 1);
    bind(fx, 30, 2);
    send(fx, 30);
    g_assert_cmphex(word(fx, 30), ==, 0);
    g_assert_cmpuint(fx->upcalls[2], ==, 0);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_DROPPED_NO_CB], ==, 1);
    /* Out-of-range vCPUs are ignored too. */
    evtchn_port_set_pending(&fx->d, NR_VCPUS, 30);
    g_assert_cmphex(word(fx, 30), ==, 0);
}

/* ---- 1.7: READY already set when the vCPU can take upcalls ---- */

static void test_ready_at_registration(Fixture *fx, gconstpointer unused)
{
    init_cb(fx, 0);
    *cb_field(fx, 1, EVTCHN_FIFO_CB_READY) = 1u << 4;
    init_cb(fx, 1);
    g_assert_cmpuint(fx->upcalls[1], ==, 1);

    /* A vCPU with no vcpu_info yet gets it when vcpu_info appears. */
    __atomic_store_n(upcall_pending(fx, 1), 0, __ATOMIC_SEQ_CST);
    evtchn_vcpu_info_changed(&fx->d, 1);
    g_assert_cmpuint(fx->upcalls[1], ==, 2);
    evtchn_vcpu_info_changed(&fx->d, 0);
    evtchn_vcpu_info_changed(&fx->d, 3);
    evtchn_vcpu_info_changed(&fx->d, 99);
    g_assert_cmpuint(fx->upcalls[0] + fx->upcalls[3], ==, 0);
}

/* ---- scenario 12: 2-level -> FIFO ---- */

static void set_2l_pending(Fixture *fx, evtchn_port_t port)
{
    uint8_t *pending = fx->shinfo + EVTCHN_SHINFO_PENDING_OFFSET;

    pending[port / 8] |= 1u << (port % 8);
}

static void test_switch_carries_pending(Fixture *fx, gconstpointer unused)
{
    /* Bound under 2-level (xenstore, console), one event each pending. */
    bind(fx, 1, 0);
    bind(fx, 2, 0);
    bind(fx, 4095, 1);
    evtchn_port_set_pending(&fx->d, 0, 1);
    evtchn_port_set_pending(&fx->d, 1, 4095);
    set_2l_pending(fx, 3);              /* not bound: stale */
    g_assert_cmpuint(fx->upcalls[0], ==, 1);

    start_fifo(fx, 2, 0);
    g_assert_false(evtchn_port_is_pending(&fx->d, 1));
    expand(fx, true);
    g_assert_cmphex(word(fx, 1), ==, PENDING | MASKED);
    g_assert_cmphex(word(fx, 2), ==, MASKED);
    g_assert_cmphex(word(fx, 3), ==, MASKED);
    guest_unmask(fx, 1);
    g_assert_cmpuint(head(fx, 0, 7), ==, 1);
    for (int i = 0; i < 3; i++) {
        expand(fx, true);
    }
    g_assert_cmphex(word(fx, 4095), ==, PENDING | MASKED);
    guest_unmask(fx, 4095);
    g_assert_cmpuint(head(fx, 1, 7), ==, 4095);
    g_assert_cmpuint(fx->d.ops->max_ports(&fx->d), ==, MAX_PORT + 1);
}

/* ---- scenario 13: allocation ---- */

static void test_alloc_port(Fixture *fx, gconstpointer unused)
{
    g_autofree struct evtchn_port_map *map = g_new(struct evtchn_port_map, 1);

    evtchn_port_map_init(map);
    evtchn_port_map_set(map, 0, false);
    g_assert_true(evtchn_port_map_test(map, 0));
    evtchn_domain_destroy(&fx->d);
    fx_init_domain(fx, 1023);
    start_fifo(fx, 1, 1);
    for (evtchn_port_t p = 1; p <= 5; p++) {
        g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, p);
        bind(fx, p, 0);
    }
    send(fx, 2);
    send(fx, 3);
    /* Closed while linked: 2 and 3 are busy, 4 is free. */
    for (evtchn_port_t p = 2; p <= 4; p++) {
        fx->bound[p] = 0;
        evtchn_port_clear_pending(&fx->d, p);
        evtchn_port_map_set(map, p, false);
    }
    g_assert_true(fx->d.ops->is_busy(&fx->d, 2));
    g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, 4);
    g_assert_true(evtchn_port_map_test(map, 4));
    g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, 6);
    /* The guest skips the non-pending entries and the ports free up. */
    g_autoptr(GArray) seen = drain_ports(fx, 0);
    g_assert_cmpuint(seen->len, ==, 0);
    g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, 2);
    g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, 3);
    for (evtchn_port_t p = 7; p <= 1023; p++) {
        g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, p);
    }
    g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, -ENOSPC);
    evtchn_port_map_set(map, 700, false);
    g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, 700);
    g_assert_false(evtchn_port_valid(&fx->d, 1024));
    g_assert_cmpint(evtchn_set_priority(&fx->d, 1024, true, 1), ==, -EINVAL);
    /* Pages beyond the cap map, but their ports stay invalid. */
    expand(fx, false);
    send(fx, 1024);
    g_assert_cmphex(word(fx, 1024), ==, 0);
}

/* ---- scenario 14: reset ---- */

static void test_reset(Fixture *fx, gconstpointer unused)
{
    start_fifo(fx, 2, 2);
    bind(fx, 5, 0);
    send(fx, 5);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 5, true, 2), ==, 0);
    evtchn_reset_abi(&fx->d);
    g_assert_false(evtchn_abi_is_fifo(&fx->d));
    g_assert_null(fx->d.fifo);
    g_assert_cmpuint(fx->d.ops->max_ports(&fx->d), ==, 4096);
    for (unsigned i = 0; i < RAM_PAGES; i++) {
        g_assert_cmpint(fx->maps[i], ==, 0);
    }
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 10), ==, -EOPNOTSUPP);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 5, true, 2), ==, -ENOSYS);

    /* kexec: the new kernel starts over with fresh pages. */
    memset(ram(fx, CB_GFN(0)), 0, PAGE);
    memset(ram(fx, CB_GFN(1)), 0, PAGE);
    fx->array_pages = 0;
    memset(fx->guest, 0, sizeof(fx->guest));
    start_fifo(fx, 2, 1);
    send(fx, 5);
    g_assert_cmpuint(head(fx, 0, 7), ==, 5);
}

typedef struct {
    Fixture *fx;
    gint stop;
    unsigned expands;
} ResetRace;

static gpointer reset_race_expander(gpointer opaque)
{
    ResetRace *rr = opaque;
    Fixture *fx = rr->fx;

    while (!g_atomic_int_get(&rr->stop)) {
        int rc;

        pthread_mutex_lock(&fx->port_lock);
        rc = evtchn_fifo_expand_array(&fx->d, ARRAY_GFN(0));
        g_assert_true(rc == 0 || rc == -EOPNOTSUPP || rc == -ENOSPC);
        if (rc == 0) {
            rr->expands++;
        }
        pthread_mutex_unlock(&fx->port_lock);
    }
    return NULL;
}

/* XSA-505 analogue: under the port lock, reset and expand serialise. */
static void test_reset_races_expand(Fixture *fx, gconstpointer unused)
{
    ResetRace rr = { .fx = fx };
    GThread *t = g_thread_new("expand", reset_race_expander, &rr);

    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&fx->port_lock);
        if (!evtchn_abi_is_fifo(&fx->d)) {
            g_assert_cmpint(evtchn_fifo_init_control(&fx->d, CB_GFN(0), 0, 0,
                                                     NULL), ==, 0);
        } else {
            evtchn_reset_abi(&fx->d);
            for (unsigned g = 0; g < RAM_PAGES; g++) {
                g_assert_cmpint(fx->maps[g], ==, 0);
            }
        }
        pthread_mutex_unlock(&fx->port_lock);
        g_thread_yield();
    }
    g_atomic_int_set(&rr.stop, 1);
    g_thread_join(t);
    g_test_message("%u expands raced 300 init/resets", rr.expands);
}

/* ---- migration ---- */

static void test_save_restore(Fixture *fx, gconstpointer unused)
{
    struct evtchn_fifo_save s, s2;

    start_fifo(fx, 2, 2);
    bind(fx, 5, 1);
    bind(fx, 6, 1);
    bind(fx, 3000, 0);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 6, true, 9), ==, 0);
    send(fx, 5);
    send(fx, 3000);                     /* no page yet: saved */
    g_assert_cmpint(evtchn_fifo_save(&fx->d, &s), ==, 0);
    g_assert_true(s.fifo);
    g_assert_cmpuint(s.nr_pages, ==, 2);
    g_assert_cmpuint(s.array_gfn[1], ==, ARRAY_GFN(1));
    g_assert_true(s.vcpus[1].has_control_block);
    g_assert_false(s.vcpus[2].has_control_block);
    g_assert_cmpuint(s.vcpus[1].tail[7], ==, 5);
    g_assert_cmpuint(s.ports[6].priority, ==, 9);
    g_assert_true(s.ports[3000].pending_nopage);

    /* The destination: a fresh domain, same guest memory. */
    evtchn_domain_destroy(&fx->d);
    fx_init_domain(fx, MAX_PORT);
    g_assert_cmpint(evtchn_fifo_restore(&fx->d, &s), ==, 0);
    g_assert_true(evtchn_abi_is_fifo(&fx->d));
    g_assert_cmpuint(fx->upcalls[1], ==, 1);
    send(fx, 6);
    g_assert_cmpuint(head(fx, 1, 9), ==, 6);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 6, true, 7), ==, 0);
    send(fx, 6);                        /* still linked at 9 */
    g_autoptr(GArray) seen = drain_ports(fx, 1);
    g_assert_cmpuint(seen->len, ==, 2);
    bind(fx, 7, 1);
    send(fx, 7);
    g_assert_cmpuint(head(fx, 1, 7), ==, 7);
    expand(fx, false);
    expand(fx, false);
    g_assert_cmphex(word(fx, 3000), ==, PENDING | LINKED);

    /* Bad streams: not RAM, out-of-range indices; stays 2-level. */
    s.array_gfn[0] = ROM_GFN;
    g_assert_cmpint(evtchn_fifo_restore(&fx->d, &s), ==, -EINVAL);
    g_assert_false(evtchn_abi_is_fifo(&fx->d));
    s.array_gfn[0] = ARRAY_GFN(0);
    s.vcpus[0].tail[0] = 2048;
    g_assert_cmpint(evtchn_fifo_restore(&fx->d, &s), ==, -EINVAL);
    s.vcpus[0].tail[0] = 0;
    s.ports[6].last_vcpu = NR_VCPUS;
    g_assert_cmpint(evtchn_fifo_restore(&fx->d, &s), ==, -EINVAL);
    s.ports[6].last_vcpu = 0;
    s.nr_pages = EVTCHN_FIFO_MAX_PAGES + 1;
    g_assert_cmpint(evtchn_fifo_restore(&fx->d, &s), ==, -EINVAL);
    g_assert_false(evtchn_abi_is_fifo(&fx->d));
    evtchn_fifo_save_free(&s);
    g_assert_null(s.vcpus);

    /* A 2-level domain saves as such, and restores to 2-level. */
    g_assert_cmpint(evtchn_fifo_save(&fx->d, &s2), ==, 0);
    g_assert_false(s2.fifo);
    g_assert_cmpint(evtchn_fifo_restore(&fx->d, &s2), ==, 0);
    g_assert_false(evtchn_abi_is_fifo(&fx->d));
    evtchn_fifo_save_free(&s2);
}

/* ---- scenario 15: adversarial guest memory ---- */

static void test_adversarial_words(Fixture *fx, gconstpointer unused)
{
    enum { PAGES = 3, NR_PORTS = PAGES * EVTCHN_FIFO_WORDS_PER_PAGE };
    GRand *rand = g_rand_new_with_seed(42);
    uint32_t *reserved = g_new(uint32_t, NR_PORTS);
    uint32_t pad[NR_VCPUS], cb_off[NR_VCPUS];

    /* Control blocks of all vCPUs share one page, the last at its end. */
    for (uint32_t v = 0; v < NR_VCPUS; v++) {
        cb_off[v] = v == NR_VCPUS - 1 ? 4024 : v * 80;
        g_assert_cmpint(evtchn_fifo_init_control(&fx->d, CB_GFN(0),
                                                 cb_off[v], v, NULL), ==, 0);
        pad[v] = g_rand_int(rand);
        *cb_field(fx, 0, cb_off[v] + 4) = pad[v];
    }
    g_assert_cmpint(fx->maps[CB_GFN(0)], ==, NR_VCPUS);
    for (unsigned i = 0; i < PAGES; i++) {
        expand(fx, false);
    }
    for (evtchn_port_t p = 0; p < NR_PORTS; p++) {
        bind(fx, p, g_rand_int_range(rand, 0, NR_VCPUS));
    }

    for (int round = 0; round < 20000; round++) {
        evtchn_port_t port = g_rand_int_range(rand, 0, NR_PORTS + 50);
        uint32_t vcpu = g_rand_int_range(rand, 0, NR_VCPUS);
        uint32_t *w;

        if (round % 5000 == 0) {
            /* Garbage everywhere: reserved bits, self-loops, big LINKs. */
            for (evtchn_port_t p = 0; p < NR_PORTS; p++) {
                uint32_t val = g_rand_int(rand);

                *guest_word(fx, p) = val;
                reserved[p] = val & RESERVED_BITS;
            }
            for (uint32_t v = 0; v < NR_VCPUS; v++) {
                *cb_field(fx, 0, cb_off[v]) = g_rand_int(rand);
                for (unsigned q = 0; q < 16; q++) {
                    *cb_field(fx, 0, cb_off[v] + EVTCHN_FIFO_CB_HEAD(q)) =
                        g_rand_int(rand);
                }
            }
        }
        if (port < NR_PORTS && g_rand_boolean(rand)) {
            w = guest_word(fx, port);
            switch (g_rand_int_range(rand, 0, 4)) {
            case 0:
                *w = (*w & ~LINK_MASK) | port;      /* self-loop */
                break;
            case 1:
                *w |= LINKED | LINK_MASK;           /* way out of range */
                break;
            case 2:
                *w ^= MASKED;
                break;
            default:
                *w &= ~(LINKED | LINK_MASK);
                break;
            }
        }
        switch (g_rand_int_range(rand, 0, 6)) {
        case 0:
        case 1:
            evtchn_port_set_pending(&fx->d, vcpu, port);
            break;
        case 2:
            evtchn_port_unmask(&fx->d, vcpu, port);
            break;
        case 3:
            evtchn_port_clear_pending(&fx->d, port);
            break;
        case 4:
            evtchn_set_priority(&fx->d, port, true,
                                g_rand_int_range(rand, 0, 17));
            break;
        default:
            fx->d.ops->is_busy(&fx->d, port);
            break;
        }
    }
    /* Reserved bits and the control blocks' pad word are the guest's. */
    for (evtchn_port_t p = 0; p < NR_PORTS; p++) {
        g_assert_cmphex(word(fx, p) & RESERVED_BITS, ==, reserved[p]);
    }
    for (uint32_t v = 0; v < NR_VCPUS; v++) {
        g_assert_cmphex(*cb_field(fx, 0, cb_off[v] + 4), ==, pad[v]);
    }
    g_assert_cmpuint(fx->upcalls[0] + fx->upcalls[1] + fx->upcalls[2] +
                     fx->upcalls[3], >, 0);
    g_free(reserved);
    g_rand_free(rand);
}

/* Bogus HEAD and READY: written only, never read. */
static void test_bogus_head(Fixture *fx, gconstpointer unused)
{
    start_fifo(fx, 1, 1);
    bind(fx, 8, 0);
    for (unsigned q = 0; q < 16; q++) {
        *cb_field(fx, 0, EVTCHN_FIFO_CB_HEAD(q)) = 0xdeadbeef;
    }
    send(fx, 8);
    g_assert_cmpuint(head(fx, 0, 7), ==, 8);
    g_assert_cmphex(head(fx, 0, 6), ==, 0xdeadbeef);
    /* LINKED set on a port that is not queued: not linked again. */
    bind(fx, 9, 0);
    *guest_word(fx, 9) = LINKED | 0x1ffff;
    send(fx, 9);
    g_assert_cmphex(word(fx, 9), ==, PENDING | LINKED | 0x1ffff);
    g_assert_cmphex(word(fx, 8), ==, PENDING | LINKED);
}

/* ---- threaded producer against Linux-protocol consumers ---- */

#define STRESS_PORTS    2048u
#define STRESS_VCPUS    2u

typedef struct {
    Fixture *fx;
    gint stop;
    uint64_t next_seq;
    uint64_t sent_seq[STRESS_PORTS];
    uint64_t consumed_seq[STRESS_PORTS];
    uint64_t dispatched;
} Stress;

/* The event was handled: every send up to sent_seq is accounted for. */
static void stress_consumed(Stress *st, evtchn_port_t port)
{
    uint64_t seq = __atomic_load_n(&st->sent_seq[port], __ATOMIC_SEQ_CST);
    uint64_t old = __atomic_load_n(&st->consumed_seq[port],
                                   __ATOMIC_SEQ_CST);

    while (old < seq &&
           !__atomic_compare_exchange_n(&st->consumed_seq[port], &old, seq,
                                        false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
    }
}

static void stress_dispatch(Fixture *fx, uint32_t vcpu, evtchn_port_t port,
                            void *opaque)
{
    Stress *st = opaque;

    g_assert_cmpuint(port, <, STRESS_PORTS);
    /* Ack first, then look at what was sent: a later send re-links. */
    __atomic_fetch_and(guest_word(fx, port), ~PENDING, __ATOMIC_SEQ_CST);
    stress_consumed(st, port);
    __atomic_fetch_add(&st->dispatched, 1, __ATOMIC_SEQ_CST);
}

typedef struct {
    Stress *st;
    uint32_t vcpu;
} Consumer;

static gpointer stress_consumer(gpointer opaque)
{
    Consumer *c = opaque;
    Stress *st = c->st;
    Fixture *fx = st->fx;
    GRand *rand = g_rand_new_with_seed(1000 + c->vcpu);

    while (!g_atomic_int_get(&st->stop)) {
        evtchn_port_t port = g_rand_int_range(rand, 1, STRESS_PORTS);

        switch (g_rand_int_range(rand, 0, 16)) {
        case 0:
            __atomic_fetch_or(guest_word(fx, port), MASKED, __ATOMIC_SEQ_CST);
            break;
        case 1:
        case 2:
            guest_unmask(fx, port);
            break;
        case 3:
            /* The guest drops the event itself; that counts as handled. */
            __atomic_fetch_and(guest_word(fx, port), ~PENDING,
                               __ATOMIC_SEQ_CST);
            stress_consumed(st, port);
            break;
        default:
            if (__atomic_exchange_n(upcall_pending(fx, c->vcpu), 0,
                                    __ATOMIC_SEQ_CST)) {
                guest_handle_events(fx, c->vcpu, stress_dispatch, st);
            }
            break;
        }
    }
    g_rand_free(rand);
    return NULL;
}

static void test_threaded_no_lost_events(Fixture *fx, gconstpointer unused)
{
    Stress *st = g_new0(Stress, 1);
    Consumer c[STRESS_VCPUS];
    GThread *threads[STRESS_VCPUS];
    GRand *rand = g_rand_new_with_seed(7);
    unsigned sends = g_test_slow() ? 2000000 : 300000;

    st->fx = fx;
    start_fifo(fx, STRESS_VCPUS, STRESS_PORTS / EVTCHN_FIFO_WORDS_PER_PAGE);
    for (evtchn_port_t p = 1; p < STRESS_PORTS; p++) {
        bind(fx, p, p % STRESS_VCPUS);
    }
    for (uint32_t v = 0; v < STRESS_VCPUS; v++) {
        c[v] = (Consumer){ .st = st, .vcpu = v };
        threads[v] = g_thread_new("guest-vcpu", stress_consumer, &c[v]);
    }
    for (unsigned i = 0; i < sends; i++) {
        evtchn_port_t port = g_rand_int_range(rand, 1, STRESS_PORTS);
        unsigned r = g_rand_int_range(rand, 0, 64);

        if (r == 0) {
            /* bind_vcpu: the linked event stays on its old queue. */
            pthread_mutex_lock(&fx->port_lock);
            fx->notify_vcpu[port] = g_rand_int_range(rand, 0, STRESS_VCPUS);
            pthread_mutex_unlock(&fx->port_lock);
        } else if (r == 1) {
            pthread_mutex_lock(&fx->port_lock);
            g_assert_cmpint(evtchn_set_priority(&fx->d, port, true,
                                                g_rand_int_range(rand, 0, 16)),
                            ==, 0);
            pthread_mutex_unlock(&fx->port_lock);
        }
        __atomic_store_n(&st->sent_seq[port],
                         __atomic_add_fetch(&st->next_seq, 1,
                                            __ATOMIC_SEQ_CST),
                         __ATOMIC_SEQ_CST);
        send_locked(fx, port);
    }
    g_atomic_int_set(&st->stop, 1);
    for (uint32_t v = 0; v < STRESS_VCPUS; v++) {
        g_thread_join(threads[v]);
    }

    /* Quiesce: unmask everything as the guest would, then drain. */
    for (evtchn_port_t p = 1; p < STRESS_PORTS; p++) {
        guest_unmask(fx, p);
    }
    for (uint32_t v = 0; v < STRESS_VCPUS; v++) {
        guest_drain(fx, v, stress_dispatch, st);
    }
    for (evtchn_port_t p = 1; p < STRESS_PORTS; p++) {
        if (st->consumed_seq[p] != st->sent_seq[p]) {
            g_error("port %u: send %" G_GUINT64_FORMAT " never handled "
                    "(last handled %" G_GUINT64_FORMAT ", word %#x)", p,
                    st->sent_seq[p], st->consumed_seq[p], word(fx, p));
        }
    }
    g_assert_cmpuint(st->dispatched, >, 0);
    /* A well-behaved guest never exhausts the BUSY retries. */
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_LINK_FAILED], ==, 0);
    g_test_message("%u sends, %" G_GUINT64_FORMAT " dispatches, %u upcalls",
                   sends, st->dispatched, fx->upcalls[0] + fx->upcalls[1]);
    g_rand_free(rand);
    g_free(st);
}

/* ---- scale: every port of a 128-page array ---- */

static void test_full_port_space(Fixture *fx, gconstpointer unused)
{
    g_autofree struct evtchn_port_map *map = g_new(struct evtchn_port_map, 1);

    evtchn_port_map_init(map);
    start_fifo(fx, 1, EVTCHN_FIFO_MAX_PAGES);
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 10), ==, -ENOSPC);
    for (evtchn_port_t p = 1; p <= MAX_PORT; p++) {
        g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, p);
        bind(fx, p, 0);
        send(fx, p);
    }
    g_assert_cmpint(evtchn_alloc_port(&fx->d, map), ==, -ENOSPC);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);
    g_assert_cmphex(word(fx, MAX_PORT), ==, PENDING | LINKED);
    g_assert_cmphex(word(fx, MAX_PORT - 1), ==, PENDING | LINKED | MAX_PORT);

    g_autoptr(GArray) seen = drain_ports(fx, 0);
    g_assert_cmpuint(seen->len, ==, MAX_PORT);
    for (evtchn_port_t p = 1; p <= MAX_PORT; p++) {
        g_assert_cmpuint(g_array_index(seen, evtchn_port_t, p - 1), ==, p);
        g_assert_cmphex(word(fx, p), ==, 0);
    }
    g_assert_false(evtchn_port_valid(&fx->d, MAX_PORT + 1));
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(Fixture *, gconstpointer);
        int arg;
    } cases[] = {
        { "init-control-errors", test_init_control_errors, 0 },
        { "expand-array-errors", test_expand_array_errors, 0 },
        { "set-priority", test_set_priority, 0 },
        { "single-then-second-event", test_single_then_second_event, 0 },
        { "tail-consumed-concurrently", test_tail_consumed_concurrently, 0 },
        { "busy-protocol", test_busy_protocol, 0 },
        { "masked-then-unmask", test_masked_then_unmask, 0 },
        { "relink-pending-unlinked", test_relink_pending_unlinked, 0 },
        { "priority-change-while-linked", test_queue_change_while_linked, 0 },
        { "vcpu-change-while-linked", test_queue_change_while_linked, 1 },
        { "event-without-page", test_event_without_page, 0 },
        { "no-control-block", test_no_control_block, 0 },
        { "ready-at-registration", test_ready_at_registration, 0 },
        { "switch-carries-pending", test_switch_carries_pending, 0 },
        { "alloc-port", test_alloc_port, 0 },
        { "reset", test_reset, 0 },
        { "reset-races-expand", test_reset_races_expand, 0 },
        { "save-restore", test_save_restore, 0 },
        { "adversarial-words", test_adversarial_words, 0 },
        { "bogus-head", test_bogus_head, 0 },
        { "threaded-no-lost-events", test_threaded_no_lost_events, 0 },
        { "full-port-space", test_full_port_space, 0 },
    };

    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/evtchn/fifo/%s",
                                                cases[i].name);

        g_test_add(path, Fixture, GINT_TO_POINTER(cases[i].arg), fx_setup,
                   cases[i].fn, fx_teardown);
    }
    return g_test_run();
}
