/*
 * libFuzzer target for the FIFO event channel ABI.  The input is a
 * sequence of hypercalls, hypervisor-side port operations and guest
 * writes into event words and control blocks; the library must not crash,
 * hang, leak a mapping, or touch memory outside the guest frames.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtchn.h"

#define PAGE            EVTCHN_FIFO_PAGE_SIZE
#define RAM_PAGES       8u              /* gfns 0..7; 8..11 are not RAM */
#define GFN_RANGE       12u
#define NR_VCPUS        3u              /* vCPU 2 has no vcpu_info */
#define PORT_RANGE      (EVTCHN_FIFO_NR_CHANNELS + 64)

typedef struct {
    const uint8_t *data;
    size_t size;
} Input;

typedef struct {
    /* Separate allocations, so ASan flags any access past a frame. */
    uint8_t *ram[RAM_PAGES];
    int maps[RAM_PAGES];
    uint8_t *shinfo;
    uint8_t bound[EVTCHN_FIFO_NR_CHANNELS / 8];
    struct evtchn_port_map port_map;
    uint8_t vcpu_salt;
    struct evtchn_domain d;
} Guest;

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz-evtchn-fifo: %s\n", what);
        abort();
    }
}

static uint32_t take(Input *in, unsigned bytes)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < bytes && in->size; i++) {
        v |= (uint32_t)in->data[0] << (8 * i);
        in->data++;
        in->size--;
    }
    return v;
}

static void *env_shared_info(void *opaque)
{
    return ((Guest *)opaque)->shinfo;
}

static void *env_vcpu_info(void *opaque, uint32_t vcpu)
{
    Guest *g = opaque;

    return vcpu < 2 ? g->shinfo + vcpu * EVTCHN_SHINFO_VCPU_INFO_SIZE : NULL;
}

static void env_raise_upcall(void *opaque, uint32_t vcpu)
{
    (void)opaque;
    check(vcpu < 2, "upcall to a vCPU without vcpu_info");
}

static void *env_map_gfn(void *opaque, uint64_t gfn)
{
    Guest *g = opaque;

    if (gfn >= RAM_PAGES) {
        return NULL;
    }
    g->maps[gfn]++;
    return g->ram[gfn];
}

static void env_unmap_gfn(void *opaque, uint64_t gfn, void *host)
{
    Guest *g = opaque;

    check(gfn < RAM_PAGES && host == g->ram[gfn] && g->maps[gfn] > 0,
          "unmap of a frame that was not mapped");
    g->maps[gfn]--;
}

static void env_mark_dirty(void *opaque, uint64_t gfn)
{
    (void)opaque;
    check(gfn < RAM_PAGES, "dirty frame was never mapped");
}

static bool env_port_bound(void *opaque, evtchn_port_t port, uint32_t *vcpu)
{
    Guest *g = opaque;

    check(port < EVTCHN_FIFO_NR_CHANNELS, "port_bound out of range");
    *vcpu = (port + g->vcpu_salt) % NR_VCPUS;
    return g->bound[port / 8] & (1u << (port % 8));
}

static void env_trace(void *opaque, enum evtchn_trace_event ev, uint32_t vcpu,
                    evtchn_port_t port, int64_t arg)
{
    (void)opaque;
    (void)arg;
    check(ev < EVTCHN_TRACE__MAX, "bad trace event");
    /* Hypercall traces carry the guest's arguments; queueing is real. */
    if (ev == EVTCHN_TRACE_LINKED || ev == EVTCHN_TRACE_NEW_HEAD ||
        ev == EVTCHN_TRACE_UPCALL) {
        check(vcpu < NR_VCPUS, "queued on a vCPU that does not exist");
        check(ev == EVTCHN_TRACE_UPCALL ||
              (port > 0 && port <= EVTCHN_FIFO_MAX_PORT),
              "queued a port that does not exist");
    }
}

static void guest_init(Guest *g, uint32_t max_port)
{
    static const struct evtchn_env env_template = {
        .shared_info = env_shared_info,
        .vcpu_info = env_vcpu_info,
        .raise_upcall = env_raise_upcall,
        .map_gfn = env_map_gfn,
        .unmap_gfn = env_unmap_gfn,
        .mark_dirty = env_mark_dirty,
        .port_bound = env_port_bound,
        .trace = env_trace,
    };
    struct evtchn_env env = env_template;

    env.opaque = g;
    evtchn_domain_init(&g->d, &env, true, NR_VCPUS, max_port);
}

static uint32_t *guest_u32(Guest *g, Input *in)
{
    uint32_t gfn = take(in, 1) % RAM_PAGES;

    return (uint32_t *)g->ram[gfn] + take(in, 2) % (PAGE / 4);
}

