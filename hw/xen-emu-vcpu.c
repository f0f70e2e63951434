/*
 * What Xen gives a vCPU, where QEMU gives it rather than KVM
 *
 * With KVM, the kernel fills the hypercall page, answers the Xen CPUID
 * leaves, keeps the vCPUs' pvclocks, the wallclock and the runstate areas,
 * and delivers event channel upcalls. Under other accelerators (TCG, and
 * qtest) QEMU does all of that here. target/i386/kvm/xen-emu.c, which
 * handles the hypercalls under either, calls in through xen-emu-vcpu.h;
 * the CPU models and interrupt controllers through system/kvm_xen.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "cpu.h"
#include "exec/address-spaces.h"
#include "hw/i386/apic-msidef.h"
#include "hw/i386/apic_internal.h"
#include "hw/i386/kvm/xen_evtchn.h"
#include "hw/i386/kvm/xen_overlay.h"
#include "hw/xen/xen.h"
#include "system/kvm.h"
#include "system/kvm_xen.h"
#include "trace/trace-target_i386_kvm.h"

#include "hw/xen/interface/arch-x86/cpuid.h"
#include "hw/xen/interface/vcpu.h"
#include "hw/xen/interface/xen.h"

#include "kvm/xen-compat.h"
#include "kvm/xen-emu.h"
#include "xen-emu-vcpu.h"
#include "xen-guest-area.h"

static QEMUBH *xen_deferred_upcall_bh;

/* Whether the guest's CPU calls the hypervisor with VMMCALL, not VMCALL */
static bool xen_guest_uses_vmmcall(CPUX86State *env)
{
    char vendor[CPUID_VENDOR_SZ];

    stl_le_p(vendor, env->cpuid_vendor1);
    stl_le_p(vendor + 4, env->cpuid_vendor2);
    stl_le_p(vendor + 8, env->cpuid_vendor3);

    return !memcmp(vendor, CPUID_VENDOR_AMD, CPUID_VENDOR_SZ) ||
           !memcmp(vendor, CPUID_VENDOR_HYGON, CPUID_VENDOR_SZ);
}

/*
 * The guest wrote @data to the hypercall MSR, and KVM is not there to
 * handle it in the kernel. Do what kvm_xen_write_hypercall_page() does:
 * latch the guest's long mode (EFER.LMA), which selects the shared_info
 * layout, then fill the one hypercall page at the GPA in @data with
 * 32-byte entries "mov $nr, %eax; vmcall; ret" padded with int3. The same
 * entries serve 32-bit and 64-bit guests, and HYPERVISOR_iret is not
 * special for HVM guests. KVM uses the host CPU's VMCALL or VMMCALL; TCG
 * traps both, so use the one the guest's CPU vendor has.
 *
 * Returns false if the guest must get a #GP, as from KVM: for a page
 * number other than 0, or a GPA that is not writable RAM (ROM, MMIO,
 * nothing) in the vCPU's current address space.
 */
bool xen_emu_write_hypercall_page(CPUState *cs, uint64_t data)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    MemTxAttrs attrs = cpu_get_mem_attrs(env);
    AddressSpace *as = cpu_get_address_space(cs,
                                             cpu_asidx_from_attrs(cs, attrs));
    uint64_t gpa = data & TARGET_PAGE_MASK;
    g_autofree uint8_t *page = NULL;
    uint8_t entry[32];
    MemoryRegion *mr;
    hwaddr xlat, len = TARGET_PAGE_SIZE;
    int i;

    xen_set_long_mode(!!(env->hflags & HF_LMA_MASK));

    if (data & ~TARGET_PAGE_MASK) {
        return false;
    }

    entry[0] = 0xb8;                    /* mov $imm32, %eax */
    entry[5] = 0x0f;                    /* vmmcall is 0f 01 d9, */
    entry[6] = 0x01;                    /* vmcall is 0f 01 c1 */
    entry[7] = xen_guest_uses_vmmcall(env) ? 0xd9 : 0xc1;
    entry[8] = 0xc3;                    /* ret */
    memset(entry + 9, 0xcc, sizeof(entry) - 9);     /* int3 */

    page = g_malloc(TARGET_PAGE_SIZE);
    for (i = 0; i < TARGET_PAGE_SIZE / sizeof(entry); i++) {
        stl_le_p(entry + 1, i);
        memcpy(page + i * sizeof(entry), entry, sizeof(entry));
    }

    RCU_READ_LOCK_GUARD();

    mr = address_space_translate(as, gpa, &xlat, &len, true, attrs);
    if (!memory_access_is_direct(mr, true, attrs) || len < TARGET_PAGE_SIZE) {
        return false;
    }

    /*
     * Through the memory API rather than a host pointer, so that code
     * already translated from this page is invalidated.
     */
    return address_space_write(as, gpa, attrs, page, TARGET_PAGE_SIZE) ==
           MEMTX_OK;
}

