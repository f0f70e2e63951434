/*
 * qtest: event channels, 2-level and FIFO, checked in guest memory
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libxen.h"

#define FIFO_PENDING    (1u << EVTCHN_FIFO_PENDING)
#define FIFO_MASKED     (1u << EVTCHN_FIFO_MASKED)
#define FIFO_LINKED     (1u << EVTCHN_FIFO_LINKED)
#define FIFO_LINK_MASK  ((1u << EVTCHN_FIFO_LINK_BITS) - 1)

static void test_2l_delivery(gconstpointer machine)
{
    XenQTest *x = xen_qtest_start_on(machine, 2, "xen-evtchn-fifo=off", "");
    int64_t port = xen_evtchn_bind_ipi(x, 1);

    g_assert_cmpint(port, >, 0);
    xen_clear_upcall(x, 1);
    g_assert_false(xen_2l_pending(x, port));

    /* An IPI raises the pending bit, vCPU 1's selector and its upcall. */
    g_assert_cmpint(xen_evtchn_send(x, port), ==, 0);
    g_assert_true(xen_2l_pending(x, port));
    g_assert_cmphex(xen_2l_pending_sel(x, 1), ==, 1ULL << (port / 64));
    g_assert_cmpint(xen_upcall_pending(x, 1), ==, 1);
    g_assert_cmpint(xen_upcall_pending(x, 0), ==, 0);
    xen_qtest_end(x);
}

static void test_2l_mask_unmask(void)
{
    XenQTest *x = xen_qtest_start(1, "xen-evtchn-fifo=off");
    int64_t port = xen_evtchn_bind_ipi(x, 0);

    g_assert_cmpint(port, >, 0);
    xen_clear_upcall(x, 0);
    xen_2l_set_mask(x, port, true);

    /* Masked: pending, but no selector bit and no upcall */
    g_assert_cmpint(xen_evtchn_send(x, port), ==, 0);
    g_assert_true(xen_2l_pending(x, port));
    g_assert_cmphex(xen_2l_pending_sel(x, 0), ==, 0);
    g_assert_cmpint(xen_upcall_pending(x, 0), ==, 0);

    /* EVTCHNOP_unmask clears the mask and delivers what was pending. */
    g_assert_cmpint(xen_evtchn_unmask(x, port), ==, 0);
    g_assert_false(xen_2l_masked(x, port));
    g_assert_cmphex(xen_2l_pending_sel(x, 0), ==, 1ULL << (port / 64));
    g_assert_cmpint(xen_upcall_pending(x, 0), ==, 1);
    xen_qtest_end(x);
}

static void test_loopback(void)
{
    XenQTest *x = xen_qtest_start(1, "xen-evtchn-fifo=off");
    int64_t a = xen_evtchn_alloc_unbound(x);
    int64_t b = xen_evtchn_bind_loopback(x, a);

    g_assert_cmpint(a, >, 0);
    g_assert_cmpint(b, >, 0);
    g_assert_cmpint(a, !=, b);

    /* A send on either end is pending on the other. */
    g_assert_cmpint(xen_evtchn_send(x, b), ==, 0);
    g_assert_true(xen_2l_pending(x, a));
    g_assert_false(xen_2l_pending(x, b));
    g_assert_cmpint(xen_evtchn_send(x, a), ==, 0);
    g_assert_true(xen_2l_pending(x, b));
    xen_qtest_end(x);
}

