/*
 * qtest: the emulated xenstore, over the guest's ring
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libxen.h"
#include "hw/xen/interface/io/xs_wire.h"

#define XS_RING(f) offsetof(struct xenstore_domain_interface, f)

static void test_read_write(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    g_autofree char *err = NULL;
    g_autofree char *missing = xen_xs_read(x, 0, "data/nothing", &err);
    g_autofree char *value = NULL;
    g_autofree char *domid = NULL;

    g_assert_null(missing);
    g_assert_cmpstr(err, ==, "ENOENT");

    g_assert_null(xen_xs_write(x, 0, "data/greeting", "hello"));
    value = xen_xs_read(x, 0, "data/greeting", &err);
    g_assert_cmpstr(value, ==, "hello");

    /* The guest's own domid, relative paths being under its directory */
    domid = xen_xs_read(x, 0, "domid", &err);
    g_assert_cmpstr(domid, ==, "1");
    xen_qtest_end(x);
}

static void test_watch(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    g_autofree char *path = NULL, *token = NULL;
    g_autofree char *path2 = NULL, *token2 = NULL;

    g_assert_null(xen_xs_watch(x, "data/watched", "tok"));
    /* A new watch fires once at once, as xenstored's do. */
    g_assert_null(xen_xs_write(x, 0, "data/other", "1"));
    g_assert_true(xen_xs_watch_event(x, &path, &token));
    g_assert_cmpstr(path, ==, "data/watched");
    g_assert_cmpstr(token, ==, "tok");

    /* A write below the watched path fires it with that path. */
    g_assert_null(xen_xs_write(x, 0, "data/watched/child", "2"));
    g_assert_null(xen_xs_write(x, 0, "data/other", "3"));
    g_assert_true(xen_xs_watch_event(x, &path2, &token2));
    g_assert_cmpstr(path2, ==, "data/watched/child");
    g_assert_cmpstr(token2, ==, "tok");
    xen_qtest_end(x);
}

static void test_transactions_conflict(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    g_autofree char *err = NULL, *v1 = NULL, *v2 = NULL, *end = NULL;
    g_autofree char *final = NULL;
    uint32_t t1, t2;

    g_assert_null(xen_xs_write(x, 0, "data/counter", "0"));
    t1 = xen_xs_transaction_start(x);
    t2 = xen_xs_transaction_start(x);
    g_assert_cmpuint(t1, !=, 0);
    g_assert_cmpuint(t1, !=, t2);

    v1 = xen_xs_read(x, t1, "data/counter", &err);
    v2 = xen_xs_read(x, t2, "data/counter", &err);
    g_assert_cmpstr(v1, ==, "0");
    g_assert_cmpstr(v2, ==, "0");
    g_assert_null(xen_xs_write(x, t1, "data/counter", "1"));
    g_assert_null(xen_xs_write(x, t2, "data/counter", "2"));

    /* The first commit wins; the second must be retried. */
    g_assert_null(xen_xs_transaction_end(x, t1, true));
    end = xen_xs_transaction_end(x, t2, true);
    g_assert_cmpstr(end, ==, "EAGAIN");
    final = xen_xs_read(x, 0, "data/counter", &err);
    g_assert_cmpstr(final, ==, "1");
    xen_qtest_end(x);
}

/*
 * A header claiming a payload over XENSTORE_PAYLOAD_MAX, or a req_prod
 * far ahead of req_cons: QEMU stops serving the ring and stays up.
 */
static void test_hostile_ring(gconstpointer opaque)
{
    bool oversized = GPOINTER_TO_INT(opaque);
    XenQTest *x = xen_qtest_start(1, NULL);
    g_autofree char *err = NULL;
    g_autofree char *value = NULL;
    uint64_t ring;
    uint32_t req_prod;

    /* A first request maps the ring and checks it works. */
    g_assert_null(xen_xs_write(x, 0, "data/before", "ok"));
    ring = x->xs_ring_gpa;
    req_prod = qtest_readl(x->qts, ring + XS_RING(req_prod));

    if (oversized) {
        struct xsd_sockmsg msg = {
            .type = XS_WRITE, .req_id = 99, .len = 64 * 1024,
        };

        for (size_t i = 0; i < sizeof(msg); i++) {
            qtest_writeb(x->qts, ring + XS_RING(req) +
                         MASK_XENSTORE_IDX(req_prod + i),
                         ((uint8_t *)&msg)[i]);
        }
        qtest_writel(x->qts, ring + XS_RING(req_prod),
                     req_prod + sizeof(msg));
    } else {
        qtest_writel(x->qts, ring + XS_RING(req_prod), req_prod + (1u << 31));
    }
    g_assert_cmpint(xen_evtchn_send(x, x->xs_port), ==, 0);
    xen_qtest_run(x, 20);

    /* QEMU is still there and answers hypercalls and QMP. */
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, 0, 0, 0), ==,
                    0x4000a);
    qtest_qmp_assert_success(x->qts, "{'execute': 'query-status'}");
    /* No reply came for the bad request. */
    g_assert_cmpuint(qtest_readl(x->qts, ring + XS_RING(rsp_prod)), ==,
                     qtest_readl(x->qts, ring + XS_RING(rsp_cons)));
    xen_qtest_end(x);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/xen/xenstore/read-write", test_read_write);
    qtest_add_func("/xen/xenstore/watch", test_watch);
    qtest_add_func("/xen/xenstore/transactions-conflict",
                   test_transactions_conflict);
    qtest_add_data_func("/xen/xenstore/hostile-ring/oversized-header",
                        GINT_TO_POINTER(true), test_hostile_ring);
    qtest_add_data_func("/xen/xenstore/hostile-ring/req-prod-far-ahead",
                        GINT_TO_POINTER(false), test_hostile_ring);

    return g_test_run();
}
