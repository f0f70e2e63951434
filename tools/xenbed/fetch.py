"""Fetch pinned inputs from the Debian archive with apt's own clients.

apt-get runs with a sources list, package lists and cache of xenbed's own
under ${XDG_CACHE_HOME:-~/.cache}/xenbed/apt, so the system's apt sources,
preferences and lists are left as they were.  The sources name the
system's own Debian mirrors (or $XENBED_DEBIAN_MIRROR) with the suites the
pins come from; $XENBED_APT_SOURCES replaces the whole list (a one-line
style sources.list; the tests point it at a local file: repository).
Fetched files are checked against inputs.sha256 before they go into the
download cache, so a bad download never sits where inputs.find() looks.
"""

import fcntl
import os
import re
import shutil
import subprocess
from pathlib import Path

from . import inputs
from .common import XenbedError, log, sha256_file

DEBIAN_MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
APT_SOURCES_DIR = Path("/etc/apt")
NO_FETCH_VALUES = ("0", "no", "off", "false")


def enabled():
    """False when $XENBED_FETCH says no: inputs must then be provided."""
    return os.environ.get("XENBED_FETCH", "yes").lower() not in NO_FETCH_VALUES


def apt_dir():
    return inputs.cache_dir() / "apt"


def _source_entries(etc=APT_SOURCES_DIR):
    """(uri, suites) of every enabled 'deb' entry in the system's sources."""
    entries = []
    one_line = [etc / "sources.list"] + sorted((etc / "sources.list.d").glob("*.list"))
    for path in one_line:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            line = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(line) >= 3 and line[0] == "deb":
                entries.append((line[1], [line[2]]))
    for path in sorted((etc / "sources.list.d").glob("*.sources")):
        try:
            text = path.read_text()
        except OSError:
            continue
        for stanza in re.split(r"\n\s*\n", text):
            fields = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
            if fields.get("enabled", ["yes"])[0].lower() == "no" or \
               "deb" not in fields.get("types", []):
                continue
            for uri in fields.get("uris", []):
                entries.append((uri, fields.get("suites", [])))
    return entries


def system_mirrors(etc=APT_SOURCES_DIR):
    """The Debian and Debian security mirrors this system's apt uses."""
    mirror = os.environ.get("XENBED_DEBIAN_MIRROR")
    security = None
    for uri, suites in _source_entries(etc):
        uri = uri.rstrip("/")
        if any(s.endswith("-security") for s in suites):
            security = security or uri
        elif mirror is None and any(s in ("bookworm", "trixie", "stable")
                                    for s in suites):
            mirror = uri
    mirror = (mirror or DEBIAN_MIRROR).rstrip("/")
    if security is None:
        security = re.sub(r"/debian$", "/debian-security", mirror) \
            if mirror.endswith("/debian") else SECURITY_MIRROR
    return mirror, security


def sources_list(etc=APT_SOURCES_DIR):
    override = os.environ.get("XENBED_APT_SOURCES")
    if override:
        try:
            return Path(override).read_text()
        except OSError as e:
            raise XenbedError(f"XENBED_APT_SOURCES={override}: {e.strerror}")
    mirror, security = system_mirrors(etc)
    binary_suites = sorted({item.suite for item in inputs.ARCHIVE.values()
                            if item.kind == "deb"})
    source_suites = sorted({item.suite for item in inputs.ARCHIVE.values()
                            if item.kind == "source"})
    lines = []
    for suite in binary_suites:
        uri = security if suite.endswith("-security") else mirror
        lines.append(f"deb {uri} {suite} main")
    lines += [f"deb-src {mirror} {suite} main" for suite in source_suites]
    return "\n".join(lines) + "\n"