/*
 * Xen time without KVM.
 *
 * With KVM, the Xen system time is KVM's clock (KVM_GET_CLOCK), which the
 * kernel derives from the host TSC and publishes to the guest as pvclock
 * parameters that match the TSC the guest reads. Under TCG, RDTSC normally
 * returns host CPU ticks (cpus_get_elapsed_ticks()), at a rate QEMU does
 * not know, and which drifts against QEMU_CLOCK_VIRTUAL, the clock that
 * runs the Xen timers.
 *
 * So with Xen emulation under TCG, the guest TSC is derived from
 * QEMU_CLOCK_VIRTUAL at a fixed nominal frequency of 1 GHz, as TCG's TSC
 * already is with icount, and the Xen system time is that TSC converted
 * with the pvclock scale given to the guest. At 1 GHz the conversion is
 * exact (tsc_to_system_mul 2^31, tsc_shift 1), so the guest's Xen clock,
 * QEMU's Xen system time and the Xen timers all read QEMU_CLOCK_VIRTUAL to
 * the nanosecond, on every vCPU. That clock follows the host's
 * CLOCK_MONOTONIC while the VM runs, stops with the VM and is migrated
 * with it. No calibration, and no drift to correct: pvclock parameters
 * written once stay valid, whatever their tsc_timestamp.
 */
#define XEN_EMU_TSC_KHZ 1000000

