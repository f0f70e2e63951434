/*
 * qtest: xen-net-device driven by the test's own netif frontend
 *
 * Negotiation (queues, split event channels, features), frames through
 * TX and RX compared byte for byte with the socket netdev's other end,
 * scatter-gather chains, checksum and GSO offload, and every attack of
 * the guest suite's hostile frontend (tests/guest/progs/fakevif.c): the
 * queue fails with its reason in query-xen-net, or the packet is answered
 * with errors, or the backend refuses the keys and goes Closing; QMP
 * answers within 100 ms and the next connection carries traffic.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qobject/qdict.h"
#include "libxen-netif.h"
#include "hw/xen/interface/grant_table.h"
#include "../guest/progs/netif-garbage.h"

#define FRAME_MAX   (XEN_QTEST_PAGE_SIZE + 64)
#define ETH_HLEN    14
#define TEST_ETHERTYPE 0x88b5   /* IEEE local experimental */

/* A frame of @len bytes from the NIC's MAC to everyone, bytes counting */
static void test_frame(XenNetFront *nf, uint8_t *f, size_t len, uint8_t seed)
{
    memset(f, 0xff, 6);
    memcpy(f + 6, nf->mac, 6);
    f[12] = TEST_ETHERTYPE >> 8;
    f[13] = TEST_ETHERTYPE & 0xff;
    for (size_t i = ETH_HLEN; i < len; i++) {
        f[i] = seed + i;
    }
}

/* Send @len bytes of frame from buffer 0 and check the peer got them */
static void check_tx(XenNetFront *nf, int queue, size_t len, uint8_t seed)
{
    uint8_t frame[FRAME_MAX], got[FRAME_MAX];
    uint32_t first = nf->q[queue].tx_prod;
    netif_tx_response_t rsp;

    test_frame(nf, frame, len, seed);
    xen_netfront_tx_frame(nf, queue, 0, frame, len);
    xen_netfront_tx_push(nf, queue);
    g_assert_cmpuint(xen_netfront_tx_wait(nf, queue, first + 1), ==,
                     first + 1);
    rsp = xen_netfront_tx_rsp(nf, queue, first);
    g_assert_cmpint(rsp.status, ==, NETIF_RSP_OKAY);
    g_assert_cmpuint(rsp.id, ==, (uint16_t)first);
    g_assert_cmpint(xen_netfront_peer_recv(nf, got, sizeof(got)), ==, len);
    g_assert_cmpmem(got, len, frame, len);
}

/*
 * The peer sends @len bytes; they land whole in buffer @buf of the queue
 * that has an RX request posted.  Returns that queue.
 */
static int check_rx(XenNetFront *nf, int nr_queues, size_t len, int buf,
                    uint8_t seed)
{
    uint8_t frame[FRAME_MAX], got[FRAME_MAX];
    uint32_t first[XEN_NETFRONT_MAX_QUEUES];
    int queue = -1;
    netif_rx_response_t rsp;

    for (int i = 0; i < nr_queues; i++) {
        first[i] = nf->q[i].rx_prod;
        xen_netfront_rx_post(nf, i, buf);
    }
    test_frame(nf, frame, len, seed);
    xen_netfront_peer_send(nf, frame, len);
    for (int step = 0; queue < 0 && step < 100; step++) {
        for (int i = 0; i < nr_queues && queue < 0; i++) {
            if (xen_netfront_rx_wait(nf, i, 0) > first[i]) {
                queue = i;
            }
        }
        xen_qtest_run(nf->x, 1);
    }
    g_assert_cmpint(queue, >=, 0);
    rsp = xen_netfront_rx_rsp(nf, queue, first[queue]);
    g_assert_cmpuint(rsp.id, ==, (uint16_t)(100 + first[queue]));
    g_assert_cmpint(rsp.status, ==, len);
    g_assert_cmpuint(rsp.offset, ==, 0);
    g_assert_cmphex(rsp.flags & NETRXF_more_data, ==, 0);
    xen_netfront_buf_read(nf, buf, 0, got, len);
    g_assert_cmpmem(got, len, frame, len);
    /* The backend notified the queue's RX port (2-level: shared_info) */
    g_assert_true(xen_2l_pending(nf->x, nf->q[queue].port_rx));
    return queue;
}

/* "ok", or "failed (reason)", as query-xen-net says; NULL: no such queue */
static char *queue_state(XenNetFront *nf, int queue)
{
    QDict *q = xen_netfront_queue_info(nf, queue);
    char *state;

    if (!q) {
        return NULL;
    }
    state = qdict_get_bool(q, "failed") ?
        g_strdup_printf("failed (%s)", qdict_get_str(q, "reason")) :
        g_strdup("ok");
    qobject_unref(q);
    return state;
}

static void test_negotiation(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, "max-queues=2");

    /* What the backend offers, as netback does */
    g_assert_cmpint(xen_netfront_backend_read(nf, "feature-rx-copy"), ==, 1);
    g_assert_cmpint(xen_netfront_backend_read(nf, "feature-sg"), ==, 1);
    g_assert_cmpint(xen_netfront_backend_read(nf, "feature-gso-tcpv4"), ==,
                    1);
    g_assert_cmpint(xen_netfront_backend_read(nf,
                    "feature-split-event-channels"), ==, 1);
    g_assert_cmpint(xen_netfront_backend_read(nf, "multi-queue-max-queues"),
                    ==, 2);

    /* Two queues with split channels: four ports, two queues up */
    g_assert_cmpint(xen_netfront_connect(nf, 2, true), ==, XEN_BUS_CONNECTED);
    g_assert_cmpint(xen_netfront_nr_queues(nf), ==, 2);
    for (int i = 0; i < 2; i++) {
        g_autofree char *state = queue_state(nf, i);

        g_assert_cmpstr(state, ==, "ok");
        check_tx(nf, i, 60, i);
    }
    g_assert_cmpint(xen_netfront_close(nf), ==, XEN_BUS_CLOSED);
    g_assert_cmpint(xen_netfront_nr_queues(nf), ==, 0);

    /* Then one queue, flat keys, one port: as an old frontend */
    g_assert_cmpint(xen_netfront_connect(nf, 1, false), ==,
                    XEN_BUS_CONNECTED);
    g_assert_cmpint(xen_netfront_nr_queues(nf), ==, 1);
    check_tx(nf, 0, 60, 7);
    check_rx(nf, 1, 60, 1, 9);
    g_assert_cmpint(xen_netfront_close(nf), ==, XEN_BUS_CLOSED);
    xen_netfront_end(nf);
}

