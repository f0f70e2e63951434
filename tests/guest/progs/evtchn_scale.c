/*
 * evtchn_scale: bind many loopback event channel pairs through
 * /dev/xen/evtchn and deliver a notification on every port.
 *
 *   evtchn_scale PAIRS [ROUNDTRIPS [WINDOW]]
 *
 * Binds up to PAIRS pairs (BIND_UNBOUND_PORT to DOMID_SELF, then
 * BIND_INTERDOMAIN to it), stopping cleanly at the first error (the ABI's
 * port limit).  Then notifies every port once and reads back which ports
 * fired: each must fire exactly once.  With ROUNDTRIPS, times that many
 * ping-pong round trips cycling over the first WINDOW pairs (default
 * 500: the same ports whatever is bound, so the figure shows the cost of
 * the ports bound besides), then over all pairs.  Then unbinds everything,
 * binds the same number of pairs again and checks delivery once more.
 * Prints XENBED-RESULT lines; exits non-zero only on a setup failure.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Linux include/uapi/xen/evtchn.h */
struct ioctl_evtchn_bind_interdomain {
    unsigned int remote_domain, remote_port;
};
struct ioctl_evtchn_bind_unbound_port {
    unsigned int remote_domain;
};
struct ioctl_evtchn_port {
    unsigned int port;
};
#define IOCTL_EVTCHN_BIND_INTERDOMAIN \
    _IOC(_IOC_NONE, 'E', 1, sizeof(struct ioctl_evtchn_bind_interdomain))
#define IOCTL_EVTCHN_BIND_UNBOUND_PORT \
    _IOC(_IOC_NONE, 'E', 2, sizeof(struct ioctl_evtchn_bind_unbound_port))
#define IOCTL_EVTCHN_UNBIND \
    _IOC(_IOC_NONE, 'E', 3, sizeof(struct ioctl_evtchn_port))
#define IOCTL_EVTCHN_NOTIFY \
    _IOC(_IOC_NONE, 'E', 4, sizeof(struct ioctl_evtchn_port))

#define DOMID_SELF 0x7ff0
#define MAX_PORTS (1u << 17)

static int fd;
static uint32_t *port_a, *port_b;
static uint8_t fired[MAX_PORTS];
static uint8_t wanted[MAX_PORTS];
static long spurious;

/* Bind up to `want` pairs; returns how many, and the error that stopped. */
static long bind_pairs(long want, int *stop_errno)
{
    long n;

    *stop_errno = 0;
    for (n = 0; n < want; n++) {
        struct ioctl_evtchn_bind_unbound_port ub = { DOMID_SELF };
        struct ioctl_evtchn_bind_interdomain id = { DOMID_SELF, 0 };
        struct ioctl_evtchn_port un;
        int a, b;

        a = ioctl(fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &ub);
        if (a < 0) {
            *stop_errno = errno;
            break;
        }
        id.remote_port = a;
        b = ioctl(fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &id);
        if (b < 0) {
            *stop_errno = errno;
            un.port = a;
            ioctl(fd, IOCTL_EVTCHN_UNBIND, &un);
            break;
        }
        port_a[n] = a;
        port_b[n] = b;
    }
    return n;
}

/*
 * Read fired ports until `expected` distinct wanted[] ports have arrived
 * or nothing comes for 10 s; re-enable each (write it back).  A port that
 * is not wanted fired spuriously (allowed by the ABI, counted apart).
 * Returns how many wanted ports arrived.
 */
static long collect(long expected, long *dups)
{
    static uint32_t buf[4096];
    long got = 0;

    while (got < expected) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t r;

        if (poll(&p, 1, 10000) <= 0) {
            break;
        }
        r = read(fd, buf, sizeof(buf));
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            printf("XENBED-RESULT evtchn-read-error %d\n", errno);
            break;
        }
        for (ssize_t i = 0; i < r / 4; i++) {
            if (buf[i] >= MAX_PORTS || !wanted[buf[i]]) {
                spurious++;
            } else if (fired[buf[i]]++) {
                (*dups)++;
            } else {
                got++;
            }
        }
        if (write(fd, buf, r) != r) {
            printf("XENBED-RESULT evtchn-write-error %d\n", errno);
            break;
        }
    }
    return got;
}

