/*
 * CHECK(): an invariant of a fuzz target; a failure aborts, which
 * libFuzzer reports as a crash with the input that caused it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XENBED_FUZZ_CHECK_H
#define XENBED_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "invariant failed: %s\n", #cond); \
            abort(); \
        } \
    } while (0)

#endif
