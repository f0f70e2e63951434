/*
 * qtest: the guest's memory reservation (XENMEM) and the balloon command
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "libxen.h"
#include "libxen-netif.h"
#include "hw/xen/interface/memory.h"

#define XEN_ESRCH           3
#define MEMOP_EXTENT_SHIFT  6

/* RAM the tests give back and take again: the last 64 MiB of the 256 */
#define SPARE_GPA           0x0c000000ULL
#define SPARE_GFN           (SPARE_GPA >> 12)
#define RAM_PAGES           (256 * 1024 * 1024 / 4096)
/* The extent list, past the reservation in the argument area */
#define LIST_GPA            (XEN_QTEST_ARGS_GPA + 0x1000)
#define LIST_MAX            512

static int64_t reservation_op(XenQTest *x, int op, uint64_t start_extent,
                              const uint64_t *gfns, uint64_t nr_extents,
                              unsigned int order, uint16_t domid)
{
    struct xen_memory_reservation res = {
        .nr_extents = nr_extents,
        .extent_order = order,
        .domid = domid,
    };

    res.extent_start.p = (xen_pfn_t *)(uintptr_t)LIST_GPA;
    if (gfns) {
        qtest_memwrite(x->qts, LIST_GPA, gfns,
                       MIN(nr_extents, LIST_MAX) * sizeof(*gfns));
    }
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &res, sizeof(res));
    return xen_hypercall(x, 0, XEN_HC_MEMORY_OP,
                         op | (start_extent << MEMOP_EXTENT_SHIFT),
                         XEN_QTEST_ARGS_GPA, 0);
}

static int64_t decrease(XenQTest *x, const uint64_t *gfns, uint64_t nr,
                        unsigned int order)
{
    return reservation_op(x, XENMEM_decrease_reservation, 0, gfns, nr, order,
                          DOMID_SELF);
}

static int64_t populate(XenQTest *x, const uint64_t *gfns, uint64_t nr,
                        unsigned int order)
{
    return reservation_op(x, XENMEM_populate_physmap, 0, gfns, nr, order,
                          DOMID_SELF);
}

static int64_t decrease_one(XenQTest *x, uint64_t gfn)
{
    return decrease(x, &gfn, 1, 0);
}

static int64_t reservation_query(XenQTest *x, int op, uint16_t domid)
{
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &domid, sizeof(domid));
    return xen_hypercall(x, 0, XEN_HC_MEMORY_OP, op, XEN_QTEST_ARGS_GPA, 0);
}

static int64_t current_pages(XenQTest *x)
{
    return reservation_query(x, XENMEM_current_reservation, DOMID_SELF);
}

static bool range_is(XenQTest *x, uint64_t gpa, size_t len, uint8_t byte)
{
    g_autofree uint8_t *buf = g_malloc(len);
    size_t i;

    qtest_memread(x->qts, gpa, buf, len);
    for (i = 0; i < len; i++) {
        if (buf[i] != byte) {
            return false;
        }
    }
    return true;
}

static uint64_t qemu_rss_kib(XenQTest *x)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            qtest_pid(x->qts));
    g_autofree char *status = NULL;
    const char *line;

    g_assert(g_file_get_contents(path, &status, NULL, NULL));
    line = strstr(status, "VmRSS:");
    g_assert(line);
    return g_ascii_strtoull(line + strlen("VmRSS:"), NULL, 10);
}

static char *xs_read_memory(XenQTest *x, const char *node)
{
    g_autofree char *path = g_strdup_printf("memory/%s", node);
    char *err = NULL;
    char *value = xen_xs_read(x, 0, path, &err);

    g_assert_null(err);
    return value;
}

static void test_reservation_queries(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);

    g_assert_cmpint(current_pages(x), ==, RAM_PAGES);
    g_assert_cmpint(reservation_query(x, XENMEM_maximum_reservation,
                                      DOMID_SELF), ==, RAM_PAGES);
    /* Our own domid by number too; another domain is -ESRCH */
    g_assert_cmpint(reservation_query(x, XENMEM_current_reservation, 1), ==,
                    RAM_PAGES);
    g_assert_cmpint(reservation_query(x, XENMEM_current_reservation, 7), ==,
                    -XEN_ESRCH);
    /* RAM ends at 256 MiB; the xenstore and console pages lie higher */
    g_assert_cmpint(reservation_query(x, XENMEM_maximum_gpfn, DOMID_SELF), ==,
                    0xfeffb);

    /* These take no continuation, and the domid must be readable */
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP,
                                  XENMEM_current_reservation |
                                  1 << MEMOP_EXTENT_SHIFT,
                                  XEN_QTEST_ARGS_GPA, 0), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP,
                                  XENMEM_maximum_reservation,
                                  0x7fff0000000ULL, 0), ==, -XEN_EFAULT);
    xen_qtest_end(x);
}

