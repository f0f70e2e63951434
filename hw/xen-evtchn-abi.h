/*
 * Xen event channel port ABIs (2-level and FIFO) for QEMU's Xen emulation
 *
 * xen_evtchn.c keeps the port table (types, targets, vCPUs); this wraps
 * xenbed's plain-C port ABIs (evtchn/) with guest memory, upcalls and
 * trace events from QEMU.  evtchn.h defines the FIFO constants as Xen's
 * public headers do, so both can be included together.
 *
 * Every call must be made with the caller's port_lock held.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XENBED_XEN_EVTCHN_ABI_H
#define XENBED_XEN_EVTCHN_ABI_H

#include "migration/vmstate.h"
#include "xenbed/evtchn/evtchn.h"

typedef struct XenEvtchnAbi XenEvtchnAbi;

typedef struct XenEvtchnAbiHooks {
    void *opaque;
    /* Is @port bound?  If so, its notify vCPU is returned in @vcpu. */
    bool (*port_bound)(void *opaque, uint32_t port, uint32_t *vcpu);
    /* evtchn_upcall_pending of @vcpu went from 0 to 1: inject. */
    void (*raise_upcall)(void *opaque, uint32_t vcpu);
} XenEvtchnAbiHooks;

/*
 * @nr_vcpus bounds the vCPU ids FIFO accepts; @fifo_max_port caps ports
 * under FIFO; without @fifo, init_control and expand_array are -ENOSYS.
 */
XenEvtchnAbi *xen_evtchn_abi_new(const XenEvtchnAbiHooks *hooks,
                                 uint32_t nr_vcpus, uint32_t fifo_max_port,
                                 bool fifo);
bool xen_evtchn_abi_is_fifo(XenEvtchnAbi *a);
/* Ports of the current ABI are 1 .. max_ports - 1. */
uint32_t xen_evtchn_abi_max_ports(XenEvtchnAbi *a);

void xen_evtchn_abi_set_pending(XenEvtchnAbi *a, uint32_t vcpu,
                                uint32_t port);
void xen_evtchn_abi_clear_pending(XenEvtchnAbi *a, uint32_t port);
void xen_evtchn_abi_unmask(XenEvtchnAbi *a, uint32_t vcpu, uint32_t port);
/*
 * @port moved to @vcpu (EVTCHNOP_bind_vcpu): under 2-level, an unmasked
 * pending event is raised again there.  Under FIFO nothing happens.
 */
void xen_evtchn_abi_vcpu_moved(XenEvtchnAbi *a, uint32_t vcpu, uint32_t port);
bool xen_evtchn_abi_is_pending(XenEvtchnAbi *a, uint32_t port);
bool xen_evtchn_abi_is_masked(XenEvtchnAbi *a, uint32_t port);
void xen_evtchn_abi_port_state(XenEvtchnAbi *a, uint32_t port,
                               struct evtchn_port_state *st);

/* Lowest free port that is not busy (still LINKED), or -ENOSPC. */
int xen_evtchn_abi_alloc_port(XenEvtchnAbi *a);
/* Mark @port used or free in the allocation map (no ABI action). */
void xen_evtchn_abi_mark_port(XenEvtchnAbi *a, uint32_t port, bool in_use);
/* A port was bound: its priority goes back to the default. */
void xen_evtchn_abi_port_bind(XenEvtchnAbi *a, uint32_t port);

int xen_evtchn_abi_init_control(XenEvtchnAbi *a, uint64_t control_gfn,
                                uint32_t offset, uint32_t vcpu,
                                uint8_t *link_bits);
int xen_evtchn_abi_expand_array(XenEvtchnAbi *a, uint64_t array_gfn);
int xen_evtchn_abi_set_priority(XenEvtchnAbi *a, uint32_t port,
                                bool port_in_use, uint32_t priority);
/*
 * Migration: the FIFO state that is not in guest memory, the core's
 * struct evtchn_fifo_save, which vmstate_evtchn_fifo_save describes.
 * xen_evtchn_abi_save() fills it (allocating its arrays; release with
 * evtchn_fifo_save_free()); with fifo false the domain is 2-level and
 * nothing else is set.  xen_evtchn_abi_restore() re-maps every frame, or
 * fails (a frame is not RAM, FIFO is off here, an index is out of range)
 * and leaves the domain 2-level.
 */
extern const VMStateDescription vmstate_evtchn_fifo_save;

int xen_evtchn_abi_save(XenEvtchnAbi *a, struct evtchn_fifo_save *s);
int xen_evtchn_abi_restore(XenEvtchnAbi *a, const struct evtchn_fifo_save *s);

/* Back to 2-level; call after the guest's ports are closed. */
void xen_evtchn_abi_reset(XenEvtchnAbi *a);
void xen_evtchn_abi_vcpu_info_changed(XenEvtchnAbi *a, uint32_t vcpu);

#endif