static void test_error_codes(void)
{
    XenQTest *x = xen_qtest_start(2, "xen-evtchn-fifo=off");
    struct evtchn_bind_ipi ipi = { .vcpu = 2 };
    struct evtchn_bind_virq virq = { .virq = NR_VIRQS, .vcpu = 0 };
    struct evtchn_alloc_unbound unbound = { .dom = 7, .remote_dom = 0 };
    struct evtchn_status status = { .dom = DOMID_SELF, .port = 4096 };
    int64_t port;

    /* Ports that do not exist or are closed */
    g_assert_cmpint(xen_evtchn_send(x, 0), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_send(x, 4096), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_send(x, 0xffffffff), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_send(x, 5), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_close(x, 4096), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_status, &status,
                                  sizeof(status)), ==, -XEN_EINVAL);

    /*
     * A vCPU out of range, a VIRQ out of range, a domain not ours (the
     * guest is domain 1, xen_domid)
     */
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_bind_ipi, &ipi, sizeof(ipi)),
                    ==, -XEN_ENOENT);
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_bind_virq, &virq,
                                  sizeof(virq)), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_alloc_unbound, &unbound,
                                  sizeof(unbound)), ==, -3 /* ESRCH */);

    /* Close twice */
    port = xen_evtchn_bind_ipi(x, 0);
    g_assert_cmpint(port, >, 0);
    g_assert_cmpint(xen_evtchn_close(x, port), ==, 0);
    g_assert_cmpint(xen_evtchn_close(x, port), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_send(x, port), ==, -XEN_EINVAL);

    /* Without xen-evtchn-fifo, the FIFO hypercalls do not exist. */
    g_assert_cmpint(xen_fifo_init_control(x, 0, xen_qtest_page(x), 0), ==,
                    -XEN_ENOSYS);
    xen_qtest_end(x);
}

#define XEN_ESRCH   3
#define XEN_EEXIST  17
#define XEN_QTEST_DOMID 1       /* the accelerator's default xen-domid */

static struct evtchn_status port_status(XenQTest *x, uint32_t port)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = port };

    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_status, &st, sizeof(st)),
                    ==, 0);
    return st;
}

static int64_t bind_virq(XenQTest *x, uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
    int64_t ret = xen_evtchn_op(x, 0, EVTCHNOP_bind_virq, &op, sizeof(op));

    return ret ? ret : op.port;
}

static int64_t bind_vcpu(XenQTest *x, uint32_t port, uint32_t vcpu)
{
    struct evtchn_bind_vcpu op = { .port = port, .vcpu = vcpu };

    return xen_evtchn_op(x, 0, EVTCHNOP_bind_vcpu, &op, sizeof(op));
}

/* EVTCHNOP_status names every kind of port as Xen does */
static void test_status(void)
{
    XenQTest *x = xen_qtest_start(2, "xen-evtchn-fifo=off");
    int64_t unbound = xen_evtchn_alloc_unbound(x);
    int64_t to_backend = xen_evtchn_alloc_unbound_for(x, 0);
    int64_t a = xen_evtchn_alloc_unbound(x);
    int64_t b = xen_evtchn_bind_loopback(x, a);
    int64_t ipi = xen_evtchn_bind_ipi(x, 1);
    int64_t virq = bind_virq(x, VIRQ_TIMER, 1);
    struct evtchn_status st;

    st = port_status(x, unbound);
    g_assert_cmpuint(st.status, ==, EVTCHNSTAT_unbound);
    g_assert_cmpuint(st.u.unbound.dom, ==, XEN_QTEST_DOMID);
    g_assert_cmpuint(st.vcpu, ==, 0);
    st = port_status(x, to_backend);
    g_assert_cmpuint(st.status, ==, EVTCHNSTAT_unbound);
    g_assert_cmpuint(st.u.unbound.dom, ==, 0);

    st = port_status(x, a);
    g_assert_cmpuint(st.status, ==, EVTCHNSTAT_interdomain);
    g_assert_cmpuint(st.u.interdomain.dom, ==, XEN_QTEST_DOMID);
    g_assert_cmpuint(st.u.interdomain.port, ==, b);
    st = port_status(x, b);
    g_assert_cmpuint(st.status, ==, EVTCHNSTAT_interdomain);
    g_assert_cmpuint(st.u.interdomain.port, ==, a);

    st = port_status(x, ipi);
    g_assert_cmpuint(st.status, ==, EVTCHNSTAT_ipi);
    g_assert_cmpuint(st.vcpu, ==, 1);
    g_assert_cmpint(virq, >, 0);
    st = port_status(x, virq);
    g_assert_cmpuint(st.status, ==, EVTCHNSTAT_virq);
    g_assert_cmpuint(st.u.virq, ==, VIRQ_TIMER);
    g_assert_cmpuint(st.vcpu, ==, 1);

    /* A closed port; our domain by number; another domain */
    g_assert_cmpint(xen_evtchn_close(x, ipi), ==, 0);
    g_assert_cmpuint(port_status(x, ipi).status, ==, EVTCHNSTAT_closed);
    st = (struct evtchn_status) { .dom = XEN_QTEST_DOMID, .port = a };
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_status, &st, sizeof(st)),
                    ==, 0);
    g_assert_cmpuint(st.status, ==, EVTCHNSTAT_interdomain);
    st = (struct evtchn_status) { .dom = 7, .port = a };
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_status, &st, sizeof(st)),
                    ==, -XEN_ESRCH);
    xen_qtest_end(x);
}

