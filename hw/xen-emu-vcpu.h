/*
 * What Xen gives a vCPU, where QEMU gives it rather than KVM
 *
 * The hooks QEMU's files call are declared in system/kvm_xen.h; these are
 * for target/i386/kvm/xen-emu.c, which handles the hypercalls.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef XENBED_HW_XEN_EMU_VCPU_H
#define XENBED_HW_XEN_EMU_VCPU_H

#include "hw/pci/msi.h"

/* The Xen system time without KVM, as the guest's pvclock gives it */
uint64_t xen_emu_system_time(void);

/* Write the vCPU's pvclocks: in its vcpu_info, and its time area. */
void xen_emu_write_vcpu_time(CPUState *cs);

/* Size of the runstate area in the 64-bit or 32-bit layout */
size_t xen_emu_runstate_size(bool long_mode);

/* Write the vCPU's runstate area, if it registered one. */
void xen_emu_write_runstate(CPUState *cs);

/* Write the wallclock into shared_info, if it is mapped. */
void xen_emu_write_wallclock(void);

/* The MSI that delivers @vector, a per-vCPU upcall vector, to @cpu */
MSIMessage xen_emu_callback_msi(X86CPU *cpu, uint8_t vector);

/* Deliver the upcall to @cs, with or without the BQL. */
void xen_emu_deliver_upcall(CPUState *cs);

/* After a hypercall: raise the upcall the guest made pending itself. */
void xen_emu_recheck_upcall(CPUState *cs);

/* Set up upcall delivery; called as each vCPU is realized, with the BQL. */
void xen_emu_upcall_init(void);

#endif
