"""The slow suite, on demand (`xenbed test --suite slow`): `xenbed bisect
--linux` on a real Linux tree, Debian's linux-source-6.1, with the default
build (defconfig + xen.config + the Xen guest options, out of tree, with
ccache).  Eight ordinary commits go on top of the release; the fifth stops
netfront asking for rx-copy, which netback (and xen-net-device) refuse,
so the NIC never connects.  The bisection must name that commit and leave
the tree as it was."""

import re
import subprocess
from pathlib import Path

import pytest

from xenbed import cli, flights, gitbisect, inputs

TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
NETFRONT = "drivers/net/xen-netfront.c"
REQUEST_RX_COPY = ('"request-rx-copy", "%u",\n\t\t\t    1);',
                   '"request-rx-copy", "%u",\n\t\t\t    0);')

# (subject, file, comment appended) or (subject, file, (old, new)).
COMMITS = [
    ("README: point Xen users at the guest documentation", "README",
     "\nXen guests: see Documentation/admin-guide/xen/ for what they need.\n"),
    ("xen/events: say why the FIFO control block is per vCPU",
     "drivers/xen/events/events_fifo.c",
     "\n/* Each vCPU has its own control block: its queues are its own. */\n"),
    ("net: note where the default qdisc is chosen", "net/core/dev.c",
     "\n/* The default qdisc is chosen in net/sched/sch_generic.c. */\n"),
    ("xen-netfront: say where the queue count comes from", NETFRONT,
     "\n/* The queue count is the smaller of max_queues and netback's. */\n"),
    ("xen-netfront: stop asking netback for rx-copy, the only mode it has",
     NETFRONT, REQUEST_RX_COPY),
    ("xen/grant-table: say why v1 is the default", "drivers/xen/grant-table.c",
     "\n/* v1 is what every backend understands. */\n"),
    ("docs: xen: note the evtchn device", "Documentation/admin-guide/README.rst",
     "\n.. The evtchn device is drivers/xen/evtchn.c.\n"),
    ("x86/xen: say what HVM guests set up first", "arch/x86/xen/enlighten_hvm.c",
     "\n/* shared_info first: the vCPU info placement needs it. */\n"),
]
BAD = 5     # COMMITS[4], counting the release as commit 0


def git(tree, *args, env=None):
    return subprocess.run(["git", "-C", str(tree), *args], check=True,
                          text=True, stdout=subprocess.PIPE,
                          env=env).stdout.strip()


def source_version():
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}",
                           "linux-source-6.1"], text=True,
                          stdout=subprocess.PIPE).stdout.strip()


@pytest.fixture(scope="module")
def release_tree():
    """The linux-source tarball as a git tree, made once and cached: the
    release is commit 0, tagged."""
    if not TARBALL.exists():
        pytest.fail(f"{TARBALL} missing: `xenbed test --suite slow` "
                    "installs linux-source-6.1 (apt)")
    tree = inputs.cache_dir() / "linux-source-6.1" / "linux"
    tag = "debian-" + source_version().replace(":", "_").replace("~", "_")
    if tree.exists() and subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--verify", "-q", tag],
            stdout=subprocess.DEVNULL).returncode == 0:
        return tree, tag
    subprocess.run(["rm", "-rf", str(tree)], check=True)
    tree.mkdir(parents=True)
    subprocess.run(["tar", "xJf", str(TARBALL), "-C", str(tree),
                    "--strip-components=1"], check=True)
    git(tree, "init", "-q", "-b", "main")
    git(tree, "config", "user.email", "slow-suite@localhost")
    git(tree, "config", "user.name", "xenbed slow suite")
    # Debian's .gitignore ignores the top level (its packaging repo's view).
    git(tree, "add", "-A", "-f")
    git(tree, "commit", "-q", "-m", f"linux-source-6.1 {source_version()}")
    git(tree, "tag", tag)
    return tree, tag


def commit_series(tree, tag):
    """Branch `bisect-me` from the release with COMMITS on it; returns
    the release and the commits' hashes."""
    git(tree, "checkout", "-q", "-f", "-B", "bisect-me", tag)
    shas = [git(tree, "rev-parse", "HEAD")]
    for subject, name, change in COMMITS:
        path = tree / name
        text = path.read_text()
        if isinstance(change, tuple):
            assert text.count(change[0]) == 1, f"{name} changed upstream"
            text = text.replace(*change)
        else:
            text += change
        path.write_text(text)
        git(tree, "commit", "-q", "-a", "-m", subject)
        shas.append(git(tree, "rev-parse", "HEAD"))
    return shas


def tree_state(tree):
    return (git(tree, "rev-parse", "HEAD"), git(tree, "status", "--porcelain"),
            git(tree, "worktree", "list", "--porcelain"),
            git(tree, "branch", "--list"),
            (tree / "README").read_text())


def test_bisect_finds_the_commit_that_breaks_netfront(
        release_tree, data_home, qemu_binary, capsys):
    tree, tag = release_tree
    shas = commit_series(tree, tag)
    # Something of the user's, uncommitted, which must survive.
    readme = tree / "README"
    readme.write_text(readme.read_text() + "\nmy notes\n")
    before = tree_state(tree)
    build_dir = inputs.cache_dir() / "linux-source-6.1" / "build"
    args = cli.parser().parse_args([
        "bisect", "--linux", str(tree), "--good", shas[0], "--bad",
        shas[-1], "--job", "smoke", "--accel", "tcg", "--build-dir",
        str(build_dir)])
    try:
        rc = gitbisect.main(args)
    finally:
        out = capsys.readouterr().out
        print(out)
    assert rc == 0, out
    bad_subject = COMMITS[BAD - 1][0]
    assert f"first bad commit: {shas[BAD]} {bad_subject}" in out
    assert "failing step: netfront-mq: " in out
    assert f"reproduce: ./xenbed bisect-step --linux {tree} --rev " \
        f"{shas[BAD][:12]} --job smoke" in out
    # The evidence is the guest's own: netfront wrote request-rx-copy 0.
    evidence = re.search(r"^evidence: (\S+)", out, re.M).group(1)
    assert "XENBED-RESULT vif:request-rx-copy 0" in \
        Path(evidence).read_text()
    assert tree_state(tree) == before
    # Each tested commit ran on its own build of the tree, and the
    # verdicts are the ones the series implies.
    tested = {f["kernel_revision"]: f for f in flights.query(flights.connect())}
    assert shas[BAD] in tested and shas[BAD - 1] in tested, tested.keys()
    for sha, flight in tested.items():
        position = shas.index(sha)
        assert flight["result"] == ("fail" if position >= BAD else "pass"), \
            (position, flight)
        assert flight["kernel_release"].startswith("6.1."), flight
    assert len(tested) <= 4, "a bisection of 8 commits takes 3 or 4 steps"
    readme.write_text(readme.read_text().replace("\nmy notes\n", ""))
