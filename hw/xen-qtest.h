/*
 * Xen HVM emulation under qtest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef XENBED_XEN_QTEST_H
#define XENBED_XEN_QTEST_H

/* The xen_hypercall qtest command, and the vCPUs' Xen state */
void xen_qtest_init(void);

#endif