static void test_give_back_and_populate(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t page = SPARE_GFN + 3, extent = SPARE_GFN + 512;

    qtest_memset(x->qts, page << 12, 0xa5, 4096);
    qtest_memset(x->qts, extent << 12, 0x5a, 512 * 4096);

    /* One page: it goes, and cannot go twice */
    g_assert_cmpint(decrease_one(x, page), ==, 1);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 1);
    g_assert_cmpint(decrease_one(x, page), ==, 0);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 1);

    /* An extent of order 9 (2 MiB), the largest a domU may name */
    g_assert_cmpint(decrease(x, &extent, 1, 9), ==, 1);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 513);
    g_assert_cmpint(decrease(x, &extent, 1, 10), ==, 0);

    /* Populated again, they read as zero; only given-back pages populate */
    qtest_memset(x->qts, page << 12, 0x11, 4096);   /* written meanwhile */
    g_assert_cmpint(populate(x, &page, 1, 0), ==, 1);
    g_assert_true(range_is(x, page << 12, 4096, 0));
    g_assert_cmpint(populate(x, &page, 1, 0), ==, 0);
    g_assert_cmpint(populate(x, &extent, 1, 10), ==, 0);
    g_assert_cmpint(populate(x, &extent, 1, 9), ==, 1);
    g_assert_true(range_is(x, extent << 12, 512 * 4096, 0));
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES);

    /* Pages next to them kept their contents */
    qtest_memset(x->qts, (page + 1) << 12, 0x77, 4096);
    g_assert_cmpint(decrease_one(x, page), ==, 1);
    g_assert_true(range_is(x, (page + 1) << 12, 4096, 0x77));
    xen_qtest_end(x);
}

static void test_counts_and_continuations(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t gfns[4] = {
        SPARE_GFN, SPARE_GFN + 1, XEN_QTEST_SHINFO_GPA >> 12, SPARE_GFN + 2,
    };

    /* The third is shared_info: two are done, and that is the answer */
    g_assert_cmpint(decrease(x, gfns, 4, 0), ==, 2);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 2);

    /* A continuation at the fourth extent does the fourth */
    g_assert_cmpint(reservation_op(x, XENMEM_decrease_reservation, 3, gfns,
                                   4, 0, DOMID_SELF), ==, 4);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 3);
    /* One past the list: nothing to do, the start comes back */
    g_assert_cmpint(reservation_op(x, XENMEM_decrease_reservation, 9, gfns,
                                   4, 0, DOMID_SELF), ==, 9);

    /* Refused before any extent: the start comes back */
    g_assert_cmpint(reservation_op(x, XENMEM_populate_physmap, 0, gfns, 2, 0,
                                   7), ==, 0);
    g_assert_cmpint(reservation_op(x, XENMEM_populate_physmap, 0, NULL,
                                   (UINT_MAX >> MEMOP_EXTENT_SHIFT) + 1, 0,
                                   DOMID_SELF), ==, 0);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP,
                                  XENMEM_populate_physmap |
                                  2 << MEMOP_EXTENT_SHIFT,
                                  0x7fff0000000ULL, 0), ==, 2);
    /* Populate-on-demand is for building other domains */
    {
        struct xen_memory_reservation res = {
            .nr_extents = 1, .domid = DOMID_SELF,
            .mem_flags = XENMEMF_populate_on_demand,
        };

        res.extent_start.p = (xen_pfn_t *)(uintptr_t)LIST_GPA;
        qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &res, sizeof(res));
        g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP,
                                      XENMEM_populate_physmap,
                                      XEN_QTEST_ARGS_GPA, 0), ==, 0);
    }

    /* An extent list that ends outside RAM: the count stops there */
    {
        struct xen_memory_reservation res = {
            .nr_extents = 3, .domid = DOMID_SELF,
        };
        uint64_t last_gpa = (RAM_PAGES - 1) * 4096ULL;
        uint64_t two[2] = { SPARE_GFN, SPARE_GFN + 1 };

        /* The list's first two entries are the last RAM's last 16 bytes */
        qtest_memwrite(x->qts, last_gpa + 4096 - 16, two, sizeof(two));
        res.extent_start.p = (xen_pfn_t *)(uintptr_t)(last_gpa + 4096 - 16);
        qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &res, sizeof(res));
        g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP,
                                      XENMEM_populate_physmap,
                                      XEN_QTEST_ARGS_GPA, 0), ==, 2);
    }
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 1);
    xen_qtest_end(x);
}

