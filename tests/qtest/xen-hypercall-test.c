/*
 * qtest: the xen_hypercall qtest command and the hypercall entry
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libxen.h"
#include "hw/xen/interface/version.h"
#include "hw/xen/interface/vcpu.h"

static void test_version(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);

    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, XENVER_version,
                                  0, 0), ==, 0x4000a);
    xen_qtest_end(x);
}

/*
 * XENVER sub-op @cmd into a buffer of @size bytes filled with 0xaa
 * before; the buffer after, in @buf.
 */
static int64_t xen_version_into(XenQTest *x, int cmd, void *buf, size_t size)
{
    int64_t ret;

    qtest_memset(x->qts, XEN_QTEST_ARGS_GPA, 0xaa, size);
    ret = xen_hypercall(x, 0, XEN_HC_XEN_VERSION, cmd, XEN_QTEST_ARGS_GPA, 0);
    qtest_memread(x->qts, XEN_QTEST_ARGS_GPA, buf, size);
    return ret;
}

/* @buf holds @str and then only NULs up to @size */
static void assert_padded_string(const char *buf, size_t size,
                                 const char *str)
{
    size_t len = strlen(str);

    g_assert_cmpmem(buf, len, str, len);
    for (size_t i = len; i < size; i++) {
        g_assert_cmpint(buf[i], ==, 0);
    }
}

static void test_version_subops(void)
{
    XenQTest *x = xen_qtest_start_args(
        1, NULL, "-uuid 12345678-9abc-def0-1122-334455667788");
    static const uint8_t uuid[16] = {
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    };
    char buf[1024];
    struct xen_compile_info info;
    struct xen_feature_info fi = { .submap_idx = 1 };
    uint64_t virt_start;

    g_assert_cmpint(xen_version_into(x, XENVER_extraversion, buf,
                                     sizeof(xen_extraversion_t)), ==, 0);
    assert_padded_string(buf, sizeof(xen_extraversion_t), ".0");

    g_assert_cmpint(xen_version_into(x, XENVER_capabilities, buf,
                                     sizeof(xen_capabilities_info_t)), ==, 0);
    assert_padded_string(buf, sizeof(xen_capabilities_info_t),
                         "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64");

    g_assert_cmpint(xen_version_into(x, XENVER_changeset, buf,
                                     sizeof(xen_changeset_info_t)), ==, 0);
    assert_padded_string(buf, sizeof(xen_changeset_info_t), "unavailable");

    g_assert_cmpint(xen_version_into(x, XENVER_compile_info, &info,
                                     sizeof(info)), ==, 0);
    g_assert_true(g_str_has_prefix(info.compiler, "QEMU "));
    assert_padded_string(info.compiler, sizeof(info.compiler),
                         info.compiler);
    assert_padded_string(info.compile_by, sizeof(info.compile_by), "qemu");
    assert_padded_string(info.compile_domain, sizeof(info.compile_domain),
                         "");
    assert_padded_string(info.compile_date, sizeof(info.compile_date), "");

    g_assert_cmpint(xen_version_into(x, XENVER_platform_parameters,
                                     &virt_start, sizeof(virt_start)), ==, 0);
    g_assert_cmphex(virt_start, ==, 0xffff800000000000ULL);

    g_assert_cmpint(xen_version_into(x, XENVER_guest_handle, buf, 16), ==, 0);
    g_assert_cmpmem(buf, 16, uuid, 16);

    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, XENVER_pagesize,
                                  0, 0), ==, 4096);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, XENVER_pagesize,
                                  XEN_QTEST_ARGS_GPA, 0), ==, -XEN_EINVAL);

    /* One feature submap; Xen refuses the others */
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &fi, sizeof(fi));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION,
                                  XENVER_get_features, XEN_QTEST_ARGS_GPA, 0),
                    ==, -XEN_EINVAL);

    /* Privileged domains only, under Xen's default XSM policy */
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION,
                                  XENVER_commandline, XEN_QTEST_ARGS_GPA, 0),
                    ==, -XEN_EPERM);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, XENVER_build_id,
                                  XEN_QTEST_ARGS_GPA, 0), ==, -XEN_EPERM);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, 11, 0, 0), ==,
                    -XEN_ENOSYS);

    /* Result buffers outside RAM, or in the BIOS ROM: nothing written */
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION,
                                  XENVER_capabilities, 0xfffff000ULL, 0),
                    ==, -XEN_EFAULT);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION,
                                  XENVER_guest_handle, 0x7ffff000000ULL, 0),
                    ==, -XEN_EFAULT);
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

