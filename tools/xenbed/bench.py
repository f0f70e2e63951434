"""`xenbed bench`: figures, not pass/fail (goals are in the issues)."""

import statistics

from . import guest, kernel
from .common import log

XEN_VERSION = "0x4000a"


def add_arguments(p):
    p.add_argument("what", choices=["boot"], help="boot: plain TCG vs Xen "
                   "HVM under TCG boot time, and the cost of a hypercall")
    p.add_argument("--kernel", help="as for xenbed run (default 6.12)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--smp", type=int, default=2)


def boot_seconds(kern, accel, runs, smp, modules=(), script="", programs=()):
    initrd = kernel.build_initramfs(kern, modules, script,
                                    name=f"bench-{kern.label}",
                                    programs=programs)
    times, last = [], None
    for _ in range(runs):
        last = guest.boot(guest.qemu_argv(kern.image, initrd, smp=smp,
                                          accel=accel), timeout=300)
        times.append(last.seconds_to_init)
    return times, last


def describe(times):
    return (f"median {statistics.median(times):6.2f} s   "
            f"min {min(times):6.2f}   max {max(times):6.2f}")


def bench_boot(args):
    kern = kernel.resolve(args.kernel)
    accel = guest.accelerator("auto")
    xen_accel = guest.xen_accel(accel, XEN_VERSION)
    log(f"booting {kern.label} {args.runs} times each, {args.smp} vCPUs, "
        f"{accel}")
    plain, _ = boot_seconds(kern, accel, args.runs, args.smp)
    xen, _ = boot_seconds(kern, xen_accel, args.runs, args.smp)
    _, hcall = boot_seconds(kern, xen_accel, 1, args.smp,
                            modules=["xen_privcmd unrestricted=1"],
                            script="hcall 20000\n", programs=["hcall"])
    ratio = statistics.median(xen) / statistics.median(plain)
    print()
    print(f"xenbed bench boot: {kern.label}, {accel.upper()}, "
          f"{args.smp} vCPUs, {args.runs} boots each, QEMU start to init")
    print(f"  plain {accel:<13} {describe(plain)}")
    print(f"  Xen HVM {XEN_VERSION:<11} {describe(xen)}")
    print(f"  ratio Xen/plain     {ratio:.2f}x (goal <= 1.2x)")
    print(f"  hypercall           {hcall.result('hypercall-ns')} ns mean, "
          "xen_version(XENVER_version) through /dev/xen/privcmd, "
          "20000 calls")
    return 0


def main(args):
    return {"boot": bench_boot}[args.what](args)
