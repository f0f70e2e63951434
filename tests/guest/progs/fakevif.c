/*
 * fakevif: a hostile netfront in guest userspace, for tests that check
 * that a broken ring fails one queue of xen-net-device, a bad packet is
 * answered with errors, and keys the backend must refuse are refused.
 *
 *   fakevif FRONTEND-DIR BACKEND-DIR ATTACK...
 *
 * With xen-netfront unbound from the vif, each ATTACK runs on a fresh
 * connection: ring pages granted to dom0 (/dev/xen/gntalloc), new unbound
 * ports (/dev/xen/evtchn), the frontend keys, Initialising -> Connected
 * like netfront, the attack, then Closing -> Closed.  The attacks are in
 * the table at the end.  Traffic the backend must answer on the RX ring
 * comes from slirp: TX an ARP request for 10.0.2.2 and slirp replies.
 *
 * Prints "XENBED-RESULT N.ATTACK:STEP VALUE" lines, N counting the
 * attacks from 1:
 *   initwait, connect, closed  backend state seen at each step
 *   after                      backend state after the attack
 *   tx-rsp-prod, rx-rsp-prod   response producers read back
 *   pktN                       statuses of the Nth TX packet's slots,
 *                              run-length coded ("18x0", "3x-1"; "-": none)
 *   tx-ids, rx-ids             1 if every answer echoed its request's id
 *   rx-rsp                     statuses of the RX responses ("-1 64")
 *   rx-arp                     ARP replies from 10.0.2.2 in RX buffers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "netif-garbage.h"

/* linux/include/uapi/xen/gntalloc.h */
struct ioctl_gntalloc_alloc_gref {
    uint16_t domid;
    uint16_t flags;
    uint32_t count;
    uint64_t index;
    uint32_t gref_ids[1];
};
#define GNTALLOC_FLAG_WRITABLE 1
#define IOCTL_GNTALLOC_ALLOC_GREF \
    _IOC(_IOC_NONE, 'G', 5, sizeof(struct ioctl_gntalloc_alloc_gref))

/* linux/include/uapi/xen/evtchn.h */
struct ioctl_evtchn_bind_unbound_port {
    unsigned int remote_domain;
};
#define IOCTL_EVTCHN_BIND_UNBOUND_PORT \
    _IOC(_IOC_NONE, 'E', 2, sizeof(struct ioctl_evtchn_bind_unbound_port))
struct ioctl_evtchn_notify {
    unsigned int port;
};
#define IOCTL_EVTCHN_NOTIFY \
    _IOC(_IOC_NONE, 'E', 4, sizeof(struct ioctl_evtchn_notify))

/* xs_wire.h */
struct xsd_sockmsg {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx_id;
    uint32_t len;
};
#define XS_READ   2
#define XS_WRITE  11
#define XS_RM     13
#define XS_ERROR  16

/* xen/include/public/io/netif.h and io/ring.h */
struct tx_req {
    uint32_t gref;
    uint16_t offset;
    uint16_t flags;
    uint16_t id;
    uint16_t size;
};
struct tx_rsp {
    uint16_t id;
    int16_t status;
};
struct extra {
    uint8_t type;
    uint8_t flags;
    uint16_t gso_size;
    uint8_t gso_type;
    uint8_t pad;
    uint16_t features;
};
struct rx_req {
    uint16_t id;
    uint16_t pad;
    uint32_t gref;
};
struct rx_rsp {
    uint16_t id;
    uint16_t offset;
    uint16_t flags;
    int16_t status;
};
#define NETTXF_more_data  (1u << 2)
#define NETTXF_extra_info (1u << 3)
#define EXTRA_TYPE_GSO    1
#define GSO_TYPE_TCPV4    1
#define GSO_TYPE_TCPV6    2
#define NETTXF_csum_blank (1u << 0)
#define RSP_NULL          1
#define RING_SIZE 256u
#define REQ_PROD  0     /* byte offsets of the shared ring indexes */
#define RSP_PROD  8
#define TX_ENTRY(page, i) \
    ((void *)((page) + 64 + ((i) & (RING_SIZE - 1)) * 12))
#define RX_ENTRY(page, i) \
    ((void *)((page) + 64 + ((i) & (RING_SIZE - 1)) * 8))

