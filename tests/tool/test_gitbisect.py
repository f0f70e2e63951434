"""`xenbed bisect --linux TREE --good --bad` (issue 14): git bisect run
driving `xenbed bisect-step` over a small git tree the test makes, whose
"build" (--build-cmd) turns the pinned 6.12 package into a kernel and
modules folder: good, bad (netfront left out, as a config change dropping
the driver would), a build that fails (skipped) and a kernel QEMU cannot
load (an infrastructure fault, which stops the bisection).  The user's
tree is left as it was."""

import subprocess

import pytest

from xenbed import cli, flights, gitbisect, kernel

BUILD = r"""#!/bin/sh
set -e
state=$(cat state)
[ "$state" != skip ] || { echo "state.c:1: error: does not compile"; exit 1; }
rm -rf "$XENBED_OUT/bzImage" "$XENBED_OUT/modules"
mkdir -p "$XENBED_OUT/modules"
if [ "$state" = infra ]; then
    # An x86 boot header and nothing else: QEMU refuses to load it.
    head -c 4096 /dev/zero > "$XENBED_OUT/bzImage"
    printf HdrS | dd of="$XENBED_OUT/bzImage" bs=1 seek=514 conv=notrunc 2>/dev/null
    exit 0
fi
cp "$KIMAGE" "$XENBED_OUT/bzImage"
cp -al "$KMODULES" "$XENBED_OUT/modules/$KRELEASE"
if [ "$state" = bad ]; then
    # Built in, says the kernel; shipped nowhere: netfront is gone.
    builtin="$XENBED_OUT/modules/$KRELEASE/modules.builtin"
    rm "$builtin"
    { cat "$KMODULES/modules.builtin"
      echo kernel/drivers/net/xen-netfront.ko; } > "$builtin"
fi
"""


@pytest.fixture(autouse=True)
def kernel_env(data_home, monkeypatch):
    """A private data home (conftest.py), and the pinned 6.12 kernel for
    the test tree's build command."""
    kern = kernel.resolve("6.12")
    monkeypatch.setenv("KIMAGE", str(kern.image))
    monkeypatch.setenv("KMODULES", str(kern.modules))
    monkeypatch.setenv("KRELEASE", kern.release)
    return data_home


def make_tree(path, states):
    """A git tree with one commit per state; returns their hashes."""
    def git(*args):
        return subprocess.run(["git", "-C", str(path), *args], check=True,
                              text=True, stdout=subprocess.PIPE).stdout
    path.mkdir()
    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@localhost")
    git("config", "user.name", "t")
    (path / "build.sh").write_text(BUILD)
    shas = []
    for i, state in enumerate(states):
        (path / "state").write_text(state + "\n")
        (path / "version").write_text(f"{i}\n")
        git("add", "build.sh", "state", "version")
        git("commit", "-q", "-m", f"commit {i}: {state}")
        shas.append(git("rev-parse", "HEAD").strip())
    # Something of the user's in the tree, which must survive.
    (path / "notes.txt").write_text("mine\n")
    (path / "state").write_text("edited, not committed\n")
    return shas


def tree_state(path):
    def git(*args):
        return subprocess.run(["git", "-C", str(path), *args], check=True,
                              text=True, stdout=subprocess.PIPE).stdout
    return (git("rev-parse", "HEAD"), git("status", "--porcelain"),
            git("worktree", "list"), git("branch", "--list"),
            (path / "state").read_text())


def bisect(tree, shas, tmp_path, capsys):
    args = cli.parser().parse_args([
        "bisect", "--linux", str(tree), "--good", shas[0], "--bad",
        shas[-1], "--job", "smoke", "--step", "netfront-mq", "--accel",
        "tcg", "--build-cmd", "sh build.sh", "--kernel-path", "bzImage",
        "--modules-path", "modules/*", "--build-dir",
        str(tmp_path / "out")])
    rc = gitbisect.main(args)
    return rc, capsys.readouterr().out


def test_bisect_linux_finds_the_first_bad_commit(qemu_binary, tmp_path,
                                                  capsys):
    """Commit 3 does not build (git is told to skip it when it comes
    first), commit 5 drops netfront: 5 is the answer, with the failing
    assertion, and the user's checkout is as it was."""
    tree = tmp_path / "linux"
    shas = make_tree(tree, ["good", "good", "good", "skip", "good", "bad",
                            "bad"])
    before = tree_state(tree)
    rc, out = bisect(tree, shas, tmp_path, capsys)
    assert rc == 0, out
    assert f"first bad commit: {shas[5]} commit 5: bad" in out, out
    assert "failing step: netfront-mq: a command of the step failed " \
        "(exit 1): no NIC" in out
    assert "(1 skipped builds)" in out
    assert "state.c:1: error: does not compile" in out
    assert f"reproduce: ./xenbed bisect-step --linux {tree} --rev " \
        f"{shas[5][:12]} --job smoke" in out
    assert tree_state(tree) == before
    db = flights.connect()
    tested = {f["kernel_revision"]: f["result"] for f in flights.query(db)}
    assert tested[shas[5]] == "fail"
    assert all(tested[s] == "pass" for s in tested if s != shas[5])
    assert shas[3] not in tested


def test_bisect_linux_stops_at_an_infrastructure_fault(qemu_binary,
                                                       tmp_path, capsys):
    tree = tmp_path / "linux"
    shas = make_tree(tree, ["good", "good", "infra", "bad", "bad"])
    before = tree_state(tree)
    rc, out = bisect(tree, shas, tmp_path, capsys)
    assert rc == 2, out
    assert f"bisection stopped: infrastructure fault at {shas[2][:12]} " \
        "commit 2: infra" in out
    assert "first bad commit" not in out
    assert tree_state(tree) == before
