"""`xenbed bench`: figures, not pass/fail (goals are in the issues)."""

import os
import statistics
import threading
from pathlib import Path

from . import guest, kernel
from .common import log

XEN_VERSION = "0x4000a"


def add_arguments(p):
    p.add_argument("what", choices=["boot", "evtchn"],
                   help="boot: plain TCG vs Xen HVM under TCG boot time, and "
                   "the cost of a hypercall; evtchn: event channel round "
                   "trips at 1k, 10k and 50k bound ports, 2-level and FIFO, "
                   "and QEMU's RSS growth per 10k ports")
    p.add_argument("--roundtrips", type=int, default=20000,
                   help="evtchn: round trips per configuration")
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


def _child_rss_kib():
    """Largest VmRSS among this process's children (the QEMU we run)."""
    best = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != os.getpid():
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    best = max(best, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            continue
    return best


def evtchn_run(kern, accel, pairs, roundtrips, append=""):
    """Boot a guest that binds `pairs` loopback pairs and times ping-pong
    round trips; returns (GuestResult, peak QEMU RSS in KiB)."""
    peak, stop = [0], threading.Event()

    def sample():
        while not stop.wait(0.2):
            peak[0] = max(peak[0], _child_rss_kib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        res, _ = guest.boot_with_blob(
            kern, lambda url: f"evtchn_scale {pairs} {roundtrips}\n",
            name="bench-evtchn", nic="xen-net-device",
            modules=guest.NIC_MODULES["xen-net-device"] + ["xen-evtchn"],
            programs=["evtchn_scale"], append=append, memory="1G",
            timeout=1800, accel=guest.xen_accel(accel, XEN_VERSION))
    finally:
        stop.set()
        sampler.join()
    return res, peak[0]


def bench_evtchn(args):
    kern = kernel.resolve(args.kernel)
    accel = guest.accelerator("auto")
    runs = [("2-level", 500, "xen.fifo_events=0"), ("FIFO", 500, ""),
            ("FIFO", 5000, ""), ("FIFO", 25000, "")]
    log(f"{kern.label}, {accel}: {args.roundtrips} round trips per "
        "configuration")
    rows = []
    for abi, pairs, append in runs:
        res, rss = evtchn_run(kern, accel, pairs, args.roundtrips, append)
        rows.append((abi, pairs * 2, res, rss))
    print()
    print(f"xenbed bench evtchn: {kern.label}, {accel.upper()}, loopback "
          "pairs through /dev/xen/evtchn, ping-pong round trips")
    rate = {}
    print("  (round trips/s over the same 500 pairs whatever is bound; "
          "'all': cycling over every bound pair)")
    for abi, ports, res, rss in rows:
        bound = res.result("evtchn-bound-ports")
        rts = res.result("evtchn-roundtrips-per-s")
        rts_all = res.result("evtchn-roundtrips-all-per-s")
        rate[(abi, ports)] = float(rts or 0)
        print(f"  {abi:<8} {ports:>6} ports  bound {bound:>6}  "
              f"{rts or 'n/a':>6} round trips/s  all {rts_all or 'n/a':>6}  "
              f"lost {res.result('evtchn-lost')}  "
              f"QEMU peak RSS {rss // 1024} MiB")
    print("  2-level  10000 / 50000 ports: do not fit (4096-port limit)")
    if rate[("2-level", 1000)]:
        print(f"  FIFO/2-level at 1k ports  "
              f"{rate[('FIFO', 1000)] / rate[('2-level', 1000)]:.2f}x "
              "(goal >= 0.9x)")
    if rate[("FIFO", 1000)]:
        print(f"  FIFO 50k/1k ports         "
              f"{rate[('FIFO', 50000)] / rate[('FIFO', 1000)]:.2f}x "
              "(goal >= 0.8x)")
    growth = (rows[3][3] - rows[1][3]) / 4.9
    print(f"  QEMU RSS growth           {growth / 1024:.1f} MiB per 10k "
          "ports (peak RSS, FIFO 50k vs 1k; includes the guest's own "
          "memory use)")
    return 0


def main(args):
    return {"boot": bench_boot, "evtchn": bench_evtchn}[args.what](args)