/* VIRQs: per-vCPU ones on any vCPU, once; global ones on vCPU 0 only */
static void test_bind_virq(void)
{
    XenQTest *x = xen_qtest_start(2, "xen-evtchn-fifo=off");
    int64_t timer0 = bind_virq(x, VIRQ_TIMER, 0);

    g_assert_cmpint(timer0, >, 0);
    g_assert_cmpint(bind_virq(x, VIRQ_TIMER, 1), >, 0);
    g_assert_cmpint(bind_virq(x, VIRQ_TIMER, 0), ==, -XEN_EEXIST);
    g_assert_cmpint(bind_virq(x, VIRQ_TIMER, 2), ==, -XEN_ENOENT);
    g_assert_cmpint(bind_virq(x, VIRQ_CONSOLE, 1), ==, -XEN_EINVAL);
    g_assert_cmpint(bind_virq(x, VIRQ_CONSOLE, 0), >, 0);
    g_assert_cmpint(bind_virq(x, NR_VIRQS, 0), ==, -XEN_EINVAL);

    /* Closed, the VIRQ binds again */
    g_assert_cmpint(xen_evtchn_close(x, timer0), ==, 0);
    g_assert_cmpint(bind_virq(x, VIRQ_TIMER, 0), >, 0);
    xen_qtest_end(x);
}

/* EVTCHNOP_bind_vcpu moves where an interdomain port is delivered */
static void test_bind_vcpu(void)
{
    XenQTest *x = xen_qtest_start(2, "xen-evtchn-fifo=off");
    int64_t a = xen_evtchn_alloc_unbound(x);
    int64_t b = xen_evtchn_bind_loopback(x, a);
    int64_t ipi = xen_evtchn_bind_ipi(x, 0);
    int64_t timer = bind_virq(x, VIRQ_TIMER, 0);
    int64_t console = bind_virq(x, VIRQ_CONSOLE, 0);

    g_assert_cmpint(bind_vcpu(x, a, 1), ==, 0);
    g_assert_cmpuint(port_status(x, a).vcpu, ==, 1);
    xen_clear_upcall(x, 0);
    xen_clear_upcall(x, 1);
    g_assert_cmpint(xen_evtchn_send(x, b), ==, 0);
    g_assert_cmphex(xen_2l_pending_sel(x, 1), ==, 1ULL << (a / 64));
    g_assert_cmpint(xen_upcall_pending(x, 1), ==, 1);
    g_assert_cmpint(xen_upcall_pending(x, 0), ==, 0);

    /* Global VIRQs move; IPIs and per-vCPU VIRQs do not */
    g_assert_cmpint(bind_vcpu(x, console, 1), ==, 0);
    g_assert_cmpint(bind_vcpu(x, ipi, 1), ==, -XEN_EINVAL);
    g_assert_cmpint(bind_vcpu(x, timer, 1), ==, -XEN_EINVAL);
    g_assert_cmpuint(port_status(x, ipi).vcpu, ==, 0);

    /* No such vCPU, no such port */
    g_assert_cmpint(bind_vcpu(x, a, 2), ==, -XEN_ENOENT);
    g_assert_cmpint(bind_vcpu(x, 4096, 0), ==, -XEN_EINVAL);
    g_assert_cmpuint(port_status(x, a).vcpu, ==, 1);
    xen_qtest_end(x);
}

