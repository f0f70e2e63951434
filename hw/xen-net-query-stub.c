/*
 * query-xen-net where xen-net-device is not built: there is none.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/qapi-commands-net.h"

XenNetInfoList *qmp_query_xen_net(Error **errp)
{
    return NULL;
}