class AptSession:
    """apt-get with xenbed's private state; one 'apt-get update' a session."""

    def __init__(self):
        self.root = apt_dir()
        self.empty = self.root / "empty.d"
        for d in ("lists/partial", "cache/archives/partial", "empty.d"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        self.sources = self.root / "sources.list"
        self.sources.write_text(sources_list())
        self.update_failures = []
        self.updated = False

    def options(self):
        opts = {
            "Dir::Etc::SourceList": self.sources,
            "Dir::Etc::SourceParts": self.empty,
            "Dir::Etc::Preferences": "/dev/null",
            "Dir::Etc::PreferencesParts": self.empty,
            "Dir::State::Lists": self.root / "lists",
            "Dir::Cache": self.root / "cache",
            "Acquire::Retries": 1,
            "APT::Get::List-Cleanup": "false",
        }
        if os.geteuid() == 0:
            # The download folders are ours; apt's _apt user cannot write them.
            opts["APT::Sandbox::User"] = "root"
        return [arg for k, v in opts.items() for arg in ("-o", f"{k}={v}")]

    def apt_get(self, *args, cwd=None):
        return subprocess.run(["apt-get", "-q", *self.options(), *args],
                              cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              env=dict(os.environ, LC_ALL="C",
                                       DEBIAN_FRONTEND="noninteractive"))

    def update(self):
        if self.updated:
            return
        proc = self.apt_get("update")
        self.updated = True
        self.update_failures = [
            line[2:].strip() for line in proc.stdout.splitlines()
            if line.startswith(("W: Failed to fetch", "E: Failed to fetch"))]
        if proc.returncode != 0 and not self.update_failures:
            self.update_failures = [_apt_error(proc.stdout)]

    def download(self, name, item, dest):
        """Download `item` into the empty folder dest; the path of `name`."""
        self.update()
        if item.kind == "source":
            args = ["source", "--download-only", f"{item.package}={item.version}"]
        else:
            args = ["download", f"{item.package}={item.version}"]
        proc = self.apt_get(*args, cwd=dest)
        path = dest / name
        if proc.returncode == 0 and path.is_file():
            return path
        if self.update_failures:
            reason = ("the Debian archive could not be reached (" +
                      self.update_failures[0] + ")")
        elif proc.returncode != 0:
            reason = (f"the archive no longer carries {item.package} "
                      f"{item.version} ({_apt_error(proc.stdout)})")
        else:
            reason = f"apt-get {args[0]} gave no {name}"
        raise FetchError(name, reason)


class FetchError(XenbedError):
    def __init__(self, name, reason):
        super().__init__(
            f"cannot fetch {name}: {reason}; provide it by hand: put it in a "
            f"folder and set XENBED_DIST to that folder "
            f"(it comes from {inputs.where_from(name)})")


def _apt_error(output):
    errors = [line[2:].strip() for line in output.splitlines()
              if line.startswith("E: ")]
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return errors[0] if errors else (lines[-1] if lines else "no output")


def fetch(names):
    """Fetch the pinned inputs `names` into the download cache and check
    them; returns {name: path}.  Raises FetchError naming the first file
    that cannot be had."""
    todo = [n for n in names if n in inputs.ARCHIVE]
    if not todo:
        return {}
    if shutil.which("apt-get") is None:
        raise FetchError(todo[0], "apt-get is not on this system")
    cache = inputs.cache_dir() / "dist"
    cache.mkdir(parents=True, exist_ok=True)
    apt_dir().mkdir(parents=True, exist_ok=True)
    fetched = {}
    with open(apt_dir() / "lock", "w") as lock:
        # Concurrent xenbed runs fetch one at a time; the second finds
        # what the first fetched.
        fcntl.flock(lock, fcntl.LOCK_EX)
        session = None
        for name in todo:
            target = cache / name
            if target.is_file():
                fetched[name] = inputs.verified(target, inputs.pins()[name])
                continue
            session = session or AptSession()
            item = inputs.ARCHIVE[name]
            staging = apt_dir() / "download"
            if staging.exists():
                shutil.rmtree(staging)
            staging.mkdir()
            log(f"fetching {name} ({item.package} {item.version}, "
                f"{item.suite}) with apt-get")
            path = session.download(name, item, staging)
            expected = inputs.pins()[name]
            actual = sha256_file(path)
            if actual != expected:
                shutil.rmtree(staging)
                raise FetchError(
                    name, f"the file apt-get fetched has sha256 {actual}, "
                    f"not the pinned {expected}")
            shutil.move(str(path), target)
            shutil.rmtree(staging)
            log(f"fetched {target} ({target.stat().st_size / 1e6:.1f} MB, "
                "sha256 checked)")
            fetched[name] = target
    return fetched
