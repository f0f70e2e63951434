/*
 * netif negotiation: backend keys per configuration and the frontend keys
 * Linux netfront writes for 1 and 4 queues, split or not, plus malformed
 * ones a hostile frontend writes (shared ring pages or ports, bad numbers).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>

#include "netif.h"

/* A frontend directory: key -> value. */
static GHashTable *fe_dir(void)
{
    GHashTable *dir = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            g_free);

    g_hash_table_insert(dir, g_strdup("request-rx-copy"), g_strdup("1"));
    g_hash_table_insert(dir, g_strdup("feature-rx-notify"), g_strdup("1"));
    g_hash_table_insert(dir, g_strdup("feature-sg"), g_strdup("1"));
    g_hash_table_insert(dir, g_strdup("feature-gso-tcpv4"), g_strdup("1"));
    g_hash_table_insert(dir, g_strdup("feature-gso-tcpv6"), g_strdup("1"));
    g_hash_table_insert(dir, g_strdup("feature-ipv6-csum-offload"),
                        g_strdup("1"));
    return dir;
}

static void set_key(GHashTable *dir, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void set_key(GHashTable *dir, const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_hash_table_insert(dir, g_strdup(key), g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* The queue keys netfront writes: grefs 8+2i/9+2i, ports 20+2i/21+2i. */
static void add_queue_keys(GHashTable *dir, uint32_t num_queues, bool split)
{
    uint32_t i;

    for (i = 0; i < num_queues; i++) {
        g_autofree char *prefix = num_queues > 1 ?
            g_strdup_printf("queue-%u/", i) : g_strdup("");
        g_autofree char *tx = g_strconcat(prefix, "tx-ring-ref", NULL);
        g_autofree char *rx = g_strconcat(prefix, "rx-ring-ref", NULL);

        set_key(dir, tx, "%u", 8 + 2 * i);
        set_key(dir, rx, "%u", 9 + 2 * i);
        if (split) {
            g_autofree char *etx = g_strconcat(prefix, "event-channel-tx",
                                               NULL);
            g_autofree char *erx = g_strconcat(prefix, "event-channel-rx",
                                               NULL);

            set_key(dir, etx, "%u", 20 + 2 * i);
            set_key(dir, erx, "%u", 21 + 2 * i);
        } else {
            g_autofree char *ev = g_strconcat(prefix, "event-channel", NULL);

            set_key(dir, ev, "%u", 20 + 2 * i);
        }
    }
}

static bool read_key(void *opaque, const char *key, char *buf, size_t size)
{
    const char *value = g_hash_table_lookup(opaque, key);

    if (!value) {
        return false;
    }
    g_strlcpy(buf, value, size);
    return true;
}

static const struct netif_backend_config backend_mq = {
    .max_queues = 4, .split_event_channels = true, .sg = true,
    .gso_tcpv4 = true, .gso_tcpv6 = true, .ipv6_csum_offload = true,
};

static bool negotiate(const struct netif_backend_config *be, GHashTable *dir,
                      struct netif_frontend_config *fc, char *why)
{
    memset(fc, 0xcc, sizeof(*fc));
    why[0] = '\0';
    return netif_read_frontend(be, read_key, dir, fc, why, 128);
}

static uint32_t key_value(const struct netif_key *keys, size_t n,
                          const char *name, bool *found)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!strcmp(keys[i].name, name)) {
            *found = true;
            return keys[i].value;
        }
    }
    *found = false;
    return 0;
}

static void test_backend_keys_upstream(void)
{
    const struct netif_backend_config upstream = { .max_queues = 1 };
    struct netif_key keys[NETIF_BACKEND_KEYS_MAX];
    size_t n = netif_backend_keys(&upstream, keys);

    /* Exactly what QEMU's xen_nic.c writes today. */
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpstr(keys[0].name, ==, "feature-rx-copy");
    g_assert_cmpuint(keys[0].value, ==, 1);
    g_assert_cmpstr(keys[1].name, ==, "feature-rx-flip");
    g_assert_cmpuint(keys[1].value, ==, 0);
}

