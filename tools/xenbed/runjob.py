"""`xenbed run`: boot a kernel under the built QEMU and report."""

import subprocess
from pathlib import Path

from . import guest, kernel, nested
from .common import XenbedError

# What netfront writes in its xenstore directory once it has negotiated.
NETFRONT_KEYS = ["multi-queue-num-queues", "event-channel",
                 "event-channel-tx", "request-rx-copy", "feature-rx-notify",
                 "feature-sg", "feature-gso-tcpv4", "feature-gso-tcpv6",
                 "feature-ipv6-csum-offload"]
NETFRONT_SCRIPT = "".join(
    f"xs device/vif/0/{key} 2>/dev/null | sed 's|^device/vif/0/|"
    "XENBED-RESULT vif:|; s/=/ /' || true\n" for key in NETFRONT_KEYS)


def add_arguments(p):
    p.add_argument("--kernel", help="a linux-image .deb, a bzImage, or a "
                   "pinned version: 6.1 or 6.12 (default)")
    p.add_argument("--initrd", help="your own initramfs (its init runs "
                   "instead of xenbed's; no report is parsed)")
    p.add_argument("--append", default="", help="extra kernel command line")
    p.add_argument("--modules-dir", help="lib/modules/<release> for a "
                   "bzImage given with --kernel")
    p.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto",
                   help="auto: KVM when /dev/kvm is usable, else TCG")
    p.add_argument("--xen-version", default="0x4000a",
                   help="emulated Xen version (default 0x4000a = 4.10; "
                   "0x40011 = 4.17 gives per-vCPU upcall vectors)")
    p.add_argument("--no-xen", action="store_true",
                   help="boot as a plain guest with virtio-net instead")
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--memory", default="512M")
    p.add_argument("--timeout", type=int, default=180,
                   help="seconds before the guest is declared hung")


def main(args):
    kern = kernel.resolve(args.kernel, args.modules_dir)
    accel = guest.accelerator(args.accel)
    xen = not args.no_xen
    nic = "xen-net-device" if xen else "virtio-net-pci"
    accel_arg = guest.xen_accel(accel, args.xen_version) if xen else accel
    with guest.blob_network(nic) as (server, devices):
        if args.initrd:
            initrd = Path(args.initrd)
            if not initrd.is_file():
                raise XenbedError(f"initrd {initrd}: no such file")
        else:
            initrd = kernel.build_initramfs(
                kern, guest.NIC_MODULES[nic],
                guest.download_script(server.url) + guest.GUEST_FACTS +
                (NETFRONT_SCRIPT if xen else ""),
                name=f"run-{kern.label}", programs=["xs"] if xen else [])
        argv = guest.qemu_argv(kern.image, initrd, append=args.append,
                               smp=args.smp, memory=args.memory,
                               accel=accel_arg, devices=devices)
        print(f"xenbed run: booting {kern.label} "
              f"({nested.accel_label(accel)}, "
              f"{args.smp} vCPUs)", flush=True)
        if args.initrd:
            return subprocess.call(argv)
        res = guest.boot(argv, timeout=args.timeout)

    sha = res.results.get("blob-sha256", "")
    ok = res.exit_code == 0 and sha == server.sha256
    seconds = res.results.get("blob-seconds", "?")
    print()
    print("xenbed run report")
    print(f"  kernel        {res.release} ({kern.source})")
    fallback = accel == "tcg" and args.accel == "auto"
    print(f"  accelerator   {nested.accel_label(accel)}"
          f"{' (KVM not usable here)' if fallback else ''}")
    print(f"  vCPUs         {res.results.get('nproc', '?')} of {args.smp}")
    if xen:
        print(f"  Xen           {args.xen_version}: guest says "
              f"{dmesg_match(res, 'Xen version', 'not detected')}")
        print(f"  event ABI     {dmesg_match(res, 'xen:events: Using', '?')}")
        print(f"  upcall        "
              f"{dmesg_match(res, 'callback vector for event delivery', '?')}")
    print(f"  clocksource   {res.results.get('clocksource', '?')}")
    if xen:
        keys = [f"{k}={res.results['vif:' + k]}" for k in NETFRONT_KEYS
                if "vif:" + k in res.results]
        print(f"  netfront      {' '.join(keys) or 'no keys read'}")
    print(f"  NIC           {nic} -> guest {res.results.get('nic', '?')} "
          f"(driver {res.results.get('nic-driver', '?')})")
    print(f"  transfer      {res.results.get('blob-bytes', '0')} bytes in "
          f"{seconds} s, sha256 {'matches' if ok else 'MISMATCH'}")
    print(f"  boot to done  {res.seconds:.1f} s")
    print(f"  result        {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def dmesg_match(res, text, default):
    """The guest's first kernel log message containing `text`."""
    for line in res.dmesg:
        if text in line:
            return line.split("] ", 1)[-1].strip()
    return default