/* Out of the grant table's range: every copy from or to it fails. */
#define BAD_GREF 0x7fffffffu
/* Above any port the guest can have (FIFO: 131071). */
#define BAD_PORT 4000000
#define ARP_LEN  42u
#define RX_BUFS  8

/* One queue of the fake frontend. */
struct fq {
    uint8_t *tx, *rx;           /* shared: indexes only through atomics */
    uint32_t tx_ref, rx_ref;
    uint32_t tx_prod, rx_prod;
    int port;
};

static int xs_fd, evt_fd;
static const char *fe, *be, *attack;
static int attack_nr;           /* position on the command line, from 1 */
static struct fq q[2];
static uint32_t ring_ref[2][2];  /* as granted: [queue][0 tx, 1 rx] */
static uint8_t *data;           /* TX frames, granted as data_ref */
static uint32_t data_ref;
static uint8_t *rx_buf[RX_BUFS];
static uint32_t rx_buf_ref[RX_BUFS];
static uint8_t mac[6];

/* TX packets written, for the report: queue, first slot, slot count. */
static struct {
    struct fq *f;
    uint32_t first, slots;
} pkts[64];
static unsigned int npkts;

static void die(const char *what)
{
    perror(what);
    printf("XENBED-RESULT fakevif-error %s\n", what);
    exit(1);
}

static void result(const char *step, const char *fmt, ...)
{
    va_list ap;

    printf("XENBED-RESULT %d.%s:%s ", attack_nr, attack, step);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    /*
     * Out of the UART before anything we do next makes QEMU print an
     * error line, which would otherwise land inside this one.
     */
    fflush(stdout);
    tcdrain(STDOUT_FILENO);
}

static void msleep(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000 * 1000 };

    nanosleep(&ts, NULL);
}

/* One request, one reply into out (NUL-terminated); false on XS_ERROR. */
static int xs_request(uint32_t type, const char *a, const char *b,
                      char *out, size_t size)
{
    char buf[sizeof(struct xsd_sockmsg) + 4096 + 1];
    struct xsd_sockmsg msg = { .type = type, .req_id = 1 };
    size_t alen = strlen(a) + 1, blen = b ? strlen(b) : 0, got = 0;

    msg.len = alen + blen;
    memcpy(buf, &msg, sizeof(msg));
    memcpy(buf + sizeof(msg), a, alen);
    memcpy(buf + sizeof(msg) + alen, b ? b : "", blen);
    if (write(xs_fd, buf, sizeof(msg) + msg.len) !=
        (ssize_t)(sizeof(msg) + msg.len)) {
        die("xenbus write");
    }
    while (got < sizeof(msg) ||
           got < sizeof(msg) + ((struct xsd_sockmsg *)buf)->len) {
        ssize_t n = read(xs_fd, buf + got, sizeof(buf) - 1 - got);

        if (n <= 0) {
            die("xenbus read");
        }
        got += n;
    }
    memcpy(&msg, buf, sizeof(msg));
    buf[sizeof(msg) + msg.len] = '\0';
    if (out) {
        snprintf(out, size, "%s", buf + sizeof(msg));
    }
    return msg.type != XS_ERROR;
}

static void fe_write(const char *key, const char *fmt, ...)
{
    char path[256], val[64];
    va_list ap;

    snprintf(path, sizeof(path), "%s/%s", fe, key);
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    if (!xs_request(XS_WRITE, path, val, NULL, 0)) {
        die(path);
    }
}

static void fe_rm(const char *key)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", fe, key);
    xs_request(XS_RM, path, NULL, NULL, 0);     /* absent is fine */
}

/* Leftovers of netfront or an earlier attack would be read as keys. */
static void fe_clean(void)
{
    static const char *const keys[] = {
        "multi-queue-num-queues", "queue-0", "queue-1", "tx-ring-ref",
        "rx-ring-ref", "event-channel", "event-channel-tx",
        "event-channel-rx", "request-rx-copy", "feature-rx-notify",
        "feature-sg", "feature-gso-tcpv4", "feature-gso-tcpv6",
        "feature-ipv6-csum-offload",
    };
    unsigned int i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        fe_rm(keys[i]);
    }
}

static int backend_read(const char *key)
{
    char path[256], val[32];

    snprintf(path, sizeof(path), "%s/%s", be, key);
    if (!xs_request(XS_READ, path, NULL, val, sizeof(val))) {
        return -1;
    }
    return atoi(val);
}