/* increase_reservation's pages count, up to the maximum; so do populates */
static void test_maximum_reservation(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t gfns[4] = { SPARE_GFN, SPARE_GFN + 1, SPARE_GFN + 2,
                         SPARE_GFN + 3 };

    g_assert_cmpint(reservation_op(x, XENMEM_increase_reservation, 0, NULL, 2,
                                   0, DOMID_SELF), ==, 0);
    g_assert_cmpint(decrease(x, gfns, 4, 0), ==, 4);
    g_assert_cmpint(reservation_op(x, XENMEM_increase_reservation, 0, NULL, 2,
                                   0, DOMID_SELF), ==, 2);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 2);
    /* Room for two more pages only */
    g_assert_cmpint(populate(x, gfns, 4, 0), ==, 2);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES);

    /* A reset gives a rebooted guest all of its RAM, as a new domain */
    qtest_system_reset(x->qts);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES);
    g_assert_cmpint(populate(x, gfns + 2, 2, 0), ==, 0);
    xen_qtest_end(x);
}

/* What the guest must not give back gets Xen's short count; nothing moves */
static void test_refusals(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t refused[] = {
        XEN_QTEST_SHINFO_GPA >> 12,     /* shared_info */
        XEN_QTEST_GNTTAB_GPA >> 12,     /* grant frame 0 */
        0xfeff8, 0xfeff9, 0xfeffa, 0xfeffb, /* xenstore, console: not RAM */
        0xf0,                           /* the BIOS ROM */
        0xa0,                           /* the VGA window */
        0xfee00,                        /* the local APIC */
        0xfec00,                        /* the IOAPIC */
        RAM_PAGES,                      /* past the end of RAM */
        1ULL << 52,                     /* past any address */
        UINT64_MAX,
    };
    uint64_t straddle = RAM_PAGES - 256;    /* 2 MiB from 1 MiB below the end */
    uint32_t shinfo_word;
    size_t i;

    g_assert_cmpint(xen_gnttab_map_frame(x, 0, XEN_QTEST_GNTTAB_GPA), ==, 0);
    qtest_memread(x->qts, XEN_QTEST_SHINFO_GPA + 2048, &shinfo_word, 4);

    for (i = 0; i < ARRAY_SIZE(refused); i++) {
        g_test_message("gfn 0x%" PRIx64, refused[i]);
        g_assert_cmpint(decrease_one(x, refused[i]), ==, 0);
        g_assert_cmpint(populate(x, &refused[i], 1, 0), ==, 0);
    }
    g_assert_cmpint(decrease(x, &straddle, 1, 9), ==, 0);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES);
    g_assert_true(qtest_readl(x->qts, XEN_QTEST_SHINFO_GPA + 2048) ==
                  shinfo_word);

    /* The grant frame still works: an entry written lands in it */
    {
        uint32_t ref = xen_grant_access(x, SPARE_GPA, false);

        g_assert_cmpuint(qtest_readl(x->qts, XEN_QTEST_GNTTAB_GPA + ref * 8 +
                                     4), ==, SPARE_GFN);
    }
    xen_qtest_end(x);
}