/* The guest TSC under TCG with Xen emulation. Called by RDTSC. */
uint64_t xen_emu_get_tsc(void)
{
    /* At 1 GHz, a TSC tick is a nanosecond: no need to scale. */
    QEMU_BUILD_BUG_ON(XEN_EMU_TSC_KHZ != 1000000);

    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/*
 * The pvclock scale of the guest TSC, computed as Xen's set_time_scale()
 * does: ns = ((tsc << shift) * mul) >> 32, with the shifted tick rate in
 * (1, 2] GHz so that mul is a 32-bit fraction.
 */
static void xen_emu_tsc_scale(uint32_t *mul, int8_t *shift)
{
    uint64_t tps = XEN_EMU_TSC_KHZ * 1000ULL;
    int s = 0;

    while (tps > 2 * NANOSECONDS_PER_SECOND) {
        tps >>= 1;
        s--;
    }
    while (tps <= NANOSECONDS_PER_SECOND) {
        tps <<= 1;
        s++;
    }

    *mul = ((uint64_t)NANOSECONDS_PER_SECOND << 32) / tps;
    *shift = s;
}

/* TSC ticks to ns, with 128-bit precision as the guest computes it. */
static uint64_t xen_emu_tsc_to_ns(uint64_t delta, uint32_t mul, int8_t shift)
{
    uint64_t lo, hi;

    if (shift < 0) {
        delta >>= -shift;
    } else {
        delta <<= shift;
    }

    mulu64(&lo, &hi, delta, mul);
    return (hi << 32) | (lo >> 32);
}

/* The Xen system time under TCG, as the guest's pvclock gives it */
uint64_t xen_emu_system_time(void)
{
    uint32_t mul;
    int8_t shift;

    xen_emu_tsc_scale(&mul, &shift);
    return xen_emu_tsc_to_ns(xen_emu_get_tsc(), mul, shift);
}

/*
 * The Xen CPUID leaves, for accelerators where QEMU answers CPUID itself.
 * KVM builds the same leaves in kvm_arch_init_vcpu(), moved up by 0x100
 * when Hyper-V enlightenments take the first range. QEMU only offers those
 * with KVM, so here the Xen leaves always start at 0x40000000. Returns
 * false if @index is not a Xen leaf.
 */
bool xen_emu_cpuid(CPUState *cs, uint32_t index, uint32_t count,
                   uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                   uint32_t *edx)
{
    const uint32_t base = 0x40000000;
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;
    uint32_t version = xen_emu_get_version();
    uint32_t signature[3];

    if (index < base || index > base + XEN_CPUID_HVM) {
        return false;
    }

    *eax = 0;
    *ebx = 0;
    *ecx = 0;
    *edx = 0;

    switch (index - base) {
    case XEN_CPUID_SIGNATURE:
        memcpy(signature, "XenVMMXenVMM", 12);
        *eax = base + XEN_CPUID_HVM;
        *ebx = signature[0];
        *ecx = signature[1];
        *edx = signature[2];
        break;

    case XEN_CPUID_VENDOR:
        *eax = version;
        break;

    case XEN_CPUID_HVM_MSR:
        /* Number of hypercall-transfer pages, and the MSR to fill them */
        *eax = 1;
        *ebx = xen_emu_hypercall_msr();
        break;

    case XEN_CPUID_TIME:
        /*
         * The guest TSC is derived from QEMU_CLOCK_VIRTUAL at a fixed
         * frequency (see XEN_EMU_TSC_KHZ): emulated, in Xen's terms, and
         * reliable. The mode stays "default", as with KVM: in Linux,
         * "never emulate" with an invariant TSC makes the TSC clocksource
         * preferred to the Xen one.
         */
        switch (count) {
        case 0:
            *eax = 1 << 0 | 1 << 1;
            if (env->features[FEAT_8000_0001_EDX] & CPUID_EXT2_RDTSCP) {
                *eax |= 1 << 2;
            }
            *ebx = 0;                   /* tsc_mode: default */
            *ecx = XEN_EMU_TSC_KHZ;     /* guest TSC frequency */
            *edx = 0;                   /* incarnation */
            break;
        case 1: {
            uint32_t mul;
            int8_t shift;

            /* No TSC offset; the scale of the TSC to ns */
            xen_emu_tsc_scale(&mul, &shift);
            *ecx = mul;
            *edx = (uint32_t)(int32_t)shift;
            break;
        }
        case 2:
            *eax = XEN_EMU_TSC_KHZ;     /* "physical" TSC frequency */
            break;
        }
        break;

    case XEN_CPUID_HVM:
        if (version < XEN_VERSION(4, 5)) {
            break;
        }
        if (cpu->xen_vapic) {
            *eax |= XEN_HVM_CPUID_APIC_ACCESS_VIRT;
            *eax |= XEN_HVM_CPUID_X2APIC_VIRT;
        }
        *eax |= XEN_HVM_CPUID_IOMMU_MAPPINGS;
        if (version >= XEN_VERSION(4, 6)) {
            *eax |= XEN_HVM_CPUID_VCPU_ID_PRESENT;
            *ebx = cs->cpu_index;
        }
        if (version >= XEN_VERSION(4, 17)) {
            *eax |= XEN_HVM_CPUID_UPCALL_VECTOR;
        }
        break;
    }

    return true;
}

/*
 * Write a pvclock for the current TSC and return its system time. The
 * version is odd while the fields change, so that a vCPU reading them
 * meanwhile retries.
 */
static uint64_t xen_emu_write_pvclock(struct vcpu_time_info *pvt)
{
    uint32_t version = (qatomic_read(&pvt->version) + 1) | 1;
    uint64_t tsc = xen_emu_get_tsc();
    uint64_t system_time;
    uint32_t mul;
    int8_t shift;

    xen_emu_tsc_scale(&mul, &shift);
    system_time = xen_emu_tsc_to_ns(tsc, mul, shift);

    qatomic_set(&pvt->version, version);
    smp_wmb(); /* odd version before the fields, pairs with guest rmb */

    pvt->tsc_timestamp = tsc;
    pvt->system_time = system_time;
    pvt->tsc_to_system_mul = mul;
    pvt->tsc_shift = shift;
    /*
     * All vCPUs read one TSC and share one exact scale, so the clock is
     * monotonic across vCPUs: the guest may skip its own cross-vCPU
     * fixup, and read the pvclock in its vDSO.
     */
    pvt->flags = XEN_PVCLOCK_TSC_STABLE_BIT;

    smp_wmb(); /* fields before the even version, pairs with guest rmb */
    qatomic_set(&pvt->version, version + 1);

    return system_time;
}

/*
 * Without KVM, write the vCPU's pvclocks: the one in its vcpu_info, and
 * the one in the area registered with VCPUOP_register_vcpu_time_memory_area.
 * This is done when either is set up; as the Xen system time is a fixed
 * function of the TSC (see XEN_EMU_TSC_KHZ), they need no update later.
 * Runs with the BQL, on the vCPU's thread or with the vCPU stopped.
 */
void xen_emu_write_vcpu_time(CPUState *cs)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    struct vcpu_info *vi = env->xen_vcpu_info_hva;
    uint64_t gpa = env->xen_vcpu_time_info_gpa;
    uint64_t system_time = 0;
    struct vcpu_time_info *pvt;
    MemoryRegionSection mrs;

    /* The 32-bit vcpu_info has its vcpu_time_info at the same offset. */
    qemu_build_assert(offsetof(struct vcpu_info, time) == 32);

    if (vi) {
        system_time = xen_emu_write_pvclock(&vi->time);
    }

    if (gpa != INVALID_GPA) {
        pvt = xen_guest_area_map(gpa, sizeof(*pvt), &mrs);
        if (pvt) {
            system_time = xen_emu_write_pvclock(pvt);
            xen_guest_area_set_dirty(&mrs, sizeof(*pvt));
            xen_guest_area_unmap(&mrs);
        }
    }

    trace_xen_emu_update_vcpu_time(cs->cpu_index, !!vi, gpa, system_time);
}

