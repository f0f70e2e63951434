/*
 * libxen: drive QEMU's Xen HVM emulation from a qtest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libxen.h"
#include "hw/xen/interface/memory.h"
#include "hw/xen/interface/hvm/hvm_op.h"
#include "hw/xen/interface/hvm/params.h"

#define XEN_CALLBACK_VECTOR     0xf3
#define XEN_CALLBACK_TYPE_VECTOR (2ULL << 56)

XenQTest *xen_qtest_start(int nr_vcpus, const char *accel_opts)
{
    XenQTest *x = g_new0(XenQTest, 1);
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .gpfn = XEN_QTEST_SHINFO_GPA / XEN_QTEST_PAGE_SIZE,
    };
    struct xen_hvm_param param = {
        .domid = DOMID_SELF,
        .index = HVM_PARAM_CALLBACK_IRQ,
        .value = XEN_CALLBACK_TYPE_VECTOR | XEN_CALLBACK_VECTOR,
    };

    x->nr_vcpus = nr_vcpus;
    x->next_free_gpa = XEN_QTEST_FREE_GPA;
    /* XENBED_QTEST_QEMU_ARGS: firmware paths (meson.build) */
    x->qts = qtest_initf("-M pc -accel qtest,xen-version=0x4000a%s%s "
                         "-smp %d -m " XEN_QTEST_RAM " %s",
                         accel_opts ? "," : "", accel_opts ? accel_opts : "",
                         nr_vcpus, g_getenv("XENBED_QTEST_QEMU_ARGS") ?: "");

    /*
     * As Linux: shared_info first, then the callback (which latches the
     * 64-bit shared_info layout, as Xen's hvm_latch_shinfo_size())
     */
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &xatp, sizeof(xatp));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_MEMORY_OP, XENMEM_add_to_physmap,
                                  XEN_QTEST_ARGS_GPA, 0), ==, 0);
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &param, sizeof(param));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_HVM_OP, HVMOP_set_param,
                                  XEN_QTEST_ARGS_GPA, 0), ==, 0);
    return x;
}

void xen_qtest_end(XenQTest *x)
{
    qtest_quit(x->qts);
    g_free(x);
}

uint64_t xen_qtest_page(XenQTest *x)
{
    uint64_t gpa = x->next_free_gpa;

    x->next_free_gpa += XEN_QTEST_PAGE_SIZE;
    qtest_memset(x->qts, gpa, 0, XEN_QTEST_PAGE_SIZE);
    return gpa;
}

int64_t xen_hypercall(XenQTest *x, int vcpu, uint64_t nr, uint64_t a1,
                      uint64_t a2, uint64_t a3)
{
    const uint64_t args[6] = { a1, a2, a3 };

    return (int64_t)qtest_xen_hypercall(x->qts, vcpu, nr, args);
}

int64_t xen_evtchn_op(XenQTest *x, int vcpu, int cmd, void *arg, size_t len)
{
    int64_t ret;

    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, arg, len);
    ret = xen_hypercall(x, vcpu, XEN_HC_EVENT_CHANNEL_OP, cmd,
                        XEN_QTEST_ARGS_GPA, 0);
    qtest_memread(x->qts, XEN_QTEST_ARGS_GPA, arg, len);
    return ret;
}

int64_t xen_evtchn_bind_ipi(XenQTest *x, int vcpu)
{
    struct evtchn_bind_ipi op = { .vcpu = vcpu };
    int64_t ret = xen_evtchn_op(x, 0, EVTCHNOP_bind_ipi, &op, sizeof(op));

    return ret ? ret : op.port;
}

int64_t xen_evtchn_alloc_unbound(XenQTest *x)
{
    struct evtchn_alloc_unbound op = {
        .dom = DOMID_SELF, .remote_dom = DOMID_SELF,
    };
    int64_t ret = xen_evtchn_op(x, 0, EVTCHNOP_alloc_unbound, &op, sizeof(op));

    return ret ? ret : op.port;
}

int64_t xen_evtchn_bind_loopback(XenQTest *x, uint32_t remote_port)
{
    struct evtchn_bind_interdomain op = {
        .remote_dom = DOMID_SELF, .remote_port = remote_port,
    };
    int64_t ret = xen_evtchn_op(x, 0, EVTCHNOP_bind_interdomain, &op,
                                sizeof(op));

    return ret ? ret : op.local_port;
}

int64_t xen_evtchn_send(XenQTest *x, uint32_t port)
{
    struct evtchn_send op = { .port = port };

    return xen_evtchn_op(x, 0, EVTCHNOP_send, &op, sizeof(op));
}

int64_t xen_evtchn_close(XenQTest *x, uint32_t port)
{
    struct evtchn_close op = { .port = port };

    return xen_evtchn_op(x, 0, EVTCHNOP_close, &op, sizeof(op));
}

