/*
 * fakevif: a hostile netfront in guest userspace, for tests that check
 * that a broken ring fails one queue of xen-net-device and nothing else.
 *
 *   fakevif FRONTEND-DIR BACKEND-DIR ATTACK
 *
 * With xen-netfront unbound from the vif: grant two ring pages to dom0
 * (/dev/xen/gntalloc), allocate an unbound port for it (/dev/xen/evtchn),
 * write the frontend keys and go Initialising -> Connected like netfront,
 * wait for the backend to connect, then ATTACK and go Closing -> Closed.
 *
 *   tx-prod         TX req_prod = req_cons + 2^31, then notify
 *   storm           notify 100000 times with nothing on the rings
 *   bad-num-queues  multi-queue-num-queues "1x" (the backend must refuse)
 *   shared-ring     one page for both rings (the backend must refuse)
 *
 * Prints "XENBED-RESULT fakevif-<step> <value>" lines.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

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

static int xs_fd;

static void die(const char *what)
{
    perror(what);
    printf("XENBED-RESULT fakevif-error %s\n", what);
    exit(1);
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

static void xs_write(const char *dir, const char *key, const char *fmt,
                     unsigned int value)
{
    char path[256], val[32];

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    snprintf(val, sizeof(val), fmt, value);
    if (!xs_request(XS_WRITE, path, val, NULL, 0)) {
        die(path);
    }
}

static int backend_state(const char *backend)
{
    char path[256], val[32];

    snprintf(path, sizeof(path), "%s/state", backend);
    if (!xs_request(XS_READ, path, NULL, val, sizeof(val))) {
        return -1;
    }
    return atoi(val);
}

static int wait_backend(const char *backend, int state)
{
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    int i, s = -1;

    for (i = 0; i < 250; i++) {
        s = backend_state(backend);
        if (s == state) {
            break;
        }
        nanosleep(&ts, NULL);
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

int main(int argc, char **argv)
{
    struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
    struct ioctl_evtchn_notify notify;
    const char *fe, *be, *attack;
    char path[256];
    uint32_t tx_ref, rx_ref;
    volatile uint32_t *tx;
    int gnt_fd, evt_fd, port, i;

    if (argc != 4) {
        fprintf(stderr, "usage: fakevif FRONTEND-DIR BACKEND-DIR ATTACK\n");
        return 2;
    }
    fe = argv[1];
    be = argv[2];
    attack = argv[3];
    xs_fd = open("/dev/xen/xenbus", O_RDWR);
    gnt_fd = open("/dev/xen/gntalloc", O_RDWR);
    evt_fd = open("/dev/xen/evtchn", O_RDWR);
    if (xs_fd < 0 || gnt_fd < 0 || evt_fd < 0) {
        die("open /dev/xen");
    }
    tx = grant_page(gnt_fd, &tx_ref);
    grant_page(gnt_fd, &rx_ref);
    port = ioctl(evt_fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind);
    if (port < 0) {
        die("evtchn bind unbound");
    }
    notify.port = port;

    xs_write(fe, "state", "%u", 1);
    printf("XENBED-RESULT fakevif-initwait %d\n", wait_backend(be, 2));
    xs_write(fe, "tx-ring-ref", "%u", tx_ref);
    xs_write(fe, "rx-ring-ref", "%u",
             strcmp(attack, "shared-ring") ? rx_ref : tx_ref);
    xs_write(fe, "event-channel", "%u", port);
    xs_write(fe, "request-rx-copy", "%u", 1);
    if (!strcmp(attack, "bad-num-queues")) {
        xs_write(fe, "multi-queue-num-queues", "%ux", 1);
    }
    xs_write(fe, "state", "%u", 4);
    if (!strcmp(attack, "bad-num-queues") || !strcmp(attack, "shared-ring")) {
        /* Refused at connect: the backend goes Closing. */
        printf("XENBED-RESULT fakevif-refused %d\n", wait_backend(be, 5));
        snprintf(path, sizeof(path), "%s/multi-queue-num-queues", fe);
        xs_request(XS_RM, path, NULL, NULL, 0);
        xs_write(fe, "state", "%u", 6);
        printf("XENBED-RESULT fakevif-closed %d\n", wait_backend(be, 6));
        return 0;
    }
    printf("XENBED-RESULT fakevif-connected %d\n", wait_backend(be, 4));
    /* Let the console line out before QEMU may print its error. */
    fflush(stdout);
    sleep(1);

    if (!strcmp(attack, "tx-prod")) {
        tx[0] = 0x80000000u;            /* req_prod; req_cons is 0 */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (ioctl(evt_fd, IOCTL_EVTCHN_NOTIFY, &notify) < 0) {
            die("evtchn notify");
        }
    } else if (!strcmp(attack, "storm")) {
        for (i = 0; i < 100000; i++) {
            if (ioctl(evt_fd, IOCTL_EVTCHN_NOTIFY, &notify) < 0) {
                die("evtchn notify");
            }
        }
    }
    sleep(1);
    /* The backend stays connected; only the queue failed. */
    printf("XENBED-RESULT fakevif-after %d\n", backend_state(be));
    printf("XENBED-RESULT fakevif-rsp-prod %u\n", tx[2]);

    xs_write(fe, "state", "%u", 5);
    wait_backend(be, 5);
    xs_write(fe, "state", "%u", 6);
    printf("XENBED-RESULT fakevif-closed %d\n", wait_backend(be, 6));
    return 0;
}
