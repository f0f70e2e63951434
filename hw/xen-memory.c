/*
 * Xen HVM emulation: the guest's memory reservation
 *
 * Xen counts the pages a domain owns (tot_pages) against its maximum
 * (max_pages); a guest gives pages back with XENMEM_decrease_reservation
 * and takes them again with XENMEM_populate_physmap, as Linux's balloon
 * driver does. Here max_pages is the machine's RAM; a page given back is
 * discarded, so the host gets its memory back, and reads as zero once
 * populated again. Only ordinary guest RAM can be given back: not the
 * overlay pages (shared_info, grant frames), the xenstore and console
 * rings, ROM, MMIO, or a page a backend has mapped through a grant.
 *
 * QEMU's balloon command asks the guest for a new size by writing
 * memory/target in its xenstore directory, as the Xen toolstack does;
 * query-balloon reports the pages the guest owns.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/qapi-types-machine.h"
#include "exec/address-spaces.h"
#include "exec/cpu-common.h"
#include "exec/memory.h"
#include "hw/boards.h"
#include "hw/i386/x86.h"
#include "hw/sysbus.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen_backend_ops.h"
#include "hw/i386/kvm/xen_gnttab.h"
#include "hw/i386/kvm/trace.h"
#include "migration/vmstate.h"
#include "system/balloon.h"
#include "system/kvm_xen.h"
#include "system/system.h"
#include "xen-memory.h"

#define TYPE_XEN_MEMORY "xen-memory"
OBJECT_DECLARE_SIMPLE_TYPE(XenMemoryState, XEN_MEMORY)

struct XenMemoryState {
    SysBusDevice busdev;

    /* Pages of the machine's RAM block, and those the guest gave back */
    int32_t nr_ram_pages;
    unsigned long *released;
    uint64_t nr_released;
    /* XENMEM_increase_reservation's pages, which have no gfn (Xen's too) */
    uint32_t nr_unmapped;

    Notifier machine_done;
};

static XenMemoryState *xen_memory_singleton;

static MemoryRegion *xen_memory_ram(void)
{
    return MACHINE(qdev_get_machine())->ram;
}

/*
 * The extent as pages of the RAM block, if it is ordinary guest RAM that
 * the guest may give back or populate.
 */
static int xen_memory_ram_extent(uint64_t gfn, unsigned int order,
                                 uint64_t *first)
{
    uint64_t nr = 1ULL << order;
    hwaddr len = nr << XEN_PAGE_SHIFT;
    MemoryRegionSection mrs;
    int ret = -EINVAL;

    if (gfn > (UINT64_MAX >> XEN_PAGE_SHIFT) - nr) {
        return -EINVAL;
    }

    /* An overlay page or a ring hides the RAM below it: mrs.mr is not RAM */
    mrs = memory_region_find(get_system_memory(), gfn << XEN_PAGE_SHIFT, len);
    if (!mrs.mr) {
        return -EINVAL;
    }
    if (mrs.mr == xen_memory_ram() && int128_get64(mrs.size) == len &&
        !mrs.readonly) {
        *first = mrs.offset_within_region >> XEN_PAGE_SHIFT;
        ret = 0;
    }
    memory_region_unref(mrs.mr);

    if (!ret && xen_gnttab_gfn_mapped(gfn, nr)) {
        ret = -EBUSY;
    }
    return ret;
}

/* The pages' host memory goes back to the host; they read as zero. */
static void xen_memory_discard(uint64_t first, uint64_t nr)
{
    MemoryRegion *ram = xen_memory_ram();
    uint64_t offset = first << XEN_PAGE_SHIFT;
    uint64_t len = nr << XEN_PAGE_SHIFT;

    if (ram_block_discard_is_disabled() ||
        ram_block_discard_range(ram->ram_block, offset, len)) {
        /* Something pins guest RAM (VFIO, say): keep the pages, clear them */
        memset(memory_region_get_ram_ptr(ram) + offset, 0, len);
    }
    memory_region_set_dirty(ram, offset, len);
}

