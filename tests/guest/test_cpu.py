"""What test kernels probe of the CPU, checked with bare guests: flat
multiboot images from tests/guest/bare/, which need no kernel and report
on COM1, then leave QEMU through isa-debug-exit."""

import subprocess

import pytest

from xenbed import qemu
from xenbed.common import BUILD, REPO

BARE = REPO / "tests" / "guest" / "bare"
# QEMU's exit status when a bare guest writes 0x10 to isa-debug-exit (the
# test ran to its end; crwrite: through its #GP handler).
EXIT_0X10 = (0x10 << 1) | 1


def bare_image(source, name, defsyms=()):
    """Assemble and link source at 1 MiB as a flat image (binutils only);
    rebuilt when the source or bare.inc is newer."""
    out = BUILD / "bare" / f"{name}.bin"
    newest = max(f.stat().st_mtime for f in [source, BARE / "bare.inc"])
    if out.exists() and out.stat().st_mtime >= newest:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    obj, elf = out.with_suffix(".o"), out.with_suffix(".elf")
    syms = [arg for sym in defsyms for arg in ("--defsym", f"{sym}=1")]
    for cmd in (["as", "--64", "-I", BARE, *syms, "-o", obj, source],
                ["ld", "-m", "elf_x86_64", "-Ttext=0x100000", "-o", elf, obj],
                ["objcopy", "-O", "binary", elf, out]):
        subprocess.run([str(c) for c in cmd], check=True)
    return out


def run_bare(image, accel, timeout=30):
    argv = [str(qemu.BINARY), *qemu.firmware_args(), "-M", "pc", "-accel",
            accel, "-cpu", "qemu64", "-m", "128M", "-nodefaults",
            "-display", "none", "-serial", "stdio", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
            "-kernel", str(image)]
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if e.stdout else ""
        pytest.fail(f"the guest hung ({timeout} s); it printed:\n{out}")
    return proc.returncode, proc.stdout


@pytest.mark.parametrize("xen", ["plain", "xen-4.10"])
@pytest.mark.parametrize("mode", ["cr4-vmxe-32bit", "cr3-bit45-long"])
def test_reserved_control_register_bits_raise_gp(qemu_binary, mode, xen):
    """A MOV to CR4 setting VMXE on a CPU without VMX (32-bit protected
    mode), and a MOV to CR3 with bit 45 set, above the physical address
    width (long mode), raise #GP(0) under TCG, as on hardware and Xen
    (qemu-patches/0061).  They took an SVM #VMEXIT even outside SVM guest
    mode, and the vCPU hung."""
    image = bare_image(BARE / "crwrite.S", mode,
                       ["LONG"] if mode.endswith("long") else [])
    accel = "tcg" + (",xen-version=0x4000a" if xen != "plain" else "")
    rc, out = run_bare(image, accel)
    assert "XENBED-CR start" in out, out
    assert "XENBED-CR gp 00000000" in out, out
    assert rc == EXIT_0X10, (rc, out)


def apic_values(out):
    """The hex values of each "XENBED-APIC" line, by name."""
    values = {}
    for line in out.splitlines():
        if line.startswith("XENBED-APIC "):
            words = line.split()[1:]
            values.update((k, int(v, 16)) for k, v in zip(words[::2],
                                                        words[1::2]))
    return values


@pytest.mark.parametrize("xen", ["plain", "xen-4.10"])
def test_apic_refuses_vectors_below_16(qemu_binary, xen):
    """A self-IPI of vector 5 and a one-shot APIC timer of vector 6
    (tests/guest/bare/apic.S): neither reaches IRR, the IPI sets ESR's
    Send Illegal Vector and the timer Receive Illegal Vector, each seen
    once the guest writes ESR, and the error raises the LVT error
    interrupt, as on hardware and Xen's vLAPIC (qemu-patches/0062).  The
    emulated APIC took both into IRR and kept ESR at 0."""
    accel = "tcg" + (",xen-version=0x4000a" if xen != "plain" else "")
    rc, out = run_bare(bare_image(BARE / "apic.S", "apic"), accel)
    got = apic_values(out)
    assert rc == EXIT_0X10, (rc, out)
    assert got["esr-before"] == 0, out
    assert got["esr-self-ipi"] & 0x20, out            # Send Illegal Vector
    # The timer's receive error raised the unmasked LVT error interrupt
    assert got["error-irq"] == 1, out
    assert got["esr-timer"] & 0x40, out               # Receive Illegal Vector
    # IRR is read last after the timer: it would hold both vectors.
    assert got["irr0"] & 0xffff == 0, out