static void test_backend_keys_full(void)
{
    struct netif_backend_config cfg = backend_mq;
    struct netif_key keys[NETIF_BACKEND_KEYS_MAX];
    bool found;
    size_t n;

    cfg.multicast_control = true;
    n = netif_backend_keys(&cfg, keys);
    g_assert_cmpuint(n, <=, NETIF_BACKEND_KEYS_MAX);
    g_assert_cmpuint(key_value(keys, n, "multi-queue-max-queues", &found),
                     ==, 4);
    g_assert_true(found);
    g_assert_cmpuint(key_value(keys, n, "feature-split-event-channels",
                               &found), ==, 1);
    g_assert_true(found);
    key_value(keys, n, "feature-sg", &found);
    g_assert_true(found);
    key_value(keys, n, "feature-gso-tcpv4", &found);
    g_assert_true(found);
    key_value(keys, n, "feature-gso-tcpv6", &found);
    g_assert_true(found);
    key_value(keys, n, "feature-ipv6-csum-offload", &found);
    g_assert_true(found);
    key_value(keys, n, "feature-multicast-control", &found);
    g_assert_true(found);

    /* One queue with split channels: no multi-queue key at all. */
    cfg.max_queues = 1;
    cfg.gso_tcpv6 = false;
    n = netif_backend_keys(&cfg, keys);
    key_value(keys, n, "multi-queue-max-queues", &found);
    g_assert_false(found);
    key_value(keys, n, "feature-gso-tcpv6", &found);
    g_assert_false(found);
    key_value(keys, n, "feature-split-event-channels", &found);
    g_assert_true(found);
}

static void test_one_queue_flat(void)
{
    g_autoptr(GHashTable) dir = fe_dir();
    struct netif_frontend_config fc;
    char why[128];

    /* An old frontend: no multi-queue key, one event channel. */
    add_queue_keys(dir, 1, false);
    g_assert_true(negotiate(&backend_mq, dir, &fc, why));
    g_assert_cmpuint(fc.num_queues, ==, 1);
    g_assert_cmpuint(fc.queue[0].tx_ring_ref, ==, 8);
    g_assert_cmpuint(fc.queue[0].rx_ring_ref, ==, 9);
    g_assert_false(fc.queue[0].split);
    g_assert_cmpuint(fc.queue[0].evtchn_tx, ==, 20);
    g_assert_cmpuint(fc.queue[0].evtchn_rx, ==, 20);
    g_assert_true(fc.features.rx_notify);
    g_assert_true(fc.features.sg);
    g_assert_true(fc.features.gso_tcpv4);
    g_assert_true(fc.features.gso_tcpv6);
    g_assert_true(fc.features.ipv6_csum_offload);
    g_assert_false(fc.features.no_csum_offload);
    g_assert_false(fc.features.multicast_control);
}

static void test_one_queue_split_with_num_queues(void)
{
    g_autoptr(GHashTable) dir = fe_dir();
    struct netif_frontend_config fc;
    char why[128];

    /* xen_netfront.max_queues=1 against max 4: key written, keys flat. */
    set_key(dir, "multi-queue-num-queues", "1");
    add_queue_keys(dir, 1, true);
    g_assert_true(negotiate(&backend_mq, dir, &fc, why));
    g_assert_cmpuint(fc.num_queues, ==, 1);
    g_assert_true(fc.queue[0].split);
    g_assert_cmpuint(fc.queue[0].evtchn_tx, ==, 20);
    g_assert_cmpuint(fc.queue[0].evtchn_rx, ==, 21);
}

static void test_four_queues(gconstpointer split_p)
{
    bool split = GPOINTER_TO_INT(split_p);
    g_autoptr(GHashTable) dir = fe_dir();
    struct netif_frontend_config fc;
    char why[128];
    uint32_t i;

    set_key(dir, "multi-queue-num-queues", "4");
    add_queue_keys(dir, 4, split);
    g_assert_true(negotiate(&backend_mq, dir, &fc, why));
    g_assert_cmpstr(why, ==, "");
    g_assert_cmpuint(fc.num_queues, ==, 4);
    for (i = 0; i < 4; i++) {
        g_assert_cmpuint(fc.queue[i].tx_ring_ref, ==, 8 + 2 * i);
        g_assert_cmpuint(fc.queue[i].rx_ring_ref, ==, 9 + 2 * i);
        g_assert_cmpuint(fc.queue[i].split, ==, split);
        g_assert_cmpuint(fc.queue[i].evtchn_tx, ==, 20 + 2 * i);
        g_assert_cmpuint(fc.queue[i].evtchn_rx, ==, 20 + 2 * i + split);
    }
}

