/*
 * Xen HVM emulation under qtest: hypercalls from the qtest protocol
 *
 * "-accel qtest,xen-version=V" brings the Xen emulation up as under TCG
 * (xen_emu_tcg_init()).  No guest code runs, so the qtest command
 *
 *   xen_hypercall VCPU NR A1 A2 A3 A4 A5 A6
 *
 * makes hypercall NR as vCPU VCPU in 64-bit mode at CPL 0, its arguments
 * being guest-physical pointers (the vCPUs stay in their reset state,
 * with paging off) or values.  It answers "OK 0x<result>", or
 * "ERR <reason>" for a malformed line, which changes nothing.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "hw/core/cpu.h"
#include "system/qtest.h"
#include "system/kvm_xen.h"
#include "system/system.h"
#include "xen-qtest.h"

#define XEN_QTEST_HYPERCALL_WORDS 9     /* the command, VCPU, NR, A1..A6 */
#define XEN_QTEST_HYPERCALL_USAGE \
    "xen_hypercall takes VCPU NR A1 A2 A3 A4 A5 A6"

static bool xen_qtest_parse(gchar **words, uint64_t *values, char **err)
{
    int i;

    for (i = 1; i < XEN_QTEST_HYPERCALL_WORDS; i++) {
        if (!words[i] || !*words[i]) {
            *err = g_strdup(XEN_QTEST_HYPERCALL_USAGE);
            return false;
        }
        if (qemu_strtou64(words[i], NULL, 0, &values[i - 1]) < 0) {
            *err = g_strdup_printf("'%s' is not a number", words[i]);
            return false;
        }
    }
    if (words[i]) {
        *err = g_strdup(XEN_QTEST_HYPERCALL_USAGE);
        return false;
    }
    return true;
}

static bool xen_qtest_command(CharBackend *chr, gchar **words)
{
    uint64_t values[XEN_QTEST_HYPERCALL_WORDS - 1];
    g_autofree char *err = NULL;
    XenHypercall hc = { .cpl = 0, .longmode = true };
    CPUState *cs;
    int i;

    if (strcmp(words[0], "xen_hypercall") != 0) {
        return false;
    }

    if (!xen_qtest_parse(words, values, &err)) {
        qtest_sendf(chr, "ERR %s\n", err);
        return true;
    }

    cs = values[0] <= INT_MAX ? qemu_get_cpu(values[0]) : NULL;
    if (!cs) {
        qtest_sendf(chr, "ERR no vCPU %s\n", words[1]);
        return true;
    }

    hc.input = values[1];
    for (i = 0; i < ARRAY_SIZE(hc.params); i++) {
        hc.params[i] = values[2 + i];
    }

    /*
     * A hypercall runs as on a vCPU thread under TCG: without the BQL,
     * which its handlers take where they need it.
     */
    bql_unlock();
    xen_emu_hypercall(cs, &hc);
    bql_lock();

    qtest_sendf(chr, "OK 0x%" PRIx64 "\n", hc.result);
    return true;
}

/* What the TCG vCPUs get at realize (tcg-cpu.c), once they all exist */
static void xen_qtest_init_vcpus(Notifier *notifier, void *data)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        if (xen_emu_init_vcpu(cs) < 0) {
            error_report("Xen emulation: cannot set up vCPU %d",
                         cs->cpu_index);
            exit(1);
        }
    }
}

static Notifier xen_qtest_machine_done = {
    .notify = xen_qtest_init_vcpus,
};

void xen_qtest_init(void)
{
    qtest_set_command_cb(xen_qtest_command);
    qemu_add_machine_init_done_notifier(&xen_qtest_machine_done);
}
