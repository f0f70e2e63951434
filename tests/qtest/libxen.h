/*
 * libxen: drive QEMU's Xen HVM emulation from a qtest
 *
 * "-accel qtest,xen-version=V" brings the emulation up without a guest;
 * hypercalls are made with the qtest command xen_hypercall, and what the
 * emulation writes (shared_info, vcpu_info, FIFO words and control
 * blocks) is read back from guest memory.  The vCPUs stay in their reset
 * state (paging off), so hypercall pointers are guest-physical.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef XENBED_LIBXEN_H
#define XENBED_LIBXEN_H

#include "tests/qtest/libqtest.h"

/* hw/xen/xen.h picks the Xen interface version QEMU implements */
#include "hw/xen/xen.h"
#include "hw/xen/interface/xen.h"
#include "hw/xen/interface/event_channel.h"

/* Guest-physical layout the helpers use (guest RAM is XEN_QTEST_RAM) */
#define XEN_QTEST_RAM           "256M"
#define XEN_QTEST_SHINFO_GPA    0x08000000ULL   /* the shared_info overlay */
#define XEN_QTEST_ARGS_GPA      0x00100000ULL   /* hypercall arguments */
#define XEN_QTEST_FREE_GPA      0x00200000ULL   /* xen_qtest_page() hands out */
#define XEN_QTEST_GNTTAB_GPA    0x09000000ULL   /* grant table frames */
#define XEN_QTEST_PAGE_SIZE     4096

/* Hypercall numbers and HVM params the tests use */
#define XEN_HC_MEMORY_OP        12
#define XEN_HC_GRANT_TABLE_OP   20
#define XEN_HC_XEN_VERSION      17
#define XEN_HC_VCPU_OP          24
#define XEN_HC_EVENT_CHANNEL_OP 32
#define XEN_HC_HVM_OP           34

#define XEN_EPERM       1
#define XEN_ENOENT      2
#define XEN_EINVAL      22
#define XEN_EFAULT      14
#define XEN_ENOSPC      28
#define XEN_ENOSYS      38

typedef struct XenQTest {
    QTestState *qts;
    int nr_vcpus;
    uint64_t next_free_gpa;
    /* xenstore: the ring, its port, requests sent, events not yet read */
    uint64_t xs_ring_gpa;
    uint32_t xs_port;
    uint32_t xs_req_id;
    GQueue xs_events;
    /* grant table v1: frame 0 mapped, the next reference to hand out */
    bool gnttab_mapped;
    uint32_t next_gref;
} XenQTest;

/*
 * Start QEMU as a Xen HVM machine with @nr_vcpus and @accel_opts added
 * to -accel qtest (e.g. "xen-version=0x4000a,xen-evtchn-fifo=off"), map
 * shared_info and set a vector callback, as a Linux guest does first.
 */
XenQTest *xen_qtest_start(int nr_vcpus, const char *accel_opts);
/* The same with @extra_args on QEMU's command line */
XenQTest *xen_qtest_start_args(int nr_vcpus, const char *accel_opts,
                               const char *extra_args);
/* The same on @machine ("pc" or "q35") */
XenQTest *xen_qtest_start_on(const char *machine, int nr_vcpus,
                             const char *accel_opts, const char *extra_args);
void xen_qtest_end(XenQTest *x);
/* QEMU's command line for xen_qtest_start_on()'s arguments */
char *xen_qtest_args(const char *machine, int nr_vcpus,
                     const char *accel_opts, const char *extra_args);

/* A page of guest RAM of the test's own, zeroed */
uint64_t xen_qtest_page(XenQTest *x);

/* Hypercall @nr as @vcpu; negative Xen errno values come back as such */
int64_t xen_hypercall(XenQTest *x, int vcpu, uint64_t nr, uint64_t a1,
                      uint64_t a2, uint64_t a3);

/*
 * EVTCHNOP @cmd with @arg copied in (and back out, for the results the
 * ops write) through the argument area.
 */
int64_t xen_evtchn_op(XenQTest *x, int vcpu, int cmd, void *arg,
                      size_t len);