static void expect_failure(GHashTable *dir,
                           const struct netif_backend_config *be,
                           const char *why_prefix)
{
    struct netif_frontend_config fc;
    char why[128];

    g_assert_false(negotiate(be, dir, &fc, why));
    if (!g_str_has_prefix(why, why_prefix)) {
        g_error("expected \"%s...\", got \"%s\"", why_prefix, why);
    }
}

static void test_bad_num_queues(void)
{
    static const char *const bad[] = { "0", "5", "abc", "", "-1", " 2",
                                       "4294967297", "2x" };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GHashTable) dir = fe_dir();

        add_queue_keys(dir, 4, true);
        set_key(dir, "multi-queue-num-queues", "%s", bad[i]);
        expect_failure(dir, &backend_mq,
                       i < 2 ? "guest requested" : "bad value");
    }
}

static void test_num_queues_against_single_queue_backend(void)
{
    const struct netif_backend_config one = { .max_queues = 1 };
    g_autoptr(GHashTable) dir = fe_dir();

    set_key(dir, "multi-queue-num-queues", "2");
    add_queue_keys(dir, 2, false);
    expect_failure(dir, &one, "guest requested 2 queues");
}

static void test_missing_queue(void)
{
    g_autoptr(GHashTable) dir = fe_dir();

    set_key(dir, "multi-queue-num-queues", "4");
    add_queue_keys(dir, 4, false);
    g_hash_table_remove(dir, "queue-1/tx-ring-ref");
    expect_failure(dir, &backend_mq, "reading queue-1/tx-ring-ref failed");
}

static void test_bad_ring_ref(void)
{
    g_autoptr(GHashTable) dir = fe_dir();

    set_key(dir, "multi-queue-num-queues", "2");
    add_queue_keys(dir, 2, false);
    set_key(dir, "queue-1/rx-ring-ref", "0x10");
    expect_failure(dir, &backend_mq, "bad value for queue-1/rx-ring-ref");
}

static void test_event_channel_keys(void)
{
    g_autoptr(GHashTable) dir = fe_dir();
    struct netif_frontend_config fc;
    char why[128];

    /* Only event-channel-tx: no split, and no fallback key either. */
    add_queue_keys(dir, 1, false);
    g_hash_table_remove(dir, "event-channel");
    set_key(dir, "event-channel-tx", "30");
    expect_failure(dir, &backend_mq, "reading event-channel failed");

    /* ... with event-channel present it is used. */
    set_key(dir, "event-channel", "31");
    g_assert_true(negotiate(&backend_mq, dir, &fc, why));
    g_assert_false(fc.queue[0].split);
    g_assert_cmpuint(fc.queue[0].evtchn_tx, ==, 31);
    g_assert_cmpuint(fc.queue[0].evtchn_rx, ==, 31);

    /* Split keys are read first; equal ports mean one channel. */
    set_key(dir, "event-channel-rx", "30");
    g_assert_true(negotiate(&backend_mq, dir, &fc, why));
    g_assert_false(fc.queue[0].split);
    g_assert_cmpuint(fc.queue[0].evtchn_tx, ==, 30);

    set_key(dir, "event-channel", "junk");
    set_key(dir, "event-channel-rx", "32");
    g_assert_true(negotiate(&backend_mq, dir, &fc, why));
    g_assert_true(fc.queue[0].split);
    g_assert_cmpuint(fc.queue[0].evtchn_rx, ==, 32);
}

static void test_split_not_offered(void)
{
    struct netif_backend_config be = backend_mq;
    g_autoptr(GHashTable) dir = fe_dir();

    be.split_event_channels = false;
    add_queue_keys(dir, 1, true);
    expect_failure(dir, &be, "queue 0: split event channels");
}

static void test_rx_copy_required(void)
{
    g_autoptr(GHashTable) dir = fe_dir();

    add_queue_keys(dir, 1, false);
    g_hash_table_remove(dir, "request-rx-copy");
    expect_failure(dir, &backend_mq, "frontend does not support rx-copy");
    set_key(dir, "request-rx-copy", "0");
    expect_failure(dir, &backend_mq, "frontend does not support rx-copy");
}

