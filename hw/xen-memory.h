/*
 * Xen HVM emulation: the guest's memory reservation
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef XENBED_HW_XEN_MEMORY_H
#define XENBED_HW_XEN_MEMORY_H

/* Largest extent a domU may name, as Xen's CONFIG_DOMU_MAX_ORDER (2 MiB) */
#define XEN_MEMORY_MAX_ORDER    9

void xen_memory_create(void);

/*
 * One extent of 2^order pages at gfn, for XENMEM_decrease_reservation and
 * XENMEM_populate_physmap: 0, or -errno and nothing changed.
 */
int xen_memory_decrease_extent(uint64_t gfn, unsigned int order);
int xen_memory_populate_extent(uint64_t gfn, unsigned int order);
/* XENMEM_increase_reservation: pages the guest owns but cannot address */
int xen_memory_increase_extent(unsigned int order);

uint64_t xen_memory_current_pages(void);
uint64_t xen_memory_max_pages(void);
uint64_t xen_memory_max_gpfn(void);

#endif /* XENBED_HW_XEN_MEMORY_H */
