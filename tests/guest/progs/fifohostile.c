/*
 * fifohostile: a guest that owns the FIFO event channel pages and writes
 * garbage into them while the emulator delivers events.
 *
 * Boot with xen.fifo_events=0 and -smp 1: the kernel stays 2-level, so
 * this program can switch the domain to FIFO with a control block and an
 * event array in its own locked pages (through /dev/xen/privcmd).  It
 *   1. checks Xen's queueing from the guest side: HEAD and READY of an
 *      empty queue, the LINK written into the old tail;
 *   2. corrupts words and the control block (a guest-set BUSY, self-links,
 *      LINK beyond the last port, bogus HEADs and READY bits, garbage in
 *      any word) during a storm of send/unmask/set_priority, every one of
 *      which must return 0;
 *   3. checks the port table survived (EVTCHNOP_status);
 *   4. EVTCHNOP_reset: the domain is 2-level again and every port closed;
 *   5. sets FIFO up again on fresh pages and checks it queues correctly.
 * Each step logs "XENBED-RESULT fifo-<name> <value>", and the end
 * "XENBED-DONE rc=N".  The kernel's own ports are lost from step 1 on,
 * timers included, and so are its interrupts where they are PIRQs (under
 * KVM, QEMU offers XENFEAT_hvm_pirqs): the UART's too, so the program
 * writes to the kernel log, whose console polls, and ends with an
 * emergency restart, as the kernel can no longer go through its own
 * power-off.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#define PAGE_SIZE 4096

/* Linux include/uapi/xen/privcmd.h (its header needs Xen's own headers). */
struct privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

/* Xen's public/event_channel.h. */
#define HYPERVISOR_event_channel_op 32
#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_alloc_unbound 6
#define EVTCHNOP_unmask 9
#define EVTCHNOP_reset 10
#define EVTCHNOP_init_control 11
#define EVTCHNOP_expand_array 12
#define EVTCHNOP_set_priority 13
#define DOMID_SELF 0x7ff0
#define EVTCHNSTAT_closed 0
#define EVTCHNSTAT_interdomain 2

#define FIFO_PENDING (1u << 31)
#define FIFO_MASKED (1u << 30)
#define FIFO_LINKED (1u << 29)
#define FIFO_BUSY (1u << 28)
#define FIFO_LINK_MASK ((1u << 17) - 1)

struct control_block {
    uint32_t ready;
    uint32_t rsvd;
    uint32_t head[16];
};

static int privcmd;

static long evtchn_op(unsigned int cmd, void *arg)
{
    struct privcmd_hypercall call = {
        .op = HYPERVISOR_event_channel_op,
        .arg = { cmd, (uintptr_t)arg },
    };
    long ret = ioctl(privcmd, IOCTL_PRIVCMD_HYPERCALL, &call);

    return ret < 0 ? -(long)errno : ret;
}

/*
 * Results go to the kernel log, whose console writes poll the UART: the
 * serial driver's own writes wait for an interrupt that may be an event
 * channel this program takes away (a PIRQ under KVM).  The test boots
 * with printk.time=0 and printk.devkmsg=on: each is a console line of its
 * own, and none is rate-limited away.
 */
static int kmsg = -1;

static void log_printf(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    int n;

    /* KERN_EMERG: the guest's init keeps the console to that (dmesg -n 1) */
    memcpy(line, "<0>", 3);
    va_start(ap, fmt);
    n = vsnprintf(line + 3, sizeof(line) - 3, fmt, ap);
    va_end(ap);
    if (n > 0 && write(kmsg, line, 3 + n) < 0) {
        perror("fifohostile: /dev/kmsg");
    }
}

static int finish(int rc);

static void result(const char *name, long value)
{
    log_printf("XENBED-RESULT fifo-%s %ld\n", name, value);
}

/* A zeroed page locked in RAM, and its guest frame number. */
static void *locked_page(uint64_t *gfn)
{
    uint64_t entry = 0;
    void *page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    int fd = open("/proc/self/pagemap", O_RDONLY);

    if (page == MAP_FAILED || fd < 0) {
        log_printf("fifohostile: no page\n");
        exit(finish(1));
    }
    memset(page, 0, PAGE_SIZE);
    if (pread(fd, &entry, sizeof(entry),
              (uintptr_t)page / PAGE_SIZE * sizeof(entry)) != sizeof(entry) ||
        !(entry & (1ULL << 63))) {
        log_printf("fifohostile: no frame behind %p\n", page);
        exit(finish(1));
    }
    close(fd);
    *gfn = entry & ((1ULL << 55) - 1);
    return page;
}