/* A ring the backend maps stays; a page only granted, or unmapped, goes */
static void test_backend_mapped_frame(void)
{
    XenNetFront *nf = xen_netfront_start(NULL, NULL);
    XenQTest *x = nf->x;
    uint64_t tx_ring, buf;

    g_assert_cmpint(xen_netfront_connect(nf, 1, false), ==, XEN_BUS_CONNECTED);
    tx_ring = nf->q[0].tx_gpa >> 12;
    buf = nf->buf_gpa[0] >> 12;

    g_assert_cmpint(decrease_one(x, tx_ring), ==, 0);
    g_assert_cmpint(decrease_one(x, buf), ==, 1);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 1);

    g_assert_cmpint(xen_netfront_close(nf), ==, XEN_BUS_CLOSED);
    g_assert_cmpint(decrease_one(x, tx_ring), ==, 1);
    xen_netfront_end(nf);
}

/* Given back, the pages' host memory goes back to the host */
static void test_host_memory_released(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t gfns[32], rss_full, rss_given_back;
    int i;

    for (i = 0; i < 32; i++) {
        gfns[i] = SPARE_GFN + i * 512;
        qtest_memset(x->qts, gfns[i] << 12, 0x3c, 512 * 4096);
    }
    rss_full = qemu_rss_kib(x);
    g_assert_cmpint(decrease(x, gfns, 32, 9), ==, 32);
    rss_given_back = qemu_rss_kib(x);
    g_test_message("QEMU's RSS %" PRIu64 " KiB, after giving back 64 MiB %"
                   PRIu64 " KiB", rss_full, rss_given_back);
    g_assert_cmpuint(rss_full - rss_given_back, >=, 60 * 1024);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 32 * 512);

    g_assert_cmpint(populate(x, gfns, 32, 9), ==, 32);
    for (i = 0; i < 32; i++) {
        /* The first and last pages of each extent: qtest reads are slow */
        g_assert_true(range_is(x, gfns[i] << 12, 4096, 0));
        g_assert_true(range_is(x, ((gfns[i] + 511) << 12), 4096, 0));
    }
    xen_qtest_end(x);
}

static uint64_t balloon_actual(XenQTest *x)
{
    QDict *rsp = qtest_qmp(x->qts, "{'execute': 'query-balloon'}");
    QDict *ret = qdict_get_qdict(rsp, "return");
    uint64_t actual;

    g_assert(ret);
    actual = qdict_get_int(ret, "actual");
    qobject_unref(rsp);
    return actual;
}