/* bind_interdomain, alloc_unbound, bind_pirq, unmask and reset refusals */
static void test_bind_errors(void)
{
    XenQTest *x = xen_qtest_start(1, "xen-evtchn-fifo=off");
    int64_t ipi = xen_evtchn_bind_ipi(x, 0);
    int64_t to_backend = xen_evtchn_alloc_unbound_for(x, 0);
    int64_t a = xen_evtchn_alloc_unbound(x);
    struct evtchn_bind_interdomain inter = { .remote_dom = 7,
                                             .remote_port = a };
    struct evtchn_alloc_unbound unbound = { .dom = DOMID_SELF,
                                            .remote_dom = 7 };
    struct evtchn_bind_pirq pirq = { .pirq = 100000 };
    struct evtchn_reset reset = { .dom = 7 };

    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_bind_interdomain, &inter,
                                  sizeof(inter)), ==, -XEN_ESRCH);
    /* Loopback only to an unbound port of ours, for us, not itself */
    g_assert_cmpint(xen_evtchn_bind_loopback(x, ipi), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_bind_loopback(x, to_backend), ==,
                    -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_bind_loopback(x, 4096), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_bind_loopback(x, 0), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_bind_loopback(x, a), >, 0);
    g_assert_cmpint(xen_evtchn_bind_loopback(x, a), ==, -XEN_EINVAL);

    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_alloc_unbound, &unbound,
                                  sizeof(unbound)), ==, -XEN_EPERM);
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_bind_pirq, &pirq,
                                  sizeof(pirq)), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_unmask(x, 4096), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_reset, &reset,
                                  sizeof(reset)), ==, -XEN_ESRCH);
    /* Nothing above closed or changed the ports that were there */
    g_assert_cmpuint(port_status(x, ipi).status, ==, EVTCHNSTAT_ipi);
    g_assert_cmpuint(port_status(x, to_backend).status, ==,
                     EVTCHNSTAT_unbound);
    /* EVTCHNOP_reset of our own domain closes every port */
    g_assert_cmpint(xen_evtchn_reset(x), ==, 0);
    g_assert_cmpuint(port_status(x, ipi).status, ==, EVTCHNSTAT_closed);
    g_assert_cmpuint(port_status(x, a).status, ==, EVTCHNSTAT_closed);
    xen_qtest_end(x);
}

#define IOAPIC_BASE         0xfec00000ULL
#define IOAPIC_REDTBL(pin)  (0x10 + 2 * (pin))
#define IOAPIC_LEVEL        (1u << 15)
#define CALLBACK_GSI        10

static void ioapic_write_redtbl_low(XenQTest *x, int pin, uint32_t value)
{
    qtest_writel(x->qts, IOAPIC_BASE, IOAPIC_REDTBL(pin));
    qtest_writel(x->qts, IOAPIC_BASE + 0x10, value);
}

/*
 * HVM_PARAM_CALLBACK_IRQ as a GSI: an event raises the IOAPIC's input
 * while vCPU 0's upcall flag is set; the line is looked at again, and
 * dropped once the guest cleared the flag, when the guest unmasks or
 * EOIs the pin, as with Xen's level-triggered callback.
 */