/* Save, optionally corrupt one field, restore (maybe into failure). */
static void save_restore(Guest *g, Input *in)
{
    struct evtchn_fifo_save s;
    uint32_t what = take(in, 1);
    uint32_t value = take(in, 4);

    check(evtchn_fifo_save(&g->d, &s) == 0, "save failed");
    if (s.fifo) {
        switch (what % 6) {
        case 0:
            s.vcpus[value % s.nr_vcpus].tail[value % 16] = value >> 8;
            break;
        case 1:
            s.array_gfn[value % EVTCHN_FIFO_MAX_PAGES] = value >> 8;
            break;
        case 2:
            if (s.nr_ports) {
                s.ports[value % s.nr_ports].last_vcpu = value >> 16;
            }
            break;
        case 3:
            s.vcpus[value % s.nr_vcpus].control_offset = value >> 8;
            break;
        default:
            break;
        }
    }
    evtchn_fifo_restore(&g->d, &s);
    evtchn_fifo_save_free(&s);
}

static void run_op(Guest *g, Input *in)
{
    struct evtchn_domain *d = &g->d;
    uint32_t op = take(in, 1);
    evtchn_port_t port;
    uint32_t vcpu, *w;
    uint8_t link_bits;

    switch (op % 16) {
    case 0:
        evtchn_fifo_init_control(d, take(in, 1) % GFN_RANGE, take(in, 2),
                                 take(in, 1) % (NR_VCPUS + 2), &link_bits);
        break;
    case 1:
        /* Up to 255 pages at a time, aliasing the few RAM frames. */
        for (uint32_t n = take(in, 1), gfn = take(in, 1); n; n--) {
            if (evtchn_fifo_expand_array(d, gfn % GFN_RANGE) == -ENOSPC) {
                break;
            }
        }
        break;
    case 2:
        port = take(in, 3) % PORT_RANGE;
        evtchn_set_priority(d, port, take(in, 1) & 1, take(in, 1) % 20);
        break;
    case 3:
    case 4:
        vcpu = take(in, 1) % (NR_VCPUS + 1);
        d->ops->set_pending(d, vcpu, take(in, 3) % PORT_RANGE);
        break;
    case 5:
        vcpu = take(in, 1) % (NR_VCPUS + 1);
        d->ops->unmask(d, vcpu, take(in, 3) % PORT_RANGE);
        break;
    case 6:
        d->ops->clear_pending(d, take(in, 3) % PORT_RANGE);
        break;
    case 7:
        port = take(in, 3) % EVTCHN_FIFO_NR_CHANNELS;
        g->bound[port / 8] ^= 1u << (port % 8);
        evtchn_port_bind(d, port);
        break;
    case 8:
        evtchn_reset_abi(d);
        break;
    case 9:
    case 10:
        /* Any guest word: event words, control blocks, pad, garbage. */
        w = guest_u32(g, in);
        __atomic_store_n(w, take(in, 4), __ATOMIC_SEQ_CST);
        break;
    case 11:
        w = guest_u32(g, in);
        __atomic_fetch_xor(w, take(in, 4), __ATOMIC_SEQ_CST);
        break;
    case 12:
        save_restore(g, in);
        break;
    case 13: {
        struct evtchn_port_state st;

        port = take(in, 3) % PORT_RANGE;
        evtchn_port_get_state(d, port, &st);
        check(!st.linked || st.has_word, "linked port without a word");
        check(st.priority <= EVTCHN_FIFO_PRIORITY_MIN, "bad priority");
        d->ops->is_busy(d, port);
        evtchn_vcpu_info_changed(d, take(in, 1) % (NR_VCPUS + 1));
        break;
    }
    case 14:
        /* 2-level bits, carried over at the switch. */
        g->shinfo[EVTCHN_SHINFO_PENDING_OFFSET + take(in, 2) % 1024] ^=
            take(in, 1);
        g->vcpu_salt = take(in, 1);
        break;
    default: {
        int rc = evtchn_alloc_port(d, &g->port_map);

        check(rc == -ENOSPC || (rc > 0 && (uint32_t)rc < d->ops->max_ports(d)),
              "alloc_port out of range");
        check(rc < 0 || !d->ops->is_busy(d, rc), "allocated a busy port");
        /* Free a port chosen by the input, as a close would. */
        evtchn_port_map_set(&g->port_map, take(in, 3) % PORT_RANGE, false);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t max_ports[] = { 1023, 4095, EVTCHN_FIFO_MAX_PORT, 70000 };
    Input in = { data, size };
    Guest *g = calloc(1, sizeof(*g));

    check(g != NULL, "out of memory");
    for (unsigned i = 0; i < RAM_PAGES; i++) {
        g->ram[i] = calloc(1, PAGE);
    }
    g->shinfo = calloc(1, PAGE);
    evtchn_port_map_init(&g->port_map);
    guest_init(g, max_ports[take(&in, 1) % 4]);

    /* Bounded: at most one op per input byte. */
    while (in.size) {
        run_op(g, &in);
    }

    evtchn_domain_destroy(&g->d);
    for (unsigned i = 0; i < RAM_PAGES; i++) {
        check(g->maps[i] == 0, "mapping leaked");
        free(g->ram[i]);
    }
    free(g->shinfo);
    free(g);
    return 0;
}
