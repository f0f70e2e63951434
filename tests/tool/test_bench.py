"""xenbed bench's command line (the benchmarks themselves print figures
and are run by hand, not here)."""

import os

import pytest

from xenbed import bench, cli, qemu
from xenbed.common import XenbedError


def bench_args(argv):
    args = cli.parser().parse_args(argv)
    args.argv = list(argv)
    return args


def test_qemu_option_passes_on_an_absolute_path(tmp_path, monkeypatch):
    """--qemu is checked at once and handed to a KVM host VM's xenbed as
    an absolute path, whichever spelling the user gave."""
    binary = tmp_path / "qemu-system-x86_64"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(qemu, "BINARY", qemu.BINARY)
    for spelling in (["--qemu", "qemu-system-x86_64"],
                     ["--qemu=./qemu-system-x86_64"]):
        args = bench_args(["bench", "net", *spelling, "--accel", "kvm"])
        bench.use_qemu(args)
        assert args.argv == ["bench", "net", "--accel", "kvm",
                             f"--qemu={binary}"], args.argv
        assert qemu.BINARY == binary


def test_qemu_option_refuses_what_cannot_run(tmp_path):
    plain = tmp_path / "not-executable"
    plain.write_text("")
    os.chmod(plain, 0o644)
    for path in (plain, tmp_path / "missing", tmp_path):
        args = bench_args(["bench", "net", "--qemu", str(path)])
        with pytest.raises(XenbedError, match="not an executable file"):
            bench.use_qemu(args)


def test_only_names_the_labels_when_none_matches():
    """bench net --only refuses a text no configuration has, before it
    boots anything, and lists the labels there are."""
    args = bench_args(["bench", "net", "--only", "no such NIC"])
    with pytest.raises(XenbedError) as err:
        bench.bench_net(args)
    assert "two NICs, xen-net full, 4 queues" in str(err.value), err.value