static void test_shared_port_or_ring(void)
{
    g_autoptr(GHashTable) dir = fe_dir();

    set_key(dir, "multi-queue-num-queues", "2");
    add_queue_keys(dir, 2, true);
    set_key(dir, "queue-1/event-channel-rx", "20");
    expect_failure(dir, &backend_mq,
                   "queues 0 and 1 share an event channel");

    add_queue_keys(dir, 2, true);
    set_key(dir, "queue-1/tx-ring-ref", "9");
    expect_failure(dir, &backend_mq, "queues 0 and 1 share a ring ref");

    add_queue_keys(dir, 2, true);
    set_key(dir, "queue-0/rx-ring-ref", "8");
    expect_failure(dir, &backend_mq, "queue 0: tx and rx rings share");
}

static void test_feature_flags(void)
{
    struct netif_backend_config be = backend_mq;
    g_autoptr(GHashTable) dir = fe_dir();
    struct netif_frontend_config fc;
    char why[128];

    add_queue_keys(dir, 1, false);
    set_key(dir, "feature-sg", "0");
    set_key(dir, "feature-gso-tcpv4", "yes");   /* unparsable: default 0 */
    g_hash_table_remove(dir, "feature-rx-notify");
    set_key(dir, "feature-no-csum-offload", "1");
    set_key(dir, "request-multicast-control", "1");
    g_assert_true(negotiate(&be, dir, &fc, why));
    g_assert_false(fc.features.sg);
    g_assert_false(fc.features.gso_tcpv4);
    g_assert_true(fc.features.gso_tcpv6);
    g_assert_false(fc.features.rx_notify);
    g_assert_true(fc.features.no_csum_offload);
    /* Multicast control only counts when the backend offered it. */
    g_assert_false(fc.features.multicast_control);
    be.multicast_control = true;
    g_assert_true(negotiate(&be, dir, &fc, why));
    g_assert_true(fc.features.multicast_control);
}

static void test_backend_max_out_of_range(void)
{
    struct netif_backend_config be = backend_mq;
    g_autoptr(GHashTable) dir = fe_dir();

    add_queue_keys(dir, 1, false);
    be.max_queues = 0;
    expect_failure(dir, &be, "backend max_queues 0");
    be.max_queues = NETIF_MAX_QUEUES + 1;
    expect_failure(dir, &be, "backend max_queues");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/netif/xenbus/backend-keys/upstream",
                    test_backend_keys_upstream);
    g_test_add_func("/netif/xenbus/backend-keys/full",
                    test_backend_keys_full);
    g_test_add_func("/netif/xenbus/one-queue-flat", test_one_queue_flat);
    g_test_add_func("/netif/xenbus/one-queue-split-num-queues",
                    test_one_queue_split_with_num_queues);
    g_test_add_data_func("/netif/xenbus/four-queues/split",
                         GINT_TO_POINTER(1), test_four_queues);
    g_test_add_data_func("/netif/xenbus/four-queues/single",
                         GINT_TO_POINTER(0), test_four_queues);
    g_test_add_func("/netif/xenbus/bad-num-queues", test_bad_num_queues);
    g_test_add_func("/netif/xenbus/num-queues-single-backend",
                    test_num_queues_against_single_queue_backend);
    g_test_add_func("/netif/xenbus/missing-queue", test_missing_queue);
    g_test_add_func("/netif/xenbus/bad-ring-ref", test_bad_ring_ref);
    g_test_add_func("/netif/xenbus/event-channel-keys",
                    test_event_channel_keys);
    g_test_add_func("/netif/xenbus/split-not-offered",
                    test_split_not_offered);
    g_test_add_func("/netif/xenbus/rx-copy-required", test_rx_copy_required);
    g_test_add_func("/netif/xenbus/shared-port-or-ring",
                    test_shared_port_or_ring);
    g_test_add_func("/netif/xenbus/feature-flags", test_feature_flags);
    g_test_add_func("/netif/xenbus/backend-max-out-of-range",
                    test_backend_max_out_of_range);
    return g_test_run();
}
