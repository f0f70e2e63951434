/*
 * kexec: boot another kernel with kexec_file_load(2), as kexec-tools'
 * "kexec -s -l KERNEL --initrd=INITRD --command-line=CMDLINE; kexec -e"
 * does.  busybox has no kexec.  On Xen HVM, Linux's machine shutdown for
 * kexec issues SCHEDOP_shutdown(SHUTDOWN_soft_reset) before jumping.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int kernel_fd, initrd_fd;

    if (argc != 4) {
        fprintf(stderr, "usage: kexec KERNEL INITRD CMDLINE\n");
        return 2;
    }
    kernel_fd = open(argv[1], O_RDONLY);
    initrd_fd = open(argv[2], O_RDONLY);
    if (kernel_fd < 0 || initrd_fd < 0) {
        perror("kexec: open");
        return 1;
    }
    if (syscall(SYS_kexec_file_load, kernel_fd, initrd_fd,
                strlen(argv[3]) + 1, argv[3], 0UL)) {
        perror("kexec: kexec_file_load");
        return 1;
    }
    sync();
    reboot(LINUX_REBOOT_CMD_KEXEC);
    perror("kexec: reboot");
    return 1;
}
