/*
 * libxen-netif: a netif frontend in a qtest, driving xen-net-device
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "libxen-netif.h"
#include "hw/xen/interface/io/xs_wire.h"

#define WAIT_STEPS  2000        /* main loop steps a wait may take */
#define RECV_STEPS  300         /* ... and a frame the peer waits for */

#define TX_RING_ENTRY(q, i) ((q)->tx_gpa + offsetof(struct netif_tx_sring, \
    ring) + ((i) % XEN_NETIF_RING_SIZE) * sizeof(union netif_tx_sring_entry))
#define RX_RING_ENTRY(q, i) ((q)->rx_gpa + offsetof(struct netif_rx_sring, \
    ring) + ((i) % XEN_NETIF_RING_SIZE) * sizeof(union netif_rx_sring_entry))

/* netfront's keys, removed before each connection */
static const char *const frontend_keys[] = {
    "multi-queue-num-queues", "queue-0", "queue-1", "queue-2", "queue-3",
    "tx-ring-ref", "rx-ring-ref", "event-channel", "event-channel-tx",
    "event-channel-rx", "request-rx-copy", "feature-rx-notify",
};

/* The NIC's netdev on socket @fd, and the device */
static char *netfront_device_args(XenNetFront *nf, int fd)
{
    return g_strdup_printf("-netdev socket,id=n0,fd=%d -device "
                           "xen-net-device,id=vif0,netdev=n0%s%s %s", fd,
                           nf->device_opts ? "," : "",
                           nf->device_opts ? nf->device_opts : "",
                           nf->qemu_args ? nf->qemu_args : "");
}

XenNetFront *xen_netfront_start(const char *accel_opts,
                                const char *device_opts)
{
    return xen_netfront_start_args(accel_opts, device_opts, NULL);
}

XenNetFront *xen_netfront_start_args(const char *accel_opts,
                                     const char *device_opts,
                                     const char *qemu_args)
{
    XenNetFront *nf = g_new0(XenNetFront, 1);
    g_autofree char *args = NULL;
    g_autofree char *mac = NULL;
    g_autofree char *err = NULL;
    unsigned int m[6];
    int sv[2];

    nf->accel_opts = g_strdup(accel_opts);
    nf->device_opts = g_strdup(device_opts);
    nf->qemu_args = g_strdup(qemu_args);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    args = netfront_device_args(nf, sv[1]);
    nf->x = xen_qtest_start_args(1, accel_opts, args);
    close(sv[1]);
    nf->peer = sv[0];

    nf->fe = g_strdup("device/vif/0");
    nf->be = xen_xs_read(nf->x, 0, "device/vif/0/backend", &err);
    g_assert_null(err);
    mac = xen_xs_read(nf->x, 0, "device/vif/0/mac", &err);
    g_assert_null(err);
    g_assert_cmpint(sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2],
                           &m[3], &m[4], &m[5]), ==, 6);
    for (int i = 0; i < 6; i++) {
        nf->mac[i] = m[i];
    }

    for (int i = 0; i < XEN_NETFRONT_MAX_QUEUES; i++) {
        for (int r = 0; r < 2; r++) {
            uint64_t gpa = xen_qtest_page(nf->x);

            nf->ring_ref[i][r] = xen_grant_access(nf->x, gpa, false);
            if (r == 0) {
                nf->q[i].tx_gpa = gpa;
            } else {
                nf->q[i].rx_gpa = gpa;
            }
        }
    }
    for (int i = 0; i < XEN_NETFRONT_BUFS; i++) {
        nf->buf_gpa[i] = xen_qtest_page(nf->x);
        nf->buf_ref[i] = xen_grant_access(nf->x, nf->buf_gpa[i], false);
    }
    return nf;
}

void xen_netfront_end(XenNetFront *nf)
{
    close(nf->peer);
    xen_qtest_end(nf->x);
    g_free(nf->accel_opts);
    g_free(nf->device_opts);
    g_free(nf->qemu_args);
    g_free(nf->fe);
    g_free(nf->be);
    g_free(nf);
}