/*
 * 64-bit hypercalls take the number from all of RAX, but sub-op numbers
 * are C ints in Xen: bits above 31 of a sub-op are ignored, of a number
 * they are not.
 */
static void test_wide_arguments(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    struct evtchn_send send = { .port = 4096 };

    g_assert_cmpint(xen_hypercall(x, 0, (1ULL << 32) | XEN_HC_XEN_VERSION,
                                  XENVER_version, 0, 0), ==, -XEN_ENOSYS);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION,
                                  (1ULL << 32) | XENVER_version, 0, 0), ==,
                    0x4000a);
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &send, sizeof(send));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_EVENT_CHANNEL_OP,
                                  0xffffffff00000000ULL | EVTCHNOP_send,
                                  XEN_QTEST_ARGS_GPA, 0), ==, -XEN_EINVAL);
    /* A pointer with bit 32 set is not the pointer below 4 GiB */
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_EVENT_CHANNEL_OP,
                                  EVTCHNOP_send,
                                  (1ULL << 32) | XEN_QTEST_ARGS_GPA, 0), ==,
                    -XEN_EFAULT);
    xen_qtest_end(x);
}

/* VCPUOP_register_runstate_memory_area for vCPU 0 with @area as the handle */
static int64_t register_runstate(XenQTest *x, uint64_t area)
{
    qtest_writeq(x->qts, XEN_QTEST_ARGS_GPA, area);
    return xen_hypercall(x, 0, XEN_HC_VCPU_OP,
                         VCPUOP_register_runstate_memory_area, 0,
                         XEN_QTEST_ARGS_GPA);
}

/* The @len bytes at @gpa are all @byte */
static bool range_is(XenQTest *x, uint64_t gpa, size_t len, uint8_t byte)
{
    g_autofree uint8_t *buf = g_malloc(len);

    qtest_memread(x->qts, gpa, buf, len);
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != byte) {
            return false;
        }
    }
    return true;
}

/*
 * A NULL handle unregisters a vCPU's runstate area, as under Xen: the
 * area is never written again, not even when a migration's destination
 * rewrites every registered area.  Before, address 0 was taken as the
 * area's address and the first page of RAM was written.
 */
static void test_runstate_unregister(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t area = xen_qtest_page(x);
    size_t len = sizeof(struct vcpu_runstate_info);
    g_autofree char *dir = g_dir_make_tmp("xen-runstate-XXXXXX", NULL);
    g_autofree char *state = g_build_filename(dir, "state", NULL);
    g_autofree char *args = xen_qtest_args("pc", 1, NULL, NULL);

    /* Registered: the area holds the running state, since boot */
    qtest_memset(x->qts, area, 0xaa, len);
    g_assert_cmpint(register_runstate(x, area), ==, 0);
    g_assert_cmpint(qtest_readl(x->qts, area), ==, RUNSTATE_running);
    g_assert_cmpuint(qtest_readq(x->qts, area + 8), !=, 0xaaaaaaaaaaaaaaaaULL);

    /* Unregistered: neither it nor address 0 is written from then on */
    qtest_memset(x->qts, area, 0xaa, len);
    qtest_memset(x->qts, 0, 0x55, len);
    g_assert_cmpint(register_runstate(x, 0), ==, 0);
    g_assert_true(range_is(x, 0, len, 0x55));
    g_assert_true(range_is(x, area, len, 0xaa));
    x->qts = xen_qtest_migrate_to_file(x->qts, state, args);
    g_assert_true(range_is(x, 0, len, 0x55));
    g_assert_true(range_is(x, area, len, 0xaa));

    /* and the vCPU can register an area again */
    g_assert_cmpint(register_runstate(x, area), ==, 0);
    g_assert_cmpint(qtest_readl(x->qts, area), ==, RUNSTATE_running);
    xen_qtest_end(x);
    unlink(state);
    rmdir(dir);
}

