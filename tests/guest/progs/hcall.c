/*
 * hcall: time a trivial Xen hypercall (xen_version(XENVER_version)) issued
 * from the guest through /dev/xen/privcmd.
 *
 *   hcall COUNT   prints the version and the mean cost in nanoseconds.
 *   hcall raw NAME OP [ARG...]
 *                 issues hypercall OP with up to 5 integer arguments and
 *                 prints "XENBED-RESULT hcall-NAME <result>" (-errno on
 *                 failure), for tests that feed the emulator bad arguments.
 *   hcall area NAME CMD VCPU null|straddle|badarg
 *                 VCPUOP CMD (a register_*_memory_area) for VCPU with a bad
 *                 area: NULL, one that runs off its page into an unmapped
 *                 one, or a bad pointer to the argument itself; prints
 *                 the result as raw does.
 *   hcall evtchn NAME CMD FIELD...
 *                 issues HYPERVISOR_event_channel_op(CMD, &arg) where arg is
 *                 a struct in this program's memory laid out from FIELDs
 *                 "q:VALUE" (64-bit) and "l:VALUE" (32-bit), in order, e.g.
 *                 EVTCHNOP_init_control: q:GFN l:OFFSET l:VCPU.
 *   hcall runstate NAME VCPU
 *                 registers a runstate area of its own (a locked page) for
 *                 VCPU, then on each SIGUSR1 prints it as a 64-bit guest
 *                 reads it: "XENBED-RESULT runstate-NAME-N STATE
 *                 ENTRY_TIME TIME0 TIME1 TIME2 TIME3" (N counts from 1),
 *                 until SIGTERM; then unregisters it (a NULL handle).
 *   hcall expand-fill NAME
 *                 under FIFO, gives EVTCHNOP_expand_array pages of its own
 *                 (locked, frame numbers from /proc/self/pagemap) until it
 *                 fails; prints how many were added and the error, tries
 *                 once more, then sleeps forever so that the pages stay
 *                 its own (run it in the background, last).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

/* Linux include/uapi/xen/privcmd.h (its header needs Xen's own headers). */
struct privcmd_hypercall {
    __u64 op;
    __u64 arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

#define HYPERVISOR_xen_version 17
#define XENVER_version 0

static int raw_hypercall(int fd, int argc, char **argv)
{
    struct privcmd_hypercall call = { .op = strtoull(argv[3], NULL, 0) };
    long ret;

    for (int i = 4; i < argc && i < 9; i++) {
        call.arg[i - 4] = strtoull(argv[i], NULL, 0);
    }
    ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    printf("XENBED-RESULT hcall-%s %ld\n", argv[2], ret < 0 ? -(long)errno : ret);
    return 0;
}

#define HYPERVISOR_vcpu_op 24

static int bad_area_hypercall(int fd, char **argv)
{
    /* struct vcpu_register_{runstate,time}_memory_area: a guest handle */
    uint64_t *area_arg;
    uint8_t *pages;
    struct privcmd_hypercall call = {
        .op = HYPERVISOR_vcpu_op,
        .arg = { strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0) },
    };
    long ret;

    pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (pages == MAP_FAILED) {
        perror("hcall: mmap");
        return 1;
    }
    area_arg = (uint64_t *)pages;
    if (!strcmp(argv[5], "null")) {
        *area_arg = 0;
    } else if (!strcmp(argv[5], "straddle")) {
        /* The area starts 8 bytes before the end of a page with nothing
         * mapped after it. */
        munmap(pages + 4096, 4096);
        *area_arg = (uintptr_t)(pages + 4096 - 8);
    } else {
        area_arg = (uint64_t *)8;
    }
    call.arg[2] = (uintptr_t)area_arg;
    ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    printf("XENBED-RESULT hcall-%s %ld\n", argv[2], ret < 0 ? -(long)errno : ret);
    return 0;
}

#define VCPUOP_register_runstate_memory_area 5

/* Xen's struct vcpu_runstate_info in the 64-bit layout. */
struct runstate_info {
    int32_t state;
    uint64_t state_entry_time;
    uint64_t time[4];
};

static volatile sig_atomic_t runstate_wanted, runstate_done;

static void on_signal(int sig)
{
    if (sig == SIGUSR1) {
        runstate_wanted = 1;
    } else {
        runstate_done = 1;
    }
}

static int runstate_area(int fd, char **argv)
{
    struct runstate_info *area;
    uint64_t *handle;
    struct privcmd_hypercall call = {
        .op = HYPERVISOR_vcpu_op,
        .arg = { VCPUOP_register_runstate_memory_area,
                 strtoull(argv[3], NULL, 0) },
    };
    sigset_t mask, unblocked;
    unsigned int n = 0;
    long ret;

    handle = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
                  -1, 0);
    if (handle == MAP_FAILED) {
        perror("hcall: mmap");
        return 1;
    }
    /* The area sits behind its handle, on the same locked page. */
    area = (struct runstate_info *)(handle + 8);
    *handle = (uintptr_t)area;
    call.arg[2] = (uintptr_t)handle;
    /* Signals wait while the flags are looked at: none is missed. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, &unblocked);
    signal(SIGUSR1, on_signal);
    signal(SIGTERM, on_signal);
    ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    printf("XENBED-RESULT hcall-%s %ld\n", argv[2], ret < 0 ? -(long)errno : ret);
    fflush(stdout);
    while (!runstate_done) {
        if (!runstate_wanted) {
            sigsuspend(&unblocked);
        }
        if (runstate_wanted) {
            runstate_wanted = 0;
            printf("XENBED-RESULT runstate-%s-%u %d %llu %llu %llu %llu %llu\n",
                   argv[2], ++n, area->state,
                   (unsigned long long)area->state_entry_time,
                   (unsigned long long)area->time[0],
                   (unsigned long long)area->time[1],
                   (unsigned long long)area->time[2],
                   (unsigned long long)area->time[3]);
            fflush(stdout);
        }
    }
    /*
     * Unregister (a NULL handle) before the page goes back to the kernel:
     * the hypervisor would go on writing the area into whatever reuses it.
     */
    *handle = 0;
    ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    printf("XENBED-RESULT hcall-%s-off %ld\n", argv[2],
           ret < 0 ? -(long)errno : ret);
    return 0;
}