/* Event channel operations; each returns the port or a -errno */
int64_t xen_evtchn_bind_ipi(XenQTest *x, int vcpu);
int64_t xen_evtchn_alloc_unbound(XenQTest *x);
/* An unbound port for @remote_dom to bind (0: a backend in QEMU) */
int64_t xen_evtchn_alloc_unbound_for(XenQTest *x, uint16_t remote_dom);
int64_t xen_evtchn_bind_loopback(XenQTest *x, uint32_t remote_port);
int64_t xen_evtchn_send(XenQTest *x, uint32_t port);
int64_t xen_evtchn_close(XenQTest *x, uint32_t port);
int64_t xen_evtchn_unmask(XenQTest *x, uint32_t port);
int64_t xen_evtchn_reset(XenQTest *x);

/* The 2-level ABI's bits in shared_info and a vCPU's vcpu_info */
bool xen_2l_pending(XenQTest *x, uint32_t port);
bool xen_2l_masked(XenQTest *x, uint32_t port);
void xen_2l_set_mask(XenQTest *x, uint32_t port, bool masked);
uint64_t xen_2l_pending_sel(XenQTest *x, int vcpu);
uint8_t xen_upcall_pending(XenQTest *x, int vcpu);
void xen_clear_upcall(XenQTest *x, int vcpu);

/*
 * The FIFO ABI: init_control for @vcpu with a control block at
 * @control_gpa + @offset; expand_array with the page at @array_gpa.
 */
int64_t xen_fifo_init_control(XenQTest *x, int vcpu, uint64_t control_gpa,
                              uint32_t offset);
int64_t xen_fifo_expand_array(XenQTest *x, uint64_t array_gpa);
int64_t xen_fifo_set_priority(XenQTest *x, uint32_t port, uint32_t prio);
/* Event word of @port, in the array page that holds ports 0..1023 */
uint32_t xen_fifo_word(XenQTest *x, uint64_t array_gpa, uint32_t port);
uint32_t xen_fifo_ready(XenQTest *x, uint64_t control_gpa);
uint32_t xen_fifo_head(XenQTest *x, uint64_t control_gpa, int prio);

/*
 * xenstore over the guest's ring (HVM_PARAM_STORE_PFN/_EVTCHN).  A reply
 * is the payload with a NUL added; *type is XS_ERROR for an error, whose
 * payload names it ("ENOENT").  Watch events that arrive meanwhile are
 * kept for xen_xs_watch_event().
 */
char *xen_xs_request(XenQTest *x, uint32_t type, uint32_t tx_id,
                     const void *payload, size_t len, uint32_t *reply_type,
                     size_t *reply_len);
/* The value, or NULL with *err set to the error's name */
char *xen_xs_read(XenQTest *x, uint32_t tx_id, const char *path,
                  char **err);
/* NULL on success, else the error's name; free with g_free() */
char *xen_xs_write(XenQTest *x, uint32_t tx_id, const char *path,
                   const char *value);
char *xen_xs_watch(XenQTest *x, const char *path, const char *token);
uint32_t xen_xs_transaction_start(XenQTest *x);
char *xen_xs_transaction_end(XenQTest *x, uint32_t tx_id, bool commit);
/* The next watch event's path and token; false if none came */
bool xen_xs_watch_event(XenQTest *x, char **path, char **token);
/*
 * Grant table v1: GNTTABOP @cmd through the argument area; map grant
 * frame @idx at @gpa; grant domain 0 access to the page at @gpa (frame 0
 * is mapped at XEN_QTEST_GNTTAB_GPA first), returning the reference.
 */
int64_t xen_gnttab_op(XenQTest *x, int cmd, void *arg, size_t len);
int64_t xen_gnttab_map_frame(XenQTest *x, uint64_t idx, uint64_t gpa);
uint32_t xen_grant_access(XenQTest *x, uint64_t gpa, bool readonly);

/* Let QEMU's main loop and timers run (1 ms of virtual time a step) */
void xen_qtest_run(XenQTest *x, int steps);

/*
 * Migrate @qts to the file @state and quit it; then start QEMU with
 * @args and "-incoming file:@state" and return it once the load is done.
 */
QTestState *xen_qtest_migrate_to_file(QTestState *qts, const char *state,
                                      const char *args);

#endif
