/*
 * hcpage: have the emulator fill a hypercall page through the Xen
 * hypercall MSR, from user space (/dev/cpu/0/msr, module msr), and check
 * what it wrote; then feed the MSR bad GPAs, which must give the guest a
 * #GP (EIO from the msr driver), as from Xen and KVM.
 *
 * Linux no longer uses the hypercall page itself (since the 2024 XSA-466
 * rework), so this is the only guest-side use of the MSR in the tests.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_SIZE 4096
#define ENTRY_SIZE 32

static uint32_t xen_cpuid_base(void)
{
    uint32_t base, eax, sig[3];

    for (base = 0x40000000; base < 0x40010000; base += 0x100) {
        __cpuid(base, eax, sig[0], sig[1], sig[2]);
        if (!memcmp(sig, "XenVMMXenVMM", 12) && eax - base >= 2) {
            return base;
        }
    }
    return 0;
}

/* The GPA behind a locked user page, from /proc/self/pagemap (root). */
static uint64_t user_page_gpa(void *page)
{
    uint64_t entry;
    int fd = open("/proc/self/pagemap", O_RDONLY);
    off_t off = (uintptr_t)page / PAGE_SIZE * sizeof(entry);

    if (fd < 0 || pread(fd, &entry, sizeof(entry), off) != sizeof(entry)) {
        return 0;
    }
    close(fd);
    if (!(entry & (1ULL << 63))) {
        return 0;
    }
    return (entry & ((1ULL << 55) - 1)) * PAGE_SIZE;
}

/* 0 if the MSR write was taken, else the errno (EIO: the guest got #GP). */
static int write_msr(int fd, uint32_t msr, uint64_t value)
{
    return pwrite(fd, &value, sizeof(value), msr) == sizeof(value) ? 0 : errno;
}

/* Entries that are "mov $i, %eax; vmcall or vmmcall; ret" then int3. */
static int good_entries(const uint8_t *page, const char **insn)
{
    int i, j;

    for (i = 0; i < PAGE_SIZE / ENTRY_SIZE; i++) {
        const uint8_t *e = page + i * ENTRY_SIZE;
        uint32_t nr;

        memcpy(&nr, e + 1, sizeof(nr));
        if (e[0] != 0xb8 || nr != (uint32_t)i || e[5] != 0x0f ||
            e[6] != 0x01 || (e[7] != 0xc1 && e[7] != 0xd9) || e[8] != 0xc3) {
            break;
        }
        for (j = 9; j < ENTRY_SIZE && e[j] == 0xcc; j++) {
        }
        if (j != ENTRY_SIZE) {
            break;
        }
        *insn = e[7] == 0xc1 ? "vmcall" : "vmmcall";
    }
    return i;
}

int main(void)
{
    uint32_t base = xen_cpuid_base(), eax, msr, ecx, edx;
    const char *insn = "none";
    uint8_t *page;
    uint64_t gpa;
    int fd;

    if (!base) {
        printf("XENBED-RESULT hcpage-error no-xen-cpuid\n");
        return 1;
    }
    __cpuid(base + 2, eax, msr, ecx, edx);
    printf("XENBED-RESULT hcpage-pages %u\n", eax);
    printf("XENBED-RESULT hcpage-msr 0x%x\n", msr);

    fd = open("/dev/cpu/0/msr", O_WRONLY);
    page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if (fd < 0 || page == MAP_FAILED) {
        printf("XENBED-RESULT hcpage-error setup %d\n", errno);
        return 1;
    }
    memset(page, 0, PAGE_SIZE);
    gpa = user_page_gpa(page);
    if (!gpa) {
        printf("XENBED-RESULT hcpage-error pagemap\n");
        return 1;
    }

    printf("XENBED-RESULT hcpage-write %d\n", write_msr(fd, msr, gpa));
    printf("XENBED-RESULT hcpage-entries %d\n", good_entries(page, &insn));
    printf("XENBED-RESULT hcpage-insn %s\n", insn);

    /* Bad values: #GP, and nothing written anywhere. */
    printf("XENBED-RESULT hcpage-unaligned %d\n", write_msr(fd, msr, gpa | 1));
    printf("XENBED-RESULT hcpage-no-ram %d\n",
           write_msr(fd, msr, 1ULL << 45));
    printf("XENBED-RESULT hcpage-rom %d\n",
           write_msr(fd, msr, 0xfffff000ULL));
    printf("XENBED-RESULT hcpage-mmio %d\n",
           write_msr(fd, msr, 0xfee00000ULL));
    return 0;
}