static uint64_t xen_memory_tot_pages(XenMemoryState *s)
{
    return s->nr_ram_pages - s->nr_released + s->nr_unmapped;
}

int xen_memory_decrease_extent(uint64_t gfn, unsigned int order)
{
    XenMemoryState *s = xen_memory_singleton;
    uint64_t first, nr = 1ULL << order;
    int ret;

    if (!s) {
        return -ENOTSUP;
    }

    BQL_LOCK_GUARD();
    ret = xen_memory_ram_extent(gfn, order, &first);
    /* As Xen's guest_remove_page(), on a gfn with no page */
    if (!ret && find_next_bit(s->released, first + nr, first) < first + nr) {
        ret = -EINVAL;
    }
    if (!ret) {
        xen_memory_discard(first, nr);
        bitmap_set(s->released, first, nr);
        s->nr_released += nr;
    }
    trace_xen_memory_decrease(gfn, order, ret);
    return ret;
}

int xen_memory_populate_extent(uint64_t gfn, unsigned int order)
{
    XenMemoryState *s = xen_memory_singleton;
    uint64_t first, nr = 1ULL << order;
    int ret;

    if (!s) {
        return -ENOTSUP;
    }

    BQL_LOCK_GUARD();
    ret = xen_memory_ram_extent(gfn, order, &first);
    /*
     * Only pages given back: Xen would also replace a page that is there,
     * charging the domain for the new one.
     */
    if (!ret && find_next_zero_bit(s->released, first + nr, first) <
                first + nr) {
        ret = -EEXIST;
    }
    if (!ret && xen_memory_tot_pages(s) + nr > s->nr_ram_pages) {
        ret = -ENOMEM;
    }
    if (!ret) {
        /* The guest may have written to them since: new pages are zero */
        xen_memory_discard(first, nr);
        bitmap_clear(s->released, first, nr);
        s->nr_released -= nr;
    }
    trace_xen_memory_populate(gfn, order, ret);
    return ret;
}

int xen_memory_increase_extent(unsigned int order)
{
    XenMemoryState *s = xen_memory_singleton;
    uint64_t nr = 1ULL << order;

    if (!s) {
        return -ENOTSUP;
    }

    BQL_LOCK_GUARD();
    if (xen_memory_tot_pages(s) + nr > s->nr_ram_pages) {
        return -ENOMEM;
    }
    s->nr_unmapped += nr;
    return 0;
}

uint64_t xen_memory_current_pages(void)
{
    XenMemoryState *s = xen_memory_singleton;

    BQL_LOCK_GUARD();
    return s ? xen_memory_tot_pages(s) : 0;
}

uint64_t xen_memory_max_pages(void)
{
    XenMemoryState *s = xen_memory_singleton;

    return s ? s->nr_ram_pages : 0;
}

/* The highest gfn with memory: RAM, or the xenstore and console pages */
uint64_t xen_memory_max_gpfn(void)
{
    X86MachineState *x86ms = X86_MACHINE(qdev_get_machine());
    uint64_t end = x86ms->below_4g_mem_size;

    if (x86ms->above_4g_mem_size) {
        end = x86ms->above_4g_mem_start + x86ms->above_4g_mem_size;
    }
    end = MAX(end, XEN_SPECIAL_AREA_ADDR + XEN_SPECIAL_AREA_SIZE);
    return (end >> XEN_PAGE_SHIFT) - 1;
}

/* A node of the guest's memory/ directory, which the toolstack owns */
static void xen_memory_write_node(const char *node, uint64_t kib)
{
    struct qemu_xs_handle *h = qemu_xen_xs_open();
    g_autofree char *path = g_strdup_printf("/local/domain/%u/memory/%s",
                                            xen_domid, node);
    g_autofree char *value = g_strdup_printf("%" PRIu64, kib);

    if (!h || !qemu_xen_xs_write(h, XBT_NULL, path, value, strlen(value))) {
        error_report("xen-memory: cannot write %s", path);
    }
    if (h) {
        qemu_xen_xs_close(h);
    }
}