static void test_no_split_offered(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, "max-queues=1,"
                                         "split-event-channels=off,sg=off");

    g_assert_cmpint(xen_netfront_backend_read(nf,
                    "feature-split-event-channels"), <=, 0);
    g_assert_cmpint(xen_netfront_backend_read(nf, "feature-sg"), <=, 0);
    g_assert_cmpint(xen_netfront_backend_read(nf, "multi-queue-max-queues"),
                    <=, 1);
    g_assert_cmpint(xen_netfront_connect(nf, 1, false), ==,
                    XEN_BUS_CONNECTED);
    check_tx(nf, 0, 1514, 3);
    xen_netfront_end(nf);
}

/* Frames of every size both ways, on each of two split-channel queues */
static void test_tx_rx(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, "max-queues=2");
    static const size_t sizes[] = { 14, 60, 61, 1500, 1514 };
    bool queue_seen[2] = { false, false };

    g_assert_cmpint(xen_netfront_connect(nf, 2, true), ==, XEN_BUS_CONNECTED);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        check_tx(nf, i % 2, sizes[i], i);
        queue_seen[check_rx(nf, 2, sizes[i], 2 + i, 0x40 + i)] = true;
    }
    g_assert_true(queue_seen[0] || queue_seen[1]);
    xen_netfront_end(nf);
}

/* One frame over three slots of three pages: the peer gets it whole */
static void test_sg_chain(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, "max-queues=1");
    static const uint16_t part[3] = { 100, 200, 300 };
    uint8_t frame[600], got[FRAME_MAX];
    uint16_t off = 0;

    g_assert_cmpint(xen_netfront_connect(nf, 1, false), ==,
                    XEN_BUS_CONNECTED);
    test_frame(nf, frame, sizeof(frame), 0x11);
    for (int i = 0; i < 3; i++) {
        /* Each part at an odd offset of its page */
        xen_netfront_buf_write(nf, i, 7 * (i + 1), frame + off, part[i]);
        xen_netfront_tx_slot(nf, 0, nf->buf_ref[i], 7 * (i + 1),
                             i < 2 ? NETTXF_more_data : 0,
                             i == 0 ? sizeof(frame) : part[i]);
        off += part[i];
    }
    xen_netfront_tx_push(nf, 0);
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 0, 3), ==, 3);
    for (uint32_t i = 0; i < 3; i++) {
        netif_tx_response_t rsp = xen_netfront_tx_rsp(nf, 0, i);

        g_assert_cmpuint(rsp.id, ==, i);
        g_assert_cmpint(rsp.status, ==, NETIF_RSP_OKAY);
    }
    g_assert_cmpint(xen_netfront_peer_recv(nf, got, sizeof(got)), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    xen_netfront_end(nf);
}

/* The Internet checksum of @len bytes, with @sum carried in */
static uint16_t inet_csum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (p[i] << 8) | p[i + 1];
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

/* True if the IPv4 header and TCP checksums of @f are right */
static bool tcpv4_csums_ok(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + ETH_HLEN, *tcp = ip + 20;
    size_t tcp_len = len - ETH_HLEN - 20;
    uint32_t pseudo = 0;

    for (int i = 12; i < 20; i += 2) {
        pseudo += (ip[i] << 8) | ip[i + 1];
    }
    pseudo += 6 + tcp_len;
    return inet_csum(ip, 20, 0) == 0 && inet_csum(tcp, tcp_len, pseudo) == 0;
}

/*
 * Ethernet, IPv4 and TCP headers and @payload bytes, as Linux hands a
 * CHECKSUM_PARTIAL frame to netfront: the IPv4 header checksum done, the
 * TCP checksum field holding the pseudo-header sum for the backend to
 * complete.
 */
static size_t tcpv4_frame(XenNetFront *nf, uint8_t *f, uint16_t payload)
{
    uint8_t *ip = f + ETH_HLEN, *tcp = ip + 20;
    uint16_t total = 40 + payload;

    memset(f, 0, ETH_HLEN + total);
    memset(f, 0xff, 6);
    memcpy(f + 6, nf->mac, 6);
    f[12] = 0x08;
    ip[0] = 0x45;
    ip[2] = total >> 8;
    ip[3] = total & 0xff;
    ip[6] = 0x40;                       /* DF */
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, (uint8_t[]){ 10, 0, 2, 15, 10, 0, 2, 2 }, 8);
    tcp[0] = 0x9c;                      /* 40000 -> 80 */
    tcp[1] = 0x40;
    tcp[3] = 80;
    tcp[7] = 1;                         /* seq 1 */
    tcp[12] = 0x50;
    tcp[13] = 0x18;                     /* PSH ACK */
    tcp[14] = 0xff;
    for (int i = 0; i < payload; i++) {
        tcp[20 + i] = 'a' + i % 26;
    }
    stw_be_p(ip + 10, inet_csum(ip, 20, 0));
    stw_be_p(tcp + 16, ~inet_csum(ip + 12, 8, 6 + 20 + payload) & 0xffff);
    return ETH_HLEN + total;
}

/*
 * A checksum-blank frame, then a 600-byte TCPv4 GSO frame of MSS 256:
 * the socket peer takes no offloads, so the device completes the
 * checksum and cuts three segments, each with right checksums, in order.
 */
