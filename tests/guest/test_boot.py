"""Unmodified Debian kernels boot under the built QEMU and move data.

Every assertion is on what the guest printed: its kernel release, its
online CPUs, its NIC driver, and the sha256 it computed of the download.
"""

from xenbed import guest

def boot_with_download(kern, accel, smp=2):
    return guest.boot_with_blob(
        kern, lambda url: guest.download_script(url) + guest.GUEST_FACTS,
        name="test-boot", accel=accel, smp=smp)


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
    assert int(res.result("blob-bytes")) == guest.BLOB_SIZE
    assert res.result("blob-sha256") == expected_sha