/* Wait up to 5 s for the backend state to be one of `a` or `b`. */
static int wait_backend(int a, int b)
{
    int i, s = -1;

    for (i = 0; i < 250; i++) {
        s = backend_read("state");
        if (s == a || s == b) {
            break;
        }
        msleep(20);
    }
    return s;
}

static void *grant_page(int fd, uint32_t *gref)
{
    struct ioctl_gntalloc_alloc_gref a = {
        .domid = 0, .flags = GNTALLOC_FLAG_WRITABLE, .count = 1,
    };
    void *page;

    if (ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, &a) < 0) {
        die("gntalloc");
    }
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, a.index);
    if (page == MAP_FAILED) {
        die("gntalloc mmap");
    }
    *gref = a.gref_ids[0];
    return page;
}

static int new_port(void)
{
    struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
    int port = ioctl(evt_fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind);

    if (port < 0) {
        die("evtchn bind unbound");
    }
    return port;
}

static void notify(int port)
{
    struct ioctl_evtchn_notify n = { .port = port };

    if (ioctl(evt_fd, IOCTL_EVTCHN_NOTIFY, &n) < 0) {
        die("evtchn notify");
    }
}

static void put_index(uint8_t *page, unsigned int offset,
                      uint32_t value)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* entries before index */
    __atomic_store_n((uint32_t *)(page + offset), value, __ATOMIC_SEQ_CST);
}

static uint32_t get_index(uint8_t *page, unsigned int offset)
{
    return __atomic_load_n((uint32_t *)(page + offset), __ATOMIC_SEQ_CST);
}

/* ---- TX ring ---- */

static void tx_slot(struct fq *f, uint32_t gref, uint16_t offset,
                    uint16_t flags, uint16_t size)
{
    struct tx_req r = {
        .gref = gref, .offset = offset, .flags = flags,
        .id = (uint16_t)f->tx_prod, .size = size,
    };

    memcpy(TX_ENTRY(f->tx, f->tx_prod), &r, sizeof(r));
    f->tx_prod++;
}

static void tx_extra(struct fq *f, uint8_t type, uint8_t flags,
                     uint16_t gso_size, uint8_t gso_type)
{
    struct extra e = {
        .type = type, .flags = flags, .gso_size = gso_size,
        .gso_type = gso_type,
    };

    memcpy(TX_ENTRY(f->tx, f->tx_prod), &e, sizeof(e));
    f->tx_prod++;
}

static void pkt_begin(struct fq *f)
{
    if (npkts == sizeof(pkts) / sizeof(pkts[0])) {
        die("too many packets to report");
    }
    pkts[npkts].f = f;
    pkts[npkts].first = f->tx_prod;
}

static void pkt_end(struct fq *f)
{
    pkts[npkts].slots = f->tx_prod - pkts[npkts].first;
    npkts++;
}

/* Publish what was written and kick the backend. */
static void tx_push(struct fq *f)
{
    put_index(f->tx, REQ_PROD, f->tx_prod);
    notify(f->port);
}

/*
 * The ARP request as one packet of n slots: 14 bytes (the Ethernet
 * header) in the first, the rest spread over the others (2 bytes each
 * for long chains, the XSA-432 shape), so that slirp answers only if the
 * backend assembled every slot in order.  Slot `bad` gets an invalid gref.
 */
static void tx_arp(struct fq *f, unsigned int n, int bad)
{
    unsigned int len = n > 1 && 14 + 2 * (n - 1) > ARP_LEN ?
                       14 + 2 * (n - 1) : ARP_LEN;
    unsigned int rest = len - 14, off = 14, i;

    pkt_begin(f);
    tx_slot(f, bad == 0 ? BAD_GREF : data_ref, 0,
            n > 1 ? NETTXF_more_data : 0, len);
    for (i = 1; i < n; i++) {
        unsigned int size = rest / (n - 1) +
                            (i == n - 1 ? rest % (n - 1) : 0);

        tx_slot(f, (int)i == bad ? BAD_GREF : data_ref, off,
                i < n - 1 ? NETTXF_more_data : 0, size);
        off += size;
    }
    pkt_end(f);
}