static void test_csum_gso(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, "max-queues=1");
    uint8_t frame[FRAME_MAX], got[FRAME_MAX];
    size_t len;
    uint32_t payload_seen = 0;

    g_assert_cmpint(xen_netfront_connect(nf, 1, false), ==,
                    XEN_BUS_CONNECTED);
    len = tcpv4_frame(nf, frame, 100);
    xen_netfront_buf_write(nf, 0, 0, frame, len);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_csum_blank, len);
    xen_netfront_tx_push(nf, 0);
    g_assert_cmpint(xen_netfront_peer_recv(nf, got, sizeof(got)), ==, len);
    g_assert_true(tcpv4_csums_ok(got, len));
    g_assert_cmpmem(got + 54, len - 54, frame + 54, len - 54);

    len = tcpv4_frame(nf, frame, 600);
    xen_netfront_buf_write(nf, 1, 0, frame, len);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[1], 0,
                         NETTXF_csum_blank | NETTXF_extra_info, len);
    xen_netfront_tx_gso(nf, 0, XEN_NETIF_EXTRA_TYPE_GSO, 256,
                        XEN_NETIF_GSO_TYPE_TCPV4);
    xen_netfront_tx_push(nf, 0);
    for (int seg = 0; seg < 3; seg++) {
        ssize_t n = xen_netfront_peer_recv(nf, got, sizeof(got));
        uint32_t seq = ldl_be_p(got + ETH_HLEN + 20 + 4);
        size_t data = n - 54;

        g_assert_cmpint(n, >, 54);
        g_assert_cmpuint(data, ==, seg < 2 ? 256 : 600 - 512);
        g_assert_true(tcpv4_csums_ok(got, n));
        g_assert_cmpuint(seq, ==, 1 + payload_seen);
        g_assert_cmpmem(got + 54, data, frame + 54 + payload_seen, data);
        payload_seen += data;
    }
    g_assert_cmpuint(payload_seen, ==, 600);
    g_assert_cmpint(xen_netfront_peer_recv(nf, got, sizeof(got)), ==, -1);
    /* Both packets answered OKAY: 1 slot, then 2 (the extra's is NULL) */
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 0, 3), ==, 3);
    g_assert_cmpint(xen_netfront_tx_rsp(nf, 0, 0).status, ==, NETIF_RSP_OKAY);
    g_assert_cmpint(xen_netfront_tx_rsp(nf, 0, 1).status, ==, NETIF_RSP_OKAY);
    g_assert_cmpint(xen_netfront_tx_rsp(nf, 0, 2).status, ==, NETIF_RSP_NULL);
    xen_netfront_end(nf);
}

#define NO_MEMORY_FRAME 0x200000    /* 8 GiB: nothing there */
#define BIOS_ROM_FRAME  0xfffff     /* the BIOS below 4 GiB: read-only */

/* A grant of buffer @buf's page as the guest wrote it: flags, domid, frame */
static uint32_t grant_entry(XenNetFront *nf, int buf, uint16_t flags,
                            uint16_t domid, uint32_t frame)
{
    uint32_t ref = xen_grant_access(nf->x, nf->buf_gpa[buf], false);
    grant_entry_v1_t entry = { .flags = flags, .domid = domid,
                               .frame = frame };

    qtest_memwrite(nf->x->qts, XEN_QTEST_GNTTAB_GPA + ref * sizeof(entry),
                   &entry, sizeof(entry));
    return ref;
}

/*
 * Grant entries the backend must not use: not permitted, for another
 * domain, read-only for an RX copy, a frame where there is no memory, or
 * ROM to write to.  Each TX slot
 * is answered ERROR and each RX request gets an ERROR response; the
 * queue stays up and carries the next frame.
 */
static void test_bad_grants(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, "max-queues=1");
    uint32_t frame = nf->buf_gpa[4] / XEN_QTEST_PAGE_SIZE;
    const uint32_t tx_refs[] = {
        grant_entry(nf, 4, 0, 0, frame),
        grant_entry(nf, 4, GTF_permit_access, 5, frame),
        grant_entry(nf, 4, GTF_permit_access, 0, NO_MEMORY_FRAME),
        grant_entry(nf, 4, GTF_permit_access | GTF_reading | GTF_writing |
                    0xff00, 0, NO_MEMORY_FRAME),
    };
    const uint32_t rx_refs[] = {
        grant_entry(nf, 5, 0, 0, frame + 1),
        grant_entry(nf, 5, GTF_permit_access, 5, frame + 1),
        grant_entry(nf, 5, GTF_permit_access | GTF_readonly, 0, frame + 1),
        grant_entry(nf, 5, GTF_permit_access, 0, NO_MEMORY_FRAME),
        grant_entry(nf, 5, GTF_permit_access, 0, BIOS_ROM_FRAME),
    };
    uint8_t test[60];
    char *state;

    g_assert_cmpint(xen_netfront_connect(nf, 1, false), ==,
                    XEN_BUS_CONNECTED);
    test_frame(nf, test, sizeof(test), 0);
    xen_netfront_buf_write(nf, 4, 0, test, sizeof(test));
    for (size_t i = 0; i < ARRAY_SIZE(tx_refs); i++) {
        xen_netfront_tx_slot(nf, 0, tx_refs[i], 0, 0, sizeof(test));
    }
    xen_netfront_tx_push(nf, 0);
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 0, ARRAY_SIZE(tx_refs)), ==,
                     ARRAY_SIZE(tx_refs));
    for (size_t i = 0; i < ARRAY_SIZE(tx_refs); i++) {
        g_assert_cmpint(xen_netfront_tx_rsp(nf, 0, i).status, ==,
                        NETIF_RSP_ERROR);
    }
    g_assert_cmpint(xen_netfront_peer_recv(nf, test, sizeof(test)), ==, -1);

    for (size_t i = 0; i < ARRAY_SIZE(rx_refs); i++) {
        xen_netfront_rx_post_gref(nf, 0, rx_refs[i]);
        xen_netfront_peer_send(nf, test, sizeof(test));
        g_assert_cmpuint(xen_netfront_rx_wait(nf, 0, i + 1), ==, i + 1);
        g_assert_cmpint(xen_netfront_rx_rsp(nf, 0, i).status, ==,
                        NETIF_RSP_ERROR);
    }
    state = queue_state(nf, 0);
    g_assert_cmpstr(state, ==, "ok");
    g_free(state);
    check_tx(nf, 0, 60, 1);
    check_rx(nf, 1, 60, 6, 2);
    xen_netfront_end(nf);
}

