"""QEMU style for hw/ and the patch queue; the queue round-trips."""

import difflib
import os
import subprocess

import pytest

from xenbed import patchq, qemu
from xenbed.common import REPO


def checkpatch(*args):
    script = qemu.SRC / "scripts" / "checkpatch.pl"
    proc = subprocess.run(["perl", str(script), *args], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    return proc


@pytest.mark.parametrize("path", sorted(
    str(p.relative_to(REPO)) for d in ("hw", "tests/qtest")
    for p in (REPO / d).glob("*.[ch]")))
def test_hw_source_style(qemu_binary, path):
    proc = checkpatch("--no-tree", "-f", path)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("patch", qemu.series(), ids=lambda p: p.name[:4])
def test_patch_style(qemu_binary, patch):
    proc = checkpatch(str(patch))
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("path", sorted(
    str(p.relative_to(REPO)) for p in
    [REPO / "tests" / "guest" / "init",
     *(REPO / "tests" / "guest" / "scripts").glob("*.sh")]))
def test_guest_shell_parses(path):
    """The guests' busybox sh reads every guest script (and nested.py's
    L1 script is one of them)."""
    proc = subprocess.run(["busybox", "sh", "-n", str(REPO / path)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    assert proc.returncode == 0, proc.stdout


def test_python_is_lint_free():
    """pyflakes3 (Debian's) over the harness and every Python test."""
    proc = subprocess.run(["pyflakes3", "xenbed", "tools", "tests"], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
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


def test_every_patch_builds_on_its_own(qemu_binary, tmp_path):
    """At each patch, the QEMU C files it touches compile without warnings
    (xenbed patches check; about 2 minutes)."""
    failures = patchq.check(tree=tmp_path / "check")
    assert not failures, "\n".join(failures)


def test_patch_check_names_a_patch_that_does_not_build(qemu_binary, tmp_path):
    """A patch that leaves a warning behind is named, the ones before it
    pass: the check above can fail."""
    first_two = qemu.series()[:2]
    pristine = tmp_path / "pristine"
    qemu.extract(qemu.tarball(), pristine)
    path = "accel/tcg/tcg-all.c"
    old = (pristine / path).read_text().splitlines(keepends=True)
    new = old + ["\n", "static int xenbed_unused_helper(void)\n",
                 "{\n", "    return 0;\n", "}\n"]
    diff = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
    broken = tmp_path / "0003-add-an-unused-function.patch"
    broken.write_text(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: xenbed tests <tests@localhost>\n"
        "Date: Thu, 3 Dec 2026 00:00:00 +0000\n"
        "Subject: [PATCH] add an unused function\n\n---\n"
        f"diff --git a/{path} b/{path}\n" + diff)
    failures = patchq.check(first_two + [broken], tree=tmp_path / "check")
    assert len(failures) == 1, failures
    assert failures[0].startswith(broken.name + ":")
    assert "xenbed_unused_helper" in failures[0]
    assert "unused-function" in failures[0]