static void test_gsi_callback(void)
{
    XenQTest *x = xen_qtest_start(1, "xen-evtchn-fifo=off");
    struct xen_hvm_param {
        uint16_t domid;
        uint32_t index;
        uint64_t value;
    } param = { .domid = DOMID_SELF, .index = 0 /* CALLBACK_IRQ */,
                .value = CALLBACK_GSI /* type 0: GSI */ };
    int64_t port;

    qtest_irq_intercept_in(x->qts, "ioapic");
    ioapic_write_redtbl_low(x, CALLBACK_GSI, IOAPIC_LEVEL | 0x50);
    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &param, sizeof(param));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_HVM_OP, 0 /* set_param */,
                                  XEN_QTEST_ARGS_GPA, 0), ==, 0);
    port = xen_evtchn_bind_ipi(x, 0);
    g_assert_cmpint(port, >, 0);
    xen_clear_upcall(x, 0);
    xen_qtest_run(x, 2);
    g_assert_false(qtest_get_irq(x->qts, CALLBACK_GSI));

    g_assert_cmpint(xen_evtchn_send(x, port), ==, 0);
    xen_qtest_run(x, 2);
    g_assert_cmpint(xen_upcall_pending(x, 0), ==, 1);
    g_assert_true(qtest_get_irq(x->qts, CALLBACK_GSI));

    /* Looked at again with the flag still set: the line stays up */
    ioapic_write_redtbl_low(x, CALLBACK_GSI, IOAPIC_LEVEL | 0x50);
    xen_qtest_run(x, 2);
    g_assert_true(qtest_get_irq(x->qts, CALLBACK_GSI));

    /* The guest took the upcall; the line drops at the next look only */
    xen_clear_upcall(x, 0);
    xen_qtest_run(x, 2);
    g_assert_true(qtest_get_irq(x->qts, CALLBACK_GSI));
    ioapic_write_redtbl_low(x, CALLBACK_GSI, IOAPIC_LEVEL | 0x50);
    xen_qtest_run(x, 2);
    g_assert_false(qtest_get_irq(x->qts, CALLBACK_GSI));

    /* The handler clears the port's pending bit; the next event raises it */
    qtest_writeq(x->qts, XEN_QTEST_SHINFO_GPA +
                 offsetof(struct shared_info, evtchn_pending), 0);
    g_assert_cmpint(xen_evtchn_send(x, port), ==, 0);
    xen_qtest_run(x, 2);
    g_assert_true(qtest_get_irq(x->qts, CALLBACK_GSI));
    xen_qtest_end(x);
}

static void test_fifo_delivery(gconstpointer machine)
{
    XenQTest *x = xen_qtest_start_on(machine, 2, NULL, "");
    uint64_t control = xen_qtest_page(x);
    uint64_t array = xen_qtest_page(x);
    int64_t a, b, port;
    uint32_t word;

    g_assert_cmpint(xen_fifo_init_control(x, 1, control, 0), ==, 0);
    g_assert_cmpint(xen_fifo_expand_array(x, array), ==, 0);

    port = xen_evtchn_bind_ipi(x, 1);
    g_assert_cmpint(port, >, 0);
    xen_clear_upcall(x, 1);

    /* Default priority 7: PENDING and LINKED, READY bit 7, HEAD[7] */
    g_assert_cmpint(xen_evtchn_send(x, port), ==, 0);
    word = xen_fifo_word(x, array, port);
    g_assert_cmphex(word & (FIFO_PENDING | FIFO_LINKED), ==,
                    FIFO_PENDING | FIFO_LINKED);
    g_assert_cmphex(xen_fifo_ready(x, control), ==, 1u << 7);
    g_assert_cmpuint(xen_fifo_head(x, control, 7), ==, port);
    g_assert_cmpint(xen_upcall_pending(x, 1), ==, 1);

    /* A second port at priority 7 is linked after the first. */
    a = xen_evtchn_alloc_unbound(x);
    b = xen_evtchn_bind_loopback(x, a);
    g_assert_cmpint(b, >, 0);
    struct evtchn_bind_vcpu bind = { .port = a, .vcpu = 1 };
    g_assert_cmpint(xen_evtchn_op(x, 0, EVTCHNOP_bind_vcpu, &bind,
                                  sizeof(bind)), ==, 0);
    g_assert_cmpint(xen_evtchn_send(x, b), ==, 0);
    g_assert_cmpuint(xen_fifo_word(x, array, port) & FIFO_LINK_MASK, ==, a);
    g_assert_cmpuint(xen_fifo_head(x, control, 7), ==, port);

    /* A higher priority (lower number) gets its own queue and READY bit. */
    g_assert_cmpint(xen_fifo_set_priority(x, port, 2), ==, 0);
    g_assert_cmpint(xen_fifo_set_priority(x, port, 16), ==, -XEN_EINVAL);
    xen_qtest_end(x);
}

