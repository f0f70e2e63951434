"""Pinned build and test inputs: where they are looked for and how checked.

Every pinned file is listed with its sha256 in inputs.sha256.  A file is
found in $XENBED_DIST, then in the download cache
(${XDG_CACHE_HOME:-~/.cache}/xenbed/dist); one found in neither is fetched
from the Debian archive into the cache (fetch.py) unless $XENBED_FETCH=no.
"""

import json
import os
from collections import namedtuple
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

# Each pinned file as the Debian archive carries it.  kind "deb" is a
# binary package (apt-get download); "source" is the orig tarball of a
# source package (apt-get source --download-only).
ArchiveItem = namedtuple("ArchiveItem", "kind package version suite")
ARCHIVE = {
    QEMU_DEBIAN_TARBALL:
        ArchiveItem("source", "qemu", "1:10.0.13+ds-0+deb13u1", "trixie"),
    KERNEL_DEBS["6.1"]:
        ArchiveItem("deb", "linux-image-6.1.0-56-cloud-amd64", "6.1.192-2",
                    "bookworm-security"),
    KERNEL_DEBS["6.12"]:
        ArchiveItem("deb", "linux-image-6.12.95+deb12-cloud-amd64",
                    "6.12.95-1~bpo12+1", "bookworm-backports"),
    MESON_DEB: ArchiveItem("deb", "meson", "1.7.0-1~bpo12+1",
                           "bookworm-backports"),
    PYCOTAP_DEB: ArchiveItem("deb", "python3-pycotap", "1.3.1-2~bpo12+1",
                             "bookworm-backports"),
}


def where_from(name):
    item = ARCHIVE.get(name)
    if item is None:
        return "its source"
    if item.kind == "source":
        return (f"Debian {item.suite}'s source package {item.package} "
                f"{item.version} (apt-get source --download-only "
                f"{item.package}={item.version}), or set XENBED_QEMU_TARBALL "
                f"to the QEMU release tarball {QEMU_UPSTREAM_TARBALL}")
    return (f"Debian {item.suite}: apt-get download "
            f"{item.package}={item.version}")


def pins():
    table = {}
    for line in PINS_FILE.read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            table[name] = digest
    return table


def cache_dir():
    """xenbed's download cache: fetched inputs and apt's state for them."""
    return Path(os.environ.get("XDG_CACHE_HOME") or
                Path.home() / ".cache") / "xenbed"


def search_dirs():
    dirs = []
    if os.environ.get("XENBED_DIST"):
        dirs.append(Path(os.environ["XENBED_DIST"]))
    dirs.append(cache_dir() / "dist")
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
            f"  replace it with the original from {where_from(path.name)}")
    return path


def locate(name):
    """The checked path of `name` in the search folders, or None."""
    expected = pins()[name]
    for d in search_dirs():
        candidate = d / name
        if candidate.is_file():
            return verified(candidate, expected)
    return None


def find(name, required=True):
    """Return the checked path of pinned input `name`, fetching it when it
    is in no search folder; None when not required and not found."""
    path = locate(name)
    if path is not None or not required:
        return path
    from . import fetch
    if fetch.enabled():
        return fetch.fetch([name])[name]
    looked = ", ".join(str(d) for d in search_dirs())
    raise XenbedError(
        f"missing input {name}\n  looked in: {looked} "
        f"(set XENBED_DIST to the folder that has it, or unset "
        f"XENBED_FETCH to let xenbed fetch it)\n"
        f"  get it from {where_from(name)}")


def needed():
    """Every pinned input that run, test and bench use."""
    names = list(pins())
    if os.environ.get("XENBED_QEMU_TARBALL"):
        names.remove(QEMU_DEBIAN_TARBALL)
    return names


def provide_all(names=None):
    """Fetch, in one apt session, whichever of `names` (default: needed())
    is in no search folder."""
    from . import fetch
    missing = [n for n in (needed() if names is None else names)
               if locate(n) is None]
    if missing and fetch.enabled():
        fetch.fetch(missing)