/*
 * Without KVM, nothing polls vCPU0's evtchn_upcall_pending after guest
 * exits as kvm_arch_post_run() does. Instead the PIC and IOAPIC call this,
 * with the BQL held, before they act on an EOI or an unmask, the only
 * times when they look at a level-triggered line again. Dropping the line
 * then, once the guest has cleared the flag, delivers no stale interrupt
 * and loses no event: whoever sets the flag again raises the line again,
 * through kvm_xen_inject_vcpu_callback_vector().
 */
void xen_emu_resample_callback(void)
{
    CPUState *cs = qemu_get_cpu(0);
    CPUX86State *env;
    struct vcpu_info *vi;

    assert(bql_locked());

    if (!cs) {
        return;
    }

    env = &X86_CPU(cs)->env;
    vi = env->xen_vcpu_info_hva;
    if (env->xen_callback_asserted && vi &&
        !qatomic_read(&vi->evtchn_upcall_pending)) {
        env->xen_callback_asserted = false;
        xen_evtchn_set_callback_level(0);
    }
}

/* The per-vCPU callback vector is delivered to the local APIC as an MSI. */
MSIMessage xen_emu_callback_msi(X86CPU *cpu, uint8_t vector)
{
    MSIMessage msg = {
        .address = APIC_DEFAULT_ADDRESS |
                   (cpu->apic_id << MSI_ADDR_DEST_ID_SHIFT),
        .data = vector | (1UL << MSI_DATA_LEVEL_SHIFT),
    };

    return msg;
}

/*
 * Without KVM, QEMU delivers the callback itself: the per-vCPU vector
 * through the emulated local APIC (the guest EOIs it), the global vector
 * by raising CPU_INTERRUPT_XEN_UPCALL (level-triggered on
 * evtchn_upcall_pending, no EOI), as KVM and Xen do.
 */
static void do_deliver_callback(CPUState *cs, run_on_cpu_data data)
{
    X86CPU *cpu = X86_CPU(cs);
    uint8_t vector = cpu->env.xen_vcpu_callback_vector;

    assert(bql_locked());

    if (vector) {
        MSIMessage msg = xen_emu_callback_msi(cpu, vector);

        apic_get_class(NULL)->send_msi(&msg);
    } else {
        cpu_interrupt(cs, CPU_INTERRUPT_XEN_UPCALL);
    }
}