static void test_fifo_control_errors(void)
{
    XenQTest *x = xen_qtest_start(2, NULL);
    uint64_t control = xen_qtest_page(x);

    /* Not 8-byte aligned, crossing the page, a vCPU that does not exist */
    g_assert_cmpint(xen_fifo_init_control(x, 0, control, 4), ==, -XEN_EINVAL);
    g_assert_cmpint(xen_fifo_init_control(x, 0, control, 4088), ==,
                    -XEN_EINVAL);
    g_assert_cmpint(xen_fifo_init_control(x, 2, control, 0), ==, -XEN_ENOENT);
    /* A frame that is not RAM: past the end of RAM, and the BIOS ROM */
    g_assert_cmpint(xen_fifo_init_control(x, 0, 0x7ffff000000ULL, 0), ==,
                    -XEN_EINVAL);
    g_assert_cmpint(xen_fifo_init_control(x, 0, 0xfffff000ULL, 0), ==,
                    -XEN_EINVAL);
    /* expand_array before any control block: still 2-level */
    g_assert_cmpint(xen_fifo_expand_array(x, xen_qtest_page(x)), ==,
                    -95 /* EOPNOTSUPP */);

    /* A second init_control for the same vCPU */
    g_assert_cmpint(xen_fifo_init_control(x, 0, control, 0), ==, 0);
    g_assert_cmpint(xen_fifo_init_control(x, 0, control, 64), ==,
                    -XEN_EINVAL);
    xen_qtest_end(x);
}

static void test_fifo_reset_to_2l(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t control = xen_qtest_page(x);
    int64_t port;

    g_assert_cmpint(xen_fifo_init_control(x, 0, control, 0), ==, 0);
    g_assert_cmpint(xen_fifo_expand_array(x, xen_qtest_page(x)), ==, 0);
    port = xen_evtchn_bind_ipi(x, 0);
    g_assert_cmpint(port, >, 0);

    /* EVTCHNOP_reset closes every port and gives 2-level back. */
    g_assert_cmpint(xen_evtchn_reset(x), ==, 0);
    g_assert_cmpint(xen_evtchn_send(x, port), ==, -XEN_EINVAL);
    port = xen_evtchn_bind_ipi(x, 0);
    g_assert_cmpint(port, >, 0);
    xen_clear_upcall(x, 0);
    g_assert_cmpint(xen_evtchn_send(x, port), ==, 0);
    g_assert_true(xen_2l_pending(x, port));
    g_assert_cmpint(xen_upcall_pending(x, 0), ==, 1);

    /* and FIFO can be set up again */
    g_assert_cmpint(xen_fifo_init_control(x, 0, control, 0), ==, 0);
    xen_qtest_end(x);
}

