/*
 * Xen event channel port ABIs (2-level and FIFO) for QEMU's Xen emulation
 *
 * The environment xenbed's plain-C port ABIs (evtchn/) need from QEMU:
 * shared_info and vcpu_info from the Xen overlay, upcall injection from
 * xen_evtchn.c, guest frames for the FIFO control blocks and event array,
 * dirty marking for migration, and trace events.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "exec/memory.h"
#include "exec/address-spaces.h"
#include "exec/target_page.h"
#include "system/kvm_xen.h"
#include "hw/i386/kvm/xen_overlay.h"
#include "trace/trace-hw_i386_kvm.h"

#include "xenbed/evtchn/evtchn.h"
#include "xen-evtchn-abi.h"

/* A guest frame the port ABIs hold a host pointer to. */
typedef struct XenEvtchnAbiFrame {
    MemoryRegion *mr;           /* holds a reference while mapped */
    hwaddr offset;              /* of the frame in @mr */
    void *host;
    unsigned int refs;          /* the same frame may be mapped twice */
} XenEvtchnAbiFrame;

struct XenEvtchnAbi {
    struct evtchn_domain dom;
    struct evtchn_port_map map;
    XenEvtchnAbiHooks hooks;
    GHashTable *frames;         /* gfn -> XenEvtchnAbiFrame */
};

static void *abi_shared_info(void *opaque)
{
    return xen_overlay_get_shinfo_ptr();
}

static void *abi_vcpu_info(void *opaque, uint32_t vcpu)
{
    return kvm_xen_get_vcpu_info_hva(vcpu);
}

static void abi_raise_upcall(void *opaque, uint32_t vcpu)
{
    XenEvtchnAbi *a = opaque;

    a->hooks.raise_upcall(a->hooks.opaque, vcpu);
}

/*
 * A FIFO control block or event-array page must be writable RAM, as for
 * vcpu_info: not MMIO, ROM or a read-only region.
 */
static void *abi_map_gfn(void *opaque, uint64_t gfn)
{
    XenEvtchnAbi *a = opaque;
    XenEvtchnAbiFrame *f;
    MemoryRegionSection mrs;
    void *host;

    if (gfn >= (UINT64_MAX >> TARGET_PAGE_BITS)) {
        return NULL;
    }

    f = g_hash_table_lookup(a->frames, &gfn);
    if (f) {
        f->refs++;
        return f->host;
    }

    mrs = memory_region_find(get_system_memory(), gfn << TARGET_PAGE_BITS,
                             TARGET_PAGE_SIZE);
    if (!mrs.mr) {
        return NULL;
    }
    if (!memory_region_is_ram(mrs.mr) || !mrs.mr->ram_block ||
        mrs.mr->readonly || memory_region_is_rom(mrs.mr) ||
        memory_region_is_ram_device(mrs.mr) ||
        int128_lt(mrs.size, int128_make64(TARGET_PAGE_SIZE))) {
        memory_region_unref(mrs.mr);
        return NULL;
    }
    host = qemu_map_ram_ptr(mrs.mr->ram_block, mrs.offset_within_region);
    if (!host) {
        memory_region_unref(mrs.mr);
        return NULL;
    }

    f = g_new0(XenEvtchnAbiFrame, 1);
    f->mr = mrs.mr;
    f->offset = mrs.offset_within_region;
    f->host = host;
    f->refs = 1;
    g_hash_table_insert(a->frames, g_memdup2(&gfn, sizeof(gfn)), f);
    return host;
}

static void abi_unmap_gfn(void *opaque, uint64_t gfn, void *host)
{
    XenEvtchnAbi *a = opaque;
    XenEvtchnAbiFrame *f = g_hash_table_lookup(a->frames, &gfn);

    assert(f && f->host == host && f->refs);
    if (--f->refs == 0) {
        memory_region_unref(f->mr);
        g_hash_table_remove(a->frames, &gfn);
    }
}

/*
 * QEMU writes event words, HEAD and READY through host pointers, which
 * KVM's dirty log does not see: mark the frame for migration.
 */
