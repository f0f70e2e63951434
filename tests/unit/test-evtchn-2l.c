/*
 * 2-level event channel ABI against a simulated shared_info page.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "evtchn.h"

#define SHINFO_SIZE 4096

typedef struct {
    uint8_t *shinfo;    /* page-aligned, like the guest frame */
    bool unmapped;
    unsigned upcalls[EVTCHN_SHINFO_MAX_VCPUS];
    /* the last trace of each kind: count, vCPU, port and argument */
    struct {
        unsigned count;
        uint32_t vcpu;
        evtchn_port_t port;
        int64_t arg;
    } traces[EVTCHN_TRACE__MAX];
    struct evtchn_domain d;
} Fixture;

static void *fx_shared_info(void *opaque)
{
    Fixture *fx = opaque;

    return fx->unmapped ? NULL : fx->shinfo;
}

static void *fx_vcpu_info(void *opaque, uint32_t vcpu)
{
    Fixture *fx = opaque;

    if (fx->unmapped || vcpu >= EVTCHN_SHINFO_MAX_VCPUS) {
        return NULL;
    }
    return fx->shinfo + vcpu * EVTCHN_SHINFO_VCPU_INFO_SIZE;
}

static void fx_raise_upcall(void *opaque, uint32_t vcpu)
{
    Fixture *fx = opaque;

    fx->upcalls[vcpu]++;
}

static void fx_trace(void *opaque, enum evtchn_trace_event ev, uint32_t vcpu,
                     evtchn_port_t port, int64_t arg)
{
    Fixture *fx = opaque;

    g_assert_cmpint(ev, <, EVTCHN_TRACE__MAX);
    fx->traces[ev].count++;
    fx->traces[ev].vcpu = vcpu;
    fx->traces[ev].port = port;
    fx->traces[ev].arg = arg;
}

static void fx_setup(Fixture *fx, gconstpointer long_mode)
{
    struct evtchn_env env = {
        .opaque = fx,
        .shared_info = fx_shared_info,
        .vcpu_info = fx_vcpu_info,
        .raise_upcall = fx_raise_upcall,
        .trace = fx_trace,
    };

    memset(fx, 0, sizeof(*fx));
    fx->shinfo = g_aligned_alloc0(1, SHINFO_SIZE, SHINFO_SIZE);
    evtchn_domain_init(&fx->d, &env, GPOINTER_TO_INT(long_mode),
                       EVTCHN_SHINFO_MAX_VCPUS, 4095);
}

static void fx_teardown(Fixture *fx, gconstpointer unused)
{
    evtchn_domain_destroy(&fx->d);
    g_aligned_free(fx->shinfo);
}

static bool bitmap_bit(Fixture *fx, bool mask, evtchn_port_t port)
{
    size_t bytes = fx->d.long_mode ? 512 : 128;
    const uint8_t *map = fx->shinfo + EVTCHN_SHINFO_PENDING_OFFSET +
                         (mask ? bytes : 0);

    return map[port / 8] & (1u << (port % 8));
}

static void set_mask_bit(Fixture *fx, evtchn_port_t port)
{
    size_t bytes = fx->d.long_mode ? 512 : 128;

    fx->shinfo[EVTCHN_SHINFO_PENDING_OFFSET + bytes + port / 8] |=
        1u << (port % 8);
}

static uint64_t selector(Fixture *fx, uint32_t vcpu)
{
    uint8_t *vi = fx->shinfo + vcpu * EVTCHN_SHINFO_VCPU_INFO_SIZE;

    if (fx->d.long_mode) {
        uint64_t sel;

        memcpy(&sel, vi + 8, sizeof(sel));
        return sel;
    } else {
        uint32_t sel;

        memcpy(&sel, vi + 4, sizeof(sel));
        return sel;
    }
}

static uint8_t upcall_pending(Fixture *fx, uint32_t vcpu)
{
    return fx->shinfo[vcpu * EVTCHN_SHINFO_VCPU_INFO_SIZE +
                      EVTCHN_VCPU_UPCALL_PENDING];
}

static void test_max_ports(Fixture *fx, gconstpointer long_mode)
{
    g_assert_cmpuint(fx->d.ops->max_ports(&fx->d), ==,
                     GPOINTER_TO_INT(long_mode) ? 4096 : 1024);
    g_assert_cmpstr(fx->d.ops->name, ==, "2-level");
}