static void test_fifo_max_port(void)
{
    XenQTest *x = xen_qtest_start(1, "xen-evtchn-max-port=10");
    uint64_t control = xen_qtest_page(x);
    int64_t port = 0;
    int i;

    g_assert_cmpint(xen_fifo_init_control(x, 0, control, 0), ==, 0);
    g_assert_cmpint(xen_fifo_expand_array(x, xen_qtest_page(x)), ==, 0);
    /* Ports come in order (xenstore holds port 1) and stop at port 10. */
    for (i = 0; i < 20; i++) {
        int64_t next = xen_evtchn_alloc_unbound(x);

        if (next < 0) {
            g_assert_cmpint(next, ==, -XEN_ENOSPC);
            break;
        }
        g_assert_cmpint(next, >, port);
        port = next;
    }
    g_assert_cmpint(port, ==, 10);
    g_assert_cmpint(xen_evtchn_alloc_unbound(x), ==, -XEN_ENOSPC);
    xen_qtest_end(x);
}

static void test_fifo_hostile_words(void)
{
    XenQTest *x = xen_qtest_start(1, NULL);
    uint64_t control = xen_qtest_page(x);
    uint64_t array = xen_qtest_page(x);
    int64_t port;
    int i;

    g_assert_cmpint(xen_fifo_init_control(x, 0, control, 0), ==, 0);
    g_assert_cmpint(xen_fifo_expand_array(x, array), ==, 0);
    port = xen_evtchn_bind_ipi(x, 0);
    g_assert_cmpint(port, >, 0);

    /*
     * The guest garbles the event array and the control block between
     * sends: links to ports far outside the array, every bit set, HEADs
     * pointing anywhere.  QEMU must neither follow a guest link out of
     * the array nor go down.
     */
    for (i = 0; i < 64; i++) {
        qtest_memset(x->qts, array, i & 1 ? 0xff : 0x5a, XEN_QTEST_PAGE_SIZE);
        qtest_memset(x->qts, control, i & 2 ? 0xff : 0xa5,
                     XEN_QTEST_PAGE_SIZE);
        g_assert_cmpint(xen_evtchn_send(x, port), ==, 0);
        g_assert_cmpint(xen_evtchn_unmask(x, port), ==, 0);
        xen_fifo_set_priority(x, port, i % 16);
    }
    /* QEMU still answers; a fresh port still works after a reset */
    g_assert_cmpint(xen_evtchn_reset(x), ==, 0);
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_XEN_VERSION, 0, 0, 0), ==,
                    0x4000a);
    xen_qtest_end(x);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_data_func("/xen/evtchn/2l/delivery/pc", "pc", test_2l_delivery);
    qtest_add_data_func("/xen/evtchn/2l/delivery/q35", "q35",
                        test_2l_delivery);
    qtest_add_func("/xen/evtchn/2l/mask-unmask", test_2l_mask_unmask);
    qtest_add_func("/xen/evtchn/2l/loopback", test_loopback);
    qtest_add_func("/xen/evtchn/2l/error-codes", test_error_codes);
    qtest_add_func("/xen/evtchn/status", test_status);
    qtest_add_func("/xen/evtchn/bind-virq", test_bind_virq);
    qtest_add_func("/xen/evtchn/bind-vcpu", test_bind_vcpu);
    qtest_add_func("/xen/evtchn/bind-errors", test_bind_errors);
    qtest_add_func("/xen/evtchn/gsi-callback", test_gsi_callback);
    qtest_add_data_func("/xen/evtchn/fifo/delivery/pc", "pc",
                        test_fifo_delivery);
    qtest_add_data_func("/xen/evtchn/fifo/delivery/q35", "q35",
                        test_fifo_delivery);
    qtest_add_func("/xen/evtchn/fifo/control-errors",
                   test_fifo_control_errors);
    qtest_add_func("/xen/evtchn/fifo/reset-to-2l", test_fifo_reset_to_2l);
    qtest_add_func("/xen/evtchn/fifo/max-port", test_fifo_max_port);
    qtest_add_func("/xen/evtchn/fifo/hostile-words", test_fifo_hostile_words);

    return g_test_run();
}
