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

/* A request of @type with @len bytes of payload: the reply's payload */
static char *request(XenQTest *x, uint32_t type, const void *payload,
                     size_t len, uint32_t *reply_type, size_t *reply_len)
{
    return xen_xs_request(x, type, 0, payload, len, reply_type, reply_len);
}

/* The reply to @type on "@path\0": XS_ERROR's name or the payload */
static char *path_request(XenQTest *x, uint32_t type, const char *path,
                          uint32_t *reply_type, size_t *reply_len)
{
    return request(x, type, path, strlen(path) + 1, reply_type, reply_len);
}

static void test_request_types(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    static const uint32_t privileged[] = {
        XS_CONTROL, XS_INTRODUCE, XS_RELEASE, XS_IS_DOMAIN_INTRODUCED,
        XS_RESUME, XS_SET_TARGET,
    };
    static const char perms[] = "n1\0r0";
    g_autofree char *err = NULL;
    uint32_t type;
    size_t len;
    char *reply;

    /* MKDIR, DIRECTORY (NUL-separated names), DIRECTORY_PART, RM */
    g_assert_null(xen_xs_write(x, 0, "data/dir/a", "1"));
    reply = path_request(x, XS_MKDIR, "data/dir/b", &type, &len);
    g_assert_cmpuint(type, ==, XS_MKDIR);
    g_free(reply);
    reply = path_request(x, XS_DIRECTORY, "data/dir", &type, &len);
    g_assert_cmpuint(type, ==, XS_DIRECTORY);
    g_assert_cmpmem(reply, len, "a\0b", 4);
    g_free(reply);
    reply = request(x, XS_DIRECTORY_PART, "data/dir\0" "0", 11, &type, &len);
    g_assert_cmpuint(type, ==, XS_DIRECTORY_PART);
    /* The generation count, then the names, then an empty one */
    g_assert_cmpuint(len, >, strlen(reply) + 1);
    g_assert_cmpmem(reply + strlen(reply) + 1, len - strlen(reply) - 1,
                    "a\0b\0", 5);
    g_free(reply);

    /* GET_PERMS and SET_PERMS: the guest owns what it made */
    reply = path_request(x, XS_GET_PERMS, "data/dir", &type, &len);
    g_assert_cmpuint(type, ==, XS_GET_PERMS);
    g_assert_cmpstr(reply, ==, "n1");
    g_free(reply);
    {
        char req[sizeof("data/dir") + sizeof(perms)];

        memcpy(req, "data/dir", sizeof("data/dir"));
        memcpy(req + sizeof("data/dir"), perms, sizeof(perms));
        reply = request(x, XS_SET_PERMS, req, sizeof(req), &type, &len);
        g_assert_cmpuint(type, ==, XS_SET_PERMS);
        g_free(reply);
    }
    reply = path_request(x, XS_GET_PERMS, "data/dir", &type, &len);
    g_assert_cmpmem(reply, len, perms, sizeof(perms));
    g_free(reply);

    reply = path_request(x, XS_RM, "data/dir", &type, &len);
    g_assert_cmpuint(type, ==, XS_RM);
    g_free(reply);
    g_assert_null(xen_xs_read(x, 0, "data/dir/a", &err));
    g_assert_cmpstr(err, ==, "ENOENT");

    /* GET_DOMAIN_PATH, as xenstored answers any domain */
    reply = path_request(x, XS_GET_DOMAIN_PATH, "1", &type, &len);
    g_assert_cmpuint(type, ==, XS_GET_DOMAIN_PATH);
    g_assert_cmpmem(reply, len, "/local/domain/1", 16);
    g_free(reply);
    reply = path_request(x, XS_GET_DOMAIN_PATH, "0", &type, &len);
    g_assert_cmpmem(reply, len, "/local/domain/0", 16);
    g_free(reply);
    /* Not one NUL-terminated argument: EINVAL */
    reply = request(x, XS_GET_DOMAIN_PATH, "1", 1, &type, &len);
    g_assert_cmpuint(type, ==, XS_ERROR);
    g_assert_cmpstr(reply, ==, "EINVAL");
    g_free(reply);
    reply = request(x, XS_GET_DOMAIN_PATH, "1\0junk", 7, &type, &len);
    g_assert_cmpuint(type, ==, XS_ERROR);
    g_assert_cmpstr(reply, ==, "EINVAL");
    g_free(reply);

    /* What only the toolstack may do: EACCES */
    for (size_t i = 0; i < ARRAY_SIZE(privileged); i++) {
        reply = path_request(x, privileged[i], "1", &type, &len);
        g_assert_cmpuint(type, ==, XS_ERROR);
        g_assert_cmpstr(reply, ==, "EACCES");
        g_free(reply);
    }
    /* Types that are no request, and unknown types: ENOSYS */
    for (uint32_t t = XS_WATCH_EVENT; t <= XS_TYPE_COUNT + 100; t += 100) {
        reply = path_request(x, t, "data", &type, &len);
        g_assert_cmpuint(type, ==, XS_ERROR);
        g_assert_cmpstr(reply, ==, "ENOSYS");
        g_free(reply);
    }
    reply = path_request(x, XS_ERROR, "data", &type, &len);
    g_assert_cmpstr(reply, ==, "ENOSYS");
    g_free(reply);
    xen_qtest_end(x);
}