void xen_netfront_migrate(XenNetFront *nf, const char *state)
{
    g_autofree char *device = NULL;
    g_autofree char *args = NULL;
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    device = netfront_device_args(nf, sv[1]);
    args = xen_qtest_args("pc", nf->x->nr_vcpus, nf->accel_opts, device);
    nf->x->qts = xen_qtest_migrate_to_file(nf->x->qts, state, args);
    close(sv[1]);
    close(nf->peer);
    nf->peer = sv[0];
}

void xen_netfront_write(XenNetFront *nf, const char *key, const char *fmt,
                        ...)
{
    g_autofree char *path = g_strdup_printf("%s/%s", nf->fe, key);
    g_autofree char *value = NULL;
    g_autofree char *err = NULL;
    va_list ap;

    va_start(ap, fmt);
    value = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    err = xen_xs_write(nf->x, 0, path, value);
    g_assert_null(err);
}

void xen_netfront_rm(XenNetFront *nf, const char *key)
{
    g_autofree char *path = g_strdup_printf("%s/%s", nf->fe, key);
    g_autofree char *reply = NULL;
    uint32_t type;

    /* An absent key is fine: ENOENT */
    reply = xen_xs_request(nf->x, XS_RM, 0, path, strlen(path) + 1, &type,
                           NULL);
}

int64_t xen_netfront_backend_read(XenNetFront *nf, const char *key)
{
    g_autofree char *path = g_strdup_printf("%s/%s", nf->be, key);
    g_autofree char *err = NULL;
    g_autofree char *value = xen_xs_read(nf->x, 0, path, &err);
    int64_t n;

    if (!value || qemu_strtoi64(value, NULL, 10, &n)) {
        return -1;
    }
    return n;
}

int xen_netfront_backend_state(XenNetFront *nf)
{
    return xen_netfront_backend_read(nf, "state");
}

int xen_netfront_wait_backend(XenNetFront *nf, int a, int b)
{
    int state = -1;

    for (int i = 0; i < WAIT_STEPS; i++) {
        state = xen_netfront_backend_state(nf);
        if (state == a || state == b) {
            break;
        }
        xen_qtest_run(nf->x, 1);
    }
    return state;
}

void xen_netfront_begin(XenNetFront *nf)
{
    for (int i = 0; i < XEN_NETFRONT_MAX_QUEUES; i++) {
        XenNetFrontQueue *q = &nf->q[i];

        if (q->port_tx) {
            xen_evtchn_close(nf->x, q->port_tx);
            xen_evtchn_close(nf->x, q->port_rx);
        }
        /* The backend unmapped the rings at Closed: start them afresh */
        qtest_memset(nf->x->qts, q->tx_gpa, 0, XEN_QTEST_PAGE_SIZE);
        qtest_memset(nf->x->qts, q->rx_gpa, 0, XEN_QTEST_PAGE_SIZE);
        /* SHARED_RING_INIT: notify at the first request and response */
        qtest_writel(nf->x->qts, q->tx_gpa +
                     offsetof(struct netif_tx_sring, req_event), 1);
        qtest_writel(nf->x->qts, q->tx_gpa +
                     offsetof(struct netif_tx_sring, rsp_event), 1);
        qtest_writel(nf->x->qts, q->rx_gpa +
                     offsetof(struct netif_rx_sring, req_event), 1);
        qtest_writel(nf->x->qts, q->rx_gpa +
                     offsetof(struct netif_rx_sring, rsp_event), 1);
        q->tx_ref = nf->ring_ref[i][0];
        q->rx_ref = nf->ring_ref[i][1];
        q->tx_prod = q->rx_prod = 0;
        q->port_tx = xen_evtchn_alloc_unbound_for(nf->x, 0);
        q->port_rx = xen_evtchn_alloc_unbound_for(nf->x, 0);
        g_assert_cmpint(q->port_tx, >, 0);
        g_assert_cmpint(q->port_rx, >, 0);
    }
    for (size_t i = 0; i < ARRAY_SIZE(frontend_keys); i++) {
        xen_netfront_rm(nf, frontend_keys[i]);
    }
    xen_netfront_write(nf, "state", "%d", XEN_BUS_INITIALISING);
    g_assert_cmpint(xen_netfront_wait_backend(nf, XEN_BUS_INITWAIT, -1), ==,
                    XEN_BUS_INITWAIT);
}

