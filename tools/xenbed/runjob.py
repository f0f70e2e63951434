"""`xenbed run`: boot a kernel under the built QEMU and report."""

import subprocess
from pathlib import Path

from . import guest, kernel
from .common import XenbedError

BLOB_SIZE = 8 << 20


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
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--memory", default="512M")
    p.add_argument("--timeout", type=int, default=180,
                   help="seconds before the guest is declared hung")


def main(args):
    kern = kernel.resolve(args.kernel, args.modules_dir)
    accel = guest.accelerator(args.accel)
    nic = "virtio-net-pci"
    with guest.BlobServer(BLOB_SIZE) as server:
        netdev = guest.user_netdev("net0", [server.guestfwd()])
        devices = [("-netdev", netdev),
                   ("-device", f"{nic},netdev=net0,romfile=")]
        if args.initrd:
            initrd = Path(args.initrd)
            if not initrd.is_file():
                raise XenbedError(f"initrd {initrd}: no such file")
        else:
            initrd = kernel.build_initramfs(
                kern, guest.NIC_MODULES[nic], guest.download_script(server.url),
                name=f"run-{kern.label}")
        argv = guest.qemu_argv(kern.image, initrd, append=args.append,
                               smp=args.smp, memory=args.memory, accel=accel,
                               devices=devices)
        print(f"xenbed run: booting {kern.label} ({accel.upper()}, "
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
    print(f"  accelerator   {accel}{' (KVM not usable here)' if fallback else ''}")
    print(f"  vCPUs         {args.smp}")
    print(f"  NIC           {nic} -> guest {res.results.get('nic', '?')} "
          f"(driver {res.results.get('nic-driver', '?')})")
    print(f"  transfer      {res.results.get('blob-bytes', '0')} bytes in "
          f"{seconds} s, sha256 {'matches' if ok else 'MISMATCH'}")
    print(f"  boot to done  {res.seconds:.1f} s")
    print(f"  result        {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1