#define HYPERVISOR_event_channel_op 32

static int evtchn_hypercall(int fd, int argc, char **argv)
{
    /* Large enough for any EVTCHNOP struct; OUT fields land here too. */
    static unsigned char arg[64] __attribute__((aligned(8)));
    struct privcmd_hypercall call = {
        .op = HYPERVISOR_event_channel_op,
        .arg = { strtoull(argv[3], NULL, 0), (unsigned long)arg },
    };
    size_t off = 0;
    long ret;

    for (int i = 4; i < argc; i++) {
        unsigned long long v = strtoull(argv[i] + 2, NULL, 0);

        if (argv[i][0] == 'q' && argv[i][1] == ':' && off + 8 <= sizeof(arg)) {
            memcpy(arg + off, &v, 8);
            off += 8;
        } else if (argv[i][0] == 'l' && argv[i][1] == ':' &&
                   off + 4 <= sizeof(arg)) {
            unsigned int l = v;

            memcpy(arg + off, &l, 4);
            off += 4;
        } else {
            fprintf(stderr, "hcall: bad field %s\n", argv[i]);
            return 1;
        }
    }
    ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    printf("XENBED-RESULT hcall-%s %ld\n", argv[2], ret < 0 ? -(long)errno : ret);
    return 0;
}

#define EVTCHNOP_expand_array 12

static long expand_array(int fd, uint64_t gfn)
{
    static uint64_t arg __attribute__((aligned(8)));
    struct privcmd_hypercall call = {
        .op = HYPERVISOR_event_channel_op,
        .arg = { EVTCHNOP_expand_array, (unsigned long)&arg },
    };
    long ret;

    arg = gfn;
    ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    return ret < 0 ? -(long)errno : ret;
}

static int expand_fill(int fd, const char *name)
{
    enum { PAGES = 129 };
    long page = sysconf(_SC_PAGESIZE), added = 0, ret = 0;
    unsigned char *mem = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int pm = open("/proc/self/pagemap", O_RDONLY);

    if (mem == MAP_FAILED || pm < 0 || mlock(mem, PAGES * page)) {
        perror("hcall: expand-fill");
        return 1;
    }
    for (int i = 0; i < PAGES; i++) {
        uint64_t entry = 0;

        /* Linux fills a new page with MASKED words first; so do we. */
        for (long w = 0; w < page / 4; w++) {
            ((uint32_t *)(mem + i * page))[w] = 1u << 30;
        }
        if (pread(pm, &entry, 8, ((uintptr_t)mem / page + i) * 8) != 8 ||
            !(entry & (1ull << 63)) || !(entry & ((1ull << 55) - 1))) {
            fprintf(stderr, "hcall: no frame number for page %d\n", i);
            return 1;
        }
        ret = expand_array(fd, entry & ((1ull << 55) - 1));
        if (ret) {
            break;
        }
        added++;
    }
    printf("XENBED-RESULT hcall-%s-added %ld\n", name, added);
    printf("XENBED-RESULT hcall-%s-error %ld\n", name, ret);
    printf("XENBED-RESULT hcall-%s-again %ld\n", name,
           expand_array(fd, 0x1000));
    fflush(stdout);
    for (;;) {
        pause();
    }
}

int main(int argc, char **argv)
{
    struct privcmd_hypercall call = {
        .op = HYPERVISOR_xen_version, .arg = { XENVER_version },
    };
    long count = argc > 1 ? atol(argv[1]) : 10000;
    struct timespec start, end;
    int fd = open("/dev/xen/privcmd", O_RDWR);
    long version;

    if (fd < 0) {
        perror("hcall: /dev/xen/privcmd");
        return 1;
    }
    if (argc >= 4 && !strcmp(argv[1], "raw")) {
        return raw_hypercall(fd, argc, argv);
    }
    if (argc == 6 && !strcmp(argv[1], "area")) {
        return bad_area_hypercall(fd, argv);
    }
    if (argc >= 4 && !strcmp(argv[1], "evtchn")) {
        return evtchn_hypercall(fd, argc, argv);
    }
    if (argc == 4 && !strcmp(argv[1], "runstate")) {
        return runstate_area(fd, argv);
    }
    if (argc == 3 && !strcmp(argv[1], "expand-fill")) {
        return expand_fill(fd, argv[2]);
    }
    if (count <= 0) {
        fprintf(stderr, "usage: hcall COUNT | hcall raw NAME OP [ARG...] | "
                "hcall area NAME CMD VCPU null|straddle|badarg | "
                "hcall evtchn NAME CMD FIELD... | hcall runstate NAME VCPU | "
                "hcall expand-fill NAME\n");
        return 1;
    }
    version = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
    if (version < 0) {
        perror("hcall: xen_version");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++) {
        if (ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call) != version) {
            fprintf(stderr, "hcall: result changed at call %ld\n", i);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("XENBED-RESULT xen-version %ld.%ld\n", version >> 16,
           version & 0xffff);
    printf("XENBED-RESULT hypercall-ns %.0f\n",
           ((end.tv_sec - start.tv_sec) * 1e9 +
            (end.tv_nsec - start.tv_nsec)) / count);
    return 0;
}
