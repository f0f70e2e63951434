/*
 * qtest: the xen_hypercall qtest command and the hypercall entry
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libxen.h"
#include "hw/xen/interface/version.h"

static void test_version(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);

    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, XENVER_version,
                                  0, 0), ==, 0x4000a);
    xen_qtest_end(x);
}

static void test_unknown_hypercall(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);

    /* Unknown numbers, and numbers past every table, are -ENOSYS. */
    g_assert_cmpint(xen_hypercall(x, 0, 63, 0, 0, 0), ==, -XEN_ENOSYS);
    g_assert_cmpint(xen_hypercall(x, 0, 0xffffffffffffffffULL, 0, 0, 0), ==,
                    -XEN_ENOSYS);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_EVENT_CHANNEL_OP, 0x7fff,
                                  XEN_QTEST_ARGS_GPA, 0), ==, -XEN_ENOSYS);
    xen_qtest_end(x);
}

static void test_bad_pointers(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);

    /* Arguments nowhere in RAM, or running off its end: -EFAULT */
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_EVENT_CHANNEL_OP,
                                  EVTCHNOP_send, 0xfffffffffffff000ULL, 0),
                    ==, -XEN_EFAULT);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_EVENT_CHANNEL_OP,
                                  EVTCHNOP_alloc_unbound, 0xfffffffc, 0),
                    ==, -XEN_EFAULT);
    /* and QEMU is still there */
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, XENVER_version,
                                  0, 0), ==, 0x4000a);
    xen_qtest_end(x);
}

static void test_malformed_lines(void)
{
    XenQTest *x = xen_qtest_start(2, NULL);
    static const struct {
        const char *args;
        const char *reply;
    } cases[] = {
        { "", "ERR xen_hypercall takes VCPU NR A1 A2 A3 A4 A5 A6" },
        { "0 17 0 0 0 0 0", "ERR xen_hypercall takes VCPU NR A1 A2 A3 A4 "
          "A5 A6" },
        { "0 17 0 0 0 0 0 0 0", "ERR xen_hypercall takes VCPU NR A1 A2 A3 "
          "A4 A5 A6" },
        { "0 seventeen 0 0 0 0 0 0", "ERR 'seventeen' is not a number" },
        { "0 17 0 0 0 0 0 0x1g", "ERR '0x1g' is not a number" },
        { "2 17 0 0 0 0 0 0", "ERR no vCPU 2" },
        { "-1 17 0 0 0 0 0 0", "ERR no vCPU -1" },
        { "1 17 0 0 0 0 0 0", "OK 0x4000a" },
        { "0x0 0x11 0 0 0 0 0 0", "OK 0x4000a" },
    };

    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *reply = qtest_xen_hypercall_line(x->qts,
                                                          cases[i].args);

        g_assert_cmpstr(reply, ==, cases[i].reply);
    }
    xen_qtest_end(x);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/xen/hypercall/version", test_version);
    qtest_add_func("/xen/hypercall/unknown", test_unknown_hypercall);
    qtest_add_func("/xen/hypercall/bad-pointers", test_bad_pointers);
    qtest_add_func("/xen/hypercall/malformed-lines", test_malformed_lines);

    return g_test_run();
}