/* Wait up to 2 s for `n` TX responses; the backend may stop earlier. */
static uint32_t tx_wait(struct fq *f, uint32_t n)
{
    int i;

    for (i = 0; i < 100 && get_index(f->tx, RSP_PROD) < n; i++) {
        msleep(20);
    }
    return get_index(f->tx, RSP_PROD);
}

static void tx_report(void)
{
    unsigned int i, j, ids_ok = 1;

    for (i = 0; i < npkts; i++) {
        struct fq *f = pkts[i].f;
        uint32_t rsp_prod = get_index(f->tx, RSP_PROD);
        char out[256] = "", step[16];
        size_t len = 0;
        int run_status = 0, run = 0;

        for (j = 0; j <= pkts[i].slots; j++) {
            uint32_t idx = pkts[i].first + j;
            struct tx_rsp r = { 0 };
            int have = j < pkts[i].slots && idx - pkts[i].first <
                       rsp_prod - pkts[i].first;

            if (have) {
                memcpy(&r, TX_ENTRY(f->tx, idx), sizeof(r));
                if (r.status != RSP_NULL && r.id != (uint16_t)idx) {
                    ids_ok = 0;
                }
            }
            /* Close the current run at a change or at the end. */
            if (run && (!have || r.status != run_status)) {
                len += snprintf(out + len, sizeof(out) - len, "%s%dx%d",
                                len ? " " : "", run, run_status);
                run = 0;
            }
            if (!have) {
                break;
            }
            run_status = r.status;
            run++;
        }
        snprintf(step, sizeof(step), "pkt%u", i + 1);
        result(step, "%s", len ? out : "-");
    }
    result("tx-ids", "%u", ids_ok);
}

/* ---- RX ring ---- */

static void rx_post(struct fq *f, uint32_t gref)
{
    struct rx_req r = { .id = (uint16_t)(100 + f->rx_prod), .gref = gref };

    memcpy(RX_ENTRY(f->rx, f->rx_prod), &r, sizeof(r));
    f->rx_prod++;
    put_index(f->rx, REQ_PROD, f->rx_prod);
}

/* An ARP reply from 10.0.2.2 to us, as slirp sends it. */
static int is_arp_reply(const uint8_t *p, int len)
{
    static const uint8_t gw[4] = { 10, 0, 2, 2 };

    return len >= (int)ARP_LEN && p[12] == 0x08 && p[13] == 0x06 &&
           p[20] == 0 && p[21] == 2 && !memcmp(p + 28, gw, 4) &&
           !memcmp(p + 32, mac, 6);
}

static void rx_report(struct fq *f)
{
    uint32_t rsp_prod = get_index(f->rx, RSP_PROD), i;
    unsigned int arp = 0, ids_ok = 1;
    char out[256] = "";
    size_t len = 0;

    for (i = 0; i < rsp_prod && i < f->rx_prod; i++) {
        struct rx_rsp r;
        uint32_t buf = i % RX_BUFS;

        memcpy(&r, RX_ENTRY(f->rx, i), sizeof(r));
        if (r.id != 100 + i) {
            ids_ok = 0;
        }
        len += snprintf(out + len, sizeof(out) - len, "%s%d", len ? " " : "",
                        r.status);
        if (r.status >= 14 && r.offset == 0 && r.status <= 4096) {
            /* What it is, for a failing test: ethertype and byte 23. */
            len += snprintf(out + len, sizeof(out) - len, ":%02x%02x/%02x",
                            rx_buf[buf][12], rx_buf[buf][13],
                            rx_buf[buf][23]);
        }
        if (r.status > 0 && r.offset == 0 && r.status <= 4096 &&
            is_arp_reply(rx_buf[buf], r.status)) {
            arp++;
        }
    }
    result("rx-rsp-prod", "%u", rsp_prod);
    result("rx-rsp", "%s", len ? out : "-");
    result("rx-ids", "%u", ids_ok);
    result("rx-arp", "%u", arp);
}

/* RX requests on the buffers, request i on buffer i % RX_BUFS. */
static void rx_post_buffers(struct fq *f, unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        rx_post(f, rx_buf_ref[f->rx_prod % RX_BUFS]);
    }
}

/* ---- frontend keys ---- */

static void write_queue(const char *prefix, struct fq *f, int split)
{
    char key[64];

    snprintf(key, sizeof(key), "%stx-ring-ref", prefix);
    fe_write(key, "%u", f->tx_ref);
    snprintf(key, sizeof(key), "%srx-ring-ref", prefix);
    fe_write(key, "%u", f->rx_ref);
    snprintf(key, sizeof(key), "%sevent-channel%s", prefix,
             split ? "-tx" : "");
    fe_write(key, "%u", f->port);
}