/* The BIOS, read-only RAM at the top of the first 4 GiB on -M pc */
#define BIOS_TOP_PAGE 0xfffff000ULL

/* The i440FX's PAM0 (config 0x59) bits 5:4 map 0xf0000-0xfffff. */
#define PAM0_CONFIG 0x59
#define PAM_SEGMENT 0xf0000ULL
enum { PAM_PCI, PAM_READ_ONLY, PAM_WRITE_ONLY, PAM_READ_WRITE };

static void set_bios_segment_pam(XenQTest *x, uint8_t attr)
{
    qtest_outl(x->qts, 0xcf8, 0x80000000 | (PAM0_CONFIG & ~3));
    qtest_outb(x->qts, 0xcfc + (PAM0_CONFIG & 3), attr << 4);
}

/* vCPU 0's runstate area at @gpa and its vcpu_time_info at @gpa + 32 */
static void register_vcpu_areas(XenQTest *x, uint64_t gpa)
{
    g_assert_cmpint(register_runstate(x, gpa), ==, 0);
    qtest_writeq(x->qts, XEN_QTEST_ARGS_GPA, gpa + 32);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_VCPU_OP,
                                  VCPUOP_register_vcpu_time_memory_area, 0,
                                  XEN_QTEST_ARGS_GPA), ==, 0);
}

/* Register the areas at @gpa: the 64 bytes there must stay as they were. */
static void assert_vcpu_areas_not_written(XenQTest *x, uint64_t gpa)
{
    uint8_t before[64], after[64];

    qtest_memread(x->qts, gpa, before, sizeof(before));
    register_vcpu_areas(x, gpa);
    qtest_memread(x->qts, gpa, after, sizeof(after));
    g_assert_cmpmem(after, sizeof(after), before, sizeof(before));
}

/*
 * A time or runstate area registered in memory the guest cannot write is
 * never written by QEMU either: one helper maps every area QEMU writes
 * behind the memory API, and it takes writable RAM only.  Before, the
 * time and runstate areas took any RAM block: the BIOS, and RAM behind a
 * read-only alias (the BIOS segment once SeaBIOS write-protects it).
 */
static void test_vcpu_areas_in_rom(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t ram = xen_qtest_page(x);

    /* The BIOS region itself is read-only. */
    assert_vcpu_areas_not_written(x, BIOS_TOP_PAGE);

    /* RAM that the guest sees only through the PAM's read-only alias */
    set_bios_segment_pam(x, PAM_READ_WRITE);
    qtest_memset(x->qts, PAM_SEGMENT, 0x5a, 64);
    set_bios_segment_pam(x, PAM_READ_ONLY);
    assert_vcpu_areas_not_written(x, PAM_SEGMENT);
    g_assert_true(range_is(x, PAM_SEGMENT, 64, 0x5a));

    /* The same areas in RAM are written. */
    qtest_memset(x->qts, ram, 0xaa, 64);
    register_vcpu_areas(x, ram);
    g_assert_cmpint(qtest_readl(x->qts, ram), ==, RUNSTATE_running);
    /* the pvclock is written: a new version, and an even one */
    g_assert_cmpint(qtest_readl(x->qts, ram + 32) & 1, ==, 0);
    g_assert_cmpint(qtest_readl(x->qts, ram + 32), !=, 0xaaaaaaaa);
    xen_qtest_end(x);
}

/* VCPUOP_register_vcpu_info for vCPU 0 at @gpa */
static int64_t register_vcpu_info(XenQTest *x, uint64_t gpa)
{
    struct vcpu_register_vcpu_info rvi = {
        .mfn = gpa / XEN_QTEST_PAGE_SIZE,
        .offset = gpa % XEN_QTEST_PAGE_SIZE,
    };

    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &rvi, sizeof(rvi));
    return xen_hypercall(x, 0, XEN_HC_VCPU_OP, VCPUOP_register_vcpu_info, 0,
                         XEN_QTEST_ARGS_GPA);
}

