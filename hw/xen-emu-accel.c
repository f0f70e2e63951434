/*
 * Xen HVM emulation: accelerator settings
 *
 * The settings of the Xen emulation are properties of the accelerator.
 * KVM registers its own (target/i386/kvm/kvm.c) and keeps the values in
 * KVMState; other accelerators embed a XenEmuConfig in their state and
 * register the same properties here. The getters read the properties of
 * the current accelerator, so the device models need not know which one
 * it is.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "qom/object.h"
#include "hw/boards.h"
#include "hw/i386/e820_memory_layout.h"
#include "hw/i386/pc.h"
#include "hw/xen/xen.h"
#include "system/kvm_xen.h"
#include "system/qtest.h"
#include "xen-qtest.h"
#include "xenbed/evtchn/evtchn.h"

/* Same defaults as the KVM accelerator (kvm_accel_instance_init()) */
#define XEN_EMU_DEFAULT_GNTTAB_MAX_FRAMES   64
#define XEN_EMU_DEFAULT_EVTCHN_MAX_PIRQ     256

/* A property's opaque is the offset of its field in the accel object. */
static void *xen_emu_field(Object *obj, void *opaque)
{
    return (char *)obj + (uintptr_t)opaque;
}

/* xen-version and xen-evtchn-max-port */
static void xen_emu_get_uint32_prop(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    uint32_t *field = xen_emu_field(obj, opaque);

    visit_type_uint32(v, name, field, errp);
}

static void xen_emu_set_version_prop(Object *obj, Visitor *v,
                                     const char *name, void *opaque,
                                     Error **errp)
{
    uint32_t value;

    if (!visit_type_uint32(v, name, &value, errp)) {
        return;
    }

    *(uint32_t *)xen_emu_field(obj, opaque) = value;
    if (value && xen_mode == XEN_DISABLED) {
        xen_mode = XEN_EMULATE;
    }
}

/* xen-gnttab-max-frames and xen-evtchn-max-pirq */
static void xen_emu_get_uint16_prop(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    uint16_t *field = xen_emu_field(obj, opaque);

    visit_type_uint16(v, name, field, errp);
}

static void xen_emu_set_uint16_prop(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    uint16_t value;

    if (!visit_type_uint16(v, name, &value, errp)) {
        return;
    }

    *(uint16_t *)xen_emu_field(obj, opaque) = value;
}

/* xen-evtchn-fifo */
static void xen_emu_get_bool_prop(Object *obj, Visitor *v, const char *name,
                                  void *opaque, Error **errp)
{
    bool *field = xen_emu_field(obj, opaque);

    visit_type_bool(v, name, field, errp);
}

static void xen_emu_set_bool_prop(Object *obj, Visitor *v, const char *name,
                                  void *opaque, Error **errp)
{
    bool value;

    if (!visit_type_bool(v, name, &value, errp)) {
        return;
    }

    *(bool *)xen_emu_field(obj, opaque) = value;
}

/* xen-evtchn-max-port */
static void xen_emu_set_max_port_prop(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    uint32_t value;

    if (!visit_type_uint32(v, name, &value, errp)) {
        return;
    }
    if (value < 1 || value > EVTCHN_FIFO_MAX_PORT) {
        error_setg(errp, "%s must be 1 to %u", name, EVTCHN_FIFO_MAX_PORT);
        return;
    }

    *(uint32_t *)xen_emu_field(obj, opaque) = value;
}

void xen_emu_config_init(XenEmuConfig *cfg)
{
    cfg->version = 0;
    cfg->gnttab_max_frames = XEN_EMU_DEFAULT_GNTTAB_MAX_FRAMES;
    cfg->evtchn_max_pirq = XEN_EMU_DEFAULT_EVTCHN_MAX_PIRQ;
    cfg->evtchn_fifo = true;
    /* The FIFO ABI is offered, as by Xen >= 4.4, with all of its ports. */
    cfg->evtchn_max_port = EVTCHN_FIFO_MAX_PORT;
}

/*
 * Register the Xen properties on an accelerator class whose instances
 * hold a XenEmuConfig at @offset. Names and descriptions match KVM's.
 */
