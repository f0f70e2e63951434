/*
 * crwrite: a bare guest that writes a reserved bit into a control
 * register and reports whether the CPU raised #GP(0), as hardware and Xen
 * do.  Assembled twice (tests/guest/test_cpu.py):
 *   32-bit protected mode: MOV to CR4 setting VMXE, which a CPU without
 *     VMX (TCG) does not have;
 *   --defsym LONG=1: long mode, MOV to CR3 setting bit 45, above the
 *     physical address width.
 * It prints "XENBED-CR gp <error code>" from its #GP handler or
 * "XENBED-CR no-gp", then exits QEMU with 0x10 (#GP) or 0x20.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
        .include "bare.inc"

        .set CR4_VMXE, 1 << 13
        .set CR4_PAE, 1 << 5
        .set MSR_EFER, 0xc0000080
        .set EFER_LME, 1 << 8
        .set CR0_PG, 1 << 31

main:
        mov $msg_start, %esi
        call puts32
.ifndef LONG
        /* IDT entry 13 -> gp32: a 32-bit interrupt gate */
        mov $gp32, %eax
        mov %ax, idt + 13 * 8
        movw $0x08, idt + 13 * 8 + 2
        movw $0x8e00, idt + 13 * 8 + 4
        shr $16, %eax
        mov %ax, idt + 13 * 8 + 6
        lidt idt32_desc
        mov %cr4, %eax
        or $CR4_VMXE, %eax
        mov %eax, %cr4
        jmp no_gp

gp32:
        mov $msg_gp, %esi
        call puts32
        pop %eax                        /* the error code */
        call puthex32
        mov $msg_nl, %esi
        call puts32
        mov $0x10, %al
        jmp exit32
.else
        /* Identity-map the first GiB with 2 MiB pages; enter long mode */
        mov $pdpt, %eax
        or $3, %eax
        mov %eax, pml4
        mov $pd, %eax
        or $3, %eax
        mov %eax, pdpt
        xor %ecx, %ecx
6:      mov %ecx, %eax
        shl $21, %eax
        or $0x83, %eax
        mov %eax, pd(, %ecx, 8)
        inc %ecx
        cmp $512, %ecx
        jne 6b
        mov $pml4, %eax
        mov %eax, %cr3
        mov %cr4, %eax
        or $CR4_PAE, %eax
        mov %eax, %cr4
        mov $MSR_EFER, %ecx
        rdmsr
        or $EFER_LME, %eax
        wrmsr
        mov %cr0, %eax
        or $CR0_PG, %eax
        mov %eax, %cr0
        ljmp $0x18, $long64

        .code64
long64:
        /* IDT entry 13 -> gp64: a 64-bit interrupt gate */
        mov $gp64, %rax
        mov %ax, idt + 13 * 16
        movw $0x18, idt + 13 * 16 + 2
        movw $0x8e00, idt + 13 * 16 + 4
        shr $16, %rax
        mov %ax, idt + 13 * 16 + 6
        shr $16, %rax
        mov %eax, idt + 13 * 16 + 8
        lidt idt64_desc
        mov %cr3, %rax
        bts $45, %rax
        mov %rax, %cr3
        jmp no_gp

gp64:
        pop %rax                        /* the error code */
        mov %eax, %edi
        mov $msg_gp, %esi
        call puts32
        mov %edi, %eax
        call puthex32
        mov $msg_nl, %esi
        call puts32
        mov $0x10, %al
        jmp exit32
        .code32
.endif

/* Reached in either mode: the code below assembles the same in both */
no_gp:
        mov $msg_nogp, %esi
        call puts32
        mov $0x20, %al
        jmp exit32

        .data
idt32_desc:
        .word 256 * 8 - 1
        .long idt
        .align 8
idt64_desc:
        .word 256 * 16 - 1
        .quad idt
msg_start:
        .asciz "XENBED-CR start\n"
msg_gp:
        .asciz "XENBED-CR gp "
msg_nogp:
        .asciz "XENBED-CR no-gp\n"
msg_nl:
        .asciz "\n"

        .bss
        .align 4096
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4096
idt:    .skip 256 * 16
