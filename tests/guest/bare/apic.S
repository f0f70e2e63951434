/*
 * apic: a bare guest that gives its local APIC (xAPIC, MMIO) vectors
 * below 16, which the APIC must refuse and report in ESR, as hardware and
 * Xen's vLAPIC do: a self-IPI of vector 5 (a send error, and a receive
 * error at the same APIC), and a one-shot timer of vector 6 (a receive
 * error).  ESR shows errors only once the guest has written it; neither
 * vector may reach IRR.  Prints, in hex:
 *   XENBED-APIC esr-before <ESR after a first write>
 *   XENBED-APIC esr-self-ipi <ESR> irr0 <IRR bits 0-31>
 *   XENBED-APIC error-irq <1 if the LVT error vector 0xfe is in IRR>
 *   XENBED-APIC esr-timer <ESR> irr0 <IRR bits 0-31>
 * then exits QEMU with 0x10.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
        .include "bare.inc"

        .set APIC, 0xfee00000
        .set APIC_IRR0, APIC + 0x200
        .set APIC_IRR7, APIC + 0x270
        .set APIC_ESR, APIC + 0x280
        .set APIC_ICR_LOW, APIC + 0x300
        .set APIC_ICR_HIGH, APIC + 0x310
        .set APIC_LVT_TIMER, APIC + 0x320
        .set APIC_LVT_ERROR, APIC + 0x370
        .set APIC_TIMER_INIT, APIC + 0x380
        .set APIC_TIMER_CUR, APIC + 0x390
        .set APIC_TIMER_DIV, APIC + 0x3e0
        .set APIC_SVR, APIC + 0x0f0
        .set LVT_MASKED, 1 << 16
        .set ICR_SELF, 1 << 18

main:
        movl $0x1ff, APIC_SVR           /* enabled, spurious vector 0xff */
        movl $LVT_MASKED | 0xfe, APIC_LVT_ERROR
        movl $0, APIC_ESR
        mov $msg_before, %esi
        call puts32
        mov APIC_ESR, %eax
        call puthex32

        /* A self-IPI of vector 5 */
        movl $0, APIC_ICR_HIGH
        movl $ICR_SELF | 5, APIC_ICR_LOW
        movl $0, APIC_ESR
        mov $msg_ipi, %esi
        call puts32
        mov APIC_ESR, %eax
        call puthex32
        mov $msg_irr, %esi
        call puts32
        mov APIC_IRR0, %eax
        call puthex32

        /*
         * A one-shot timer of vector 6, divide by 1, 1000 ticks.  Its
         * expiry is handled outside the vCPU, a little after the count
         * reads 0: the LVT error entry, now unmasked with vector 0xfe,
         * tells when (interrupts stay off, so 0xfe waits in IRR).
         */
        movl $0xfe, APIC_LVT_ERROR
        movl $0xb, APIC_TIMER_DIV
        movl $6, APIC_LVT_TIMER
        movl $1000, APIC_TIMER_INIT
        mov $200000000, %ecx            /* seconds under TCG: then give up */
1:      testl $1 << 30, APIC_IRR7       /* vector 0xfe */
        jnz 2f
        loop 1b
2:      mov $msg_error_irq, %esi
        call puts32
        mov APIC_IRR7, %eax
        shr $30, %eax
        and $1, %eax
        call puthex32
        movl $0, APIC_ESR
        mov $msg_timer, %esi
        call puts32
        mov APIC_ESR, %eax
        call puthex32
        mov $msg_irr, %esi
        call puts32
        mov APIC_IRR0, %eax
        call puthex32
        mov $msg_nl, %esi
        call puts32
        mov $0x10, %al
        jmp exit32

        .data
msg_before:
        .asciz "XENBED-APIC esr-before "
msg_ipi:
        .asciz "\nXENBED-APIC esr-self-ipi "
msg_error_irq:
        .asciz "\nXENBED-APIC error-irq "
msg_timer:
        .asciz "\nXENBED-APIC esr-timer "
msg_irr:
        .asciz " irr0 "
msg_nl:
        .asciz "\n"
