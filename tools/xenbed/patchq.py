"""`xenbed patches edit|export`: the QEMU patch queue as a git tree.

edit   makes build/qemu/git: the pristine tarball as one commit (tagged
       xenbed-base) and each patch of qemu-patches/series as one commit.
export writes the commits after xenbed-base back to qemu-patches/ as
       `git format-patch` files and rewrites the series.
"""

import shutil
import subprocess
from pathlib import Path

from . import qemu
from .common import BUILD, REPO, XenbedError, log, run

TREE = BUILD / "qemu" / "git"
BASE_TAG = "xenbed-base"
# A fixed abbreviation keeps exported index lines stable whatever the
# number of objects in the tree.
IDENTITY = ["-c", "user.name=xenbed", "-c", "user.email=xenbed@localhost",
            "-c", "core.abbrev=12"]


def git(*args, capture=False):
    cmd = ["git", "-C", str(TREE), *IDENTITY, *args]
    if capture:
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                              text=True).stdout
    run(cmd, quiet=True)


def commits_after_base():
    out = git("rev-list", f"{BASE_TAG}..HEAD", capture=True)
    return out.split()


def edit():
    if (TREE / ".git").exists():
        raise XenbedError(
            f"{TREE} exists already: export it (xenbed patches export) or "
            "remove it first; it may hold work that is not exported")
    patches = qemu.series()
    qemu.extract(qemu.tarball(), TREE)
    git("init", "-q")
    # The xenbed/ link is made by the build, never committed.
    (TREE / ".git" / "info" / "exclude").write_text("/xenbed\n/build/\n")
    git("add", "-A", "-f")
    git("commit", "-q", "-m", f"QEMU {qemu.inputs.QEMU_VERSION} (base)")
    git("tag", BASE_TAG)
    for p in patches:
        proc = subprocess.run(["git", "-C", str(TREE), *IDENTITY, "am", "-q",
                               "--keep-cr", str(p)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise XenbedError(f"patch {p.name} does not apply "
                              f"(git am stopped in {TREE}):\n{proc.stdout}")
    log(f"{TREE}: {len(patches)} patches on tag {BASE_TAG}.  Edit, commit "
        "(one topic per commit, git commit -s), rebase -i as needed, then: "
        "xenbed patches export")


def export(out_dir=None):
    if not (TREE / ".git").exists():
        raise XenbedError(f"{TREE} does not exist: run xenbed patches edit")
    if git("status", "--porcelain", "--untracked-files=no", capture=True):
        raise XenbedError(f"{TREE} has uncommitted changes; commit them first")
    if not commits_after_base():
        raise XenbedError(f"no commits after {BASE_TAG} in {TREE}")
    out_dir = Path(out_dir) if out_dir else REPO / "qemu-patches"
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = BUILD / "qemu" / "patches.new"
    if staging.exists():
        shutil.rmtree(staging)
    # -N: "[PATCH]" subjects, so adding a patch does not rewrite the others.
    git("format-patch", "-q", "-N", "--zero-commit", "--no-signature",
        "-o", str(staging),
        f"{BASE_TAG}..HEAD")
    for old in out_dir.glob("*.patch"):
        old.unlink()
    names = []
    for p in sorted(staging.glob("*.patch")):
        shutil.move(str(p), out_dir / p.name)
        names.append(p.name)
    (out_dir / "series").write_text("".join(n + "\n" for n in names))
    shutil.rmtree(staging)
    log(f"exported {len(names)} patches to {out_dir}; xenbed build applies "
        "them")
