/*
 * libxen: drive QEMU's Xen HVM emulation from a qtest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "libxen.h"
#include "hw/xen/interface/memory.h"
#include "hw/xen/interface/hvm/hvm_op.h"
#include "hw/xen/interface/hvm/params.h"
#include "hw/xen/interface/io/xs_wire.h"
#include "hw/xen/interface/grant_table.h"

#define XEN_CALLBACK_VECTOR     0xf3
#define XEN_CALLBACK_TYPE_VECTOR (2ULL << 56)

XenQTest *xen_qtest_start(int nr_vcpus, const char *accel_opts)
{
    return xen_qtest_start_args(nr_vcpus, accel_opts, "");
}

XenQTest *xen_qtest_start_args(int nr_vcpus, const char *accel_opts,
                               const char *extra_args)
{
    return xen_qtest_start_on("pc", nr_vcpus, accel_opts, extra_args);
}

char *xen_qtest_args(const char *machine, int nr_vcpus,
                     const char *accel_opts, const char *extra_args)
{
    /* XENBED_QTEST_QEMU_ARGS: firmware paths (meson.build) */
    return g_strdup_printf("-M %s -accel qtest,xen-version=0x4000a%s%s "
                           "-smp %d -m " XEN_QTEST_RAM " %s %s", machine,
                           accel_opts ? "," : "", accel_opts ? accel_opts : "",
                           nr_vcpus, g_getenv("XENBED_QTEST_QEMU_ARGS") ?: "",
                           extra_args ? extra_args : "");
}

XenQTest *xen_qtest_start_on(const char *machine, int nr_vcpus,
                             const char *accel_opts, const char *extra_args)
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

    g_autofree char *args = xen_qtest_args(machine, nr_vcpus, accel_opts,
                                           extra_args);

    x->nr_vcpus = nr_vcpus;
    x->next_free_gpa = XEN_QTEST_FREE_GPA;
    x->qts = qtest_init(args);

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
    g_queue_clear_full(&x->xs_events, g_free);
    g_free(x);
}

void xen_qtest_run(XenQTest *x, int steps)
{
    for (int i = 0; i < steps; i++) {
        qtest_clock_step(x->qts, 1000000);
    }
}

static const char *migration_status(QTestState *qts, char *buf, size_t size)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-migrate'}");
    QDict *ret = qdict_get_qdict(rsp, "return");

    g_strlcpy(buf, ret && qdict_haskey(ret, "status") ?
              qdict_get_str(ret, "status") : "none", size);
    qobject_unref(rsp);
    return buf;
}

static void wait_migration(QTestState *qts)
{
    char status[32];

    for (int i = 0; strcmp(migration_status(qts, status, sizeof(status)),
                           "completed"); i++) {
        g_assert_cmpstr(status, !=, "failed");
        g_assert_cmpint(i, <, 3000);
        g_usleep(10 * 1000);
    }
}

QTestState *xen_qtest_migrate_to_file(QTestState *qts, const char *state,
                                      const char *args)
{
    g_autofree char *uri = g_strdup_printf("file:%s", state);
    QDict *rsp = qtest_qmp(qts, "{'execute': 'migrate', "
                           "'arguments': {'uri': %s}}", uri);

    if (!qdict_haskey(rsp, "return")) {
        g_error("migrate: %s", qdict_get_str(qdict_get_qdict(rsp, "error"),
                                             "desc"));
    }
    qobject_unref(rsp);
    wait_migration(qts);
    qtest_quit(qts);

    qts = qtest_initf("%s -incoming %s", args, uri);
    wait_migration(qts);
    return qts;
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
    return xen_evtchn_alloc_unbound_for(x, DOMID_SELF);
}

int64_t xen_evtchn_alloc_unbound_for(XenQTest *x, uint16_t remote_dom)
{
    struct evtchn_alloc_unbound op = {
        .dom = DOMID_SELF, .remote_dom = remote_dom,
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

int64_t xen_gnttab_op(XenQTest *x, int cmd, void *arg, size_t len)
{
    int64_t ret;

    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, arg, len);
    ret = xen_hypercall(x, 0, XEN_HC_GRANT_TABLE_OP, cmd, XEN_QTEST_ARGS_GPA,
                        1);
    qtest_memread(x->qts, XEN_QTEST_ARGS_GPA, arg, len);
    return ret;
}

int64_t xen_gnttab_map_frame(XenQTest *x, uint64_t idx, uint64_t gpa)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_grant_table,
        .idx = idx,
        .gpfn = gpa / XEN_QTEST_PAGE_SIZE,
    };

    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &xatp, sizeof(xatp));
    return xen_hypercall(x, 0, XEN_HC_MEMORY_OP, XENMEM_add_to_physmap,
                         XEN_QTEST_ARGS_GPA, 0);
}

