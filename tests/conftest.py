"""Fixtures shared by the pytest suites (tests/tool, tests/guest)."""

import pytest

from xenbed import guest, inputs, kernel, qemu


@pytest.fixture(scope="session")
def qemu_binary():
    if not qemu.BINARY.exists():
        pytest.fail(f"{qemu.BINARY} missing: run `xenbed build` first")
    return qemu.BINARY


@pytest.fixture(scope="session")
def accel():
    """TCG unless KVM is usable: the guest suites must pass on both."""
    return guest.accelerator("auto")


def pinned_kernel(version):
    """Extracted pinned Debian kernel; fails (not skips) when it is missing."""
    try:
        return kernel.resolve(version)
    except Exception as e:  # XenbedError names the file and its source
        pytest.fail(str(e))


@pytest.fixture(scope="session", params=sorted(inputs.KERNEL_DEBS))
def debian_kernel(request):
    return pinned_kernel(request.param)


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """A private XDG data and config home: tests never read the user's
    config nor write into the user's flight history."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("XENBED_CONFIG", raising=False)
    return tmp_path / "data"
