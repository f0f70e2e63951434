"""Bad inputs get one clear error, never a traceback."""

import lzma
import io
import os
import subprocess
import tarfile

import pytest

from xenbed import guest, inputs, kernel, qemu
from xenbed.common import REPO, XenbedError


def xenbed(*args, env=None, tmp_path=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([str(REPO / "xenbed"), *args], env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)
    assert "Traceback" not in proc.stdout, proc.stdout
    return proc


def isolated_env(tmp_path, dist):
    return {"XENBED_DIST": str(dist), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "XENBED_BUILD_DIR": str(tmp_path / "build"), "XENBED_FETCH": "no"}


def test_missing_qemu_tarball(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    proc = xenbed("build", env=isolated_env(tmp_path, dist))
    assert proc.returncode == 1
    assert f"missing input {inputs.QEMU_DEBIAN_TARBALL}" in proc.stdout
    assert "source package qemu 1:10.0.13+ds-0+deb13u1" in proc.stdout


def test_corrupt_qemu_tarball(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / inputs.QEMU_DEBIAN_TARBALL).write_bytes(b"not a tarball\n")
    proc = xenbed("build", env=isolated_env(tmp_path, dist))
    assert proc.returncode == 1
    assert "sha256 mismatch" in proc.stdout
    assert inputs.pins()[inputs.QEMU_DEBIAN_TARBALL] in proc.stdout


def test_upstream_tarball_of_wrong_version(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = b"9.2.0\n"
        info = tarfile.TarInfo(f"qemu-{inputs.QEMU_VERSION}/VERSION")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    tarball = tmp_path / inputs.QEMU_UPSTREAM_TARBALL
    tarball.write_bytes(lzma.compress(buf.getvalue()))
    env = isolated_env(tmp_path, tmp_path)
    env["XENBED_QEMU_TARBALL"] = str(tarball)
    proc = xenbed("build", env=env)
    assert proc.returncode == 1
    assert "is not QEMU 10.0.13 (VERSION says 9.2.0)" in proc.stdout


def test_patch_that_does_not_apply_is_named(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "meson.build").write_text("project('x')\n")
    patch = tmp_path / "0001-change-something.patch"
    patch.write_text(
        "--- a/meson.build\n+++ b/meson.build\n@@ -1 +1 @@\n"
        "-project('y')\n+project('z')\n")
    with pytest.raises(XenbedError) as err:
        qemu.apply_series(tree, [patch])
    assert "patch 0001-change-something.patch does not apply" in str(err.value)
    assert (tree / "meson.build").read_text() == "project('x')\n"


def test_series_names_missing_patch(tmp_path, monkeypatch):
    patches = tmp_path / "qemu-patches"
    patches.mkdir()
    (patches / "series").write_text("0001-gone.patch\n")
    monkeypatch.setattr(qemu, "PATCHES", patches)
    with pytest.raises(XenbedError, match="names 0001-gone.patch, which does "
                       "not exist"):
        qemu.series()


def test_kernel_path_missing():
    with pytest.raises(XenbedError, match="no such file"):
        kernel.resolve("/nonexistent/vmlinuz")


def test_kernel_path_not_a_kernel(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 200)
    with pytest.raises(XenbedError, match="not an x86 kernel image"):
        kernel.resolve(str(text))
    fake_deb = tmp_path / "linux-image-fake.deb"
    fake_deb.write_bytes(b"garbage")
    with pytest.raises(XenbedError, match="not a Debian package"):
        kernel.resolve(str(fake_deb))


def test_run_with_bad_kernel_is_one_line():
    proc = xenbed("run", "--kernel", "/nonexistent/vmlinuz")
    assert proc.returncode == 1
    assert proc.stdout.rstrip().splitlines()[-1].startswith(
        "xenbed: error: kernel /nonexistent/vmlinuz: no such file")


def _initrd(kern):
    return kernel.build_initramfs(kern, [], "echo XENBED-RESULT ok 1\n",
                                  name=f"tool-{kern.label}")


def test_guest_that_never_reaches_init(qemu_binary, accel):
    kern = kernel.resolve(inputs.DEFAULT_KERNEL)
    argv = guest.qemu_argv(kern.image, _initrd(kern), accel=accel, smp=1,
                           append="rdinit=/does-not-exist")
    with pytest.raises(guest.GuestError) as err:
        guest.boot(argv, timeout=120)
    message = str(err.value)
    assert "before the guest reached init" in message
    assert "Kernel panic" in message, message


def test_guest_timeout_shows_console(qemu_binary, accel):
    kern = kernel.resolve(inputs.DEFAULT_KERNEL)
    argv = guest.qemu_argv(kern.image, _initrd(kern), accel=accel, smp=1)
    with pytest.raises(guest.GuestError) as err:
        guest.boot(argv, timeout=1)
    assert "did not reach init within 1 s" in str(err.value)
    assert "last console lines" in str(err.value)


def test_guest_console_bytes_that_are_not_utf8(qemu_binary, accel):
    """The guest writes the console: bytes that are not UTF-8 reach the
    result as U+FFFD, and the boot (and QEMU's log read at shutdown)
    completes."""
    kern = kernel.resolve(inputs.DEFAULT_KERNEL)
    initrd = kernel.build_initramfs(
        kern, [], "printf 'XENBED-RESULT bytes \\377\\376 end\\n'\n",
        name=f"tool-not-utf8-{kern.label}")
    res = guest.boot(guest.qemu_argv(kern.image, initrd, accel=accel,
                                     smp=1), timeout=120)
    assert res.exit_code == 0
    assert res.result("bytes") == "\ufffd\ufffd end"