/* Lines of the QEMU log @path that contain @event */
static unsigned int count_log_lines(const char *path, const char *event)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    unsigned int n = 0;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        n += strstr(lines[i], event) != NULL;
    }
    return n;
}

/*
 * A packet the frontend cannot take (a frame larger than a page, and no
 * feature-sg) is dropped and one whose posted grant fails is answered
 * with an error: each is counted, traced, and the next packet arrives.
 */
static void test_rx_drops_traced(void)
{
    g_autofree char *log = NULL;
    g_autofree char *args = NULL;
    int fd = g_file_open_tmp("xen-netif-rx-XXXXXX.log", &log, NULL);
    XenNetFront *nf;
    uint8_t big[XEN_QTEST_PAGE_SIZE + 1000], small[60];
    QDict *q;

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    args = g_strdup_printf("-D %s -trace xen_netdev_rx_dropped "
                           "-trace xen_netdev_rx_copy_failed", log);
    nf = xen_netfront_start_args(NULL, "max-queues=1", args);
    g_assert_cmpint(xen_netfront_connect(nf, 1, false), ==,
                    XEN_BUS_CONNECTED);
    test_frame(nf, big, sizeof(big), 3);
    xen_netfront_peer_send(nf, big, sizeof(big));
    test_frame(nf, small, sizeof(small), 4);
    xen_netfront_rx_post_gref(nf, 0, grant_entry(nf, 5, GTF_permit_access,
                                                 0, NO_MEMORY_FRAME));
    xen_netfront_peer_send(nf, small, sizeof(small));
    g_assert_cmpuint(xen_netfront_rx_wait(nf, 0, 1), ==, 1);
    g_assert_cmpint(xen_netfront_rx_rsp(nf, 0, 0).status, ==,
                    NETIF_RSP_ERROR);
    check_rx(nf, 1, 60, 1, 5);

    q = xen_netfront_queue_info(nf, 0);
    g_assert_nonnull(q);
    g_assert_cmpuint(qdict_get_int(q, "rx-dropped"), ==, 1);
    g_assert_cmpuint(qdict_get_int(q, "rx-errors"), ==, 1);
    g_assert_cmpuint(qdict_get_int(q, "rx-packets"), ==, 1);
    g_assert_false(qdict_get_bool(q, "failed"));
    qobject_unref(q);
    xen_netfront_end(nf);

    g_assert_cmpuint(count_log_lines(log, "xen_netdev_rx_dropped vif0 q0 "
                                     "len 5096 "), ==, 1);
    g_assert_cmpuint(count_log_lines(log, "xen_netdev_rx_copy_failed vif0 "
                                     "q0 len 60"), ==, 1);
    unlink(log);
}

/* ---- the hostile frontend ---- */

#define BAD_PORT    4000000     /* above any port the guest can have */
#define CHAIN_MAX   32

/*
 * A frame from buffer 0 (the same bytes for every n) as a packet of @n
 * slots: the Ethernet header in the first, the rest spread over the
 * others (2 bytes each for long chains); slot @bad gets a reference that
 * fails.
 */
static void tx_chain(XenNetFront *nf, int queue, unsigned int n, int bad,
                     size_t *frame_len)
{
    unsigned int len = MAX(60, ETH_HLEN + 2 * (n - 1));
    unsigned int rest = len - ETH_HLEN, off = ETH_HLEN;
    uint8_t frame[FRAME_MAX];

    test_frame(nf, frame, len, 0);
    xen_netfront_buf_write(nf, 0, 0, frame, len);
    xen_netfront_tx_slot(nf, queue, bad == 0 ? XEN_BAD_GREF : nf->buf_ref[0],
                         0, n > 1 ? NETTXF_more_data : 0, len);
    for (unsigned int i = 1; i < n; i++) {
        unsigned int size = rest / (n - 1) + (i == n - 1 ? rest % (n - 1) : 0);

        xen_netfront_tx_slot(nf, queue,
                             (int)i == bad ? XEN_BAD_GREF : nf->buf_ref[0],
                             off, i < n - 1 ? NETTXF_more_data : 0, size);
        off += size;
    }
    if (frame_len) {
        *frame_len = len;
    }
}

/* The peer receives exactly the frame tx_chain(n) sent */
static void peer_gets_chain(XenNetFront *nf, unsigned int n)
{
    unsigned int len = MAX(60, ETH_HLEN + 2 * (n - 1));
    uint8_t frame[FRAME_MAX], got[FRAME_MAX];

    test_frame(nf, frame, len, 0);
    g_assert_cmpint(xen_netfront_peer_recv(nf, got, sizeof(got)), ==, len);
    g_assert_cmpmem(got, len, frame, len);
}

typedef struct Attack {
    const char *name;
    const char *device;         /* NULL: one queue, no split channels */
    void (*keys)(XenNetFront *nf);  /* NULL: flat keys, one queue */
    void (*run)(XenNetFront *nf);   /* on the connected rings */
    /* instead of run: a packet the peer gets, then this fatal one */
    void (*bad_packet)(XenNetFront *nf);
    bool refused;               /* the backend goes Closing at connect */
    int fatal_queue;            /* with fatal: which queue fails */
    const char *fatal;          /* that queue's reason, in query-xen-net */
    bool closes;                /* the run closes the connection */
    bool hasty;                 /* Closing right after Connected */
} Attack;

static void keys_two_queues(XenNetFront *nf)
{
    xen_netfront_write_keys(nf, 2, false);
}

static void keys_bad_num_queues(XenNetFront *nf)
{
    xen_netfront_write_keys(nf, 1, false);
    xen_netfront_write(nf, "multi-queue-num-queues", "1x");
}