static void abi_mark_dirty(void *opaque, uint64_t gfn)
{
    XenEvtchnAbi *a = opaque;
    XenEvtchnAbiFrame *f = g_hash_table_lookup(a->frames, &gfn);

    if (f) {
        memory_region_set_dirty(f->mr, f->offset, TARGET_PAGE_SIZE);
    }
}

static bool abi_port_bound(void *opaque, evtchn_port_t port, uint32_t *vcpu)
{
    XenEvtchnAbi *a = opaque;

    return a->hooks.port_bound(a->hooks.opaque, port, vcpu);
}

/* One QEMU trace event per guest-visible ABI operation. */
static void abi_trace(void *opaque, enum evtchn_trace_event ev,
                      uint32_t vcpu, evtchn_port_t port, int64_t arg)
{
    switch (ev) {
    case EVTCHN_TRACE_SET_PENDING:
        trace_xen_evtchn_set_pending(vcpu, port, arg);
        break;
    case EVTCHN_TRACE_LINKED:
        trace_xen_evtchn_fifo_linked(vcpu, port, arg);
        break;
    case EVTCHN_TRACE_NEW_HEAD:
        trace_xen_evtchn_fifo_new_head(vcpu, port, arg);
        break;
    case EVTCHN_TRACE_UPCALL:
        trace_xen_evtchn_upcall(vcpu);
        break;
    case EVTCHN_TRACE_SAVED_NO_PAGE:
        trace_xen_evtchn_fifo_saved_no_page(port);
        break;
    case EVTCHN_TRACE_DROPPED_NO_CB:
        trace_xen_evtchn_fifo_dropped_no_control_block(vcpu, port);
        break;
    case EVTCHN_TRACE_LINK_FAILED:
        trace_xen_evtchn_fifo_link_failed(vcpu, port);
        break;
    case EVTCHN_TRACE_CLEAR_PENDING:
        trace_xen_evtchn_clear_pending(port);
        break;
    case EVTCHN_TRACE_UNMASK:
        trace_xen_evtchn_unmask(vcpu, port);
        break;
    case EVTCHN_TRACE_INIT_CONTROL:
        trace_xen_evtchn_fifo_init_control(vcpu, arg);
        break;
    case EVTCHN_TRACE_EXPAND_ARRAY:
        trace_xen_evtchn_fifo_expand_array(arg);
        break;
    case EVTCHN_TRACE_SET_PRIORITY:
        trace_xen_evtchn_set_priority(port, arg);
        break;
    case EVTCHN_TRACE_ABI_SWITCH:
        trace_xen_evtchn_abi_switch(arg ? "fifo" : "2-level");
        break;
    default:
        break;
    }
}

/* The guest may switch between 32-bit and 64-bit shared_info at any time. */
static struct evtchn_domain *abi_dom(XenEvtchnAbi *a)
{
    a->dom.long_mode = xen_is_long_mode();
    return &a->dom;
}

XenEvtchnAbi *xen_evtchn_abi_new(const XenEvtchnAbiHooks *hooks,
                                 uint32_t nr_vcpus, uint32_t fifo_max_port,
                                 bool fifo)
{
    XenEvtchnAbi *a = g_new0(XenEvtchnAbi, 1);
    struct evtchn_env env = {
        .opaque = a,
        .shared_info = abi_shared_info,
        .vcpu_info = abi_vcpu_info,
        .raise_upcall = abi_raise_upcall,
        .map_gfn = fifo ? abi_map_gfn : NULL,
        .unmap_gfn = abi_unmap_gfn,
        .mark_dirty = abi_mark_dirty,
        .port_bound = fifo ? abi_port_bound : NULL,
        .trace = abi_trace,
    };

    a->hooks = *hooks;
    a->frames = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                      g_free, g_free);
    evtchn_domain_init(&a->dom, &env, true, nr_vcpus, fifo_max_port);
    evtchn_port_map_init(&a->map);
    return a;
}

bool xen_evtchn_abi_is_fifo(XenEvtchnAbi *a)
{
    return evtchn_abi_is_fifo(&a->dom);
}

uint32_t xen_evtchn_abi_max_ports(XenEvtchnAbi *a)
{
    struct evtchn_domain *d = abi_dom(a);

    return d->ops->max_ports(d);
}

/*
 * The FIFO ABI traces its own operations; the 2-level one has no hook,
 * so its port operations are traced here (priority -1: none).
 */
