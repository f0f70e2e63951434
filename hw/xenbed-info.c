/*
 * xenbed-info: names the xenbed build a QEMU binary came from.
 *
 * `-object xenbed-info,id=x` then `qom-get /objects/x revision` lets a test
 * or a user check that the running binary carries xenbed's device models
 * and which revision of them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qom/object.h"
#include "qom/object_interfaces.h"
#include "qemu-version.h"

#define TYPE_XENBED_INFO "xenbed-info"

static char *xenbed_info_get_revision(Object *obj, Error **errp)
{
    return g_strdup(QEMU_PKGVERSION);
}

static void xenbed_info_class_init(ObjectClass *oc, void *data)
{
    object_class_property_add_str(oc, "revision",
                                  xenbed_info_get_revision, NULL);
    object_class_property_set_description(oc, "revision",
        "xenbed revision this binary was built from");
}

static const TypeInfo xenbed_info_type = {
    .name = TYPE_XENBED_INFO,
    .parent = TYPE_OBJECT,
    .class_init = xenbed_info_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_USER_CREATABLE },
        { }
    },
};

static void xenbed_info_register_types(void)
{
    type_register_static(&xenbed_info_type);
}

type_init(xenbed_info_register_types)
