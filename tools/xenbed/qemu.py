"""The pinned QEMU: extract, apply qemu-patches/, configure, build.

Layout under build/qemu/:
  src/         the patched tree; src/xenbed is a symlink to this checkout
  build/       QEMU's build directory (ninja, ccache)
  build-asan/  the same QEMU with AddressSanitizer and UBSan
               (xenbed build --sanitize), for the qtests and, on demand
               (XENBED_SANITIZE=1), the guest tests
  stamps       what src/ and the builds were made from, to redo only
               what changed
"""

import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import inputs
from .common import (BUILD, REPO, SYSTEM_PYTHON, XenbedError, git_revision,
                     log, read_stamp, run, write_stamp)

QEMU_DIR = BUILD / "qemu"
SRC = QEMU_DIR / "src"
OBJ = QEMU_DIR / "build"
OBJ_SANITIZED = QEMU_DIR / "build-asan"
PATCHES = REPO / "qemu-patches"
SANITIZE_ARGS = ["--enable-asan", "--enable-ubsan"]
# vhost-user-fs and shared memfd RAM: the KVM host VM (nested.py) mounts the
# host's files through virtiofsd.  Not needed in the sanitized build.
PLAIN_ARGS = ["--enable-vhost-user"]


def sanitized_wanted():
    """XENBED_SANITIZE=1: run QEMU from the sanitized build."""
    return os.environ.get("XENBED_SANITIZE", "") not in ("", "0", "no")


BINARY = (OBJ_SANITIZED if sanitized_wanted() else OBJ) / "qemu-system-x86_64"
FIRMWARE_DIRS = ["/usr/share/seabios", "/usr/share/qemu"]


def firmware_args():
    """-L options for Debian's firmware packages (SeaBIOS, option ROMs)."""
    return [arg for d in FIRMWARE_DIRS for arg in ("-L", d)]

CONFIGURE_ARGS = [
    "--target-list=x86_64-softmmu",
    "--without-default-features",
    "--enable-system",
    "--enable-kvm",
    "--enable-tcg",
    "--enable-slirp",
    "--enable-pixman",
    "--disable-docs",
    "--disable-download",
    "--disable-install-blobs",
    "--disable-werror",
    f"--python={SYSTEM_PYTHON}",
]


def tarball():
    """The QEMU source tarball: XENBED_QEMU_TARBALL, or the pinned +ds one."""
    override = os.environ.get("XENBED_QEMU_TARBALL")
    if override:
        path = Path(override)
        if not path.is_file():
            raise XenbedError(f"XENBED_QEMU_TARBALL={override}: no such file")
        return path
    return inputs.find(inputs.QEMU_DEBIAN_TARBALL)