void xen_netfront_write_queue_keys(XenNetFront *nf, const char *prefix,
                                   int queue, bool split)
{
    XenNetFrontQueue *q = &nf->q[queue];
    g_autofree char *tx = g_strdup_printf("%stx-ring-ref", prefix);
    g_autofree char *rx = g_strdup_printf("%srx-ring-ref", prefix);
    g_autofree char *ch = g_strdup_printf("%sevent-channel", prefix);

    xen_netfront_write(nf, tx, "%u", q->tx_ref);
    xen_netfront_write(nf, rx, "%u", q->rx_ref);
    if (split) {
        g_autofree char *ch_tx = g_strdup_printf("%s-tx", ch);
        g_autofree char *ch_rx = g_strdup_printf("%s-rx", ch);

        xen_netfront_write(nf, ch_tx, "%u", q->port_tx);
        xen_netfront_write(nf, ch_rx, "%u", q->port_rx);
    } else {
        /* One port for both rings, as without split channels */
        q->port_rx = q->port_tx;
        xen_netfront_write(nf, ch, "%u", q->port_tx);
    }
}

void xen_netfront_write_keys(XenNetFront *nf, int nr_queues, bool split)
{
    if (nr_queues == 1) {
        xen_netfront_write_queue_keys(nf, "", 0, split);
        return;
    }
    xen_netfront_write(nf, "multi-queue-num-queues", "%d", nr_queues);
    for (int i = 0; i < nr_queues; i++) {
        g_autofree char *prefix = g_strdup_printf("queue-%d/", i);

        xen_netfront_write_queue_keys(nf, prefix, i, split);
    }
}

int xen_netfront_finish(XenNetFront *nf)
{
    xen_netfront_write(nf, "request-rx-copy", "1");
    xen_netfront_write(nf, "feature-rx-notify", "1");
    xen_netfront_write(nf, "state", "%d", XEN_BUS_CONNECTED);
    return xen_netfront_wait_backend(nf, XEN_BUS_CONNECTED, XEN_BUS_CLOSING);
}

int xen_netfront_connect(XenNetFront *nf, int nr_queues, bool split)
{
    xen_netfront_begin(nf);
    xen_netfront_write_keys(nf, nr_queues, split);
    return xen_netfront_finish(nf);
}

int xen_netfront_close(XenNetFront *nf)
{
    if (xen_netfront_backend_state(nf) != XEN_BUS_CLOSED) {
        xen_netfront_write(nf, "state", "%d", XEN_BUS_CLOSING);
        xen_netfront_wait_backend(nf, XEN_BUS_CLOSING, XEN_BUS_CLOSED);
        xen_netfront_write(nf, "state", "%d", XEN_BUS_CLOSED);
    }
    return xen_netfront_wait_backend(nf, XEN_BUS_CLOSED, -1);
}

void xen_netfront_tx_slot(XenNetFront *nf, int queue, uint32_t gref,
                          uint16_t offset, uint16_t flags, uint16_t size)
{
    XenNetFrontQueue *q = &nf->q[queue];
    netif_tx_request_t req = {
        .gref = gref, .offset = offset, .flags = flags,
        .id = (uint16_t)q->tx_prod, .size = size,
    };

    qtest_memwrite(nf->x->qts, TX_RING_ENTRY(q, q->tx_prod), &req,
                   sizeof(req));
    q->tx_prod++;
}

void xen_netfront_tx_gso(XenNetFront *nf, int queue, uint8_t type,
                         uint16_t gso_size, uint8_t gso_type)
{
    XenNetFrontQueue *q = &nf->q[queue];
    netif_extra_info_t extra = {
        .type = type,
        .u.gso = { .size = gso_size, .type = gso_type },
    };

    qtest_memwrite(nf->x->qts, TX_RING_ENTRY(q, q->tx_prod), &extra,
                   sizeof(extra));
    q->tx_prod++;
}