static void keys_flat(void)
{
    write_queue("", &q[0], 0);
}

static void keys_two_queues(void)
{
    fe_write("multi-queue-num-queues", "2");
    write_queue("queue-0/", &q[0], 0);
    write_queue("queue-1/", &q[1], 0);
}

static void keys_bad_num_queues(void)
{
    keys_flat();
    fe_write("multi-queue-num-queues", "1x");
}

static void keys_shared_ring(void)
{
    q[0].rx_ref = q[0].tx_ref;
    keys_flat();
}

static void keys_num_queues_0(void)
{
    keys_flat();
    fe_write("multi-queue-num-queues", "0");
}

/* One more queue than the backend offers (1 if it writes no key). */
static void keys_num_queues_max1(void)
{
    int max = backend_read("multi-queue-max-queues");

    keys_flat();
    fe_write("multi-queue-num-queues", "%d", (max > 0 ? max : 1) + 1);
}

static void keys_queue1_missing(void)
{
    fe_write("multi-queue-num-queues", "2");
    write_queue("queue-0/", &q[0], 0);
}

/* event-channel-tx without event-channel-rx or event-channel. */
static void keys_tx_channel_only(void)
{
    write_queue("", &q[0], 1);
}

static void keys_same_port(void)
{
    q[1].port = q[0].port;
    keys_two_queues();
}

static void keys_same_ring(void)
{
    q[1].tx_ref = q[0].tx_ref;
    keys_two_queues();
}

/* Keys that parse but name no grant or no port: map or bind fails. */
static void keys_bad_ring_ref(void)
{
    q[0].tx_ref = BAD_GREF;
    keys_flat();
}

static void keys_bad_port(void)
{
    q[0].port = BAD_PORT;
    keys_flat();
}

/* Queue 0 is set up before queue 1 fails: both must be torn down. */
static void keys_queue1_bad_port(void)
{
    q[1].port = BAD_PORT;
    keys_two_queues();
}

/* ---- attacks on a connected ring ---- */

static void run_tx_prod(void)
{
    put_index(q[0].tx, REQ_PROD, 0x80000000u);  /* req_cons is 0 */
    notify(q[0].port);
}

static void run_storm(void)
{
    int i;

    for (i = 0; i < 100000; i++) {
        notify(q[0].port);
    }
}

/* A valid packet, then one the backend must treat as fatal. */
static void fatal_after_arp(void (*bad)(struct fq *f))
{
    rx_post_buffers(&q[0], 1);
    tx_arp(&q[0], 1, -1);
    pkt_begin(&q[0]);
    bad(&q[0]);
    pkt_end(&q[0]);
    tx_push(&q[0]);
}

/* A chain of n slots of 2 bytes of the ARP frame each (content moot). */
static void chain(struct fq *f, unsigned int n)
{
    unsigned int i;

    tx_slot(f, data_ref, 0, NETTXF_more_data, 14 + 2 * (n - 1));
    for (i = 1; i < n; i++) {
        tx_slot(f, data_ref, 14 + 2 * (i - 1),
                i < n - 1 ? NETTXF_more_data : 0, 2);
    }
}

static void bad_chain_22(struct fq *f)
{
    chain(f, 22);
}

/* Every slot left in the ring chained: more_data never ends. */
static void bad_chain_ring(struct fq *f)
{
    while (f->tx_prod < RING_SIZE) {
        tx_slot(f, data_ref, 0, NETTXF_more_data, 2);
    }
}

/* A chain that goes on past the last published request. */
static void bad_chain_short(struct fq *f)
{
    int i;

    for (i = 0; i < 5; i++) {
        tx_slot(f, data_ref, 0, NETTXF_more_data, 60);
    }
}

static void bad_cross_page_frag(struct fq *f)
{
    tx_slot(f, data_ref, 0, NETTXF_more_data, ARP_LEN + 97);
    tx_slot(f, data_ref, 4000, 0, 97);
}

static void bad_cross_page_first(struct fq *f)
{
    tx_slot(f, data_ref, 4000, 0, 97);
}

