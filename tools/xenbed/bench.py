"""`xenbed bench`: figures, not pass/fail (goals are in the issues)."""

import contextlib
import os
import statistics
import threading
import time
from pathlib import Path

from . import guest, kernel, nested, qemu
from .common import XenbedError, log

XEN_VERSION = "0x4000a"


def add_arguments(p):
    p.add_argument("what", choices=["boot", "clock", "net", "evtchn"],
                   help="boot: plain TCG vs Xen HVM under TCG boot time, and "
                   "the cost of a hypercall; clock: drift of a Xen HVM "
                   "guest's clocks against the host's; net: TCP throughput "
                   "both ways through slirp for virtio-net and "
                   "xen-net-device configurations; evtchn: event channel "
                   "round trips at 1k, 10k and 50k bound ports, 2-level and "
                   "FIFO, and QEMU's RSS growth per 10k ports")
    p.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto",
                   help="as for xenbed run: kvm nests KVM under TCG where "
                   "/dev/kvm cannot run a guest (figures then are ratios "
                   "only)")
    p.add_argument("--roundtrips", type=int, default=20000,
                   help="evtchn: round trips per configuration")
    p.add_argument("--kernel", help="as for xenbed run (default 6.12)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--smp", type=int, default=2,
                   help="vCPUs (net: 4 unless given)")
    p.add_argument("--minutes", type=int, default=10,
                   help="clock: how long to measure (default 10)")
    p.add_argument("--flows", type=int, default=4,
                   help="net: parallel TCP flows each way")
    p.add_argument("--mib", type=int, default=64,
                   help="net: MiB per flow each way")
    p.add_argument("--only", metavar="TEXT", action="append",
                   help="net: run only the configurations whose label (as "
                   "printed, e.g. 'two NICs, xen-net full, 4 queues') "
                   "contains TEXT; repeatable.  No ratios are printed then")
    p.add_argument("--qemu", metavar="BINARY",
                   help="measure this qemu-system-x86_64 instead of the "
                   "checkout's (another tree's build, for before/after "
                   "figures with the same harness and guest programs)")


# Event channel modes a Xen HVM guest can run with: (name, -accel options,
# guest command line).  Under KVM, xen-evtchn-fifo=off leaves KVM's
# in-kernel 2-level paths (EVTCHN_SEND, timer VIRQ, SCHEDOP_poll, Xen MSI
# routes) on; with FIFO offered they are off even for a 2-level guest.
EVTCHN_MODES = [
    ("2-level, fifo=off", ",xen-evtchn-fifo=off", ""),
    ("2-level, fifo=on", "", "xen.fifo_events=0"),
    ("FIFO", "", ""),
]


def boot_seconds(kern, accel, runs, smp, modules=(), script="", programs=(),
                 append=""):
    initrd = kernel.build_initramfs(kern, modules, script,
                                    name=f"bench-{kern.label}",
                                    programs=programs)
    times, last = [], None
    for _ in range(runs):
        last = guest.boot(guest.qemu_argv(kern.image, initrd, smp=smp,
                                          accel=accel, append=append),
                          timeout=300)
        times.append(last.seconds_to_init)
    return times, last


def describe(times):
    return (f"median {statistics.median(times):6.2f} s   "
            f"min {min(times):6.2f}   max {max(times):6.2f}")


def bench_boot(args):
    kern = kernel.resolve(args.kernel)
    accel = guest.accelerator(args.accel)
    xen_accel = guest.xen_accel(accel, XEN_VERSION)
    label = nested.accel_label(accel)
    log(f"booting {kern.label} {args.runs} times each, {args.smp} vCPUs, "
        f"{label}")
    plain, _ = boot_seconds(kern, accel, args.runs, args.smp)
    modes = [(name, boot_seconds(kern, xen_accel + options, args.runs,
                                 args.smp, append=append)[0])
             for name, options, append in EVTCHN_MODES]
    xen = dict(modes)["FIFO"]
    _, hcall = boot_seconds(kern, xen_accel, 1, args.smp,
                            modules=["xen_privcmd unrestricted=1"],
                            script="hcall 20000\n", programs=["hcall"])
    ratio = statistics.median(xen) / statistics.median(plain)
    print()
    print(f"xenbed bench boot: {kern.label}, {label}, "
          f"{args.smp} vCPUs, {args.runs} boots each, QEMU start to init")
    print(f"  plain {accel:<13} {describe(plain)}")
    for name, times in modes:
        print(f"  Xen {name:<17} {describe(times)}  "
              f"{statistics.median(times) / statistics.median(plain):.2f}x "
              "plain")
    print(f"  ratio Xen/plain     {ratio:.2f}x (FIFO; goal <= 1.2x)")
    print(f"  hypercall           {hcall.result('hypercall-ns')} ns mean, "
          "xen_version(XENVER_version) through /dev/xen/privcmd, "
          "20000 calls")
    return 0


