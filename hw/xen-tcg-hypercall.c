/*
 * Xen hypercalls under TCG: the helper behind VMCALL/VMMCALL
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/helper-proto.h"
#include CONFIG_DEVICES
#ifdef CONFIG_XEN_EMU
#include "system/kvm_xen.h"
#endif

/*
 * VMCALL or VMMCALL, outside SVM guest mode, with Xen emulation enabled.
 * EIP points to the instruction. Bad arguments make the hypercall fail;
 * no exception is ever raised.
 */
void helper_xen_hypercall(CPUX86State *env, int insn_len)
{
#ifdef CONFIG_XEN_EMU
    XenHypercall hc = {
        .cpl = env->hflags & HF_CPL_MASK,
        .longmode = !!(env->hflags & HF_CS64_MASK),
    };

    if (hc.longmode) {
#ifdef TARGET_X86_64
        hc.input = env->regs[R_EAX];
        hc.params[0] = env->regs[R_EDI];
        hc.params[1] = env->regs[R_ESI];
        hc.params[2] = env->regs[R_EDX];
        hc.params[3] = env->regs[R_R10];
        hc.params[4] = env->regs[R_R8];
        hc.params[5] = env->regs[R_R9];
#endif
    } else {
        hc.input = (uint32_t)env->regs[R_EAX];
        hc.params[0] = (uint32_t)env->regs[R_EBX];
        hc.params[1] = (uint32_t)env->regs[R_ECX];
        hc.params[2] = (uint32_t)env->regs[R_EDX];
        hc.params[3] = (uint32_t)env->regs[R_ESI];
        hc.params[4] = (uint32_t)env->regs[R_EDI];
        hc.params[5] = (uint32_t)env->regs[R_EBP];
    }

    xen_emu_hypercall(env_cpu(env), &hc);

    env->regs[R_EAX] = hc.longmode ? hc.result : (uint32_t)hc.result;
    env->eip += insn_len;
#else
    g_assert_not_reached();
#endif
}