static void bad_extra_type_0(struct fq *f)
{
    tx_slot(f, data_ref, 0, NETTXF_extra_info, ARP_LEN);
    tx_extra(f, 0, 0, 0, 0);
}

static void bad_extra_type_255(struct fq *f)
{
    tx_slot(f, data_ref, 0, NETTXF_extra_info, ARP_LEN);
    tx_extra(f, 255, 0, 0, 0);
}

static void bad_gso_size_0(struct fq *f)
{
    tx_slot(f, data_ref, 0, NETTXF_extra_info, ARP_LEN);
    tx_extra(f, EXTRA_TYPE_GSO, 0, 0, GSO_TYPE_TCPV4);
}

static void bad_gso_type(struct fq *f)
{
    tx_slot(f, data_ref, 0, NETTXF_extra_info, ARP_LEN);
    tx_extra(f, EXTRA_TYPE_GSO, 0, 1448, 3);
}

/* The extra-info flag on the last published request. */
static void bad_missing_extra(struct fq *f)
{
    tx_slot(f, data_ref, 0, NETTXF_extra_info, ARP_LEN);
}

static void run_chain_22(void) { fatal_after_arp(bad_chain_22); }
static void run_chain_ring(void) { fatal_after_arp(bad_chain_ring); }
static void run_chain_short(void) { fatal_after_arp(bad_chain_short); }
static void run_cross_page_frag(void) { fatal_after_arp(bad_cross_page_frag); }
static void run_cross_page_first(void)
{
    fatal_after_arp(bad_cross_page_first);
}
static void run_extra_type_0(void) { fatal_after_arp(bad_extra_type_0); }
static void run_extra_type_255(void) { fatal_after_arp(bad_extra_type_255); }
static void run_gso_size_0(void) { fatal_after_arp(bad_gso_size_0); }
static void run_gso_type(void) { fatal_after_arp(bad_gso_type); }
static void run_missing_extra(void) { fatal_after_arp(bad_missing_extra); }

/*
 * Packets netback drops with ERROR answers, the queue staying up, between
 * chains it must deliver (slirp's ARP replies prove the assembly).
 */
static void run_tx_drops(void)
{
    struct fq *f = &q[0];

    rx_post_buffers(f, RX_BUFS);
    tx_arp(f, 18, -1);          /* 17 follow-on slots: delivered */
    tx_arp(f, 19, -1);          /* 18: the legacy maximum, delivered */
    tx_arp(f, 20, -1);          /* 19 and 20: dropped */
    tx_arp(f, 21, -1);
    pkt_begin(f);               /* a slot bigger than what is left */
    tx_slot(f, data_ref, 0, NETTXF_more_data, 40);
    tx_slot(f, data_ref, 0, NETTXF_more_data, 30);
    tx_slot(f, data_ref, 0, 0, 30);
    pkt_end(f);
    pkt_begin(f);               /* 13 bytes: shorter than ETH_HLEN */
    tx_slot(f, data_ref, 0, 0, 13);
    pkt_end(f);
    pkt_begin(f);               /* 10 bytes in the first slot of a chain */
    tx_slot(f, data_ref, 0, NETTXF_more_data, 40);
    tx_slot(f, data_ref, 10, 0, 30);
    pkt_end(f);
    tx_arp(f, 4, 2);            /* an invalid gref in the third slot */
    tx_arp(f, 3, -1);           /* and the queue still works */
    tx_push(f);
    tx_wait(f, f->tx_prod);
}

/*
 * RX requests with an invalid gref then a valid one, an ARP request for
 * each: the first reply is answered with ERROR, the second arrives.
 */
static void run_rx_bad_gref(void)
{
    struct fq *f = &q[0];

    rx_post(f, BAD_GREF);
    tx_arp(f, 1, -1);
    tx_push(f);
    tx_wait(f, f->tx_prod);
    msleep(300);
    rx_post_buffers(f, 1);
    notify(f->port);
    tx_arp(f, 1, -1);
    tx_push(f);
    tx_wait(f, f->tx_prod);
}

/*
 * RX req_prod 2^31 ahead, then make slirp send us something: its reply
 * to the first packet fails the queue, so the second must not go out.
 */
static void run_rx_prod(void)
{
    put_index(q[0].rx, REQ_PROD, 0x80000000u);
    tx_arp(&q[0], 1, -1);
    tx_arp(&q[0], 1, -1);
    tx_push(&q[0]);
    tx_wait(&q[0], q[0].tx_prod);
}

