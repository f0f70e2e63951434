/*
 * Xen areas in guest RAM that QEMU writes through a host pointer
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef XENBED_HW_XEN_GUEST_AREA_H
#define XENBED_HW_XEN_GUEST_AREA_H

#include "exec/memory.h"

void *xen_guest_area_map(uint64_t gpa, uint64_t len, MemoryRegionSection *mrs);
void xen_guest_area_set_dirty(MemoryRegionSection *mrs, uint64_t len);
void xen_guest_area_unmap(MemoryRegionSection *mrs);

#endif