/* Delivers the upcalls that threads without the BQL asked for. */
static void xen_deferred_upcall_bh_cb(void *opaque)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        if (qatomic_xchg(&X86_CPU(cs)->env.xen_upcall_deferred, false)) {
            do_deliver_callback(cs, RUN_ON_CPU_NULL);
        }
    }
}

/* vCPUs are realized with the BQL held, before any event can arrive */
void xen_emu_upcall_init(void)
{
    if (!xen_deferred_upcall_bh) {
        xen_deferred_upcall_bh = qemu_bh_new(xen_deferred_upcall_bh_cb, NULL);
    }
}

/*
 * Both ways need the BQL. Injection comes from the main loop (BQL held),
 * or from a vCPU in a hypercall or an IOThread (BQL not held), always
 * with the event channel port_lock held. As port_lock nests inside the
 * BQL, the BQL cannot be taken here.
 *
 * async_run_on_cpu() on the target is not enough: its kick is a condition
 * broadcast that, without the BQL, can come between a halted TCG vCPU
 * finding no work and its going to sleep, which then sleeps through the
 * event. A bottom half runs in the main loop, with the BQL.
 */
void xen_emu_deliver_upcall(CPUState *cs)
{
    if (bql_locked()) {
        do_deliver_callback(cs, RUN_ON_CPU_NULL);
    } else {
        qatomic_set(&X86_CPU(cs)->env.xen_upcall_deferred, true);
        qemu_bh_schedule(xen_deferred_upcall_bh);
    }
}

/*
 * The vector to deliver for CPU_INTERRUPT_XEN_UPCALL, or 0 if @cs has
 * no upcall pending on the global callback vector.
 */
int xen_emu_get_upcall_vector(CPUState *cs)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    struct vcpu_info *vi = env->xen_vcpu_info_hva;

    if (!vi || env->xen_vcpu_callback_vector ||
        !qatomic_read(&vi->evtchn_upcall_pending)) {
        return 0;
    }

    return xen_evtchn_get_callback_vector();
}

/*
 * KVM re-evaluates the global callback vector each time it enters the
 * guest. Without KVM, do so after each hypercall, in case the guest made
 * an upcall pending behind QEMU's back and wants it delivered (as
 * Linux's xen_force_evtchn_callback() does).
 */
void xen_emu_recheck_upcall(CPUState *cs)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    struct vcpu_info *vi = env->xen_vcpu_info_hva;

    /* Cheap checks first, so as to take the BQL only when it may help. */
    if (!vi || env->xen_vcpu_callback_vector ||
        !qatomic_read(&vi->evtchn_upcall_pending) ||
        (qatomic_read(&cs->interrupt_request) & CPU_INTERRUPT_XEN_UPCALL)) {
        return;
    }

    BQL_LOCK_GUARD();
    if (xen_emu_get_upcall_vector(cs)) {
        cpu_interrupt(cs, CPU_INTERRUPT_XEN_UPCALL);
    }
}

/* The size of the runstate area in the 64-bit or 32-bit layout */
size_t xen_emu_runstate_size(bool long_mode)
{
    qemu_build_assert(sizeof(struct compat_vcpu_runstate_info) == 44);

    return long_mode ? sizeof(struct vcpu_runstate_info) :
                       sizeof(struct compat_vcpu_runstate_info);
}

/*
 * Without KVM, write the vCPU's runstate area. As far as the guest can
 * tell, a vCPU under TCG is always running: it idles in HLT rather than
 * by blocking in Xen, and is never descheduled by Xen. So the area says
 * RUNSTATE_running since now, and all the time so far counts as running
 * (none as runnable or offline, which the guest would take as steal
 * time). Written when the area is registered, before the guest reads it;
 * it only gets stale the way Xen's does for a vCPU that keeps running.
 */