static void balloon(XenQTest *x, uint64_t bytes)
{
    QDict *rsp = qtest_qmp(x->qts, "{'execute': 'balloon', "
                           "'arguments': {'value': %" PRIu64 "}}", bytes);

    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

static void test_balloon_command(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    g_autofree char *static_max = xs_read_memory(x, "static-max");
    g_autofree char *target = xs_read_memory(x, "target");
    g_autofree char *target_down = NULL;
    g_autofree char *target_clamped = NULL;
    g_autofree char *target_reset = NULL;
    uint64_t gfns[2] = { SPARE_GFN, SPARE_GFN + 1 };

    /* The toolstack's nodes, in KiB, as Linux's balloon driver reads them */
    g_assert_cmpstr(static_max, ==, "262144");
    g_assert_cmpstr(target, ==, "262144");
    g_assert_cmpuint(balloon_actual(x), ==, 256 << 20);

    balloon(x, 128 << 20);
    target_down = xs_read_memory(x, "target");
    g_assert_cmpstr(target_down, ==, "131072");
    balloon(x, 1ULL << 40);
    target_clamped = xs_read_memory(x, "target");
    g_assert_cmpstr(target_clamped, ==, "262144");

    /* query-balloon reports what the guest owns */
    g_assert_cmpint(decrease(x, gfns, 2, 0), ==, 2);
    g_assert_cmpuint(balloon_actual(x), ==, (256 << 20) - 2 * 4096);

    balloon(x, 64 << 20);
    qtest_system_reset(x->qts);
    target_reset = xs_read_memory(x, "target");
    g_assert_cmpstr(target_reset, ==, "262144");
    g_assert_cmpuint(balloon_actual(x), ==, 256 << 20);
    xen_qtest_end(x);
}

static void test_memory_map(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    struct xen_memory_map map = { .nr_entries = 1 };
    struct e820_entry {
        uint64_t addr, size;
        uint32_t type;
    } QEMU_PACKED e820[32], first;
    bool low_ram = false, special_area = false;
    uint32_t i, nr;

    map.buffer.p = (void *)(uintptr_t)LIST_GPA;
    qtest_memset(x->qts, LIST_GPA, 0xff, sizeof(e820));
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &map, sizeof(map));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP, XENMEM_memory_map,
                                  XEN_QTEST_ARGS_GPA, 0), ==, 0);
    qtest_memread(x->qts, XEN_QTEST_ARGS_GPA, &map, sizeof(map));
    g_assert_cmpuint(map.nr_entries, ==, 1);
    qtest_memread(x->qts, LIST_GPA, e820, sizeof(e820));
    /* One entry written, the buffer past it untouched */
    g_assert_cmpuint(e820[0].addr, !=, UINT64_MAX);
    g_assert_cmpuint(e820[1].addr, ==, UINT64_MAX);
    first = e820[0];

    map.nr_entries = ARRAY_SIZE(e820);
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &map, sizeof(map));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP, XENMEM_memory_map,
                                  XEN_QTEST_ARGS_GPA, 0), ==, 0);
    qtest_memread(x->qts, XEN_QTEST_ARGS_GPA, &map, sizeof(map));
    nr = map.nr_entries;
    g_assert_cmpuint(nr, >, 1);
    g_assert_cmpuint(nr, <, ARRAY_SIZE(e820));
    qtest_memread(x->qts, LIST_GPA, e820, sizeof(e820));
    g_assert_cmpuint(e820[0].addr, ==, first.addr);
    g_assert_cmpuint(e820[0].size, ==, first.size);
    g_assert_cmpuint(e820[nr].addr, ==, UINT64_MAX);
    /* RAM from 0 to 256 MiB, and the xenstore and console pages reserved */
    for (i = 0; i < nr; i++) {
        low_ram |= e820[i].addr == 0 && e820[i].size == 256 << 20 &&
                   e820[i].type == 1;
        special_area |= e820[i].addr == 0xfeff8000 && e820[i].type == 2;
    }
    g_assert_true(low_ram);
    g_assert_true(special_area);

    /* A buffer outside RAM */
    map.buffer.p = (void *)(uintptr_t)0x7fff0000000ULL;
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &map, sizeof(map));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP, XENMEM_memory_map,
                                  XEN_QTEST_ARGS_GPA, 0), ==, -XEN_EFAULT);
    xen_qtest_end(x);
}

/* What the guest gave back stays given back in a migrated guest */
static void test_migration(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    g_autofree char *dir = g_dir_make_tmp("xen-memory-XXXXXX", NULL);
    g_autofree char *state = g_strdup_printf("%s/state", dir);
    g_autofree char *args = NULL;
    uint64_t gfns[4] = { SPARE_GFN, SPARE_GFN + 1, SPARE_GFN + 2,
                         SPARE_GFN + 3 };

    g_assert(dir);
    qtest_memset(x->qts, gfns[3] << 12, 0x42, 4096);
    g_assert_cmpint(decrease(x, gfns, 3, 0), ==, 3);
    /* The guest's state, and so the test's, goes on in the destination */
    args = xen_qtest_args("pc", 1, NULL, NULL);
    x->qts = xen_qtest_migrate_to_file(x->qts, state, args);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES - 3);
    g_assert_true(range_is(x, gfns[3] << 12, 4096, 0x42));
    /* The three given back populate; the fourth never went */
    g_assert_cmpint(populate(x, gfns, 4, 0), ==, 3);
    g_assert_cmpint(current_pages(x), ==, RAM_PAGES);
    xen_qtest_end(x);
    unlink(state);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/xen/memory/reservation-queries",
                   test_reservation_queries);
    qtest_add_func("/xen/memory/give-back-and-populate",
                   test_give_back_and_populate);
    qtest_add_func("/xen/memory/counts-and-continuations",
                   test_counts_and_continuations);
    qtest_add_func("/xen/memory/maximum-reservation",
                   test_maximum_reservation);
    qtest_add_func("/xen/memory/refusals", test_refusals);
    qtest_add_func("/xen/memory/backend-mapped-frame",
                   test_backend_mapped_frame);
    qtest_add_func("/xen/memory/host-memory-released",
                   test_host_memory_released);
    qtest_add_func("/xen/memory/balloon-command", test_balloon_command);
    qtest_add_func("/xen/memory/memory-map", test_memory_map);
    qtest_add_func("/xen/memory/migration", test_migration);
    return g_test_run();
}