void xen_netfront_tx_set_req_prod(XenNetFront *nf, int queue,
                                  uint32_t value)
{
    XenNetFrontQueue *q = &nf->q[queue];

    qtest_writel(nf->x->qts, q->tx_gpa +
                 offsetof(struct netif_tx_sring, req_prod), value);
    g_assert_cmpint(xen_evtchn_send(nf->x, q->port_tx), ==, 0);
}

void xen_netfront_rx_set_req_prod(XenNetFront *nf, int queue,
                                  uint32_t value)
{
    XenNetFrontQueue *q = &nf->q[queue];

    qtest_writel(nf->x->qts, q->rx_gpa +
                 offsetof(struct netif_rx_sring, req_prod), value);
}

void xen_netfront_tx_push(XenNetFront *nf, int queue)
{
    xen_netfront_tx_set_req_prod(nf, queue, nf->q[queue].tx_prod);
}

/* Let the main loop run until the rsp_prod at @gpa reaches @n */
static uint32_t wait_rsp_prod(XenNetFront *nf, uint64_t gpa, uint32_t n)
{
    uint32_t prod = qtest_readl(nf->x->qts, gpa);

    for (int i = 0; i < WAIT_STEPS && prod < n; i++) {
        xen_qtest_run(nf->x, 1);
        prod = qtest_readl(nf->x->qts, gpa);
    }
    return prod;
}

uint32_t xen_netfront_tx_wait(XenNetFront *nf, int queue, uint32_t n)
{
    return wait_rsp_prod(nf, nf->q[queue].tx_gpa +
                         offsetof(struct netif_tx_sring, rsp_prod), n);
}

netif_tx_response_t xen_netfront_tx_rsp(XenNetFront *nf, int queue,
                                        uint32_t idx)
{
    netif_tx_response_t rsp;

    qtest_memread(nf->x->qts, TX_RING_ENTRY(&nf->q[queue], idx), &rsp,
                  sizeof(rsp));
    return rsp;
}

void xen_netfront_tx_frame(XenNetFront *nf, int queue, int buf,
                           const void *frame, uint16_t len)
{
    xen_netfront_buf_write(nf, buf, 0, frame, len);
    xen_netfront_tx_slot(nf, queue, nf->buf_ref[buf], 0, 0, len);
}

void xen_netfront_rx_post_gref(XenNetFront *nf, int queue, uint32_t gref)
{
    XenNetFrontQueue *q = &nf->q[queue];
    netif_rx_request_t req = { .id = (uint16_t)(100 + q->rx_prod),
                               .gref = gref };

    qtest_memwrite(nf->x->qts, RX_RING_ENTRY(q, q->rx_prod), &req,
                   sizeof(req));
    q->rx_prod++;
    xen_netfront_rx_set_req_prod(nf, queue, q->rx_prod);
}

void xen_netfront_rx_post(XenNetFront *nf, int queue, int buf)
{
    xen_netfront_rx_post_gref(nf, queue, nf->buf_ref[buf]);
}

uint32_t xen_netfront_rx_wait(XenNetFront *nf, int queue, uint32_t n)
{
    return wait_rsp_prod(nf, nf->q[queue].rx_gpa +
                         offsetof(struct netif_rx_sring, rsp_prod), n);
}

netif_rx_response_t xen_netfront_rx_rsp(XenNetFront *nf, int queue,
                                        uint32_t idx)
{
    netif_rx_response_t rsp;

    qtest_memread(nf->x->qts, RX_RING_ENTRY(&nf->q[queue], idx), &rsp,
                  sizeof(rsp));
    return rsp;
}

void xen_netfront_buf_write(XenNetFront *nf, int buf, uint16_t offset,
                            const void *data, size_t len)
{
    g_assert_cmpuint(offset + len, <=, XEN_QTEST_PAGE_SIZE);
    qtest_memwrite(nf->x->qts, nf->buf_gpa[buf] + offset, data, len);
}