def series():
    """Patch files in application order, from qemu-patches/series."""
    series_file = PATCHES / "series"
    names = [line.strip() for line in series_file.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    paths = [PATCHES / n for n in names]
    for p in paths:
        if not p.is_file():
            raise XenbedError(f"qemu-patches/series names {p.name}, "
                              "which does not exist")
    return paths


def source_key(tar, patches):
    digest = hashlib.sha256()
    st = tar.stat()
    digest.update(f"{tar.resolve()}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    for p in patches:
        digest.update(p.name.encode() + b"\n" + p.read_bytes())
    return digest.hexdigest()


def extract(tar, dest):
    """Unpack tar into dest (its single top directory stripped)."""
    log(f"extracting {tar}")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    proc = subprocess.run(["tar", "--no-same-owner", "--strip-components=1",
                           "-xf", str(tar), "-C", str(dest)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        raise XenbedError(f"{tar}: cannot be extracted:\n{proc.stdout.rstrip()}")
    version_file = dest / "VERSION"
    version = version_file.read_text().strip() if version_file.exists() else None
    if version != inputs.QEMU_VERSION:
        raise XenbedError(f"{tar}: is not QEMU {inputs.QEMU_VERSION} "
                          f"(VERSION says {version or 'nothing'})")


def apply_series(tree, patches):
    # The ceiling keeps git from treating the enclosing xenbed checkout as
    # the repository the patch applies to.
    env = {"GIT_CEILING_DIRECTORIES": str(tree.parent)}
    for p in patches:
        proc = subprocess.run(["git", "apply", "--whitespace=nowarn", str(p)],
                              cwd=tree, env={**os.environ, **env},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        if proc.returncode != 0:
            raise XenbedError(f"patch {p.name} does not apply to QEMU "
                              f"{inputs.QEMU_VERSION}:\n{proc.stdout.rstrip()}")
        log(f"applied {p.name}")


def sync_tree(new, old):
    """Make `old` equal to `new`, touching only files whose content changed,
    so that ninja rebuilds only what a changed series really changed."""
    changed = 0
    for dirpath, dirnames, filenames in os.walk(new):
        rel = Path(dirpath).relative_to(new)
        target_dir = old / rel
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            src, dst = Path(dirpath) / name, target_dir / name
            if src.is_symlink() or dst.is_symlink() or not dst.exists() or \
               not filecmp.cmp(src, dst, shallow=False):
                if dst.is_symlink() or dst.exists():
                    dst.unlink()
                shutil.copy2(src, dst, follow_symlinks=False)
                changed += 1
    for dirpath, dirnames, filenames in os.walk(old, topdown=False):
        rel = Path(dirpath).relative_to(old)
        if rel.parts and rel.parts[0] == "xenbed":
            continue
        for name in filenames + dirnames:
            path = Path(dirpath) / name
            if rel == Path(".") and name == "xenbed":
                continue
            if not (new / rel / name).exists() and not (new / rel / name).is_symlink():
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                changed += 1
    return changed


def prepare_source():
    """Extract and patch QEMU into build/qemu/src when inputs changed."""
    tar = tarball()
    patches = series()
    key = source_key(tar, patches)
    stamp = QEMU_DIR / "source.stamp"
    if read_stamp(stamp) != key or not (SRC / "VERSION").exists():
        staging = QEMU_DIR / "src.new"
        extract(tar, staging)
        apply_series(staging, patches)
        if SRC.exists():
            n = sync_tree(staging, SRC)
            shutil.rmtree(staging)
            log(f"QEMU source updated ({n} files changed)")
        else:
            staging.rename(SRC)
        write_stamp(stamp, key)
    link = SRC / "xenbed"
    if not link.is_symlink() or Path(os.readlink(link)) != REPO:
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(REPO)
    return SRC


def pkgversion():
    return f"xenbed-{git_revision()}"


def meson_in_venv(obj=OBJ):
    return obj / "pyvenv" / "bin" / "meson"


def configure(obj=OBJ, extra_args=()):
    """Run QEMU's configure in obj when its options changed; only update
    the version string (cheap meson reconfigure) when just the revision
    did."""
    args = CONFIGURE_ARGS + list(extra_args) + \
        [f"--cc=ccache {os.environ.get('CC', 'cc')}"]
    key = "\n".join(args)
    stamp = obj.parent / f"{obj.name}.configure.stamp"
    version_stamp = obj.parent / f"{obj.name}.pkgversion.stamp"
    obj.mkdir(parents=True, exist_ok=True)
    if read_stamp(stamp) != key or not (obj / "build.ninja").exists():
        run([SRC / "configure", *args, f"--with-pkgversion={pkgversion()}"],
            cwd=obj)
        write_stamp(stamp, key)
        write_stamp(version_stamp, pkgversion())
    elif read_stamp(version_stamp) != pkgversion():
        run([obj / "pyvenv" / "bin" / "meson", "configure",
             f"-Dpkgversion={pkgversion()}"], cwd=obj, quiet=True)
        write_stamp(version_stamp, pkgversion())


def build(jobs=None, sanitize=False):
    """Build qemu-system-x86_64, plain or (sanitize) with ASan+UBSan."""
    prepare_source()
    obj = OBJ_SANITIZED if sanitize else OBJ
    configure(obj, SANITIZE_ARGS if sanitize else PLAIN_ARGS)
    cmd = ["ninja", "-C", obj]
    if jobs:
        cmd += ["-j", str(jobs)]
    # Paths relative to the checkout, not the cwd, key ccache's cache: a
    # fresh clone elsewhere (CI) then hits what an earlier build compiled.
    ccache_env = {"CCACHE_BASEDIR": os.path.commonpath([REPO, BUILD]),
                  "CCACHE_NOHASHDIR": "true"}
    run(cmd + ["qemu-system-x86_64"], env=ccache_env)
    binary = obj / "qemu-system-x86_64"
    version = subprocess.run([binary, "--version"], stdout=subprocess.PIPE,
                             text=True).stdout.splitlines()[0]
    log(f"built {binary}: {version}")
    return binary


def qemu_python_path():
    """QEMU's own python packages (qemu.qmp, qemu.machine) from the tree."""
    return SRC / "python"


def qmp_library():
    """QEMU's qemu.qmp package, from the tree (imported on first use: the
    tree exists only once xenbed has built QEMU)."""
    path = str(qemu_python_path())
    if path not in sys.path:
        sys.path.insert(0, path)
    import qemu.qmp
    import qemu.qmp.legacy
    return qemu.qmp


def machine_library():
    """QEMU's qemu.machine package, from the tree (as qmp_library())."""
    qmp_library()
    import qemu.machine
    return qemu.machine


def machine(argv, log_dir, name, wrapper=(), qmp_timeout=60):
    """A QEMUMachine (not yet launched) for the command line `argv`, run
    through `wrapper` if given.  It connects to QMP itself, and every QMP
    command fails after `qmp_timeout` seconds; its output, stdout and
    stderr, goes to <log_dir>/<name>.log."""
    base = machine_library().QEMUMachine

    class Machine(base):
        def _post_launch(self):
            super()._post_launch()
            # QEMUMachine times out only accept(); a wedged QEMU must not
            # hang a command either.
            self._qmp.settimeout(self._qmp_timer)

        def _load_io_log(self):
            # The guest writes the console: keep bytes that are not UTF-8.
            if self._qemu_log_path is not None:
                self._iolog = Path(self._qemu_log_path).read_text(
                    encoding="utf-8", errors="replace")

    return Machine(
        str(argv[0]), [str(arg) for arg in argv[1:]],
        wrapper=[str(arg) for arg in wrapper], name=name,
        log_dir=str(log_dir), base_temp_dir=str(log_dir),
        qmp_timer=qmp_timeout)


class LaunchError(XenbedError):
    """A QEMU that exited before QMP came up; output is its log."""

    def __init__(self, what, exitcode, output):
        super().__init__(f"{what} did not start (exit code {exitcode}): "
                         f"{output}")
        self.exitcode, self.output = exitcode, output or ""


def launch(machine, what="QEMU"):
    """machine.launch(), with a QEMU that fails to start reported as a
    LaunchError naming `what`."""
    try:
        machine.launch()
    except machine_library().machine.VMLaunchFailure as err:
        raise LaunchError(what, err.exitcode, err.output) from None


def follow(path, running):
    """The lines (bytes) of the file at `path` as a process that is
    running() writes them, such as a QEMUMachine's log; ends once it has
    exited and every line is read."""
    partial = b""
    with open(path, "rb") as stream:
        while True:
            alive = running()
            chunk = stream.readline()
            if chunk.endswith(b"\n"):
                yield partial + chunk
                partial = b""
            elif chunk:
                partial += chunk
            elif not alive:
                if partial:
                    yield partial
                return
            else:
                time.sleep(0.005)


def qmp_connect(socket):
    """A connected qemu.qmp.legacy client for QEMU's QMP `socket`."""
    qmp = qmp_library().legacy.QEMUMonitorProtocol(str(socket))
    qmp.connect()
    return qmp


def wait_for_socket(socket, running=None, seconds=30, what="QEMU"):
    """Wait until the Unix `socket` exists, while running() (if given) is
    true; XenbedError with `what` and the reason otherwise."""
    deadline = time.monotonic() + seconds
    while not Path(socket).exists():
        if running is not None and not running():
            raise XenbedError(f"{what} exited before it created {socket}")
        if time.monotonic() > deadline:
            raise XenbedError(f"{what} did not create {socket} in "
                              f"{seconds} s")
        time.sleep(0.05)