static long init_control(uint64_t gfn, uint32_t vcpu)
{
    struct {
        uint64_t control_gfn;
        uint32_t offset;
        uint32_t vcpu;
        uint8_t link_bits;
        uint8_t pad[7];
    } arg = { .control_gfn = gfn, .vcpu = vcpu };
    long ret = evtchn_op(EVTCHNOP_init_control, &arg);

    return ret == 0 ? arg.link_bits : ret;
}

static long expand_array(uint64_t gfn)
{
    uint64_t arg = gfn;

    return evtchn_op(EVTCHNOP_expand_array, &arg);
}

static long port_op(unsigned int cmd, uint32_t port)
{
    uint32_t arg = port;

    return evtchn_op(cmd, &arg);
}

static long set_priority(uint32_t port, uint32_t priority)
{
    uint32_t arg[2] = { port, priority };

    return evtchn_op(EVTCHNOP_set_priority, arg);
}

static long port_status(uint32_t port)
{
    struct {
        uint16_t dom;
        uint16_t pad;
        uint32_t port;
        uint32_t status;
        uint32_t vcpu;
        uint32_t u[2];
    } arg = { .dom = DOMID_SELF, .port = port };
    long ret = evtchn_op(EVTCHNOP_status, &arg);

    return ret == 0 ? (long)arg.status : ret;
}

/* A loopback pair: sending on *from raises *to.  0 or -errno. */
static long loopback_pair(uint32_t *from, uint32_t *to)
{
    struct {
        uint16_t dom, remote_dom;
        uint32_t port;
    } unbound = { DOMID_SELF, DOMID_SELF, 0 };
    struct {
        uint16_t remote_dom, pad;
        uint32_t remote_port;
        uint32_t local_port;
    } bind = { .remote_dom = DOMID_SELF };
    long ret = evtchn_op(EVTCHNOP_alloc_unbound, &unbound);

    if (ret) {
        return ret;
    }
    bind.remote_port = unbound.port;
    ret = evtchn_op(EVTCHNOP_bind_interdomain, &bind);
    *to = unbound.port;
    *from = bind.local_port;
    return ret;
}

static volatile uint32_t *word(void *array, uint32_t port)
{
    return (volatile uint32_t *)array + (port & 1023);
}

struct fifo_pages {
    volatile struct control_block *cb;
    void *array;
};

/*
 * Set FIFO up in fresh pages and check queueing on an empty queue at
 * `priority`: HEAD names the first port, READY has the queue's bit, and
 * the second event's port is LINKed from the first, which stays the tail.
 */
static struct fifo_pages check_queueing(const char *stage,
                                        unsigned int priority)
{
    struct fifo_pages fifo;
    uint64_t cb_gfn, array_gfn;
    uint32_t from[2], to[2];
    char name[64];
    long ret;
    int i;

    fifo.cb = locked_page(&cb_gfn);
    fifo.array = locked_page(&array_gfn);
    snprintf(name, sizeof(name), "%s-init-control", stage);
    result(name, init_control(cb_gfn, 0));
    snprintf(name, sizeof(name), "%s-expand-array", stage);
    result(name, expand_array(array_gfn));
    for (i = 0; i < 2; i++) {
        ret = loopback_pair(&from[i], &to[i]);
        ret = ret ? ret : set_priority(to[i], priority);
        ret = ret ? ret : port_op(EVTCHNOP_send, from[i]);
        snprintf(name, sizeof(name), "%s-pair%d", stage, i);
        result(name, ret);
    }
    snprintf(name, sizeof(name), "%s-head-is-first", stage);
    result(name, fifo.cb->head[priority] == to[0]);
    snprintf(name, sizeof(name), "%s-ready", stage);
    result(name, !!(fifo.cb->ready & (1u << priority)));
    snprintf(name, sizeof(name), "%s-first-links-second", stage);
    result(name, (*word(fifo.array, to[0]) & (FIFO_PENDING | FIFO_LINKED |
                                              FIFO_LINK_MASK)) ==
           (FIFO_PENDING | FIFO_LINKED | to[1]));
    snprintf(name, sizeof(name), "%s-second-is-tail", stage);
    result(name, *word(fifo.array, to[1]) == (FIFO_PENDING | FIFO_LINKED));
    return fifo;
}

/* xorshift: garbage that differs from run to run only by the seed. */
static uint32_t garbage(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint32_t)(*state >> 11);
}

/* S5 through PIIX4's PM1a_CNT (SeaBIOS puts the PM base at 0x600). */
/*
 * The end: the harness's exit line, then an emergency restart (QEMU runs
 * with -no-reboot): the kernel's own power-off would wait for timers and
 * interrupts it no longer gets.
 */
