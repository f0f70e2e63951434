"""Pinned build and test inputs: where they are looked for and how checked.

Every pinned file is listed with its sha256 in inputs.sha256.  A file is
found in $XENBED_DIST, then in the download cache
(${XDG_CACHE_HOME:-~/.cache}/xenbed/dist).  Nothing is downloaded.
"""

import json
import os
from pathlib import Path

from .common import BUILD, XenbedError, sha256_file

PINS_FILE = Path(__file__).with_name("inputs.sha256")

QEMU_VERSION = "10.0.13"
QEMU_DEBIAN_TARBALL = f"qemu_{QEMU_VERSION}+ds.orig.tar.xz"
QEMU_UPSTREAM_TARBALL = f"qemu-{QEMU_VERSION}.tar.xz"
KERNEL_DEBS = {
    "6.1": "linux-image-6.1.0-56-cloud-amd64_6.1.192-2_amd64.deb",
    "6.12": "linux-image-6.12.95+deb12-cloud-amd64_6.12.95-1~bpo12+1_amd64.deb",
}
DEFAULT_KERNEL = "6.12"
MESON_DEB = "meson_1.7.0-1~bpo12+1_all.deb"
PYCOTAP_DEB = "python3-pycotap_1.3.1-2~bpo12+1_all.deb"

WHERE_FROM = {
    QEMU_DEBIAN_TARBALL:
        "the Debian source package 'qemu' 1:10.0.13+ds "
        "(apt-get source --download-only qemu=1:10.0.13+ds-*), or set "
        f"XENBED_QEMU_TARBALL to the QEMU release tarball "
        f"{QEMU_UPSTREAM_TARBALL}",
    KERNEL_DEBS["6.1"]:
        "Debian 12: apt-get download linux-image-6.1.0-56-cloud-amd64",
    KERNEL_DEBS["6.12"]:
        "Debian 12 backports: apt-get download "
        "linux-image-6.12.95+deb12-cloud-amd64",
    MESON_DEB: "Debian 12 backports: apt-get download meson/bookworm-backports",
    PYCOTAP_DEB:
        "Debian 12 backports: apt-get download python3-pycotap/bookworm-backports",
}


def pins():
    table = {}
    for line in PINS_FILE.read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            table[name] = digest
    return table


def search_dirs():
    dirs = []
    if os.environ.get("XENBED_DIST"):
        dirs.append(Path(os.environ["XENBED_DIST"]))
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    dirs.append(cache / "xenbed" / "dist")
    return dirs


def verified(path, expected):
    """sha256-check path, remembering results by size and mtime."""
    cache_file = BUILD / "stamps" / "sha256-cache.json"
    try:
        cache = json.loads(cache_file.read_text())
    except (FileNotFoundError, ValueError):
        cache = {}
    st = path.stat()
    key = f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    actual = cache.get(key)
    if actual is None:
        actual = sha256_file(path)
        cache[key] = actual
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(json.dumps(cache, indent=1))
    if actual != expected:
        raise XenbedError(
            f"{path}: sha256 mismatch (corrupt or wrong file)\n"
            f"  expected {expected}\n  actual   {actual}\n"
            f"  replace it with the original from {WHERE_FROM.get(path.name, 'its source')}")
    return path


def find(name, required=True):
    """Return the checked path of pinned input `name`, or None."""
    expected = pins()[name]
    for d in search_dirs():
        candidate = d / name
        if candidate.is_file():
            return verified(candidate, expected)
    if not required:
        return None
    looked = ", ".join(str(d) for d in search_dirs())
    raise XenbedError(
        f"missing input {name}\n  looked in: {looked} "
        f"(set XENBED_DIST to the folder that has it)\n"
        f"  get it from {WHERE_FROM.get(name, 'its source')}")
