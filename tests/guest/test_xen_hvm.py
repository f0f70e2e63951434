"""Unmodified Debian kernels boot as Xen HVM guests (issue 3, stage 1).

Under TCG here (KVM where it works): the guest's own kernel log must show
Xen detected with the emulated version, the callback vector enabled and
the grant table initialized; xen-netfront must bind to xen-net-device and
an 8 MiB download through it must have the right sha256.
"""

import pytest

from xenbed import guest, kernel

BLOB_SIZE = 8 << 20


def boot_xen(kern, accel, xen_version, smp, append=""):
    with guest.BlobServer(BLOB_SIZE) as server:
        initrd = kernel.build_initramfs(
            kern, guest.NIC_MODULES["xen-net-device"],
            guest.download_script(server.url) + guest.GUEST_FACTS,
            name=f"test-xen-{kern.label}")
        netdev = guest.user_netdev("net0", [server.guestfwd()])
        argv = guest.qemu_argv(
            kern.image, initrd, smp=smp, append=append,
            accel=guest.xen_accel(accel, xen_version),
            devices=[("-netdev", netdev),
                     ("-device", "xen-net-device,netdev=net0")])
        return guest.boot(argv, timeout=240), server.sha256


@pytest.mark.parametrize("xen_version,smp", [
    ("0x4000a", 1), ("0x4000a", 2), ("0x4000a", 4), ("0x40011", 2),
], ids=["4.10-smp1", "4.10-smp2", "4.10-smp4", "4.17-smp2"])
def test_xen_hvm_guest_with_netfront(debian_kernel, accel, qemu_binary,
                                     xen_version, smp):
    res, expected_sha = boot_xen(debian_kernel, accel, xen_version, smp)
    major, minor = int(xen_version, 16) >> 16, int(xen_version, 16) & 0xffff

    assert res.release == debian_kernel.release
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    assert res.dmesg_has("Hypervisor detected: Xen HVM"), res.dmesg[:20]
    assert res.dmesg_has(f"Xen version {major}.{minor}."), res.dmesg[:20]
    assert res.dmesg_has("Xen HVM callback vector for event delivery is "
                         "enabled")
    assert res.dmesg_has("Grant table initialized")
    assert res.result("nproc") == str(smp)
    assert res.result("nic-driver") == "vif", "xen-netfront did not bind"
    assert int(res.result("blob-bytes")) == BLOB_SIZE
    assert res.result("blob-sha256") == expected_sha