static void test_set_pending_unmasked(Fixture *fx, gconstpointer long_mode)
{
    uint32_t word_bits = GPOINTER_TO_INT(long_mode) ? 64 : 32;
    evtchn_port_t port = 3 * word_bits + 5;

    evtchn_port_set_pending(&fx->d, 2, port);
    g_assert_true(bitmap_bit(fx, false, port));
    g_assert_true(evtchn_port_is_pending(&fx->d, port));
    g_assert_cmphex(selector(fx, 2), ==, 1ull << 3);
    g_assert_cmpuint(upcall_pending(fx, 2), ==, 1);
    g_assert_cmpuint(fx->upcalls[2], ==, 1);
    g_assert_cmpuint(fx->upcalls[0], ==, 0);

    /* Already pending: no second upcall. */
    evtchn_port_set_pending(&fx->d, 2, port);
    g_assert_cmpuint(fx->upcalls[2], ==, 1);
}

static void test_selector_already_set(Fixture *fx, gconstpointer unused)
{
    evtchn_port_set_pending(&fx->d, 0, 1);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);

    /*
     * The guest cleared evtchn_upcall_pending but has not scanned the
     * selector yet: a second port of the same word needs no new upcall,
     * one in another word does.
     */
    fx->shinfo[EVTCHN_VCPU_UPCALL_PENDING] = 0;
    evtchn_port_set_pending(&fx->d, 0, 2);
    g_assert_cmpuint(fx->upcalls[0], ==, 1);
    evtchn_port_set_pending(&fx->d, 0, 700);
    g_assert_cmpuint(fx->upcalls[0], ==, 2);
    g_assert_cmpuint(upcall_pending(fx, 0), ==, 1);
}

static void test_masked_then_unmask(Fixture *fx, gconstpointer unused)
{
    evtchn_port_t port = 77;

    set_mask_bit(fx, port);
    g_assert_true(evtchn_port_is_masked(&fx->d, port));
    evtchn_port_set_pending(&fx->d, 1, port);
    g_assert_true(bitmap_bit(fx, false, port));
    g_assert_cmphex(selector(fx, 1), ==, 0);
    g_assert_cmpuint(fx->upcalls[1], ==, 0);

    evtchn_port_unmask(&fx->d, 1, port);
    g_assert_false(bitmap_bit(fx, true, port));
    g_assert_false(evtchn_port_is_masked(&fx->d, port));
    g_assert_cmpuint(fx->upcalls[1], ==, 1);
    g_assert_cmpuint(upcall_pending(fx, 1), ==, 1);
}

static void test_unmask_not_pending(Fixture *fx, gconstpointer unused)
{
    set_mask_bit(fx, 9);
    evtchn_port_unmask(&fx->d, 0, 9);
    g_assert_false(evtchn_port_is_masked(&fx->d, 9));
    g_assert_cmpuint(fx->upcalls[0], ==, 0);
    g_assert_cmphex(selector(fx, 0), ==, 0);
}

static void test_clear_pending(Fixture *fx, gconstpointer unused)
{
    evtchn_port_t last = fx->d.ops->max_ports(&fx->d) - 1;

    evtchn_port_set_pending(&fx->d, 0, last);
    g_assert_true(evtchn_port_is_pending(&fx->d, last));
    evtchn_port_clear_pending(&fx->d, last);
    g_assert_false(evtchn_port_is_pending(&fx->d, last));
}

static void test_out_of_range(Fixture *fx, gconstpointer long_mode)
{
    static const evtchn_port_t bad[] = { 1024, 4096, 65536, UINT32_MAX };
    uint8_t before[SHINFO_SIZE];

    memcpy(before, fx->shinfo, SHINFO_SIZE);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (evtchn_port_valid(&fx->d, bad[i])) {
            continue;   /* 1024 is valid in 64-bit mode */
        }
        evtchn_port_set_pending(&fx->d, 0, bad[i]);
        evtchn_port_unmask(&fx->d, 0, bad[i]);
        evtchn_port_clear_pending(&fx->d, bad[i]);
        g_assert_false(evtchn_port_is_pending(&fx->d, bad[i]));
        g_assert_true(evtchn_port_is_masked(&fx->d, bad[i]));
    }
    g_assert_cmpmem(before, SHINFO_SIZE, fx->shinfo, SHINFO_SIZE);
    g_assert_cmpuint(fx->upcalls[0], ==, 0);
}

