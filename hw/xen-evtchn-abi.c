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
#include "hw/boards.h"
#include "hw/qdev-core.h"
#include "system/kvm_xen.h"
#include "hw/i386/kvm/xen_overlay.h"
#include "trace/trace-hw_i386_kvm.h"

#include "xenbed/evtchn/evtchn.h"
#include "xen-evtchn-abi.h"
#include "xen-guest-area.h"

/* A guest frame the port ABIs hold a host pointer to. */
typedef struct XenEvtchnAbiFrame {
    MemoryRegionSection mrs;    /* holds a reference while mapped */
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
 * the vCPU time areas (xen-guest-area.c).
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

    host = xen_guest_area_map(gfn << TARGET_PAGE_BITS, TARGET_PAGE_SIZE, &mrs);
    if (!host) {
        return NULL;
    }

    f = g_new0(XenEvtchnAbiFrame, 1);
    f->mrs = mrs;
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
        xen_guest_area_unmap(&f->mrs);
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
        xen_guest_area_set_dirty(&f->mrs, TARGET_PAGE_SIZE);
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

void xen_evtchn_abi_set_pending(XenEvtchnAbi *a, uint32_t vcpu,
                                uint32_t port)
{
    evtchn_port_set_pending(abi_dom(a), vcpu, port);
}

void xen_evtchn_abi_clear_pending(XenEvtchnAbi *a, uint32_t port)
{
    evtchn_port_clear_pending(abi_dom(a), port);
}

void xen_evtchn_abi_unmask(XenEvtchnAbi *a, uint32_t vcpu, uint32_t port)
{
    evtchn_port_unmask(abi_dom(a), vcpu, port);
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

    if (evtchn_abi_is_fifo(d) || evtchn_port_is_masked(d, port) ||
        !evtchn_port_is_pending(d, port)) {
        return;
    }
    evtchn_port_clear_pending(d, port);
    evtchn_port_set_pending(d, vcpu, port);
}

bool xen_evtchn_abi_is_pending(XenEvtchnAbi *a, uint32_t port)
{
    return evtchn_port_is_pending(abi_dom(a), port);
}

bool xen_evtchn_abi_is_masked(XenEvtchnAbi *a, uint32_t port)
{
    return evtchn_port_is_masked(abi_dom(a), port);
}

void xen_evtchn_abi_port_state(XenEvtchnAbi *a, uint32_t port,
                               struct evtchn_port_state *st)
{
    evtchn_port_get_state(abi_dom(a), port, st);
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

int xen_evtchn_abi_save(XenEvtchnAbi *a, struct evtchn_fifo_save *s)
{
    return evtchn_fifo_save(abi_dom(a), s);
}

int xen_evtchn_abi_restore(XenEvtchnAbi *a, const struct evtchn_fifo_save *s)
{
    return evtchn_fifo_restore(abi_dom(a), s);
}

/*
 * The counts come from the stream: bound them before VMS_ALLOC sizes an
 * allocation by them.  evtchn_fifo_restore() checks every value after.
 */
static bool fifo_save_vcpus_valid(void *opaque, int version_id)
{
    struct evtchn_fifo_save *s = opaque;

    return s->nr_vcpus <= MACHINE(qdev_get_machine())->smp.max_cpus;
}

static bool fifo_save_ports_valid(void *opaque, int version_id)
{
    struct evtchn_fifo_save *s = opaque;

    return s->nr_ports <= EVTCHN_FIFO_MAX_PORT + 1 &&
           s->nr_pages <= EVTCHN_FIFO_MAX_PAGES;
}

/* VMSTATE_STRUCT_VARRAY_ALLOC with a uint32_t count */
#define VMSTATE_STRUCT_VARRAY_ALLOC_UINT32(_field, _state, _field_num,     \
                                           _vmsd, _type) {                 \
    .name       = (stringify(_field)),                                     \
    .vmsd       = &(_vmsd),                                                \
    .num_offset = vmstate_offset_value(_state, _field_num, uint32_t),      \
    .size       = sizeof(_type),                                           \
    .flags      = VMS_STRUCT | VMS_VARRAY_UINT32 | VMS_ALLOC | VMS_POINTER, \
    .offset     = vmstate_offset_pointer(_state, _field, _type),           \
}

static const VMStateDescription vmstate_evtchn_fifo_vcpu_save = {
    .name = "xen_evtchn_fifo_vcpu",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(has_control_block, struct evtchn_fifo_vcpu_save),
        VMSTATE_UINT64(control_gfn, struct evtchn_fifo_vcpu_save),
        VMSTATE_UINT32(control_offset, struct evtchn_fifo_vcpu_save),
        VMSTATE_UINT32_ARRAY(tail, struct evtchn_fifo_vcpu_save,
                             EVTCHN_FIFO_MAX_QUEUES),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_evtchn_fifo_port_save = {
    .name = "xen_evtchn_fifo_port",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(priority, struct evtchn_fifo_port_save),
        VMSTATE_UINT8(last_priority, struct evtchn_fifo_port_save),
        VMSTATE_BOOL(pending_nopage, struct evtchn_fifo_port_save),
        VMSTATE_UINT32(last_vcpu, struct evtchn_fifo_port_save),
        VMSTATE_END_OF_LIST()
    }
};

const VMStateDescription vmstate_evtchn_fifo_save = {
    .name = "xen_evtchn_fifo_save",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(fifo, struct evtchn_fifo_save),
        VMSTATE_UINT32(nr_pages, struct evtchn_fifo_save),
        VMSTATE_UINT64_ARRAY(array_gfn, struct evtchn_fifo_save,
                             EVTCHN_FIFO_MAX_PAGES),
        VMSTATE_UINT32(nr_vcpus, struct evtchn_fifo_save),
        VMSTATE_VALIDATE("FIFO vCPU count", fifo_save_vcpus_valid),
        VMSTATE_STRUCT_VARRAY_ALLOC_UINT32(vcpus, struct evtchn_fifo_save,
                                           nr_vcpus,
                                           vmstate_evtchn_fifo_vcpu_save,
                                           struct evtchn_fifo_vcpu_save),
        VMSTATE_UINT32(nr_ports, struct evtchn_fifo_save),
        VMSTATE_VALIDATE("FIFO port count", fifo_save_ports_valid),
        VMSTATE_STRUCT_VARRAY_ALLOC_UINT32(ports, struct evtchn_fifo_save,
                                           nr_ports,
                                           vmstate_evtchn_fifo_port_save,
                                           struct evtchn_fifo_port_save),
        VMSTATE_END_OF_LIST()
    }
};

void xen_evtchn_abi_reset(XenEvtchnAbi *a)
{
    evtchn_reset_abi(abi_dom(a));
}

void xen_evtchn_abi_vcpu_info_changed(XenEvtchnAbi *a, uint32_t vcpu)
{
    evtchn_vcpu_info_changed(abi_dom(a), vcpu);
}
