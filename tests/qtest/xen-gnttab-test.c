/*
 * qtest: grant table v1, as a guest sets it up and as backends see it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libxen.h"
#include "hw/xen/interface/grant_table.h"
#include "hw/xen/interface/memory.h"

static void test_versions(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    struct gnttab_get_version get = { .dom = DOMID_SELF };
    struct gnttab_set_version set = { .version = 1 };

    g_assert_cmpint(xen_gnttab_op(x, GNTTABOP_get_version, &get, sizeof(get)),
                    ==, 0);
    g_assert_cmpuint(get.version, ==, 1);
    g_assert_cmpint(xen_gnttab_op(x, GNTTABOP_set_version, &set, sizeof(set)),
                    ==, 0);
    g_assert_cmpuint(set.version, ==, 1);

    /* Only v1: v2 is refused as by a Xen without it, the version stays 1 */
    set.version = 2;
    g_assert_cmpint(xen_gnttab_op(x, GNTTABOP_set_version, &set, sizeof(set)),
                    ==, -XEN_ENOSYS);
    g_assert_cmpuint(set.version, ==, 1);
    set.version = 3;
    g_assert_cmpint(xen_gnttab_op(x, GNTTABOP_set_version, &set, sizeof(set)),
                    ==, -XEN_EINVAL);

    /* Another domain's version: -ESRCH */
    get.dom = 7;
    g_assert_cmpint(xen_gnttab_op(x, GNTTABOP_get_version, &get, sizeof(get)),
                    ==, -3);
    xen_qtest_end(x);
}

static void test_query_size(void)
{
    XenQTest *x = xen_qtest_start(1, "xen-gnttab-max-frames=8");
    struct gnttab_query_size size = { .dom = DOMID_SELF };

    g_assert_cmpint(xen_gnttab_op(x, GNTTABOP_query_size, &size, sizeof(size)),
                    ==, 0);
    g_assert_cmpint(size.status, ==, GNTST_okay);
    g_assert_cmpuint(size.max_nr_frames, ==, 8);
    g_assert_cmpuint(size.nr_frames, <=, 8);

    /* Frames 0..7 map, and mapping one grows the table to it; no 9th */
    g_assert_cmpint(xen_gnttab_map_frame(x, 7, XEN_QTEST_GNTTAB_GPA +
                                         7 * 4096), ==, 0);
    g_assert_cmpint(xen_gnttab_map_frame(x, 8, XEN_QTEST_GNTTAB_GPA +
                                         8 * 4096), ==,
                    -XEN_EINVAL);
    g_assert_cmpint(xen_gnttab_op(x, GNTTABOP_query_size, &size, sizeof(size)),
                    ==, 0);
    g_assert_cmpuint(size.nr_frames, ==, 8);
    xen_qtest_end(x);
}

static void test_reserved_entries(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    struct xen_hvm_param {
        uint16_t domid;
        uint32_t index;
        uint64_t value;
    } param = { .domid = DOMID_SELF, .index = 1 /* HVM_PARAM_STORE_PFN */ };
    grant_entry_v1_t entry;

    g_assert_cmpint(xen_gnttab_map_frame(x, 0, XEN_QTEST_GNTTAB_GPA), ==, 0);

    /* The toolstack's entry for xenstore: its ring, to domain 0 */
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &param, sizeof(param));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_HVM_OP, 1 /* get_param */,
                                  XEN_QTEST_ARGS_GPA, 0), ==, 0);
    qtest_memread(x->qts, XEN_QTEST_ARGS_GPA, &param, sizeof(param));
    qtest_memread(x->qts, XEN_QTEST_GNTTAB_GPA +
                  GNTTAB_RESERVED_XENSTORE * sizeof(entry), &entry,
                  sizeof(entry));
    g_assert_cmphex(entry.flags & GTF_type_mask, ==, GTF_permit_access);
    g_assert_cmpuint(entry.domid, ==, 0);
    g_assert_cmphex(entry.frame, ==, param.value);
    /* The emulated xenstore has the ring mapped, read and write. */
    g_assert_cmphex(entry.flags & (GTF_reading | GTF_writing), ==,
                    GTF_reading | GTF_writing);
    xen_qtest_end(x);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/xen/gnttab/versions", test_versions);
    qtest_add_func("/xen/gnttab/query-size", test_query_size);
    qtest_add_func("/xen/gnttab/reserved-entries", test_reserved_entries);

    return g_test_run();
}