/*
 * Events may come after the reply to what fired them: a read collects
 * them.  Returns how many there were; each must have token @want (unless
 * NULL).
 */
static int drain_watch_events(XenQTest *x, const char *want)
{
    g_autofree char *err = NULL;
    char *path, *token;
    int n = 0;

    xen_qtest_run(x, 5);
    g_free(xen_xs_read(x, 0, "domid", &err));
    while (xen_xs_watch_event(x, &path, &token)) {
        if (want) {
            g_assert_cmpstr(token, ==, want);
        }
        n++;
        g_free(path);
        g_free(token);
    }
    return n;
}

/* UNWATCH and RESET_WATCHES: the watch stops firing */
static void test_unwatch(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint32_t type;
    char *reply;

    g_assert_null(xen_xs_watch(x, "data/w1", "t1"));
    g_assert_null(xen_xs_watch(x, "data/w2", "t2"));
    /* Each fires once when set */
    g_assert_cmpint(drain_watch_events(x, NULL), ==, 2);
    reply = request(x, XS_UNWATCH, "data/w1\0t1", 11, &type, NULL);
    g_assert_cmpuint(type, ==, XS_UNWATCH);
    g_free(reply);
    /* Twice: no such watch */
    reply = request(x, XS_UNWATCH, "data/w1\0t1", 11, &type, NULL);
    g_assert_cmpuint(type, ==, XS_ERROR);
    g_assert_cmpstr(reply, ==, "ENOENT");
    g_free(reply);
    g_assert_null(xen_xs_write(x, 0, "data/w1", "x"));
    g_assert_null(xen_xs_write(x, 0, "data/w2", "x"));
    g_assert_cmpint(drain_watch_events(x, "t2"), ==, 1);

    reply = request(x, XS_RESET_WATCHES, "", 1, &type, NULL);
    g_assert_cmpuint(type, ==, XS_RESET_WATCHES);
    g_free(reply);
    g_assert_null(xen_xs_write(x, 0, "data/w2", "y"));
    g_assert_null(xen_xs_write(x, 0, "data/w1", "z"));
    g_assert_cmpint(drain_watch_events(x, NULL), ==, 0);
    xen_qtest_end(x);
}

/*
 * A request written a few bytes at a time, the port kicked after each:
 * no reply until the whole of it is there, then one.
 */