static void keys_shared_ring(XenNetFront *nf)
{
    nf->q[0].rx_ref = nf->q[0].tx_ref;
    xen_netfront_write_keys(nf, 1, false);
}

static void keys_num_queues_0(XenNetFront *nf)
{
    xen_netfront_write_keys(nf, 1, false);
    xen_netfront_write(nf, "multi-queue-num-queues", "0");
}

static void keys_num_queues_max1(XenNetFront *nf)
{
    int64_t max = xen_netfront_backend_read(nf, "multi-queue-max-queues");

    xen_netfront_write_keys(nf, 1, false);
    xen_netfront_write(nf, "multi-queue-num-queues", "%" PRId64,
                       (max > 0 ? max : 1) + 1);
}

static void keys_queue1_missing(XenNetFront *nf)
{
    xen_netfront_write(nf, "multi-queue-num-queues", "2");
    xen_netfront_write_queue_keys(nf, "queue-0/", 0, false);
}

static void keys_tx_channel_only(XenNetFront *nf)
{
    xen_netfront_write_queue_keys(nf, "", 0, true);
    /* event-channel-tx without -rx */
    xen_netfront_rm(nf, "event-channel-rx");
}

static void keys_same_port(XenNetFront *nf)
{
    nf->q[1].port_tx = nf->q[0].port_tx;
    keys_two_queues(nf);
}

static void keys_same_ring(XenNetFront *nf)
{
    nf->q[1].tx_ref = nf->q[0].tx_ref;
    keys_two_queues(nf);
}

static void keys_bad_ring_ref(XenNetFront *nf)
{
    nf->q[0].tx_ref = XEN_BAD_GREF;
    xen_netfront_write_keys(nf, 1, false);
}

static void keys_bad_port(XenNetFront *nf)
{
    nf->q[0].port_tx = BAD_PORT;
    xen_netfront_write_keys(nf, 1, false);
}

static void keys_queue1_bad_port(XenNetFront *nf)
{
    nf->q[1].port_tx = BAD_PORT;
    keys_two_queues(nf);
}

static void run_tx_prod(XenNetFront *nf)
{
    xen_netfront_tx_set_req_prod(nf, 0, 0x80000000u);   /* req_cons 0 */
}

/* Notifications with nothing on the ring: answered by nothing */
static void run_storm(XenNetFront *nf)
{
    for (int i = 0; i < 2000; i++) {
        xen_evtchn_send(nf->x, nf->q[0].port_tx);
    }
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 0, 0), ==, 0);
}

/* A packet the peer gets, then one the backend must treat as fatal */
static void fatal_after_frame(XenNetFront *nf, void (*bad)(XenNetFront *nf))
{
    tx_chain(nf, 0, 1, -1, NULL);
    bad(nf);
    xen_netfront_tx_push(nf, 0);
    peer_gets_chain(nf, 1);
    /* The good packet answered, then nothing: the queue stopped */
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 0, 1), ==, 1);
    g_assert_cmpint(xen_netfront_tx_rsp(nf, 0, 0).status, ==,
                    NETIF_RSP_OKAY);
    xen_qtest_run(nf->x, 20);
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 0, 0), ==, 1);
}

static void bad_chain_22(XenNetFront *nf)
{
    tx_chain(nf, 0, 22, -1, NULL);
}

static void bad_chain_ring(XenNetFront *nf)
{
    while (nf->q[0].tx_prod < XEN_NETIF_RING_SIZE) {
        xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_more_data, 2);
    }
}

static void bad_chain_short(XenNetFront *nf)
{
    for (int i = 0; i < 5; i++) {
        xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_more_data, 60);
    }
}

static void bad_cross_page_frag(XenNetFront *nf)
{
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_more_data,
                         60 + 97);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 4000, 0, 97);
}

static void bad_cross_page_first(XenNetFront *nf)
{
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 4000, 0, 97);
}

static void bad_extra(XenNetFront *nf, uint8_t type, uint16_t gso_size,
                      uint8_t gso_type)
{
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_extra_info, 60);
    xen_netfront_tx_gso(nf, 0, type, gso_size, gso_type);
}

static void bad_extra_type_0(XenNetFront *nf)
{
    bad_extra(nf, 0, 0, 0);
}

static void bad_extra_type_255(XenNetFront *nf)
{
    bad_extra(nf, 255, 0, 0);
}

static void bad_gso_size_0(XenNetFront *nf)
{
    bad_extra(nf, XEN_NETIF_EXTRA_TYPE_GSO, 0, XEN_NETIF_GSO_TYPE_TCPV4);
}

static void bad_gso_type(XenNetFront *nf)
{
    bad_extra(nf, XEN_NETIF_EXTRA_TYPE_GSO, 1448, 3);
}

/* The extra-info flag on the last published request */
static void bad_missing_extra(XenNetFront *nf)
{
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_extra_info, 60);
}

/*
 * Packets netback drops with ERROR answers, the queue staying up, between
 * chains it must deliver: 18 and 19 slots go out, 20 and 21 are dropped,
 * so are a slot bigger than what is left, 13 bytes, 10 bytes in the first
 * slot of a chain and a bad reference in one slot; then a good packet.
 */