void xen_netfront_buf_read(XenNetFront *nf, int buf, uint16_t offset,
                           void *data, size_t len)
{
    g_assert_cmpuint(offset + len, <=, XEN_QTEST_PAGE_SIZE);
    qtest_memread(nf->x->qts, nf->buf_gpa[buf] + offset, data, len);
}

/* The socket netdev's stream framing: a big-endian length, the frame */
void xen_netfront_peer_send(XenNetFront *nf, const void *frame, size_t len)
{
    uint32_t be_len = cpu_to_be32(len);

    g_assert_cmpint(qemu_write_full(nf->peer, &be_len, sizeof(be_len)), ==,
                    sizeof(be_len));
    g_assert_cmpint(qemu_write_full(nf->peer, frame, len), ==, len);
}

static void peer_read_full(XenNetFront *nf, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(nf->peer, (uint8_t *)buf + got, len - got);

        g_assert_cmpint(n, >, 0);
        got += n;
    }
}

/*
 * After a migration the destination announces the NIC (RARP from its
 * MAC, as for every NIC): not a frame the test sent.
 */
static bool is_self_announcement(XenNetFront *nf, const uint8_t *frame,
                                 size_t len)
{
    return len >= 14 && frame[12] == 0x80 && frame[13] == 0x35 &&
           !memcmp(frame + 6, nf->mac, 6);
}

ssize_t xen_netfront_peer_recv(XenNetFront *nf, void *frame, size_t size)
{
    GPollFD pfd = { .fd = nf->peer, .events = G_IO_IN };
    uint32_t be_len;
    size_t len;

    for (int i = 0; i < RECV_STEPS; i++) {
        if (g_poll(&pfd, 1, 1) == 1) {
            peer_read_full(nf, &be_len, sizeof(be_len));
            len = be32_to_cpu(be_len);
            g_assert_cmpuint(len, <=, size);
            peer_read_full(nf, frame, len);
            if (is_self_announcement(nf, frame, len)) {
                nf->announcements++;
                continue;
            }
            return len;
        }
        xen_qtest_run(nf->x, 1);
    }
    return -1;
}

/* vif0's entry of query-xen-net; unref the reply */
static QDict *query_vif0(XenNetFront *nf, QDict **reply)
{
    QList *devices;

    *reply = qtest_qmp(nf->x->qts, "{ 'execute': 'query-xen-net' }");
    g_assert(qdict_haskey(*reply, "return"));
    devices = qdict_get_qlist(*reply, "return");
    for (const QListEntry *e = qlist_first(devices); e; e = qlist_next(e)) {
        QDict *dev = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(dev, "path"), "/machine/peripheral/vif0")) {
            return dev;
        }
    }
    g_assert_not_reached();
}

int xen_netfront_nr_queues(XenNetFront *nf)
{
    QDict *reply;
    QDict *vif0 = query_vif0(nf, &reply);
    int n = qlist_size(qdict_get_qlist(vif0, "queues"));

    qobject_unref(reply);
    return n;
}

QDict *xen_netfront_queue_info(XenNetFront *nf, int queue)
{
    QDict *reply, *found = NULL;
    QDict *vif0 = query_vif0(nf, &reply);
    QList *queues = qdict_get_qlist(vif0, "queues");

    for (const QListEntry *e = qlist_first(queues); e; e = qlist_next(e)) {
        QDict *q = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_get_int(q, "index") == queue) {
            found = q;
            qobject_ref(found);
        }
    }
    qobject_unref(reply);
    return found;
}

int xen_netfront_peer_drain(XenNetFront *nf)
{
    GPollFD pfd = { .fd = nf->peer, .events = G_IO_IN };
    uint8_t frame[XEN_QTEST_PAGE_SIZE * 18];
    uint32_t be_len;
    int n = 0;

    xen_qtest_run(nf->x, 10);
    while (g_poll(&pfd, 1, 0) == 1) {
        peer_read_full(nf, &be_len, sizeof(be_len));
        g_assert_cmpuint(be32_to_cpu(be_len), <=, sizeof(frame));
        peer_read_full(nf, frame, be32_to_cpu(be_len));
        n++;
    }
    return n;
}