static void test_partial_header(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    static const char payload[] = "data/partial\0v";
    struct xsd_sockmsg msg = {
        .type = XS_WRITE, .req_id = 7, .len = sizeof(payload) - 1,
    };
    uint8_t req[sizeof(msg) + sizeof(payload) - 1];
    g_autofree char *err = NULL;
    g_autofree char *value = NULL;
    uint64_t ring;
    uint32_t prod, rsp_prod;

    g_assert_null(xen_xs_write(x, 0, "data/before", "ok"));
    ring = x->xs_ring_gpa;
    prod = qtest_readl(x->qts, ring + XS_RING(req_prod));
    rsp_prod = qtest_readl(x->qts, ring + XS_RING(rsp_prod));
    memcpy(req, &msg, sizeof(msg));
    memcpy(req + sizeof(msg), payload, sizeof(payload) - 1);
    for (size_t i = 0; i < sizeof(req); i++) {
        qtest_writeb(x->qts, ring + XS_RING(req) +
                     MASK_XENSTORE_IDX(prod + i), req[i]);
        if (i % 5 == 4 || i + 1 == sizeof(req)) {
            g_assert_cmpuint(qtest_readl(x->qts, ring + XS_RING(rsp_prod)),
                             ==, rsp_prod);
            qtest_writel(x->qts, ring + XS_RING(req_prod), prod + i + 1);
            g_assert_cmpint(xen_evtchn_send(x, x->xs_port), ==, 0);
            xen_qtest_run(x, 2);
        }
    }
    /* The whole request was answered: one reply header and no payload */
    g_assert_cmpuint(qtest_readl(x->qts, ring + XS_RING(rsp_prod)), ==,
                     rsp_prod + sizeof(msg) + 3);
    qtest_writel(x->qts, ring + XS_RING(rsp_cons), rsp_prod + sizeof(msg) +
                 3);
    value = xen_xs_read(x, 0, "data/partial", &err);
    g_assert_cmpstr(value, ==, "v");
    xen_qtest_end(x);
}

/*
 * A flood of watches: the 129th is refused (E2BIG, xenstored's quota),
 * and a write that fires all of them is answered, QEMU staying up.
 */
static void test_watch_flood(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    int registered = 0, events = 0;
    char *err, *path, *token;

    for (int i = 0; i < 200; i++) {
        g_autofree char *tok = g_strdup_printf("t%d", i);

        err = xen_xs_watch(x, "data/flood", tok);
        if (err) {
            g_assert_cmpstr(err, ==, "E2BIG");
            g_free(err);
            break;
        }
        registered++;
    }
    g_assert_cmpint(registered, ==, 128);
    g_assert_null(xen_xs_write(x, 0, "data/flood", "1"));
    g_assert_null(xen_xs_write(x, 0, "data/flood", "2"));
    while (xen_xs_watch_event(x, &path, &token)) {
        g_assert_true(g_str_has_prefix(path, "data/flood"));
        g_free(path);
        g_free(token);
        events++;
    }
    /* One at registration and at least one per write, for each watch */
    g_assert_cmpint(events, >=, 2 * 128);
    qtest_qmp_assert_success(x->qts, "{'execute': 'query-status'}");
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
    qtest_add_func("/xen/xenstore/request-types", test_request_types);
    qtest_add_func("/xen/xenstore/unwatch", test_unwatch);
    qtest_add_func("/xen/xenstore/partial-header", test_partial_header);
    qtest_add_func("/xen/xenstore/watch-flood", test_watch_flood);
    qtest_add_func("/xen/xenstore/watch", test_watch);
    qtest_add_func("/xen/xenstore/transactions-conflict",
                   test_transactions_conflict);
    qtest_add_data_func("/xen/xenstore/hostile-ring/oversized-header",
                        GINT_TO_POINTER(true), test_hostile_ring);
    qtest_add_data_func("/xen/xenstore/hostile-ring/req-prod-far-ahead",
                        GINT_TO_POINTER(false), test_hostile_ring);

    return g_test_run();
}
