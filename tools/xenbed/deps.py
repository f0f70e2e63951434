"""`xenbed setup`: install what building and testing need (Debian 12, apt)."""

import os
import shutil
import subprocess
from pathlib import Path

from . import inputs
from .common import SYSTEM_PYTHON, XenbedError, log, run

# Debian package -> why it is needed.
PACKAGES = {
    "build-essential": "C compiler and make",
    "pkg-config": "QEMU's configure",
    "ninja-build": "QEMU and xenbed builds",
    "ccache": "incremental QEMU rebuilds",
    "flex": "QEMU's dtc/qapi tooling",
    "bison": "QEMU's dtc/qapi tooling",
    "libglib2.0-dev": "QEMU, unit tests",
    "libpixman-1-dev": "QEMU display code",
    "libslirp-dev": "user-mode networking (-netdev user)",
    "zlib1g-dev": "QEMU",
    "python3": "xenbed, QEMU's build",
    "python3-venv": "QEMU's configure (pyvenv)",
    "python3-pytest": "guest tests",
    "git": "patch queue",
    "seabios": "x86 BIOS (bios-256k.bin)",
    "qemu-system-data": "option ROMs (linuxboot_dma.bin, kvmvapic.bin)",
    "busybox-static": "guest initramfs",
    "cpio": "guest initramfs",
    "kmod": "module dependencies (depmod) for the initramfs",
    "xz-utils": "compressed kernel modules",
    "zstd": "compressed kernel modules",
    "clang": "libFuzzer targets (tests/fuzz)",
    "libclang-rt-14-dev": "libFuzzer runtime",
    "pyflakes3": "Python linter (tool suite)",
    "python3-matplotlib": "xenbed report's plots",
    "qemu-system-common": "virtiofsd: the KVM host VM's view of the host",
}

# What only the on-demand slow suite needs (`xenbed test --suite slow`).
SLOW_PACKAGES = {
    "linux-source-6.1": "a real Linux tree to bisect",
    "bc": "Linux's build",
    "libelf-dev": "Linux's build (objtool)",
    "libssl-dev": "Linux's build (certificate tools)",
}

# QEMU 10 needs meson >= 1.5 and pycotap at configure time; Debian 12 has
# meson 1.0 and no pycotap, so the backports packages are installed.
PYTHON_MODULES = [
    ("mesonbuild", (1, 5), inputs.MESON_DEB, "meson >= 1.5"),
    ("pycotap", (1, 1), inputs.PYCOTAP_DEB, "pycotap >= 1.1"),
]


def os_release():
    info = {}
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                info[k] = v.strip('"')
    except FileNotFoundError:
        pass
    return info


def missing_packages(packages=PACKAGES):
    proc = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\n",
                           *packages], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    installed = {line.split()[0] for line in proc.stdout.splitlines()
                 if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def python_module_version(module):
    code = ("import importlib.metadata as m, sys\n"
            f"name = {'meson' if module == 'mesonbuild' else module!r}\n"
            f"import {module}\n"
            "print(m.version(name))")
    if not os.path.exists(SYSTEM_PYTHON):
        return None
    proc = subprocess.run([SYSTEM_PYTHON, "-c", code], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    if proc.returncode != 0:
        return None
    return tuple(int(x) for x in proc.stdout.strip().split(".")[:2])


def missing_python_debs():
    debs = []
    for module, minimum, deb, what in PYTHON_MODULES:
        version = python_module_version(module)
        if version is None or version < minimum:
            debs.append((deb, what))
    return debs


def describe_requirements():
    lines = ["xenbed needs (Debian package names):"]
    lines += [f"  {p:18} {why}" for p, why in PACKAGES.items()]
    lines += [f"  {what} for {SYSTEM_PYTHON}" for _, _, _, what in PYTHON_MODULES]
    return "\n".join(lines)


def setup(check_only=False, slow=False):
    """Fetch missing pinned inputs and install missing dependencies
    (with `slow`, the slow suite's too); silent when nothing is missing."""
    wanted = dict(PACKAGES, **(SLOW_PACKAGES if slow else {}))
    release = os_release()
    is_debian = release.get("ID") == "debian" and shutil.which("apt-get")
    if not is_debian:
        if shutil.which("dpkg-query") is None or \
           missing_packages(wanted) or \
           missing_python_debs():
            raise XenbedError(
                f"automatic setup supports Debian 12; this is "
                f"{release.get('PRETTY_NAME', 'an unknown system')}.\n"
                + describe_requirements())
        return
    if release.get("VERSION_ID") != "12":
        log(f"warning: tested on Debian 12, this is {release.get('PRETTY_NAME')}")
    if not check_only:
        inputs.provide_all()
    packages = missing_packages(wanted)
    debs = missing_python_debs()
    if not packages and not debs:
        return
    deb_paths = [str(inputs.find(deb)) for deb, _ in debs]
    if check_only or os.geteuid() != 0:
        raise XenbedError(
            "missing: " + " ".join(packages + [what for _, what in debs]) +
            "\n  run as root: xenbed setup   (or: apt-get install " +
            " ".join(packages + deb_paths) + ")")
    log("installing: " + " ".join(packages + [what for _, what in debs]))
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    if not list(Path("/var/lib/apt/lists").glob("*Packages*")) or packages:
        run(["apt-get", "update", "-q"], env=env, quiet=True)
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
         *packages, *deb_paths], env=env, quiet=True)
    still = missing_packages(wanted) + [what for _, what in missing_python_debs()]
    if still:
        raise XenbedError("still missing after apt-get install: " +
                          " ".join(still))
