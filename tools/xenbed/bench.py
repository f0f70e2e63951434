"""`xenbed bench`: figures, not pass/fail (goals are in the issues)."""

import os
import statistics
import threading
import time
from pathlib import Path

from . import guest, kernel
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


# Xen binds every event channel to vCPU 0; a guest runs irqbalance to move
# them (virtio-net sets its queues' affinity itself).  Queue N's lines go to
# vCPU N, so that several queues can use several vCPUs.
SPREAD_QUEUE_IRQS = r"""
awk '$NF ~ /^vif[0-9]+-q[0-9]+-(tx|rx)$/ {
    q = $NF; sub(/^vif[0-9]+-q/, "", q); sub(/-.*/, "", q)
    print substr($1, 1, length($1) - 1), q }' /proc/interrupts |
while read irq q; do
    echo $((q % $(nproc))) > /proc/irq/$irq/smp_affinity_list
done
"""


def net_script(flows):
    """Host->guest: `flows` parallel downloads; guest->host: as many
    uploads of the blob without its NUL bytes (busybox wget posts a file
    as a C string).  XENBED-MARK lines time them on the host."""
    url = f"http://{guest.BLOB_GUEST_ADDR}:{guest.BLOB_GUEST_PORT}"
    return guest.NET_SETUP + SPREAD_QUEUE_IRQS + f"""
wget -q -O /tmp/blob {url}/blob
tr '\\000' 1 < /tmp/blob > /tmp/up
echo "XENBED-RESULT up-bytes $(wc -c < /tmp/up)"
rm /tmp/blob
run() {{
    i=0; pids=""
    while [ $i -lt {flows} ]; do
        "$@" & pids="$pids $!"; i=$((i + 1))
    done
    for p in $pids; do wait $p || echo "XENBED-RESULT failed $*"; done
}}
echo "XENBED-MARK rx-start"
run wget -q -O /dev/null {url}/blob
echo "XENBED-MARK rx-end"
echo "XENBED-MARK tx-start"
run wget -q -O /dev/null --post-file /tmp/up {url}/upload
echo "XENBED-MARK tx-end"
"""


def bench_net_one(kern, accel, device, modules, args, smp):
    size = args.mib << 20
    xen = device is not None
    nic = (f"xen-net-device,netdev=net0,{device}" if xen else
           guest.nic_device("virtio-net-pci"))
    with guest.cgi_network(size, nic) as (_, devices):
        initrd = kernel.build_initramfs(kern, modules, net_script(args.flows),
                                        name=f"bench-net-{kern.label}")
        res = guest.boot(guest.qemu_argv(
            kern.image, initrd, smp=smp, memory="1G", devices=devices,
            accel=guest.xen_accel(accel, XEN_VERSION) if xen else accel),
            timeout=900)
    if res.exit_code != 0 or "failed" in res.results:
        raise XenbedError("bench net: a transfer failed:\n" +
                          "\n".join(res.console[-20:]))
    rx = args.flows * size / (res.marks["rx-end"] - res.marks["rx-start"])
    tx = (args.flows * int(res.result("up-bytes")) /
          (res.marks["tx-end"] - res.marks["tx-start"]))
    return rx / 1e6, tx / 1e6


def bench_net(args):
    kern = kernel.resolve(args.kernel)
    accel = guest.accelerator("auto")
    smp = args.smp if args.smp != 2 else 4
    log(f"TCP through slirp, {kern.label}, {accel}, {smp} vCPUs, "
        f"{args.flows} flows of {args.mib} MiB each way")
    rows = []
    for name, device, modules in NET_CONFIGS:
        rx, tx = bench_net_one(kern, accel, device, modules, args, smp)
        log(f"{name}: host->guest {rx:.1f} MB/s, guest->host {tx:.1f} MB/s")
        rows.append((name, rx, tx))
    base_rx, base_tx = rows[0][1], rows[0][2]
    up_rx, up_tx = rows[1][1], rows[1][2]
    print()
    print(f"xenbed bench net: {kern.label}, {accel.upper()}, {smp} vCPUs, "
          f"{args.flows} parallel TCP flows each way through slirp "
          "(127.0.0.1), MB/s")
    print(f"  {'configuration':<24} {'host->guest':>11} {'guest->host':>11}"
          f"   {'vs virtio':>15}   {'vs upstream-like':>16}")
    for name, rx, tx in rows:
        print(f"  {name:<24} {rx:>11.1f} {tx:>11.1f}   "
              f"{rx / base_rx:>6.2f}x {tx / base_tx:>6.2f}x   "
              f"{rx / up_rx:>7.2f}x {tx / up_tx:>6.2f}x")
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
    return {"boot": bench_boot, "clock": bench_clock, "net": bench_net,
            "evtchn": bench_evtchn}[args.what](args)