void xen_evtchn_abi_set_pending(XenEvtchnAbi *a, uint32_t vcpu,
                                uint32_t port)
{
    struct evtchn_domain *d = abi_dom(a);

    if (!evtchn_abi_is_fifo(d)) {
        trace_xen_evtchn_set_pending(vcpu, port, -1);
    }
    d->ops->set_pending(d, vcpu, port);
}

void xen_evtchn_abi_clear_pending(XenEvtchnAbi *a, uint32_t port)
{
    struct evtchn_domain *d = abi_dom(a);

    if (!evtchn_abi_is_fifo(d)) {
        trace_xen_evtchn_clear_pending(port);
    }
    d->ops->clear_pending(d, port);
}

void xen_evtchn_abi_unmask(XenEvtchnAbi *a, uint32_t vcpu, uint32_t port)
{
    struct evtchn_domain *d = abi_dom(a);

    if (!evtchn_abi_is_fifo(d)) {
        trace_xen_evtchn_unmask(vcpu, port);
    }
    d->ops->unmask(d, vcpu, port);
}

/*
 * A 2-level event raised before the move set a selector bit on the old
 * vCPU, whose handler now skips the port (Linux filters by its per-CPU
 * mask): tell the new one.  Clearing and setting again is what Xen's
 * bind_vcpu does not need but QEMU always did; at worst the guest sees
 * the event twice, which the ABI allows.
 */
void xen_evtchn_abi_vcpu_moved(XenEvtchnAbi *a, uint32_t vcpu, uint32_t port)
{
    struct evtchn_domain *d = abi_dom(a);

    if (evtchn_abi_is_fifo(d) || d->ops->is_masked(d, port) ||
        !d->ops->is_pending(d, port)) {
        return;
    }
    d->ops->clear_pending(d, port);
    d->ops->set_pending(d, vcpu, port);
}

bool xen_evtchn_abi_is_pending(XenEvtchnAbi *a, uint32_t port)
{
    struct evtchn_domain *d = abi_dom(a);

    return d->ops->is_pending(d, port);
}

bool xen_evtchn_abi_is_masked(XenEvtchnAbi *a, uint32_t port)
{
    struct evtchn_domain *d = abi_dom(a);

    return d->ops->is_masked(d, port);
}

void xen_evtchn_abi_port_state(XenEvtchnAbi *a, uint32_t port,
                               XenEvtchnAbiPortState *st)
{
    struct evtchn_port_state ps;

    evtchn_port_get_state(abi_dom(a), port, &ps);
    st->pending = ps.pending;
    st->masked = ps.masked;
    st->linked = ps.linked;
    st->busy = ps.busy;
    st->priority = ps.priority;
    st->last_vcpu = ps.last_vcpu;
}

int xen_evtchn_abi_alloc_port(XenEvtchnAbi *a)
{
    return evtchn_alloc_port(abi_dom(a), &a->map);
}

void xen_evtchn_abi_mark_port(XenEvtchnAbi *a, uint32_t port, bool in_use)
{
    evtchn_port_map_set(&a->map, port, in_use);
}

void xen_evtchn_abi_port_bind(XenEvtchnAbi *a, uint32_t port)
{
    evtchn_port_bind(abi_dom(a), port);
}

int xen_evtchn_abi_init_control(XenEvtchnAbi *a, uint64_t control_gfn,
                                uint32_t offset, uint32_t vcpu,
                                uint8_t *link_bits)
{
    return evtchn_fifo_init_control(abi_dom(a), control_gfn, offset, vcpu,
                                    link_bits);
}

int xen_evtchn_abi_expand_array(XenEvtchnAbi *a, uint64_t array_gfn)
{
    return evtchn_fifo_expand_array(abi_dom(a), array_gfn);
}

int xen_evtchn_abi_set_priority(XenEvtchnAbi *a, uint32_t port,
                                bool port_in_use, uint32_t priority)
{
    return evtchn_set_priority(abi_dom(a), port, port_in_use, priority);
}

