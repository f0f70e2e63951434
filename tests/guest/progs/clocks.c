/*
 * clocks TAG: print the guest's monotonic and real-time clocks, for
 * `xenbed bench clock`, which compares them with the host's.
 *
 *   XENBED-MARK clock-TAG            (the host notes when it sees this)
 *   XENBED-RESULT mono-TAG SEC.NSEC
 *   XENBED-RESULT real-TAG SEC.NSEC
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
    struct timespec mono, real;

    if (argc != 2) {
        fprintf(stderr, "usage: clocks TAG\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    /* One write, so that the mark and the readings leave together. */
    printf("XENBED-MARK clock-%s\n"
           "XENBED-RESULT mono-%s %lld.%09ld\n"
           "XENBED-RESULT real-%s %lld.%09ld\n",
           argv[1], argv[1], (long long)mono.tv_sec, mono.tv_nsec,
           argv[1], (long long)real.tv_sec, real.tv_nsec);
    return 0;
}