static void run_tx_drops(XenNetFront *nf)
{
    static const struct {
        unsigned int slots;
        int16_t status;
    } want[] = {
        { 18, NETIF_RSP_OKAY }, { 19, NETIF_RSP_OKAY },
        { 20, NETIF_RSP_ERROR }, { 21, NETIF_RSP_ERROR },
        { 3, NETIF_RSP_ERROR }, { 1, NETIF_RSP_ERROR },
        { 2, NETIF_RSP_ERROR }, { 4, NETIF_RSP_ERROR },
        { 3, NETIF_RSP_OKAY },
    };
    uint32_t idx = 0;

    tx_chain(nf, 0, 18, -1, NULL);
    tx_chain(nf, 0, 19, -1, NULL);
    tx_chain(nf, 0, 20, -1, NULL);
    tx_chain(nf, 0, 21, -1, NULL);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_more_data, 40);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_more_data, 30);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, 0, 30);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, 0, 13);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, NETTXF_more_data, 40);
    xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 10, 0, 30);
    tx_chain(nf, 0, 4, 2, NULL);
    tx_chain(nf, 0, 3, -1, NULL);
    xen_netfront_tx_push(nf, 0);
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 0, nf->q[0].tx_prod), ==,
                     nf->q[0].tx_prod);
    for (size_t p = 0; p < ARRAY_SIZE(want); p++) {
        for (unsigned int s = 0; s < want[p].slots; s++, idx++) {
            netif_tx_response_t rsp = xen_netfront_tx_rsp(nf, 0, idx);

            g_assert_cmpuint(rsp.id, ==, (uint16_t)idx);
            g_assert_cmpint(rsp.status, ==, want[p].status);
        }
    }
    peer_gets_chain(nf, 18);
    peer_gets_chain(nf, 19);
    peer_gets_chain(nf, 3);
}

/* An RX request on a bad reference is answered ERROR; the next works */
static void run_rx_bad_gref(XenNetFront *nf)
{
    uint8_t frame[60];
    netif_rx_response_t rsp;

    xen_netfront_rx_post_gref(nf, 0, XEN_BAD_GREF);
    test_frame(nf, frame, sizeof(frame), 0);
    xen_netfront_peer_send(nf, frame, sizeof(frame));
    g_assert_cmpuint(xen_netfront_rx_wait(nf, 0, 1), ==, 1);
    rsp = xen_netfront_rx_rsp(nf, 0, 0);
    g_assert_cmpuint(rsp.id, ==, 100);
    g_assert_cmpint(rsp.status, ==, NETIF_RSP_ERROR);
    check_rx(nf, 1, 60, 1, 5);
}

/* RX req_prod 2^31 ahead: the next frame for the queue fails it */
static void run_rx_prod(XenNetFront *nf)
{
    uint8_t frame[60];

    xen_netfront_rx_set_req_prod(nf, 0, 0x80000000u);
    test_frame(nf, frame, sizeof(frame), 0);
    xen_netfront_peer_send(nf, frame, sizeof(frame));
    xen_qtest_run(nf->x, 50);
    g_assert_cmpuint(xen_netfront_rx_wait(nf, 0, 0), ==, 0);
}

/* A ring full of packets, then Closing and Closed right away */
static void run_close_in_flight(XenNetFront *nf)
{
    while (nf->q[0].tx_prod < XEN_NETIF_RING_SIZE) {
        xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], 0, 0, 60);
    }
    xen_netfront_tx_push(nf, 0);
    xen_netfront_write(nf, "state", "%d", XEN_BUS_CLOSING);
    xen_netfront_write(nf, "state", "%d", XEN_BUS_CLOSED);
    g_assert_cmpint(xen_netfront_wait_backend(nf, XEN_BUS_CLOSED, -1), ==,
                    XEN_BUS_CLOSED);
}

/* Queue 1 fails (TX req_prod 2^31 ahead); queue 0 carries on */
static void run_queue1_fatal(XenNetFront *nf)
{
    xen_netfront_tx_set_req_prod(nf, 1, 0x80000000u);
    xen_qtest_run(nf->x, 20);
    check_tx(nf, 0, 60, 1);
}

/*
 * fakevif's offload-garbage: frames whose headers lie about the offloads
 * they ask for, then two well-formed GSO frames.  Every request is
 * answered OKAY (its extra NULL); the socket peer takes no offloads, so
 * the well-formed ones are cut in software (3 segments each), the
 * type-swapped ones go out as one segment of what they are, csum_blank
 * alone on ICMP and on a fragment goes out as it is, and the five that
 * cannot be cut are dropped and counted.  Then a frame gets through.
 */
static void run_offload_garbage(XenNetFront *nf)
{
    uint8_t page[XEN_QTEST_PAGE_SIZE] = { 0 }, got[FRAME_MAX];
    QDict *stats;
    int frames = 0, segments_of_256 = 0;
    ssize_t n;

    for (unsigned int g = 0; g < G_COUNT; g++) {
        struct garbage_slot slot = garbage_slot(g);
        uint16_t len = garbage_frame(page + slot.offset, g, nf->mac);

        xen_netfront_buf_write(nf, 0, slot.offset, page + slot.offset, len);
        xen_netfront_tx_slot(nf, 0, nf->buf_ref[0], slot.offset,
                             NETTXF_csum_blank |
                             (slot.gso ? NETTXF_extra_info : 0), len);
        if (slot.gso) {
            xen_netfront_tx_gso(nf, 0, XEN_NETIF_EXTRA_TYPE_GSO,
                                slot.gso_size, slot.gso_tcpv6 ?
                                XEN_NETIF_GSO_TYPE_TCPV6 :
                                XEN_NETIF_GSO_TYPE_TCPV4);
        }
    }
    xen_netfront_tx_push(nf, 0);
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 0, nf->q[0].tx_prod), ==,
                     nf->q[0].tx_prod);
    for (uint32_t i = 0, g = 0; g < G_COUNT; g++) {
        g_assert_cmpint(xen_netfront_tx_rsp(nf, 0, i++).status, ==,
                        NETIF_RSP_OKAY);
        if (garbage_slot(g).gso) {
            g_assert_cmpint(xen_netfront_tx_rsp(nf, 0, i++).status, ==,
                            NETIF_RSP_NULL);
        }
    }
    while ((n = xen_netfront_peer_recv(nf, got, sizeof(got))) > 0) {
        frames++;
        /* A segment of the well-formed frames: headers and 256 bytes */
        segments_of_256 += n == 54 + 256 || n == 58 + 256;
    }
    g_assert_cmpint(frames, ==, 2 * 3 + 2 + 2);
    g_assert_cmpint(segments_of_256, ==, 2 * 2);
    stats = xen_netfront_queue_info(nf, 0);
    g_assert_cmpint(qdict_get_int(stats, "tx-gso-dropped"), ==, 5);
    g_assert_cmpint(qdict_get_int(stats, "tx-offload-passed"), ==, 0);
    qobject_unref(stats);
    check_tx(nf, 0, 60, 0x33);
}

