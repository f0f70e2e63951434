"""`xenbed patches edit|export`: the QEMU patch queue as a git tree.

edit   makes build/qemu/git: the pristine tarball as one commit (tagged
       xenbed-base) and each patch of qemu-patches/series as one commit.
export writes the commits after xenbed-base back to qemu-patches/ as
       `git format-patch` files and rewrites the series.
check  compiles, at each patch of the series in turn, the QEMU C files
       that patch touches (build/qemu/check): every patch builds on its
       own, warnings count as failures.
"""

import os
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


def git(*args, capture=False, tree=TREE):
    cmd = ["git", "-C", str(tree), *IDENTITY, *args]
    if capture:
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                              text=True).stdout
    run(cmd, quiet=True)


def commits_after_base():
    out = git("rev-list", f"{BASE_TAG}..HEAD", capture=True)
    return out.split()


def make_tree(tree, patches):
    """A git tree at `tree`: the pristine tarball tagged BASE_TAG, then one
    commit per patch."""
    qemu.extract(qemu.tarball(), tree)
    git("init", "-q", tree=tree)
    # The xenbed/ link is made by the build, never committed.
    (tree / ".git" / "info" / "exclude").write_text("/xenbed\n/build/\n")
    git("add", "-A", "-f", tree=tree)
    git("commit", "-q", "-m", f"QEMU {qemu.inputs.QEMU_VERSION} (base)",
        tree=tree)
    git("tag", BASE_TAG, tree=tree)
    for p in patches:
        proc = subprocess.run(["git", "-C", str(tree), *IDENTITY, "am", "-q",
                               "--keep-cr", str(p)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise XenbedError(f"patch {p.name} does not apply "
                              f"(git am stopped in {tree}):\n{proc.stdout}")


def edit():
    if (TREE / ".git").exists():
        raise XenbedError(
            f"{TREE} exists already: export it (xenbed patches export) or "
            "remove it first; it may hold work that is not exported")
    patches = qemu.series()
    make_tree(TREE, patches)
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


CHECK_TREE = BUILD / "qemu" / "check"


def object_targets(obj_dir):
    """{mangled source name: [ninja object targets]} of a QEMU build."""
    out = subprocess.run(["ninja", "-C", str(obj_dir), "-t", "targets", "all"],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    targets = {}
    for line in out.splitlines():
        target = line.split(":", 1)[0]
        if target.endswith(".c.o") and ".p/" in target:
            targets.setdefault(target.rsplit(".p/", 1)[1][:-2], []).append(target)
    return targets


def check(patches=None, tree=CHECK_TREE):
    """Compile, at each patch, the C files it touches; return the failures.

    xenbed's own hw/ files (the xenbed/ link) follow the checkout, not the
    series, so they are compiled with the whole series only (xenbed build).
    """
    patches = patches or qemu.series()
    if tree.exists():
        shutil.rmtree(tree)
    make_tree(tree, patches)
    (tree / "xenbed").symlink_to(REPO)
    commits = git("rev-list", "--reverse", f"{BASE_TAG}..HEAD", capture=True,
                  tree=tree).split()
    obj = tree / "build"
    obj.mkdir()
    # The +ds tarball configures only from the first patch on (0001).
    git("checkout", "-q", commits[0], tree=tree)
    run([tree / "configure", *qemu.CONFIGURE_ARGS,
         f"--cc=ccache {os.environ.get('CC', 'cc')}"], cwd=obj, quiet=True)
    failures = []
    for patch, commit in zip(patches, commits):
        git("checkout", "-q", commit, tree=tree)
        touched = git("diff-tree", "--no-commit-id", "--name-only", "-r",
                      commit, capture=True, tree=tree).split()
        # Regenerate build.ninja first when the patch changed the build.
        proc = subprocess.run(["ninja", "-C", str(obj), "build.ninja"],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        objects, sources = [], []
        if proc.returncode == 0:
            targets = object_targets(obj)
            for path in touched:
                if path.endswith(".c") and (tree / path).exists():
                    found = targets.get(path.replace("/", "_"), [])
                    objects += found
                    sources += [path] if found else []
            if objects:
                proc = subprocess.run(["ninja", "-C", str(obj), "-k", "0",
                                       *objects], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
        warnings = [line for line in proc.stdout.splitlines()
                    if "warning:" in line or "error:" in line]
        if proc.returncode != 0 or warnings:
            detail = "\n".join((warnings or proc.stdout.splitlines())[-20:])
            failures.append(f"{patch.name}:\n{detail}")
            log(f"FAIL {patch.name}")
        else:
            log(f"ok   {patch.name}: " +
                (", ".join(sources) if sources else "no C file compiled"))
    return failures