void xen_emu_write_runstate(CPUState *cs)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    uint64_t gpa = env->xen_vcpu_runstate_gpa;
    uint64_t now = xen_emu_system_time();
    bool long_mode = xen_is_long_mode();
    size_t len = xen_emu_runstate_size(long_mode);
    MemoryRegionSection mrs;
    void *p;

    if (gpa == INVALID_GPA) {
        return;
    }

    p = xen_guest_area_map(gpa, len, &mrs);
    if (!p) {
        return;
    }

    if (long_mode) {
        struct vcpu_runstate_info rs = {
            .state = RUNSTATE_running,
            .state_entry_time = now,
            .time[RUNSTATE_running] = now,
        };

        memcpy(p, &rs, len);
    } else {
        struct compat_vcpu_runstate_info rs = {
            .state = RUNSTATE_running,
            .state_entry_time = now,
            .time[RUNSTATE_running] = now,
        };

        memcpy(p, &rs, len);
    }

    xen_guest_area_set_dirty(&mrs, len);
    xen_guest_area_unmap(&mrs);
    trace_xen_emu_update_runstate(cs->cpu_index, gpa, now);
}

static void do_update_runstate(CPUState *cs, run_on_cpu_data data)
{
    if (X86_CPU(cs)->env.xen_vcpu_runstate_gpa != INVALID_GPA) {
        xen_emu_write_runstate(cs);
    }
}

/*
 * Without KVM, write every vCPU's runstate area, in the layout of the
 * guest's mode as it is now: when the mode is latched after the areas
 * were written, and when xen_overlay, which holds the mode, has loaded
 * after the vCPUs.  An area left in the 32-bit layout of a 64-bit guest
 * can show it XEN_RUNSTATE_UPDATE for ever, and Linux spins on that.
 */
void xen_emu_update_runstate_areas(void)
{
    CPUState *cs;

    if (kvm_enabled()) {
        return;
    }
    CPU_FOREACH(cs) {
        async_run_on_cpu(cs, do_update_runstate, RUN_ON_CPU_NULL);
    }
}

/*
 * Without KVM, write the wallclock in shared_info: the time of day at Xen
 * system time 0, from the host's real-time clock, as KVM does. Where it
 * lives depends on the shared_info layout, so this is done when the page
 * is mapped and again when the guest's long mode is latched, as KVM and
 * Xen do.
 */
void xen_emu_write_wallclock(void)
{
    uint8_t *shinfo = xen_overlay_get_shinfo_ptr();
    uint32_t *wc_version, *wc_sec, *wc_nsec, *wc_sec_hi;
    uint64_t wall_ns, sec;
    uint32_t version, nsec;
    bool long_mode;

    /* Serialises the hypercalls that get here from different vCPUs */
    BQL_LOCK_GUARD();

    if (!shinfo) {
        return;
    }

    long_mode = xen_is_long_mode();
    if (long_mode) {
        struct shared_info *s = (struct shared_info *)shinfo;

        wc_version = &s->wc_version;
        wc_sec = &s->wc_sec;
        wc_nsec = &s->wc_nsec;
        wc_sec_hi = &s->xen_wc_sec_hi;
    } else {
        struct compat_shared_info_wc *wc;

        wc = (void *)(shinfo + COMPAT_SHARED_INFO_WC_OFFSET);
        wc_version = &wc->wc_version;
        wc_sec = &wc->wc_sec;
        wc_nsec = &wc->wc_nsec;
        wc_sec_hi = &wc->wc_sec_hi;
    }

    wall_ns = qemu_clock_get_ns(QEMU_CLOCK_HOST) - xen_emu_system_time();
    sec = wall_ns / NANOSECONDS_PER_SECOND;
    nsec = wall_ns % NANOSECONDS_PER_SECOND;

    version = (qatomic_read(wc_version) + 1) | 1;
    qatomic_set(wc_version, version);
    smp_wmb(); /* odd version before the fields, pairs with guest rmb */

    *wc_sec = sec;
    *wc_nsec = nsec;
    *wc_sec_hi = sec >> 32;

    smp_wmb(); /* fields before the even version, pairs with guest rmb */
    qatomic_set(wc_version, version + 1);

    trace_xen_emu_set_wallclock(long_mode, sec, nsec);
}

