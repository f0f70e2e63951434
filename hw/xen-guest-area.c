/*
 * Xen areas in guest RAM that QEMU writes through a host pointer
 *
 * The vCPU time and runstate areas (without KVM), and the FIFO event
 * channel control blocks and event arrays, are guest memory that QEMU
 * writes as Xen would, behind the memory API. They must be RAM the guest
 * can write: a guest that names MMIO, ROM, a read-only region or a RAM
 * device gets no area (its hypercall fails, or the area is not written),
 * never a write to the device behind it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "exec/memory.h"
#include "exec/address-spaces.h"
#include "xen-guest-area.h"

/*
 * A host pointer to [gpa, gpa + len), if it is all writable RAM of one
 * region; NULL otherwise. The mapping holds a reference to the region
 * until xen_guest_area_unmap().
 */
void *xen_guest_area_map(uint64_t gpa, uint64_t len, MemoryRegionSection *mrs)
{
    MemoryRegion *mr;
    void *host;

    *mrs = (MemoryRegionSection) { .mr = NULL };
    if (!len || gpa + len < gpa) {
        return NULL;
    }

    *mrs = memory_region_find(get_system_memory(), gpa, len);
    mr = mrs->mr;
    if (!mr) {
        return NULL;
    }
    /* mrs->readonly: also RAM the guest sees through a read-only alias */
    if (!memory_region_is_ram(mr) || !mr->ram_block || mr->readonly ||
        mrs->readonly || memory_region_is_rom(mr) ||
        memory_region_is_ram_device(mr) ||
        int128_lt(mrs->size, int128_make64(len))) {
        goto fail;
    }

    host = qemu_map_ram_ptr(mr->ram_block, mrs->offset_within_region);
    if (host) {
        return host;
    }

fail:
    memory_region_unref(mr);
    mrs->mr = NULL;
    return NULL;
}

/*
 * The first @len bytes of the area were written behind the memory API's
 * back, which KVM's dirty log does not see either: mark them for
 * migration.
 */
void xen_guest_area_set_dirty(MemoryRegionSection *mrs, uint64_t len)
{
    memory_region_set_dirty(mrs->mr, mrs->offset_within_region, len);
}

void xen_guest_area_unmap(MemoryRegionSection *mrs)
{
    memory_region_unref(mrs->mr);
    mrs->mr = NULL;
}