int64_t xen_evtchn_unmask(XenQTest *x, uint32_t port)
{
    struct evtchn_unmask op = { .port = port };

    return xen_evtchn_op(x, 0, EVTCHNOP_unmask, &op, sizeof(op));
}

int64_t xen_evtchn_reset(XenQTest *x)
{
    struct evtchn_reset op = { .dom = DOMID_SELF };

    return xen_evtchn_op(x, 0, EVTCHNOP_reset, &op, sizeof(op));
}

#define XEN_2L_WORD_BITS    64

static uint64_t xen_2l_word_gpa(size_t field, uint32_t port)
{
    return XEN_QTEST_SHINFO_GPA + field +
        (port / XEN_2L_WORD_BITS) * sizeof(uint64_t);
}

bool xen_2l_pending(XenQTest *x, uint32_t port)
{
    uint64_t w = qtest_readq(x->qts, xen_2l_word_gpa(
        offsetof(struct shared_info, evtchn_pending), port));

    return w & (1ULL << (port % XEN_2L_WORD_BITS));
}

bool xen_2l_masked(XenQTest *x, uint32_t port)
{
    uint64_t w = qtest_readq(x->qts, xen_2l_word_gpa(
        offsetof(struct shared_info, evtchn_mask), port));

    return w & (1ULL << (port % XEN_2L_WORD_BITS));
}

void xen_2l_set_mask(XenQTest *x, uint32_t port, bool masked)
{
    uint64_t gpa = xen_2l_word_gpa(offsetof(struct shared_info, evtchn_mask),
                                   port);
    uint64_t bit = 1ULL << (port % XEN_2L_WORD_BITS);
    uint64_t w = qtest_readq(x->qts, gpa);

    qtest_writeq(x->qts, gpa, masked ? w | bit : w & ~bit);
}

/* vCPUs below 32 have their default vcpu_info in shared_info */
static uint64_t xen_vcpu_info_gpa(int vcpu)
{
    g_assert_cmpint(vcpu, <, XEN_LEGACY_MAX_VCPUS);
    return XEN_QTEST_SHINFO_GPA + vcpu * sizeof(struct vcpu_info);
}

uint64_t xen_2l_pending_sel(XenQTest *x, int vcpu)
{
    return qtest_readq(x->qts, xen_vcpu_info_gpa(vcpu) +
                       offsetof(struct vcpu_info, evtchn_pending_sel));
}

uint8_t xen_upcall_pending(XenQTest *x, int vcpu)
{
    return qtest_readb(x->qts, xen_vcpu_info_gpa(vcpu) +
                       offsetof(struct vcpu_info, evtchn_upcall_pending));
}

void xen_clear_upcall(XenQTest *x, int vcpu)
{
    qtest_writeb(x->qts, xen_vcpu_info_gpa(vcpu) +
                 offsetof(struct vcpu_info, evtchn_upcall_pending), 0);
    qtest_writeq(x->qts, xen_vcpu_info_gpa(vcpu) +
                 offsetof(struct vcpu_info, evtchn_pending_sel), 0);
}

int64_t xen_fifo_init_control(XenQTest *x, int vcpu, uint64_t control_gpa,
                              uint32_t offset)
{
    struct evtchn_init_control op = {
        .control_gfn = control_gpa / XEN_QTEST_PAGE_SIZE,
        .offset = offset,
        .vcpu = vcpu,
    };

    return xen_evtchn_op(x, 0, EVTCHNOP_init_control, &op, sizeof(op));
}

int64_t xen_fifo_expand_array(XenQTest *x, uint64_t array_gpa)
{
    struct evtchn_expand_array op = {
        .array_gfn = array_gpa / XEN_QTEST_PAGE_SIZE,
    };

    return xen_evtchn_op(x, 0, EVTCHNOP_expand_array, &op, sizeof(op));
}

int64_t xen_fifo_set_priority(XenQTest *x, uint32_t port, uint32_t prio)
{
    struct evtchn_set_priority op = { .port = port, .priority = prio };

    return xen_evtchn_op(x, 0, EVTCHNOP_set_priority, &op, sizeof(op));
}

uint32_t xen_fifo_word(XenQTest *x, uint64_t array_gpa, uint32_t port)
{
    g_assert_cmpuint(port, <, XEN_QTEST_PAGE_SIZE / sizeof(event_word_t));
    return qtest_readl(x->qts, array_gpa + port * sizeof(event_word_t));
}

uint32_t xen_fifo_ready(XenQTest *x, uint64_t control_gpa)
{
    return qtest_readl(x->qts, control_gpa +
                       offsetof(struct evtchn_fifo_control_block, ready));
}

uint32_t xen_fifo_head(XenQTest *x, uint64_t control_gpa, int prio)
{
    return qtest_readl(x->qts, control_gpa +
                       offsetof(struct evtchn_fifo_control_block, head) +
                       prio * sizeof(event_word_t));
}