static void test_no_shared_info(Fixture *fx, gconstpointer unused)
{
    fx->unmapped = true;
    evtchn_port_set_pending(&fx->d, 0, 1);
    evtchn_port_unmask(&fx->d, 0, 1);
    g_assert_false(evtchn_port_is_pending(&fx->d, 1));
    g_assert_true(evtchn_port_is_masked(&fx->d, 1));
    g_assert_cmpuint(fx->upcalls[0], ==, 0);
}

static void test_no_fifo_ops(Fixture *fx, gconstpointer unused)
{
    uint8_t link_bits = 0;

    /* No priorities under 2-level; nothing is ever busy. */
    g_assert_cmpint(evtchn_set_priority(&fx->d, 5, true, 3), ==, -ENOSYS);
    g_assert_cmpint(evtchn_set_priority(&fx->d, 5000, true, 3), ==, -EINVAL);
    g_assert_false(fx->d.ops->is_busy(&fx->d, 5));
    /* This env has no guest-frame mapping: FIFO is unavailable. */
    g_assert_cmpint(evtchn_fifo_init_control(&fx->d, 1, 0, 0, &link_bits),
                    ==, -ENOSYS);
    g_assert_cmpint(evtchn_fifo_expand_array(&fx->d, 1), ==, -EOPNOTSUPP);
    g_assert_false(evtchn_abi_is_fifo(&fx->d));
}

static void test_vcpu_without_info(Fixture *fx, gconstpointer unused)
{
    /* The event stays pending for a vCPU that has no vcpu_info. */
    evtchn_port_set_pending(&fx->d, 100, 5);
    g_assert_true(evtchn_port_is_pending(&fx->d, 5));
}

/*
 * The port operations are traced by the dispatch wrappers, as under FIFO:
 * once each, set_pending without a priority (-1); out of range, not at all.
 */
static void test_port_ops_traced(Fixture *fx, gconstpointer unused)
{
    evtchn_port_set_pending(&fx->d, 3, 12);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_SET_PENDING].count, ==, 1);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_SET_PENDING].vcpu, ==, 3);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_SET_PENDING].port, ==, 12);
    g_assert_cmpint(fx->traces[EVTCHN_TRACE_SET_PENDING].arg, ==, -1);
    evtchn_port_clear_pending(&fx->d, 12);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_CLEAR_PENDING].count, ==, 1);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_CLEAR_PENDING].port, ==, 12);
    evtchn_port_unmask(&fx->d, 1, 12);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_UNMASK].count, ==, 1);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_UNMASK].vcpu, ==, 1);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_UNMASK].port, ==, 12);

    evtchn_port_set_pending(&fx->d, 0, fx->d.ops->max_ports(&fx->d));
    evtchn_port_unmask(&fx->d, 0, fx->d.ops->max_ports(&fx->d));
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_SET_PENDING].count, ==, 1);
    g_assert_cmpuint(fx->traces[EVTCHN_TRACE_UNMASK].count, ==, 1);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(Fixture *, gconstpointer);
    } cases[] = {
        { "max-ports", test_max_ports },
        { "set-pending-unmasked", test_set_pending_unmasked },
        { "selector-already-set", test_selector_already_set },
        { "masked-then-unmask", test_masked_then_unmask },
        { "unmask-not-pending", test_unmask_not_pending },
        { "clear-pending", test_clear_pending },
        { "out-of-range", test_out_of_range },
        { "no-shared-info", test_no_shared_info },
        { "vcpu-without-info", test_vcpu_without_info },
        { "no-fifo-ops", test_no_fifo_ops },
        { "port-ops-traced", test_port_ops_traced },
    };

    g_test_init(&argc, &argv, NULL);
    for (int lm = 0; lm <= 1; lm++) {
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            g_autofree char *path = g_strdup_printf("/evtchn/2l/%s/%s",
                                                    lm ? "64" : "compat",
                                                    cases[i].name);

            g_test_add(path, Fixture, GINT_TO_POINTER(lm), fx_setup,
                       cases[i].fn, fx_teardown);
        }
    }
    return g_test_run();
}