/* QEMU's balloon command: the guest's new size, in KiB, as memory/target */
static void xen_memory_balloon_to_target(void *opaque, ram_addr_t target)
{
    XenMemoryState *s = opaque;
    uint64_t kib = MIN(target, (uint64_t)s->nr_ram_pages << XEN_PAGE_SHIFT)
                   >> 10;

    trace_xen_memory_balloon_target(kib);
    xen_memory_write_node("target", kib);
}

static void xen_memory_balloon_status(void *opaque, BalloonInfo *info)
{
    info->actual = xen_memory_current_pages() << XEN_PAGE_SHIFT;
}

/*
 * Devices from the command line are realized by now: a virtio-balloon
 * among them keeps the balloon command, as QEMU has one balloon.
 */
static void xen_memory_machine_done(Notifier *notifier, void *data)
{
    XenMemoryState *s = container_of(notifier, XenMemoryState, machine_done);
    bool ours = !qemu_add_balloon_handler(xen_memory_balloon_to_target,
                                          xen_memory_balloon_status, s);

    trace_xen_memory_balloon_handler(ours);
}

static void xen_memory_realize(DeviceState *dev, Error **errp)
{
    XenMemoryState *s = XEN_MEMORY(dev);
    uint64_t pages = memory_region_size(xen_memory_ram()) >> XEN_PAGE_SHIFT;

    if (xen_mode != XEN_EMULATE) {
        error_setg(errp, "Xen memory support is for Xen emulation");
        return;
    }
    if (pages > INT32_MAX) {
        error_setg(errp, "Xen emulation supports at most 8 TiB of RAM");
        return;
    }
    s->nr_ram_pages = pages;
    s->released = bitmap_new(pages);

    s->machine_done.notify = xen_memory_machine_done;
    qemu_add_machine_init_done_notifier(&s->machine_done);
}

/*
 * A rebooted guest owns all of its RAM again, as a new Xen domain would,
 * and finds the toolstack's nodes that Linux's balloon driver reads: its
 * maximum and its target, both the RAM's size at first.
 */
static void xen_memory_reset(DeviceState *dev)
{
    XenMemoryState *s = XEN_MEMORY(dev);
    uint64_t kib = (uint64_t)s->nr_ram_pages << (XEN_PAGE_SHIFT - 10);

    bitmap_zero(s->released, s->nr_ram_pages);
    s->nr_released = 0;
    s->nr_unmapped = 0;

    xen_memory_write_node("static-max", kib);
    xen_memory_write_node("target", kib);
}

static bool xen_memory_is_needed(void *opaque)
{
    XenMemoryState *s = opaque;

    return s->nr_released || s->nr_unmapped;
}

static int xen_memory_post_load(void *opaque, int version_id)
{
    XenMemoryState *s = opaque;

    s->nr_released = bitmap_count_one(s->released, s->nr_ram_pages);
    if (xen_memory_tot_pages(s) > s->nr_ram_pages) {
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription xen_memory_vmstate = {
    .name = "xen-memory",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = xen_memory_is_needed,
    .post_load = xen_memory_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_INT32_EQUAL(nr_ram_pages, XenMemoryState, NULL),
        VMSTATE_UINT32(nr_unmapped, XenMemoryState),
        VMSTATE_BITMAP(released, XenMemoryState, 0, nr_ram_pages),
        VMSTATE_END_OF_LIST()
    }
};

static void xen_memory_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = xen_memory_realize;
    dc->vmsd = &xen_memory_vmstate;
    device_class_set_legacy_reset(dc, xen_memory_reset);
}

static const TypeInfo xen_memory_info = {
    .name          = TYPE_XEN_MEMORY,
    .parent        = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(XenMemoryState),
    .class_init    = xen_memory_class_init,
};

void xen_memory_create(void)
{
    xen_memory_singleton = XEN_MEMORY(sysbus_create_simple(TYPE_XEN_MEMORY,
                                                           -1, NULL));
}

static void xen_memory_register_types(void)
{
    type_register_static(&xen_memory_info);
}

type_init(xen_memory_register_types)
