"""`xenbed bench`: figures, not pass/fail (goals are in the issues)."""

import statistics
import time

from . import guest, kernel
from .common import log

XEN_VERSION = "0x4000a"


def add_arguments(p):
    p.add_argument("what", choices=["boot", "clock"], help="boot: plain TCG "
                   "vs Xen HVM under TCG boot time, and the cost of a "
                   "hypercall; clock: drift of a Xen HVM guest's clocks "
                   "against the host's")
    p.add_argument("--kernel", help="as for xenbed run (default 6.12)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--minutes", type=int, default=10,
                   help="clock: how long to measure (default 10)")


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


def bench_clock(args):
    """The guest reads its clocks once a minute; the host notes when it
    sees each reading.  Drift: guest elapsed minus host elapsed."""
    kern = kernel.resolve(args.kernel)
    accel = guest.xen_accel(guest.accelerator("auto"), XEN_VERSION)
    tags = [str(m) for m in range(args.minutes + 1)]
    script = "".join(("sleep 60\n" if m else "") + f"clocks {m}\n"
                     for m in range(args.minutes + 1)) + guest.GUEST_FACTS
    initrd = kernel.build_initramfs(kern, [], script, name=f"bench-clock-"
                                    f"{kern.label}", programs=["clocks"])
    log(f"measuring {kern.label} clocks for {args.minutes} minutes, {accel}")
    res = guest.boot(guest.qemu_argv(kern.image, initrd, smp=args.smp,
                                     accel=accel),
                     timeout=args.minutes * 60 + 300)
    # Host real time of a mark, from its monotonic time.
    real_offset = time.time() - time.monotonic()
    first = tags[0]
    print()
    print(f"xenbed bench clock: {kern.label}, {accel}, {args.smp} vCPUs, "
          f"clocksource {res.result('clocksource')}")
    print("  minute  host elapsed s  guest monotonic drift ms  "
          "guest real - host real ms")
    for tag in tags:
        host = res.marks[f"clock-{tag}"] - res.marks[f"clock-{first}"]
        mono = (float(res.result(f"mono-{tag}")) -
                float(res.result(f"mono-{first}")))
        wall = (float(res.result(f"real-{tag}")) -
                (res.marks[f"clock-{tag}"] + real_offset))
        print(f"  {tag:>6}  {host:14.3f}  {1000 * (mono - host):24.1f}  "
              f"{1000 * wall:25.1f}")
    drift = 1000 * (mono - host)
    print(f"  drift {drift:+.1f} ms over {host / 60:.1f} min "
          f"({1e6 * (mono - host) / host:+.1f} ppm; goal: within 1000 ms "
          "per 10 min)")
    return 0


def main(args):
    return {"boot": bench_boot, "clock": bench_clock}[args.what](args)
