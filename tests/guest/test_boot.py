"""Unmodified Debian kernels boot under the built QEMU and move data.

Every assertion is on what the guest printed: its kernel release, its
online CPUs, its NIC driver, and the sha256 it computed of the download.
"""

from xenbed import guest, kernel

BLOB_SIZE = 8 << 20


def boot_with_download(kern, accel, smp=2):
    with guest.BlobServer(BLOB_SIZE) as server:
        initrd = kernel.build_initramfs(
            kern, guest.NIC_MODULES["virtio-net-pci"],
            guest.download_script(server.url) + """
echo "XENBED-RESULT cpus-online $(cat /sys/devices/system/cpu/online)"
echo "XENBED-RESULT nproc $(nproc)"
""", name=f"test-boot-{kern.label}")
        argv = guest.qemu_argv(
            kern.image, initrd, smp=smp, accel=accel,
            devices=[("-netdev", guest.user_netdev("net0", [server.guestfwd()])),
                     ("-device", "virtio-net-pci,netdev=net0,romfile=")])
        return guest.boot(argv, timeout=240), server.sha256


def test_boot_and_download_virtio_net(debian_kernel, accel, qemu_binary):
    res, expected_sha = boot_with_download(debian_kernel, accel, smp=2)

    assert res.release == debian_kernel.release, \
        f"guest runs {res.release}, expected {debian_kernel.release}"
    assert res.exit_code == 0, \
        "guest test script failed:\n" + "\n".join(res.console[-30:])
    assert "insmod-failed" not in res.results
    assert res.result("nproc") == "2"
    assert res.result("cpus-online") == "0-1"
    assert res.result("nic-driver") == "virtio_net"
    assert int(res.result("blob-bytes")) == BLOB_SIZE
    assert res.result("blob-sha256") == expected_sha