#define IMPOSSIBLE "Impossible number of requests: req_prod 2147483648 " \
    "req_cons 0"
#define TWO_QUEUES "max-queues=2"

static const Attack attacks[] = {
    { "tx-prod", .run = run_tx_prod, .fatal = IMPOSSIBLE },
    { "storm", .run = run_storm },
    { "tx-drops", .run = run_tx_drops },
    { "rx-bad-gref", .run = run_rx_bad_gref },
    { "chain-22", .bad_packet = bad_chain_22,
      .fatal = "Malicious frontend using 20 slots" },
    { "chain-ring", .bad_packet = bad_chain_ring,
      .fatal = "Malicious frontend using 20 slots" },
    { "chain-short", .bad_packet = bad_chain_short,
      .fatal = "Asked for 4 slots but exceeds this limit" },
    { "cross-page-frag", .bad_packet = bad_cross_page_frag,
      .fatal = "Cross page boundary, offset 4000 size 97" },
    { "cross-page-first", .bad_packet = bad_cross_page_first,
      .fatal = "Cross page boundary, offset 4000 size 97" },
    { "extra-type-0", .bad_packet = bad_extra_type_0,
      .fatal = "Invalid extra type: 0" },
    { "extra-type-255", .bad_packet = bad_extra_type_255,
      .fatal = "Invalid extra type: 255" },
    { "gso-size-0", .bad_packet = bad_gso_size_0,
      .fatal = "GSO size must not be zero" },
    { "gso-type", .bad_packet = bad_gso_type, .fatal = "Bad GSO type 3" },
    { "missing-extra", .bad_packet = bad_missing_extra,
      .fatal = "Missing extra info" },
    { "rx-prod", .run = run_rx_prod, .fatal = "RX " IMPOSSIBLE },
    { "offload-garbage", .run = run_offload_garbage },
    { "close-in-flight", .run = run_close_in_flight, .closes = true },
    { "close-connecting", .hasty = true },
    { "queue1-fatal", TWO_QUEUES, keys_two_queues, run_queue1_fatal,
      .fatal_queue = 1, .fatal = IMPOSSIBLE },
    { "bad-num-queues", .keys = keys_bad_num_queues, .refused = true },
    { "shared-ring", .keys = keys_shared_ring, .refused = true },
    { "num-queues-0", TWO_QUEUES, keys_num_queues_0, .refused = true },
    { "num-queues-max1", TWO_QUEUES, keys_num_queues_max1,
      .refused = true },
    { "queue1-missing", TWO_QUEUES, keys_queue1_missing, .refused = true },
    { "tx-channel-only", .keys = keys_tx_channel_only, .refused = true },
    { "same-port", TWO_QUEUES, keys_same_port, .refused = true },
    { "same-ring", TWO_QUEUES, keys_same_ring, .refused = true },
    { "bad-ring-ref", .keys = keys_bad_ring_ref, .refused = true },
    { "bad-port", .keys = keys_bad_port, .refused = true },
    { "queue1-bad-port", TWO_QUEUES, keys_queue1_bad_port,
      .refused = true },
};

/* QMP answers, and fast: nothing the guest did holds the main loop */
static void assert_qmp_responsive(XenNetFront *nf)
{
    int64_t start = g_get_monotonic_time();
    QDict *rsp = qtest_qmp(nf->x->qts, "{ 'execute': 'query-status' }");

    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 100 * 1000);
}

static void test_attack(const void *opaque)
{
    const Attack *a = opaque;
    XenNetFront *nf = xen_netfront_start(NULL, a->device ? a->device :
                                         "max-queues=1,"
                                         "split-event-channels=off");
    int state;

    xen_netfront_begin(nf);
    if (a->keys) {
        a->keys(nf);
    } else {
        xen_netfront_write_keys(nf, 1, false);
    }
    if (a->hasty) {
        xen_netfront_write(nf, "request-rx-copy", "1");
        xen_netfront_write(nf, "state", "%d", XEN_BUS_CONNECTED);
        xen_netfront_write(nf, "state", "%d", XEN_BUS_CLOSING);
        xen_netfront_write(nf, "state", "%d", XEN_BUS_CLOSED);
        g_assert_cmpint(xen_netfront_wait_backend(nf, XEN_BUS_CLOSED, -1),
                        ==, XEN_BUS_CLOSED);
    } else {
        state = xen_netfront_finish(nf);
        if (a->refused) {
            /* Refused keys: Closing, no queue set up */
            g_assert_cmpint(state, ==, XEN_BUS_CLOSING);
            g_assert_cmpint(xen_netfront_nr_queues(nf), ==, 0);
        } else {
            g_assert_cmpint(state, ==, XEN_BUS_CONNECTED);
            if (a->bad_packet) {
                fatal_after_frame(nf, a->bad_packet);
            } else {
                a->run(nf);
            }
            assert_qmp_responsive(nf);
            if (!a->closes) {
                g_autofree char *got = queue_state(nf, a->fatal_queue);
                g_autofree char *want = a->fatal ?
                    g_strdup_printf("failed (%s)", a->fatal) :
                    g_strdup("ok");

                /* Only the queue failed: the backend stays Connected */
                g_assert_cmpint(xen_netfront_backend_state(nf), ==,
                                XEN_BUS_CONNECTED);
                g_assert_cmpstr(got, ==, want);
            }
        }
    }
    assert_qmp_responsive(nf);
    g_assert_cmpint(xen_netfront_close(nf), ==, XEN_BUS_CLOSED);
    /* What the attack got out (close-in-flight: up to a ring's worth) */
    g_assert_cmpint(xen_netfront_peer_drain(nf), <=, XEN_NETIF_RING_SIZE);

    /* The next connection works both ways */
    g_assert_cmpint(xen_netfront_connect(nf, 1, false), ==,
                    XEN_BUS_CONNECTED);
    check_tx(nf, 0, 60, 0x77);
    check_rx(nf, 1, 60, 3, 0x78);
    xen_netfront_end(nf);
}

