/*
 * xenbed-info: names the xenbed build a QEMU binary came from.
 *
 * `-device xenbed-info,id=x` then `qom-get /machine/peripheral/x revision`
 * lets a test or a user check that the running binary carries xenbed's
 * device models and which revision of them.  A bus-less device, as
 * user-creatable objects need an entry in QEMU's QAPI schema.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qom/object.h"
#include "hw/qdev-core.h"
#include "qemu-version.h"

#define TYPE_XENBED_INFO "xenbed-info"

static char *xenbed_info_get_revision(Object *obj, Error **errp)
{
    return g_strdup(QEMU_PKGVERSION);
}

static void xenbed_info_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "xenbed build information";
    dc->user_creatable = true;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    object_class_property_add_str(oc, "revision",
                                  xenbed_info_get_revision, NULL);
    object_class_property_set_description(oc, "revision",
        "xenbed revision this binary was built from");
}

static const TypeInfo xenbed_info_type = {
    .name = TYPE_XENBED_INFO,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(DeviceState),
    .class_init = xenbed_info_class_init,
};

static void xenbed_info_register_types(void)
{
    type_register_static(&xenbed_info_type);
}

type_init(xenbed_info_register_types)