/*
 * A vcpu_info in memory the guest cannot write is refused with -EINVAL,
 * as by Xen, and QEMU never writes there.  Before, it took any RAM block
 * and wrote the vcpu_info's pvclock into the BIOS.
 */
static void test_vcpu_info_in_rom(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t ram = xen_qtest_page(x);
    uint8_t before[64], after[64];

    qtest_memread(x->qts, BIOS_TOP_PAGE, before, sizeof(before));
    g_assert_cmpint(register_vcpu_info(x, BIOS_TOP_PAGE), ==, -XEN_EINVAL);
    qtest_memread(x->qts, BIOS_TOP_PAGE, after, sizeof(after));
    g_assert_cmpmem(after, sizeof(after), before, sizeof(before));

    set_bios_segment_pam(x, PAM_READ_WRITE);
    qtest_memset(x->qts, PAM_SEGMENT, 0x5a, 64);
    set_bios_segment_pam(x, PAM_READ_ONLY);
    g_assert_cmpint(register_vcpu_info(x, PAM_SEGMENT), ==, -XEN_EINVAL);
    g_assert_true(range_is(x, PAM_SEGMENT, 64, 0x5a));

    /* In RAM it is taken, and its pvclock (at 32) written */
    qtest_memset(x->qts, ram, 0xaa, 64);
    g_assert_cmpint(register_vcpu_info(x, ram), ==, 0);
    g_assert_cmpint(qtest_readl(x->qts, ram + 32) & 1, ==, 0);
    g_assert_cmpint(qtest_readl(x->qts, ram + 32), !=, 0xaaaaaaaa);
    xen_qtest_end(x);
}

/*
 * A vcpu_info the guest makes read-only after registering it (the PAM)
 * leaves the vCPU without one on a migration's destination, which is
 * not written there and loads the rest.  Before, the load failed.
 */
static void test_vcpu_info_made_read_only(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    g_autofree char *dir = g_dir_make_tmp("xen-vcpu-info-XXXXXX", NULL);
    g_autofree char *state = g_build_filename(dir, "state", NULL);
    g_autofree char *args = xen_qtest_args("pc", 1, NULL, NULL);
    uint8_t before[64], after[64];

    set_bios_segment_pam(x, PAM_READ_WRITE);
    g_assert_cmpint(register_vcpu_info(x, PAM_SEGMENT), ==, 0);
    set_bios_segment_pam(x, PAM_READ_ONLY);
    qtest_memread(x->qts, PAM_SEGMENT, before, sizeof(before));

    x->qts = xen_qtest_migrate_to_file(x->qts, state, args);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, XENVER_version,
                                  0, 0), ==, 0x4000a);
    qtest_memread(x->qts, PAM_SEGMENT, after, sizeof(after));
    g_assert_cmpmem(after, sizeof(after), before, sizeof(before));
    xen_qtest_end(x);
    unlink(state);
    rmdir(dir);
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
    qtest_add_func("/xen/hypercall/version-subops", test_version_subops);
    qtest_add_func("/xen/hypercall/unknown", test_unknown_hypercall);
    qtest_add_func("/xen/hypercall/bad-pointers", test_bad_pointers);
    qtest_add_func("/xen/hypercall/wide-arguments", test_wide_arguments);
    qtest_add_func("/xen/hypercall/malformed-lines", test_malformed_lines);
    qtest_add_func("/xen/hypercall/runstate-unregister",
                   test_runstate_unregister);
    qtest_add_func("/xen/hypercall/vcpu-areas-in-rom",
                   test_vcpu_areas_in_rom);
    qtest_add_func("/xen/hypercall/vcpu-info-in-rom", test_vcpu_info_in_rom);
    qtest_add_func("/xen/hypercall/vcpu-info-made-read-only",
                   test_vcpu_info_made_read_only);

    return g_test_run();
}