static uint64_t queue_counter(XenNetFront *nf, int queue, const char *name)
{
    QDict *q = xen_netfront_queue_info(nf, queue);
    uint64_t value;

    g_assert_nonnull(q);
    value = qdict_get_int(q, name);
    qobject_unref(q);
    return value;
}

/*
 * Migrated with two split-channel queues up, the device goes on where the
 * source stopped: a TX request put on the ring without an event before
 * the migration is answered after it, RX buffers posted before it take
 * frames after it, and the counters go on.
 */
static void test_migration(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, "max-queues=2");
    g_autofree char *dir = g_dir_make_tmp("xen-netif-XXXXXX", NULL);
    g_autofree char *state = g_strdup_printf("%s/state", dir);
    uint8_t frame[FRAME_MAX], got[FRAME_MAX];
    bool queue_seen[2] = { false, false };
    netif_tx_response_t rsp;
    uint32_t first;

    g_assert_nonnull(dir);
    g_assert_cmpint(xen_netfront_connect(nf, 2, true), ==, XEN_BUS_CONNECTED);
    for (int i = 0; i < 4; i++) {
        check_tx(nf, i % 2, 60 + i, i);
        check_rx(nf, 2, 60 + i, 2 + i, 0x40 + i);
    }
    /* Queue 1: a request on the ring, no event */
    first = nf->q[1].tx_prod;
    test_frame(nf, frame, 100, 0x77);
    xen_netfront_tx_frame(nf, 1, 0, frame, 100);
    qtest_writel(nf->x->qts, nf->q[1].tx_gpa +
                 offsetof(struct netif_tx_sring, req_prod), nf->q[1].tx_prod);
    xen_qtest_run(nf->x, 10);
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 1, 0), ==, first);

    xen_netfront_migrate(nf, state);

    g_assert_cmpint(xen_netfront_backend_state(nf), ==, XEN_BUS_CONNECTED);
    g_assert_cmpint(xen_netfront_nr_queues(nf), ==, 2);
    g_assert_cmpuint(xen_netfront_tx_wait(nf, 1, first + 1), ==, first + 1);
    rsp = xen_netfront_tx_rsp(nf, 1, first);
    g_assert_cmpint(rsp.status, ==, NETIF_RSP_OKAY);
    g_assert_cmpuint(rsp.id, ==, (uint16_t)first);
    g_assert_cmpint(xen_netfront_peer_recv(nf, got, sizeof(got)), ==, 100);
    g_assert_cmpmem(got, 100, frame, 100);
    /* The destination announced the NIC before the VM went on */
    g_assert_cmpint(nf->announcements, >, 0);
    for (int i = 0; i < 4; i++) {
        check_tx(nf, i % 2, 1514 - i, 0x20 + i);
        queue_seen[check_rx(nf, 2, 1514 - i, 8 + i, 0x60 + i)] = true;
    }
    g_assert_true(queue_seen[0] || queue_seen[1]);
    g_assert_cmpuint(queue_counter(nf, 0, "tx-packets"), ==, 4);
    g_assert_cmpuint(queue_counter(nf, 1, "tx-packets"), ==, 5);
    g_assert_cmpuint(queue_counter(nf, 0, "rx-packets") +
                     queue_counter(nf, 1, "rx-packets"), ==, 8);
    xen_netfront_end(nf);
    unlink(state);
    rmdir(dir);
}

/*
 * A guest that takes a ring's grant back before a migration: the
 * destination cannot map the ring again, so the device fails (Closing)
 * and QEMU runs on; with the grant back, the frontend connects afresh.
 */
static void test_migration_ring_revoked(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, "max-queues=2");
    g_autofree char *dir = g_dir_make_tmp("xen-netif-XXXXXX", NULL);
    g_autofree char *state = g_strdup_printf("%s/state", dir);
    uint64_t flags_gpa = XEN_QTEST_GNTTAB_GPA +
        nf->ring_ref[1][0] * sizeof(grant_entry_v1_t);

    g_assert_nonnull(dir);
    g_assert_cmpint(xen_netfront_connect(nf, 2, true), ==, XEN_BUS_CONNECTED);
    check_tx(nf, 1, 60, 1);
    qtest_writew(nf->x->qts, flags_gpa, 0);

    xen_netfront_migrate(nf, state);

    g_assert_cmpint(xen_netfront_backend_state(nf), ==, XEN_BUS_CLOSING);
    g_assert_cmpint(xen_netfront_nr_queues(nf), ==, 0);
    qtest_writew(nf->x->qts, flags_gpa, GTF_permit_access);
    g_assert_cmpint(xen_netfront_close(nf), ==, XEN_BUS_CLOSED);
    g_assert_cmpint(xen_netfront_connect(nf, 2, true), ==, XEN_BUS_CONNECTED);
    check_tx(nf, 1, 60, 2);
    check_rx(nf, 2, 60, 3, 4);
    xen_netfront_end(nf);
    unlink(state);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/xen/netif/negotiation", test_negotiation);
    qtest_add_func("/xen/netif/no-split-offered", test_no_split_offered);
    qtest_add_func("/xen/netif/tx-rx", test_tx_rx);
    qtest_add_func("/xen/netif/sg-chain", test_sg_chain);
    qtest_add_func("/xen/netif/csum-gso", test_csum_gso);
    qtest_add_func("/xen/netif/bad-grants", test_bad_grants);
    qtest_add_func("/xen/netif/rx-drops-traced", test_rx_drops_traced);
    qtest_add_func("/xen/netif/migration", test_migration);
    qtest_add_func("/xen/netif/migration-ring-revoked",
                   test_migration_ring_revoked);
    for (size_t i = 0; i < ARRAY_SIZE(attacks); i++) {
        g_autofree char *path = g_strdup_printf("/xen/netif/hostile/%s",
                                                attacks[i].name);

        qtest_add_data_func(path, &attacks[i], test_attack);
    }
    return g_test_run();
}
