"""Paths, logging and process helpers shared by every xenbed subcommand."""

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("XENBED_BUILD_DIR", REPO / "build")).resolve()
# Shell that runs inside guests (guest.script()).
GUEST_SCRIPTS = REPO / "tests" / "guest" / "scripts"
SYSTEM_PYTHON = "/usr/bin/python3"


class XenbedError(Exception):
    """An error the user can act on; printed as one message, no traceback."""


def log(msg):
    print(f"xenbed: {msg}", flush=True)


def run(cmd, cwd=None, env=None, quiet=False, check=True):
    """Run a command, echoing it; raise XenbedError naming it on failure."""
    if not quiet:
        log("$ " + " ".join(shlex.quote(str(c)) for c in cmd))
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=full_env,
                          stdout=subprocess.PIPE if quiet else None,
                          stderr=subprocess.STDOUT if quiet else None,
                          text=True)
    if check and proc.returncode != 0:
        detail = ""
        if quiet and proc.stdout:
            detail = "\n" + "\n".join(proc.stdout.splitlines()[-30:])
        raise XenbedError(f"command failed (exit {proc.returncode}): "
                          f"{' '.join(str(c) for c in cmd)}{detail}")
    return proc


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_revision():
    """Short hash of the xenbed checkout, or 'unknown' outside git."""
    proc = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12",
                           "HEAD"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def read_stamp(path):
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        return None


def write_stamp(path, value):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(value)


def die(err):
    print(f"xenbed: error: {err}", file=sys.stderr, flush=True)
    sys.exit(1)
