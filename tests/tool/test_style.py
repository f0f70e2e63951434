"""QEMU style for hw/ and the patch queue; the queue round-trips."""

import os
import subprocess

import pytest

from xenbed import qemu
from xenbed.common import REPO


def checkpatch(*args):
    script = qemu.SRC / "scripts" / "checkpatch.pl"
    proc = subprocess.run(["perl", str(script), *args], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    return proc


@pytest.mark.parametrize("path", sorted(
    str(p.relative_to(REPO)) for p in (REPO / "hw").glob("*.[ch]")))
def test_hw_source_style(qemu_binary, path):
    proc = checkpatch("--no-tree", "-f", path)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("patch", qemu.series(), ids=lambda p: p.name[:4])
def test_patch_style(qemu_binary, patch):
    proc = checkpatch(str(patch))
    assert proc.returncode == 0, proc.stdout


def test_patch_queue_round_trips(qemu_binary, tmp_path):
    """edit + export reproduces the committed queue byte for byte."""
    env = dict(os.environ, XENBED_BUILD_DIR=str(tmp_path / "build"))
    out = tmp_path / "exported"
    for action in (["edit"], ["export", "--output", str(out)]):
        proc = subprocess.run([str(REPO / "xenbed"), "patches", *action],
                              env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        assert proc.returncode == 0, proc.stdout
    committed = qemu.series()
    assert (out / "series").read_text().split() == [p.name for p in committed]
    for p in committed:
        assert (out / p.name).read_bytes() == p.read_bytes(), p.name