/* Notify every A (B fires), then every B (A fires); count what is lost. */
static long deliver_all(long pairs, long *dups)
{
    long lost = 0;

    for (int side = 0; side < 2; side++) {
        uint32_t *from = side ? port_b : port_a;
        uint32_t *to = side ? port_a : port_b;

        memset(fired, 0, sizeof(fired));
        memset(wanted, 0, sizeof(wanted));
        for (long i = 0; i < pairs; i++) {
            wanted[to[i]] = 1;
        }
        for (long i = 0; i < pairs; i++) {
            struct ioctl_evtchn_port nt = { from[i] };

            if (ioctl(fd, IOCTL_EVTCHN_NOTIFY, &nt) < 0) {
                printf("XENBED-RESULT evtchn-notify-error %d\n", errno);
                return pairs * 2;
            }
        }
        collect(pairs, dups);
        for (long i = 0; i < pairs; i++) {
            if (!fired[to[i]] && lost++ < 8) {
                printf("XENBED-RESULT evtchn-lost-port %u (from %u)\n",
                       to[i], from[i]);
            }
        }
    }
    return lost;
}

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Ping-pong: notify A, wait for B, notify B, wait for A. */
static void roundtrips(long pairs, long count, const char *key)
{
    long dups = 0, done = 0;
    double start = now();

    for (long i = 0; i < count; i++) {
        long k = i % pairs;
        struct ioctl_evtchn_port nt = { port_a[k] };

        fired[port_b[k]] = 0;
        wanted[port_b[k]] = 1;
        if (ioctl(fd, IOCTL_EVTCHN_NOTIFY, &nt) < 0 || collect(1, &dups) != 1) {
            break;
        }
        wanted[port_b[k]] = 0;
        nt.port = port_b[k];
        fired[port_a[k]] = 0;
        wanted[port_a[k]] = 1;
        if (ioctl(fd, IOCTL_EVTCHN_NOTIFY, &nt) < 0 || collect(1, &dups) != 1) {
            break;
        }
        wanted[port_a[k]] = 0;
        done++;
    }
    printf("XENBED-RESULT evtchn-%s %ld\n", key, done);
    printf("XENBED-RESULT evtchn-%s-per-s %.0f\n", key,
           done / (now() - start));
}

static void unbind_all(long pairs)
{
    for (long i = 0; i < pairs; i++) {
        struct ioctl_evtchn_port un = { port_a[i] };

        ioctl(fd, IOCTL_EVTCHN_UNBIND, &un);
        un.port = port_b[i];
        ioctl(fd, IOCTL_EVTCHN_UNBIND, &un);
    }
}

int main(int argc, char **argv)
{
    long want = argc > 1 ? atol(argv[1]) : 0;
    long count = argc > 2 ? atol(argv[2]) : 0;
    long window = argc > 3 ? atol(argv[3]) : 500;
    long pairs, again, lost, dups = 0;
    int stop;

    if (want <= 0 || want > MAX_PORTS / 2) {
        fprintf(stderr, "usage: evtchn_scale PAIRS [ROUNDTRIPS [WINDOW]]\n");
        return 1;
    }
    fd = open("/dev/xen/evtchn", O_RDWR | O_NONBLOCK);
    if (fd < 0) {
        perror("evtchn_scale: /dev/xen/evtchn");
        return 1;
    }
    port_a = calloc(want, sizeof(*port_a));
    port_b = calloc(want, sizeof(*port_b));
    if (!port_a || !port_b) {
        return 1;
    }

    pairs = bind_pairs(want, &stop);
    printf("XENBED-RESULT evtchn-bound-ports %ld\n", pairs * 2);
    printf("XENBED-RESULT evtchn-bind-stop %s\n",
           stop ? strerror(stop) : "none");
    if (pairs) {
        printf("XENBED-RESULT evtchn-highest-port %u\n",
               port_b[pairs - 1] > port_a[pairs - 1] ? port_b[pairs - 1]
                                                     : port_a[pairs - 1]);
    }
    lost = deliver_all(pairs, &dups);
    printf("XENBED-RESULT evtchn-lost %ld\n", lost);
    printf("XENBED-RESULT evtchn-duplicates %ld\n", dups);
    printf("XENBED-RESULT evtchn-spurious %ld\n", spurious);
    if (count && pairs) {
        memset(wanted, 0, sizeof(wanted));
        roundtrips(window > 0 && window < pairs ? window : pairs, count,
                   "roundtrips");
        roundtrips(pairs, count, "roundtrips-all");
    }

    unbind_all(pairs);
    again = bind_pairs(pairs, &stop);
    printf("XENBED-RESULT evtchn-rebound-ports %ld\n", again * 2);
    dups = 0;
    lost = deliver_all(again, &dups);
    printf("XENBED-RESULT evtchn-rebound-lost %ld\n", lost);
    printf("XENBED-RESULT evtchn-rebound-duplicates %ld\n", dups);
    unbind_all(again);
    return 0;
}