def bench_clock(args):
    """The guest reads its clocks once a minute; the host notes when it
    sees each reading.  Drift: guest elapsed minus host elapsed."""
    kern = kernel.resolve(args.kernel)
    accel = guest.xen_accel(guest.accelerator(args.accel), XEN_VERSION)
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


# name, -device value (None: virtio-net-pci on plain TCG), guest modules
NET_CONFIGS = [
    ("virtio-net-pci", None, ["virtio_pci", "virtio_net"]),
    ("xen-net upstream-like", "max-queues=1,split-event-channels=off,"
     "sg=off,gso-tcpv4=off,gso-tcpv6=off,ipv6-csum-offload=off,"
     "rx-coalesce=off",
     ["xen_netfront"]),
    ("xen-net full, 1 queue", "max-queues=1", ["xen_netfront"]),
    ("xen-net full, 4 queues", "max-queues=4", ["xen_netfront"]),
]


def slirp_script(flows, sha):
    """Host->guest: `flows` parallel downloads from the host through slirp;
    guest->host: as many uploads of the same blob, each checked against
    its sha256.  tcpbench does what iperf would (large reads, sendfile), so
    the figures are the network path's."""
    return (guest.NET_SETUP + guest.script("spread-queue-irqs.sh") +
            guest.script("run-flows.sh", flows=flows) +
            guest.script("bench-slirp.sh", addr=guest.BLOB_GUEST_ADDR,
                         port=guest.BLOB_GUEST_PORT, sha=sha))


def wire_script(flows, mib):
    """Two NICs of the guest on one QEMU hub, the second in a network
    namespace of its own with a tcpbench server, so that traffic between
    them goes through both devices and the hub."""
    return (guest.script("spread-queue-irqs.sh") +
            guest.script("run-flows.sh", flows=flows) +
            guest.TWO_NICS_SETUP + guest.script("bench-wire.sh", mib=mib))


def bench_net_one(kern, accel, device, modules, args, smp, wire):
    """MB/s (in, out) for one configuration: through slirp (in is host to
    guest), or between two NICs on a hub (in is NIC 2 to NIC 1)."""
    size = args.mib << 20
    xen = device is not None

    def nic(netdev):
        return (f"xen-net-device,netdev={netdev},{device}" if xen else
                guest.nic_device("virtio-net-pci", netdev))

    with contextlib.ExitStack() as stack:
        if wire:
            script = wire_script(args.flows, args.mib)
            devices = [("-netdev", "hubport,id=net0,hubid=0"),
                       ("-netdev", "hubport,id=net1,hubid=0"),
                       ("-device", nic("net0")), ("-device", nic("net1"))]
        else:
            sha, devices = stack.enter_context(
                guest.cgi_network(size, nic("net0")))
            script = slirp_script(args.flows, sha)
        initrd = kernel.build_initramfs(kern, modules, script,
                                        name=f"bench-net-{kern.label}",
                                        programs=["tcpbench"])
        res = guest.boot(guest.qemu_argv(
            kern.image, initrd, smp=smp, memory="1G", devices=devices,
            accel=guest.xen_accel(accel, XEN_VERSION) if xen else accel),
            timeout=900)
    if res.exit_code != 0 or "failed" in res.results or "error" in \
            res.results:
        raise XenbedError("bench net: a transfer failed:\n" +
                          "\n".join(res.console[-20:]))
    return tuple(args.flows * size / 1e6 /
                 (res.marks[f"{way}-end"] - res.marks[f"{way}-start"])
                 for way in ("in", "out"))


def print_net_table(title, columns, rows):
    print()
    print(title)
    if [row[0] for row in rows] != [c[0] for c in NET_CONFIGS]:
        # --only: no baselines to compare with
        for name, rate_in, rate_out in rows:
            print(f"  {name:<24} {columns[0]} {rate_in:.1f}, "
                  f"{columns[1]} {rate_out:.1f}")
        return
    base_in, base_out = rows[0][1], rows[0][2]
    up_in, up_out = rows[1][1], rows[1][2]
    print(f"  {'configuration':<24} {columns[0]:>12} {columns[1]:>12}"
          f"   {'vs virtio':>15}   {'vs upstream-like':>16}")
    for name, rate_in, rate_out in rows:
        print(f"  {name:<24} {rate_in:>12.1f} {rate_out:>12.1f}   "
              f"{rate_in / base_in:>6.2f}x {rate_out / base_out:>6.2f}x   "
              f"{rate_in / up_in:>7.2f}x {rate_out / up_out:>6.2f}x")


def net_runs(only):
    """(wire, label, NET_CONFIGS entry) of each run bench net makes: every
    configuration through slirp, then between two NICs; with `only`, those
    whose label contains one of its texts."""
    runs = [(wire, f"{'two NICs' if wire else 'slirp'}, {config[0]}", config)
            for wire in (False, True) for config in NET_CONFIGS]
    chosen = [run for run in runs
              if not only or any(text in run[1] for text in only)]
    if not chosen:
        raise XenbedError(f"bench net --only {' --only '.join(only)}: no "
                          "configuration has that in its label: "
                          f"{'; '.join(run[1] for run in runs)}")
    return chosen


