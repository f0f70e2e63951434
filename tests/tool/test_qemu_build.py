"""The built QEMU is 10.0.13 with the series applied and hw/ linked in."""

import subprocess

from qemu.machine import QEMUMachine

from xenbed import qemu
from xenbed.common import git_revision


def test_version_names_xenbed_revision(qemu_binary):
    out = subprocess.run([str(qemu_binary), "--version"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    first = out.splitlines()[0]
    assert first.startswith("QEMU emulator version 10.0.13 ("), first
    assert f"(xenbed-{git_revision()})" in first, first


def test_series_is_applied(qemu_binary):
    top = (qemu.SRC / "meson.build").read_text()
    assert "subdir('xenbed/hw')" in top
    assert (qemu.SRC / "xenbed" / "hw" / "meson.build").exists()


def test_query_version_and_hw_types(qemu_binary, tmp_path):
    """QMP names the xenbed revision (query-version's package), and the
    device models come from hw/: xen-net-device has its max-queues."""
    vm = QEMUMachine(str(qemu_binary), base_temp_dir=str(tmp_path),
                     args=["-machine", "none", "-nodefaults"])
    vm.launch()
    try:
        version = vm.cmd("query-version")
        props = [p["name"] for p in vm.cmd("device-list-properties",
                                           typename="xen-net-device")]
    finally:
        vm.shutdown()
    assert version["package"] == f"xenbed-{git_revision()}", version
    assert version["qemu"] == {"major": 10, "minor": 0, "micro": 13}, version
    assert "max-queues" in props, props


def test_touching_hw_file_recompiles_only_it(qemu_binary):
    source = qemu.REPO / "hw" / "xen-qtest.c"
    source.touch()
    out = subprocess.run(["ninja", "-C", str(qemu.OBJ), "qemu-system-x86_64"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    compiled = [line for line in out.splitlines() if "Compiling" in line]
    assert len(compiled) == 1, out
    assert compiled[0].endswith("xenbed_hw_xen-qtest.c.o"), out


def test_xen_version_on_unsupported_machine_is_refused(qemu_binary):
    # "none" is built in every configuration (microvm needs libfdt).
    proc = subprocess.run(
        [str(qemu_binary), "-M", "none", "-accel", "tcg,xen-version=0x4000a",
         "-display", "none", "-nodefaults"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    assert proc.returncode != 0
    assert "only available with the pc and q35 machines" in proc.stdout, \
        proc.stdout


def test_launch_names_a_qemu_that_did_not_start(qemu_binary, tmp_path):
    """qemu.launch() turns QEMUMachine's launch failure into an error
    that says which QEMU it was, its exit code and what it printed."""
    vm = qemu.machine([qemu_binary, "-M", "none", "-nodefaults",
                       "-netdev", "no-such-backend,id=n0"],
                      log_dir=tmp_path, name="bad")
    try:
        qemu.launch(vm, "the test's QEMU")
    except qemu.LaunchError as err:
        message, exitcode = str(err), err.exitcode
    else:
        vm.shutdown()
        raise AssertionError("a QEMU with a bad -netdev started")
    assert exitcode == 1, message
    assert message.startswith("the test's QEMU did not start (exit code 1)")
    assert "no-such-backend" in message, message
