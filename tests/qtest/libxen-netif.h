/*
 * libxen-netif: a netif frontend in a qtest, driving xen-net-device
 *
 * The test is the guest's netfront: it grants ring and data pages to
 * domain 0, allocates unbound ports for the backend, writes the frontend
 * keys and states over xenstore, and puts requests on the rings.  The
 * NIC's netdev is a socket whose other end the test holds ("the peer"),
 * so every frame the device sends or receives is the test's to compare.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef XENBED_LIBXEN_NETIF_H
#define XENBED_LIBXEN_NETIF_H

#include "libxen.h"
#include "hw/xen/interface/io/netif.h"
#include "qobject/qdict.h"

#define XEN_NETFRONT_MAX_QUEUES 4
#define XEN_NETFRONT_BUFS       16      /* data pages: TX frames, RX buffers */
#define XEN_NETIF_RING_SIZE     256
/* A reference no grant table has: every copy from or to it fails */
#define XEN_BAD_GREF            0x7fffffffu

/* xenbus states (xen/include/public/io/xenbus.h) */
#define XEN_BUS_INITIALISING    1
#define XEN_BUS_INITWAIT        2
#define XEN_BUS_CONNECTED       4
#define XEN_BUS_CLOSING         5
#define XEN_BUS_CLOSED          6

typedef struct XenNetFrontQueue {
    uint64_t tx_gpa, rx_gpa;    /* the shared rings */
    uint32_t tx_ref, rx_ref;    /* what the keys say (an attack may lie) */
    uint32_t tx_prod, rx_prod;  /* requests written */
    uint32_t port_tx, port_rx;  /* the same port unless split */
} XenNetFrontQueue;

typedef struct XenNetFront {
    XenQTest *x;
    char *accel_opts, *device_opts;     /* as started, for a migration */
    char *qemu_args;                    /* more QEMU options, likewise */
    int peer;                   /* the test's end of the NIC's netdev */
    int announcements;          /* RARPs peer_recv passed over */
    char *fe, *be;              /* frontend and backend xenstore dirs */
    uint8_t mac[6];
    XenNetFrontQueue q[XEN_NETFRONT_MAX_QUEUES];
    uint32_t ring_ref[XEN_NETFRONT_MAX_QUEUES][2];  /* as granted */
    uint64_t buf_gpa[XEN_NETFRONT_BUFS];
    uint32_t buf_ref[XEN_NETFRONT_BUFS];
} XenNetFront;

/*
 * QEMU with one xen-net-device "vif0" (@device_opts added to -device,
 * e.g. "max-queues=2") on a socket netdev whose other end is nf->peer.
 */
XenNetFront *xen_netfront_start(const char *accel_opts,
                                const char *device_opts);
/* The same, with @qemu_args added to QEMU's command line */
XenNetFront *xen_netfront_start_args(const char *accel_opts,
                                     const char *device_opts,
                                     const char *qemu_args);
void xen_netfront_end(XenNetFront *nf);
/*
 * Migrate the guest to the file @state and go on in a second QEMU with the
 * same device, on a new socket whose other end becomes nf->peer.  The
 * rings, grants and ports are the guest's, so they migrated with it.
 */
void xen_netfront_migrate(XenNetFront *nf, const char *state);

/*
 * One connection, as netfront makes it: begin (fresh rings and ports,
 * Initialising, and the backend's InitWait), the keys (write_keys for
 * the usual ones, or the test's own), then finish (request-rx-copy,
 * Connected) answering the backend's state: Connected, or Closing when
 * it refused the keys.  close goes Closing then Closed.
 */
void xen_netfront_begin(XenNetFront *nf);
void xen_netfront_write_queue_keys(XenNetFront *nf, const char *prefix,
                                   int queue, bool split);
void xen_netfront_write_keys(XenNetFront *nf, int nr_queues, bool split);
int xen_netfront_finish(XenNetFront *nf);
int xen_netfront_connect(XenNetFront *nf, int nr_queues, bool split);
int xen_netfront_close(XenNetFront *nf);

/*
 * Write or remove a frontend key; read a backend key (-1 if absent or
 * not a number); the backend's state
 */
void xen_netfront_write(XenNetFront *nf, const char *key, const char *fmt,
                        ...) G_GNUC_PRINTF(3, 4);
void xen_netfront_rm(XenNetFront *nf, const char *key);
int64_t xen_netfront_backend_read(XenNetFront *nf, const char *key);
int xen_netfront_backend_state(XenNetFront *nf);
/* Wait for the backend state to be @a or @b; returns the last one read */
int xen_netfront_wait_backend(XenNetFront *nf, int a, int b);

/* TX requests on @queue; nothing is visible to the backend until push */
void xen_netfront_tx_slot(XenNetFront *nf, int queue, uint32_t gref,
                          uint16_t offset, uint16_t flags, uint16_t size);
void xen_netfront_tx_gso(XenNetFront *nf, int queue, uint8_t type,
                         uint16_t gso_size, uint8_t gso_type);
void xen_netfront_tx_push(XenNetFront *nf, int queue);
/* Publish req_prod as @value (anything a hostile guest likes) */
void xen_netfront_tx_set_req_prod(XenNetFront *nf, int queue,
                                  uint32_t value);
void xen_netfront_rx_set_req_prod(XenNetFront *nf, int queue,
                                  uint32_t value);
/* Wait for @n responses in all; returns rsp_prod */
uint32_t xen_netfront_tx_wait(XenNetFront *nf, int queue, uint32_t n);
netif_tx_response_t xen_netfront_tx_rsp(XenNetFront *nf, int queue,
                                        uint32_t idx);
/* One TX frame of @len bytes in one slot from buffer @buf */
void xen_netfront_tx_frame(XenNetFront *nf, int queue, int buf,
                           const void *frame, uint16_t len);

/* An RX request for buffer @buf (id 100 + the request's index) */
void xen_netfront_rx_post(XenNetFront *nf, int queue, int buf);
void xen_netfront_rx_post_gref(XenNetFront *nf, int queue, uint32_t gref);
uint32_t xen_netfront_rx_wait(XenNetFront *nf, int queue, uint32_t n);
netif_rx_response_t xen_netfront_rx_rsp(XenNetFront *nf, int queue,
                                        uint32_t idx);

/* Data pages: write to / read from buffer @buf */
void xen_netfront_buf_write(XenNetFront *nf, int buf, uint16_t offset,
                            const void *data, size_t len);
void xen_netfront_buf_read(XenNetFront *nf, int buf, uint16_t offset,
                           void *data, size_t len);

/* The peer: send one frame to the NIC; receive one (-1: none came) */
void xen_netfront_peer_send(XenNetFront *nf, const void *frame, size_t len);
ssize_t xen_netfront_peer_recv(XenNetFront *nf, void *frame, size_t size);
/* Discard what the peer has received; returns the number of frames */
int xen_netfront_peer_drain(XenNetFront *nf);

/*
 * From query-xen-net: vif0's number of connected queues, and one queue's
 * entry (NULL if there is none; unref it)
 */
int xen_netfront_nr_queues(XenNetFront *nf);
QDict *xen_netfront_queue_info(XenNetFront *nf, int queue);

#endif