int xen_evtchn_abi_save(XenEvtchnAbi *a, XenEvtchnAbiSave *s)
{
    struct evtchn_fifo_save fs;
    int rc;

    QEMU_BUILD_BUG_ON(XEN_EVTCHN_FIFO_MAX_PAGES != EVTCHN_FIFO_MAX_PAGES);
    QEMU_BUILD_BUG_ON(ARRAY_SIZE(s->vcpus->tail) != EVTCHN_FIFO_MAX_QUEUES);

    memset(s, 0, sizeof(*s));
    rc = evtchn_fifo_save(abi_dom(a), &fs);
    if (rc < 0 || !fs.fifo) {
        return rc;
    }
    s->fifo = 1;
    s->nr_pages = fs.nr_pages;
    memcpy(s->array_gfn, fs.array_gfn, sizeof(s->array_gfn));
    s->nr_vcpus = fs.nr_vcpus;
    s->vcpus = g_new0(XenEvtchnAbiVcpuSave, fs.nr_vcpus);
    for (uint32_t i = 0; i < fs.nr_vcpus; i++) {
        s->vcpus[i].has_control_block = fs.vcpus[i].has_control_block;
        s->vcpus[i].control_gfn = fs.vcpus[i].control_gfn;
        s->vcpus[i].control_offset = fs.vcpus[i].control_offset;
        memcpy(s->vcpus[i].tail, fs.vcpus[i].tail, sizeof(s->vcpus[i].tail));
    }
    s->nr_ports = fs.nr_ports;
    s->ports = g_new0(XenEvtchnAbiPortSave, fs.nr_ports);
    for (uint32_t i = 0; i < fs.nr_ports; i++) {
        s->ports[i].priority = fs.ports[i].priority;
        s->ports[i].last_priority = fs.ports[i].last_priority;
        s->ports[i].pending_nopage = fs.ports[i].pending_nopage;
        s->ports[i].last_vcpu = fs.ports[i].last_vcpu;
    }
    evtchn_fifo_save_free(&fs);
    return 0;
}

void xen_evtchn_abi_save_free(XenEvtchnAbiSave *s)
{
    g_free(s->vcpus);
    g_free(s->ports);
    memset(s, 0, sizeof(*s));
}

int xen_evtchn_abi_restore(XenEvtchnAbi *a, const XenEvtchnAbiSave *s)
{
    struct evtchn_fifo_save fs = {
        .fifo = s->fifo,
        .nr_pages = s->nr_pages,
    };
    int rc;

    if (s->nr_vcpus < 0 || s->nr_ports < 0 ||
        s->nr_pages > XEN_EVTCHN_FIFO_MAX_PAGES) {
        return -EINVAL;
    }
    memcpy(fs.array_gfn, s->array_gfn, sizeof(fs.array_gfn));
    fs.nr_vcpus = s->nr_vcpus;
    fs.vcpus = g_new0(struct evtchn_fifo_vcpu_save, s->nr_vcpus + 1);
    for (int32_t i = 0; i < s->nr_vcpus; i++) {
        fs.vcpus[i].has_control_block = s->vcpus[i].has_control_block;
        fs.vcpus[i].control_gfn = s->vcpus[i].control_gfn;
        fs.vcpus[i].control_offset = s->vcpus[i].control_offset;
        memcpy(fs.vcpus[i].tail, s->vcpus[i].tail, sizeof(fs.vcpus[i].tail));
    }
    fs.nr_ports = s->nr_ports;
    fs.ports = g_new0(struct evtchn_fifo_port_save, s->nr_ports + 1);
    for (int32_t i = 0; i < s->nr_ports; i++) {
        fs.ports[i].priority = s->ports[i].priority;
        fs.ports[i].last_priority = s->ports[i].last_priority;
        fs.ports[i].pending_nopage = s->ports[i].pending_nopage;
        fs.ports[i].last_vcpu = s->ports[i].last_vcpu;
    }
    rc = evtchn_fifo_restore(abi_dom(a), &fs);
    g_free(fs.vcpus);
    g_free(fs.ports);
    return rc;
}

void xen_evtchn_abi_reset(XenEvtchnAbi *a)
{
    evtchn_reset_abi(abi_dom(a));
}

void xen_evtchn_abi_vcpu_info_changed(XenEvtchnAbi *a, uint32_t vcpu)
{
    evtchn_vcpu_info_changed(abi_dom(a), vcpu);
}