void xen_emu_config_class_init(ObjectClass *oc, size_t offset)
{
#define XEN_EMU_FIELD(f) ((void *)(uintptr_t)(offset + \
                                              offsetof(XenEmuConfig, f)))
    object_class_property_add(oc, "xen-version", "uint32",
                              xen_emu_get_uint32_prop,
                              xen_emu_set_version_prop,
                              NULL, XEN_EMU_FIELD(version));
    object_class_property_set_description(oc, "xen-version",
                                          "Xen version to be emulated "
                                          "(in XENVER_version form "
                                          "e.g. 0x4000a for 4.10)");

    object_class_property_add(oc, "xen-gnttab-max-frames", "uint16",
                              xen_emu_get_uint16_prop,
                              xen_emu_set_uint16_prop,
                              NULL, XEN_EMU_FIELD(gnttab_max_frames));
    object_class_property_set_description(oc, "xen-gnttab-max-frames",
                                          "Maximum number of grant table "
                                          "frames");

    object_class_property_add(oc, "xen-evtchn-max-pirq", "uint16",
                              xen_emu_get_uint16_prop,
                              xen_emu_set_uint16_prop,
                              NULL, XEN_EMU_FIELD(evtchn_max_pirq));
    object_class_property_set_description(oc, "xen-evtchn-max-pirq",
                                          "Maximum number of Xen PIRQs");

    object_class_property_add(oc, "xen-evtchn-fifo", "bool",
                              xen_emu_get_bool_prop, xen_emu_set_bool_prop,
                              NULL, XEN_EMU_FIELD(evtchn_fifo));
    object_class_property_set_description(oc, "xen-evtchn-fifo",
                                          "Offer the FIFO event channel ABI");

    object_class_property_add(oc, "xen-evtchn-max-port", "uint32",
                              xen_emu_get_uint32_prop,
                              xen_emu_set_max_port_prop,
                              NULL, XEN_EMU_FIELD(evtchn_max_port));
    object_class_property_set_description(oc, "xen-evtchn-max-port",
                                          "Highest event channel port under "
                                          "the FIFO ABI");
#undef XEN_EMU_FIELD
}

static uint64_t xen_emu_get_accel_prop(const char *name)
{
    return object_property_get_uint(OBJECT(current_accel()), name,
                                    &error_abort);
}

uint32_t xen_emu_get_version(void)
{
    return xen_emu_get_accel_prop("xen-version");
}

uint16_t xen_emu_get_gnttab_max_frames(void)
{
    return xen_emu_get_accel_prop("xen-gnttab-max-frames");
}

uint16_t xen_emu_get_evtchn_max_pirq(void)
{
    return xen_emu_get_accel_prop("xen-evtchn-max-pirq");
}

bool xen_emu_get_evtchn_fifo(void)
{
    return object_property_get_bool(OBJECT(current_accel()),
                                    "xen-evtchn-fifo", &error_abort);
}

uint32_t xen_emu_get_evtchn_max_port(void)
{
    return xen_emu_get_accel_prop("xen-evtchn-max-port");
}

/*
 * Counterpart of kvm_xen_init() for accelerators that handle the whole
 * Xen emulation in QEMU (TCG, qtest): nothing to tell a kernel, only
 * machine setup.
 */
int xen_emu_tcg_init(MachineState *ms)
{
    /* The emulated Xen devices are created by the PC machines only. */
    if (!object_dynamic_cast(OBJECT(ms), TYPE_PC_MACHINE)) {
        error_report("Xen emulation (xen-version) is only available with "
                     "the pc and q35 machines");
        return -ENOTSUP;
    }

    /*
     * Tell fw_cfg to notify the BIOS to reserve the range of the xenstore
     * and console pages, as kvm_xen_init() does. The table is only
     * published at machine_done, so it is not too late.
     */
    e820_add_entry(XEN_SPECIAL_AREA_ADDR, XEN_SPECIAL_AREA_SIZE,
                   E820_RESERVED);

    if (qtest_enabled()) {
        xen_qtest_init();
    }

    return 0;
}