static void run_offload_garbage(void)
{
    struct fq *f = &q[0];
    unsigned int g;

    /* Every RX buffer posted, for slirp's ARP reply to find one */
    rx_post_buffers(f, RX_BUFS);
    for (g = 0; g < G_COUNT; g++) {
        struct garbage_slot slot = garbage_slot(g);
        uint16_t len = garbage_frame(data + slot.offset, g, mac);

        pkt_begin(f);
        tx_slot(f, data_ref, slot.offset,
                NETTXF_csum_blank | (slot.gso ? NETTXF_extra_info : 0), len);
        if (slot.gso) {
            tx_extra(f, EXTRA_TYPE_GSO, 0, slot.gso_size,
                     slot.gso_tcpv6 ? GSO_TYPE_TCPV6 : GSO_TYPE_TCPV4);
        }
        pkt_end(f);
    }
    tx_arp(f, 1, -1);
    tx_push(f);
    tx_wait(f, f->tx_prod);
}

static void run_arp(void)
{
    rx_post_buffers(&q[0], 1);
    tx_arp(&q[0], 1, -1);
    tx_push(&q[0]);
    tx_wait(&q[0], q[0].tx_prod);
}

/* Both queues carry a packet. */
static void run_two_queues(void)
{
    int i;

    for (i = 0; i < 2; i++) {
        tx_arp(&q[i], 1, -1);
        tx_push(&q[i]);
        tx_wait(&q[i], q[i].tx_prod);
    }
}

/* Queue 1 fails (TX req_prod 2^31 ahead); queue 0 carries on. */
static void run_queue1_fatal(void)
{
    put_index(q[1].tx, REQ_PROD, 0x80000000u);
    notify(q[1].port);
    msleep(200);
    run_arp();
}

/* A ring full of ARP requests, then Closing and Closed right away. */
static void run_close_in_flight(void)
{
    while (q[0].tx_prod < RING_SIZE) {
        tx_slot(&q[0], data_ref, 0, 0, ARP_LEN);
    }
    tx_push(&q[0]);
    fe_write("state", "5");
    fe_write("state", "6");
}

static const struct attack {
    const char *name;
    void (*keys)(void);         /* NULL: one queue, flat keys */
    void (*run)(void);          /* on the connected rings */
    int hasty_close;            /* Closing right after Connected */
} attacks[] = {
    { "tx-prod", .run = run_tx_prod },
    { "storm", .run = run_storm },
    { "bad-num-queues", .keys = keys_bad_num_queues },
    { "shared-ring", .keys = keys_shared_ring },
    { "tx-drops", .run = run_tx_drops },
    { "rx-bad-gref", .run = run_rx_bad_gref },
    { "chain-22", .run = run_chain_22 },
    { "chain-ring", .run = run_chain_ring },
    { "chain-short", .run = run_chain_short },
    { "cross-page-frag", .run = run_cross_page_frag },
    { "cross-page-first", .run = run_cross_page_first },
    { "extra-type-0", .run = run_extra_type_0 },
    { "extra-type-255", .run = run_extra_type_255 },
    { "gso-size-0", .run = run_gso_size_0 },
    { "gso-type", .run = run_gso_type },
    { "missing-extra", .run = run_missing_extra },
    { "rx-prod", .run = run_rx_prod },
    { "arp", .run = run_arp },
    { "offload-garbage", .run = run_offload_garbage },
    { "close-in-flight", .run = run_close_in_flight },
    { "close-connecting", .hasty_close = 1 },
    { "two-queues", .keys = keys_two_queues, .run = run_two_queues },
    { "queue1-fatal", .keys = keys_two_queues, .run = run_queue1_fatal },
    { "num-queues-0", .keys = keys_num_queues_0 },
    { "num-queues-max1", .keys = keys_num_queues_max1 },
    { "queue1-missing", .keys = keys_queue1_missing },
    { "tx-channel-only", .keys = keys_tx_channel_only },
    { "same-port", .keys = keys_same_port },
    { "same-ring", .keys = keys_same_ring },
    { "bad-ring-ref", .keys = keys_bad_ring_ref },
    { "bad-port", .keys = keys_bad_port },
    { "queue1-bad-port", .keys = keys_queue1_bad_port },
};