uint32_t xen_grant_access(XenQTest *x, uint64_t gpa, bool readonly)
{
    grant_entry_v1_t entry = {
        .domid = 0,
        .frame = gpa / XEN_QTEST_PAGE_SIZE,
    };
    uint32_t ref;

    if (!x->gnttab_mapped) {
        g_assert_cmpint(xen_gnttab_map_frame(x, 0, XEN_QTEST_GNTTAB_GPA), ==,
                        0);
        x->gnttab_mapped = true;
        x->next_gref = GNTTAB_NR_RESERVED_ENTRIES;
    }
    ref = x->next_gref++;
    g_assert_cmpuint(ref, <, XEN_QTEST_PAGE_SIZE / sizeof(entry));
    qtest_memwrite(x->qts, XEN_QTEST_GNTTAB_GPA + ref * sizeof(entry),
                   &entry, sizeof(entry));
    /* The flags last, as a guest does: the entry is valid from then on. */
    qtest_writew(x->qts, XEN_QTEST_GNTTAB_GPA + ref * sizeof(entry),
                 GTF_permit_access | (readonly ? GTF_readonly : 0));
    return ref;
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

#define XS_RING_OFFSET(f) offsetof(struct xenstore_domain_interface, f)
#define XS_WAIT_STEPS   1000

static uint64_t xen_hvm_get_param(XenQTest *x, uint32_t index)
{
    struct xen_hvm_param param = { .domid = DOMID_SELF, .index = index };

    qtest_memwrite(x->qts, XEN_QTEST_ARGS_GPA, &param, sizeof(param));
    g_assert_cmpint(xen_hypercall(x, 0, XEN_HC_HVM_OP, HVMOP_get_param,
                                  XEN_QTEST_ARGS_GPA, 0), ==, 0);
    qtest_memread(x->qts, XEN_QTEST_ARGS_GPA, &param, sizeof(param));
    return param.value;
}

static void xs_connect(XenQTest *x)
{
    if (x->xs_ring_gpa) {
        return;
    }
    x->xs_ring_gpa = xen_hvm_get_param(x, HVM_PARAM_STORE_PFN) *
        XEN_QTEST_PAGE_SIZE;
    x->xs_port = xen_hvm_get_param(x, HVM_PARAM_STORE_EVTCHN);
    g_assert_cmpuint(x->xs_port, >, 0);
}

static void xs_ring_write(XenQTest *x, const void *data, size_t len)
{
    uint64_t ring = x->xs_ring_gpa;
    uint32_t prod = qtest_readl(x->qts, ring + XS_RING_OFFSET(req_prod));
    const uint8_t *p = data;

    for (size_t i = 0; i < len; i++, prod++) {
        qtest_writeb(x->qts, ring + XS_RING_OFFSET(req) +
                     MASK_XENSTORE_IDX(prod), p[i]);
    }
    qtest_writel(x->qts, ring + XS_RING_OFFSET(req_prod), prod);
}

/* Read len bytes of the reply ring, waiting for them */
static void xs_ring_read(XenQTest *x, void *data, size_t len)
{
    uint64_t ring = x->xs_ring_gpa;
    uint32_t cons = qtest_readl(x->qts, ring + XS_RING_OFFSET(rsp_cons));
    uint8_t *p = data;
    int steps = 0;

    while (qtest_readl(x->qts, ring + XS_RING_OFFSET(rsp_prod)) - cons <
           len) {
        g_assert_cmpint(++steps, <, XS_WAIT_STEPS);
        xen_qtest_run(x, 1);
    }
    for (size_t i = 0; i < len; i++, cons++) {
        p[i] = qtest_readb(x->qts, ring + XS_RING_OFFSET(rsp) +
                           MASK_XENSTORE_IDX(cons));
    }
    qtest_writel(x->qts, ring + XS_RING_OFFSET(rsp_cons), cons);
    xen_evtchn_send(x, x->xs_port);
}

char *xen_xs_request(XenQTest *x, uint32_t type, uint32_t tx_id,
                     const void *payload, size_t len, uint32_t *reply_type,
                     size_t *reply_len)
{
    struct xsd_sockmsg msg = {
        .type = type, .req_id = ++x->xs_req_id, .tx_id = tx_id, .len = len,
    };

    xs_connect(x);
    xs_ring_write(x, &msg, sizeof(msg));
    xs_ring_write(x, payload, len);
    g_assert_cmpint(xen_evtchn_send(x, x->xs_port), ==, 0);

    for (;;) {
        struct xsd_sockmsg rsp;
        char *body;

        xs_ring_read(x, &rsp, sizeof(rsp));
        g_assert_cmpuint(rsp.len, <=, XENSTORE_PAYLOAD_MAX);
        body = g_malloc0(rsp.len + 1);
        xs_ring_read(x, body, rsp.len);
        if (rsp.type == XS_WATCH_EVENT) {
            /* "path\0token\0", kept for xen_xs_watch_event() */
            g_queue_push_tail(&x->xs_events, body);
            continue;
        }
        g_assert_cmpuint(rsp.req_id, ==, msg.req_id);
        *reply_type = rsp.type;
        if (reply_len) {
            *reply_len = rsp.len;
        }
        return body;
    }
}

/* "path\0" and, with a value, the value (value_nul: and a NUL) */
static char *xs_path_request(XenQTest *x, uint32_t type, uint32_t tx_id,
                             const char *path, const char *value,
                             bool value_nul, bool *ok)
{
    g_autofree char *payload = NULL;
    size_t len = strlen(path) + 1;
    size_t value_len = value ? strlen(value) + value_nul : 0;
    uint32_t reply_type;
    char *reply;

    payload = g_malloc(len + value_len);
    memcpy(payload, path, len);
    if (value) {
        memcpy(payload + len, value, value_len);
        len += value_len;
    }
    reply = xen_xs_request(x, type, tx_id, payload, len, &reply_type, NULL);
    *ok = reply_type != XS_ERROR;
    g_assert(!*ok || reply_type == type);
    return reply;
}

char *xen_xs_read(XenQTest *x, uint32_t tx_id, const char *path, char **err)
{
    bool ok;
    char *reply = xs_path_request(x, XS_READ, tx_id, path, NULL, false,
                                  &ok);

    if (ok) {
        return reply;
    }
    *err = reply;
    return NULL;
}

char *xen_xs_write(XenQTest *x, uint32_t tx_id, const char *path,
                   const char *value)
{
    bool ok;
    char *reply = xs_path_request(x, XS_WRITE, tx_id, path, value, false,
                                  &ok);

    if (ok) {
        g_free(reply);
        return NULL;
    }
    return reply;
}

char *xen_xs_watch(XenQTest *x, const char *path, const char *token)
{
    bool ok;
    char *reply = xs_path_request(x, XS_WATCH, 0, path, token, true, &ok);

    if (ok) {
        g_free(reply);
        return NULL;
    }
    return reply;
}

uint32_t xen_xs_transaction_start(XenQTest *x)
{
    uint32_t reply_type;
    g_autofree char *reply = xen_xs_request(x, XS_TRANSACTION_START, 0, "",
                                            1, &reply_type, NULL);

    unsigned long tx_id;

    g_assert_cmpuint(reply_type, ==, XS_TRANSACTION_START);
    g_assert_cmpint(qemu_strtoul(reply, NULL, 10, &tx_id), ==, 0);
    return tx_id;
}

char *xen_xs_transaction_end(XenQTest *x, uint32_t tx_id, bool commit)
{
    uint32_t reply_type;
    char *reply = xen_xs_request(x, XS_TRANSACTION_END, tx_id,
                                 commit ? "T" : "F", 2, &reply_type, NULL);

    if (reply_type == XS_ERROR) {
        return reply;
    }
    g_free(reply);
    return NULL;
}

bool xen_xs_watch_event(XenQTest *x, char **path, char **token)
{
    char *body = g_queue_pop_head(&x->xs_events);

    if (!body) {
        return false;
    }
    *path = g_strdup(body);
    *token = g_strdup(body + strlen(body) + 1);
    g_free(body);
    return true;
}