def bench_net(args):
    runs = net_runs(args.only)
    kern = kernel.resolve(args.kernel)
    accel = guest.accelerator(args.accel)
    smp = args.smp if args.smp != 2 else 4
    log(f"TCP, {kern.label}, {accel}, {smp} vCPUs, {args.flows} flows of "
        f"{args.mib} MiB each way: through slirp, then between two NICs")
    tables = {False: [], True: []}
    for wire, label, (name, device, modules) in runs:
        rate_in, rate_out = bench_net_one(kern, accel, device, modules,
                                          args, smp, wire)
        log(f"{label}: {rate_in:.1f} / {rate_out:.1f} MB/s")
        tables[wire].append((name, rate_in, rate_out))
    head = (f"{kern.label}, {accel.upper()}, {smp} vCPUs, {args.flows} "
            f"parallel TCP flows each way, {args.mib} MiB each, MB/s")
    if tables[False]:
        print_net_table(f"xenbed bench net through slirp (127.0.0.1): {head}",
                        ("host->guest", "guest->host"), tables[False])
    if tables[True]:
        print_net_table("xenbed bench net between two NICs of the guest on "
                        f"one QEMU hub: {head}", ("NIC2->NIC1", "NIC1->NIC2"),
                        tables[True])
    print("  goals: full features >= 1.0x virtio-net and >= 2x upstream-like")
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


def evtchn_run(kern, accel, pairs, roundtrips, append="", options=""):
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
            timeout=1800,
            accel=guest.xen_accel(accel, XEN_VERSION) + options)
    finally:
        stop.set()
        sampler.join()
    return res, peak[0]


def bench_evtchn(args):
    kern = kernel.resolve(args.kernel)
    accel = guest.accelerator(args.accel)
    label = nested.accel_label(accel)
    runs = [(name, 500, append, options)
            for name, options, append in EVTCHN_MODES] + \
        [("FIFO", 5000, "", ""), ("FIFO", 25000, "", "")]
    log(f"{kern.label}, {label}: {args.roundtrips} round trips per "
        "configuration")
    rows = []
    for abi, pairs, append, options in runs:
        res, rss = evtchn_run(kern, accel, pairs, args.roundtrips, append,
                              options)
        rows.append((abi, pairs * 2, res, rss))
    print()
    print(f"xenbed bench evtchn: {kern.label}, {label}, loopback "
          "pairs through /dev/xen/evtchn, ping-pong round trips")
    rate = {}
    print("  (round trips/s over the same 500 pairs whatever is bound; "
          "'all': cycling over every bound pair)")
    for abi, ports, res, rss in rows:
        bound = res.result("evtchn-bound-ports")
        rts = res.result("evtchn-roundtrips-per-s")
        rts_all = res.result("evtchn-roundtrips-all-per-s")
        rate[(abi, ports)] = float(rts or 0)
        print(f"  {abi:<17} {ports:>6} ports  bound {bound:>6}  "
              f"{rts or 'n/a':>6} round trips/s  all {rts_all or 'n/a':>6}  "
              f"lost {res.result('evtchn-lost')}  "
              f"QEMU peak RSS {rss // 1024} MiB")
    print("  2-level 10000 / 50000 ports: do not fit (4096-port limit)")
    fifo = rate[("FIFO", 1000)]
    for name, _, _ in EVTCHN_MODES[:2]:
        if rate[(name, 1000)]:
            print(f"  FIFO / {name:<17} {fifo / rate[(name, 1000)]:.2f}x "
                  "at 1k ports (goal >= 0.9x)")
    if fifo:
        print(f"  FIFO 50k/1k ports         "
              f"{rate[('FIFO', 50000)] / fifo:.2f}x (goal >= 0.8x)")
    growth = (rows[4][3] - rows[2][3]) / 4.9
    print(f"  QEMU RSS growth           {growth / 1024:.1f} MiB per 10k "
          "ports (peak RSS, FIFO 50k vs 1k; includes the guest's own "
          "memory use)")
    return 0


def use_qemu(args):
    """--qemu: check the binary before anything is built or booted, and
    pass it on as an absolute path (a KVM host VM runs the command again
    from the checkout, seeing the host's files but its own /tmp)."""
    binary = Path(args.qemu).resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        where = " in the KVM host VM" if nested.inside() else ""
        raise XenbedError(f"--qemu {args.qemu}: not an executable "
                          f"file{where}")
    args.qemu = str(binary)
    argv, skip = [], False
    for arg in args.argv:
        if skip:
            skip = False
        elif arg == "--qemu":
            skip = True
        elif not arg.startswith("--qemu="):
            argv.append(arg)
    args.argv = argv + [f"--qemu={binary}"]
    qemu.BINARY = binary


def main(args):
    # cli.cmd_bench applied --qemu, here and in a KVM host VM alike
    log(f"QEMU: {qemu.BINARY}")
    return {"boot": bench_boot, "clock": bench_clock, "net": bench_net,
            "evtchn": bench_evtchn}[args.what](args)