static void run_attack(const struct attack *a)
{
    int i, s;

    attack = a->name;
    npkts = 0;
    for (i = 0; i < 2; i++) {
        /* The backend unmapped the rings at Closed: start them afresh. */
        memset(q[i].tx, 0, 4096);
        memset(q[i].rx, 0, 4096);
        q[i].tx_ref = ring_ref[i][0];   /* an attack may have changed them */
        q[i].rx_ref = ring_ref[i][1];
        q[i].tx_prod = q[i].rx_prod = 0;
        q[i].port = new_port();
    }
    for (i = 0; i < RX_BUFS; i++) {
        memset(rx_buf[i], 0, 4096);
    }
    fe_clean();

    fe_write("state", "1");
    result("initwait", "%d", wait_backend(2, 2));
    if (a->keys) {
        a->keys();
    } else {
        keys_flat();
    }
    fe_write("request-rx-copy", "1");
    fe_write("state", "4");
    if (a->hasty_close) {
        fe_write("state", "5");
        fe_write("state", "6");
        result("closed", "%d", wait_backend(6, 6));
        return;
    }
    s = wait_backend(4, 5);
    result("connect", "%d", s);
    if (s == 4 && a->run) {
        a->run();
        msleep(500);
        s = backend_read("state");
        result("after", "%d", s);
        result("tx-rsp-prod", "%u", get_index(q[0].tx, RSP_PROD));
        tx_report();
        rx_report(&q[0]);
    }
    if (s != 6) {
        fe_write("state", "5");
        wait_backend(5, 5);
        fe_write("state", "6");
    }
    result("closed", "%d", wait_backend(6, 6));
}

static void read_mac(void)
{
    char path[256], val[64];
    unsigned int m[6], i;

    snprintf(path, sizeof(path), "%s/mac", fe);
    if (!xs_request(XS_READ, path, NULL, val, sizeof(val)) ||
        sscanf(val, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
               &m[5]) != 6) {
        die("mac");
    }
    for (i = 0; i < 6; i++) {
        mac[i] = m[i];
    }
}

/* The ARP request for 10.0.2.2 from us (10.0.2.15) at the data page. */
static void write_arp_request(void)
{
    static const uint8_t head[] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x08, 0x06,
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
    };

    memcpy(data, head, sizeof(head));
    memcpy(data + 6, mac, 6);
    memcpy(data + 22, mac, 6);
    memcpy(data + 28, (uint8_t[]){ 10, 0, 2, 15 }, 4);
    memcpy(data + 38, (uint8_t[]){ 10, 0, 2, 2 }, 4);
}

int main(int argc, char **argv)
{
    int gnt_fd, i, n;
    size_t j;

    if (argc < 4) {
        fprintf(stderr, "usage: fakevif FRONTEND-DIR BACKEND-DIR ATTACK...\n");
        return 2;
    }
    fe = argv[1];
    be = argv[2];
    xs_fd = open("/dev/xen/xenbus", O_RDWR);
    gnt_fd = open("/dev/xen/gntalloc", O_RDWR);
    evt_fd = open("/dev/xen/evtchn", O_RDWR);
    if (xs_fd < 0 || gnt_fd < 0 || evt_fd < 0) {
        die("open /dev/xen");
    }
    for (i = 0; i < 2; i++) {
        q[i].tx = grant_page(gnt_fd, &ring_ref[i][0]);
        q[i].rx = grant_page(gnt_fd, &ring_ref[i][1]);
    }
    data = grant_page(gnt_fd, &data_ref);
    for (i = 0; i < RX_BUFS; i++) {
        rx_buf[i] = grant_page(gnt_fd, &rx_buf_ref[i]);
    }
    read_mac();
    write_arp_request();

    for (n = 3; n < argc; n++) {
        for (j = 0; j < sizeof(attacks) / sizeof(attacks[0]); j++) {
            if (!strcmp(argv[n], attacks[j].name)) {
                break;
            }
        }
        if (j == sizeof(attacks) / sizeof(attacks[0])) {
            fprintf(stderr, "fakevif: no attack %s\n", argv[n]);
            return 2;
        }
        attack_nr = n - 2;
        run_attack(&attacks[j]);
    }
    /* netfront writes only the keys it uses: leave none of ours. */
    fe_clean();
    return 0;
}