static int finish(int rc)
{
    int fd = open("/proc/sysrq-trigger", O_WRONLY);

    log_printf("XENBED-DONE rc=%d\n", rc);
    if (fd < 0 || write(fd, "b", 1) != 1) {
        perror("fifohostile: /proc/sysrq-trigger");
    }
    pause();
    return rc;
}

int main(int argc, char **argv)
{
    enum { PAIRS = 8 };
    unsigned long storm = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
    uint32_t from[PAIRS], to[PAIRS], port;
    uint64_t spare_gfn, seed = 0x9e3779b97f4a7c15ull;
    unsigned long i, failures = 0, intact = 0;
    struct fifo_pages fifo;
    volatile uint32_t *w;
    long ret;

    kmsg = open("/dev/kmsg", O_WRONLY);
    if (kmsg < 0) {
        perror("fifohostile: /dev/kmsg");
        return 1;
    }
    /* What the shell wrote goes out while the UART's interrupt works. */
    tcdrain(STDOUT_FILENO);
    privcmd = open("/dev/xen/privcmd", O_RDWR);
    if (privcmd < 0) {
        log_printf("fifohostile: cannot open /dev/xen/privcmd\n");
        return finish(1);
    }

    /* 1. From here on every port's events land in pages this program owns. */
    fifo = check_queueing("first", 3);
    locked_page(&spare_gfn);
    result("init-control-twice", init_control(spare_gfn, 0));

    /* 2. Corrupt the pages the emulator is using, then keep it busy. */
    for (i = 0; i < PAIRS; i++) {
        ret = loopback_pair(&from[i], &to[i]);
        if (ret) {
            result("hostile-pair", ret);
            return finish(1);
        }
    }
    /*
     * A guest-set BUSY on queue 4's tail: the guest may not set it, and
     * as nothing changes the word under the cmpxchg, Xen links the next
     * event anyway and clears it.
     */
    failures += set_priority(to[0], 4) != 0;
    failures += port_op(EVTCHNOP_send, from[0]) != 0;
    *word(fifo.array, to[0]) = FIFO_PENDING | FIFO_LINKED | FIFO_BUSY;
    failures += set_priority(to[1], 4) != 0;
    failures += port_op(EVTCHNOP_send, from[1]) != 0;
    result("busy-tail-linked", *word(fifo.array, to[0]) ==
           (FIFO_PENDING | FIFO_LINKED | to[1]));
    /* A self-link, a LINK past every port, bogus HEADs and READY bits. */
    *word(fifo.array, to[2]) = FIFO_LINKED | to[2];
    *word(fifo.array, to[3]) = FIFO_LINKED | FIFO_LINK_MASK;
    for (i = 0; i < 16; i++) {
        fifo.cb->head[i] = FIFO_LINK_MASK - i;
    }
    fifo.cb->ready = ~0u;
    for (i = 0; i < storm; i++) {
        uint32_t r = garbage(&seed);
        unsigned int pair = r % PAIRS;

        switch ((r >> 8) % 6) {
        case 0:
            /* Any word in the page: the kernel's ports' as well. */
            w = word(fifo.array, garbage(&seed));
            *w = garbage(&seed) | (r & FIFO_BUSY);
            break;
        case 1:
            fifo.cb->head[r % 16] = garbage(&seed);
            fifo.cb->ready = garbage(&seed);
            break;
        case 2:
            failures += set_priority(to[pair], (r >> 12) % 16) != 0;
            break;
        case 3:
            failures += port_op(EVTCHNOP_unmask, to[pair]) != 0;
            break;
        default:
            failures += port_op(EVTCHNOP_send, from[pair]) != 0;
            break;
        }
    }
    result("storm-ops", storm);
    result("storm-failures", failures);

    /* 3. The ports themselves are untouched by what was in the pages. */
    for (i = 0; i < PAIRS; i++) {
        intact += port_status(to[i]) == EVTCHNSTAT_interdomain &&
                  port_status(from[i]) == EVTCHNSTAT_interdomain;
    }
    result("pairs-intact", intact);

    /* 4. EVTCHNOP_reset: every port closed, the domain 2-level again. */
    {
        uint16_t dom[2] = { DOMID_SELF, 0 };

        result("reset", evtchn_op(EVTCHNOP_reset, dom));
    }
    port = to[0];
    result("status-after-reset", port_status(port));
    result("expand-after-reset", expand_array(spare_gfn));
    result("set-priority-after-reset", set_priority(port, 1));

    /* 5. And FIFO works again from scratch. */
    check_queueing("again", 5);
    return finish(0);
}
