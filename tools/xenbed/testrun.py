"""`xenbed test`: every suite, one closing line 'N passed, N failed'."""

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

from . import guest, libs, nested, qemu
from .common import BUILD, REPO, SYSTEM_PYTHON, XenbedError, log

TAP_LINE = re.compile(r"^(not ok|ok)\b.*?(#\s*SKIP)?", re.IGNORECASE)
PYTEST_DIRS = {name: REPO / "tests" / name
               for name in ("tool", "guest", "slow")}


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def line(self):
        text = f"{self.passed} passed, {self.failed} failed"
        return text + (f", {self.skipped} skipped" if self.skipped else "")


def unit_suite(tree, label, suite="unit", meson="meson", targets=()):
    """meson test; counts the TAP subtests of every test binary of suite.
    With targets, only those are built first (not every default target
    of the tree, which for QEMU's means all of its own tests too)."""
    tally = Tally()
    env = dict(os.environ, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    cmd = [str(meson), "test", "-C", str(tree), "--print-errorlogs",
           "--suite", suite]
    if targets:
        build = subprocess.run(["ninja", "-C", str(tree), *targets])
        if build.returncode != 0:
            tally.failed += 1
            log(f"{label}: the tests do not build")
            return tally
        cmd.append("--no-rebuild")
    proc = subprocess.run(cmd, env=env)
    log_file = tree / "meson-logs" / "testlog.json"
    for line in log_file.read_text().splitlines():
        entry = json.loads(line)
        failed_before = tally.failed
        for out in (entry.get("stdout") or "").splitlines():
            m = TAP_LINE.match(out)
            if not m:
                continue
            if m.group(1).lower() == "not ok":
                tally.failed += 1
            elif m.group(2):
                tally.skipped += 1
            else:
                tally.passed += 1
        # A crash ends the TAP stream early: count the binary as failed.
        if entry.get("result") not in ("OK", "SKIP") and \
           tally.failed == failed_before:
            tally.failed += 1
    if proc.returncode != 0 and tally.failed == 0:
        tally.failed += 1
    log(f"{label}: {tally.line()}")
    return tally


def fuzz_suite(tree):
    """meson test --suite fuzz: one result per libFuzzer target."""
    tally = Tally()
    proc = subprocess.run(["meson", "test", "-C", str(tree),
                           "--print-errorlogs", "--suite", "fuzz"])
    log_file = tree / "meson-logs" / "testlog.json"
    lines = log_file.read_text().splitlines() if log_file.exists() else []
    for line in lines:
        if json.loads(line).get("result") == "OK":
            tally.passed += 1
        else:
            tally.failed += 1
    if proc.returncode != 0 and tally.failed == 0:
        tally.failed += 1
    log(f"fuzz: {tally.line()}")
    return tally


def pytest_suite(name, keyword=None, options=(), label=None,
                 result_name=None):
    tally = Tally()
    junit = BUILD / "test-results" / f"{result_name or name}.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    if junit.exists():
        junit.unlink()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "tools"), str(qemu.qemu_python_path())] +
        ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    cmd = [SYSTEM_PYTHON, "-m", "pytest", "-rA", "-p", "no:cacheprovider",
           f"--junitxml={junit}", str(PYTEST_DIRS[name])]
    cmd += list(options)
    if keyword:
        cmd += ["-k", keyword]
    proc = subprocess.run(cmd, env=env, cwd=REPO)
    junit_tally(junit, tally)
    # Exit 5 is "no tests collected" (e.g. a -k that matched none).
    if proc.returncode not in (0, 5) and tally.failed == 0:
        tally.failed += 1
    log(f"{label or name}: {tally.line()}")
    return tally


def junit_tally(junit, tally):
    if not junit.exists():
        return
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        total = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        tally.failed += failed
        tally.skipped += skipped
        tally.passed += total - failed - skipped


def guest_suites(args):
    """The guest tests' TCG and KVM variants.  KVM runs directly where
    /dev/kvm can run a guest, else nested under TCG: every KVM variant
    with --accel kvm, the kvm-ci.txt subset by default."""
    if nested.inside():
        # -v -s: a line per test and the guests' consoles (guest.boot
        # echoes them here), so the outer console shows progress.
        return pytest_suite("guest", args.keyword,
                            ["-v", "-s", "--accel-variants=kvm"] +
                            (["--kvm-ci"] if args.kvm_ci else []),
                            label="guest (kvm, nested under TCG)",
                            result_name="guest-kvm")
    accel = guest.accel_choice(args.accel)
    if accel == "tcg":
        return pytest_suite("guest", args.keyword, ["--accel-variants=tcg"])
    if guest.kvm_direct():
        variants = "kvm" if accel == "kvm" else "all"
        return pytest_suite("guest", args.keyword,
                            [f"--accel-variants={variants}"] +
                            (["--kvm-ci"] if args.kvm_ci else []))
    tally = Tally()
    if accel == "auto":
        tally.add(pytest_suite("guest", args.keyword,
                               ["--accel-variants=tcg"]))
    tally.add(nested_guest_suite(args.keyword,
                                 args.kvm_ci or accel == "auto"))
    return tally


def nested_guest_suite(keyword, kvm_ci):
    """The KVM variants in the KVM host VM; counted from its JUnit file."""
    tally = Tally()
    junit = BUILD / "test-results" / "guest-kvm.xml"
    if junit.exists():
        junit.unlink()
    command = [str(REPO / "xenbed"), "test", "--suite", "guest",
               "--accel", "kvm"] + (["--kvm-ci"] if kvm_ci else []) + \
        (["-k", keyword] if keyword else [])
    try:
        rc = nested.run(command, echo=lambda line: print(line, flush=True))
    except XenbedError as e:
        log(f"guest (kvm, nested under TCG): {e}")
        rc = None
    junit_tally(junit, tally)
    if rc not in (0, 5) and tally.failed == 0:
        tally.failed += 1
    log(f"guest (kvm, nested under TCG): {tally.line()}")
    return tally


def main(args):
    total = Tally()
    if args.suite in ("all", "unit") and not args.keyword:
        total.add(unit_suite(libs.LIBS, "unit"))
        total.add(unit_suite(libs.LIBS_SANITIZED, "unit (ASan+UBSan)"))
        total.add(fuzz_suite(libs.LIBS_FUZZ))
    if args.suite in ("all", "qtest") and not args.keyword:
        # The Xen emulation driven by libqtest, in QEMU's build trees:
        # plain and with ASan+UBSan (a sanitizer report aborts QEMU).
        targets = ["qemu-system-x86_64"] + [
            f"xenbed/tests/qtest/{c.stem}"
            for c in sorted((REPO / "tests" / "qtest").glob("*-test.c"))]
        for obj, label in ((qemu.OBJ, "qtest"),
                           (qemu.OBJ_SANITIZED, "qtest (ASan+UBSan)")):
            total.add(unit_suite(obj, label, suite="xenbed-qtest",
                                 meson=qemu.meson_in_venv(obj),
                                 targets=targets))
    if args.suite in ("all", "tool"):
        total.add(pytest_suite("tool", args.keyword))
    if args.suite in ("all", "guest"):
        total.add(guest_suites(args))
    if args.suite == "slow":
        # On demand only: real kernel builds (README, "Slow suite").
        total.add(pytest_suite("slow", args.keyword, ["-v", "-s"]))
    print(total.line(), flush=True)
    return 1 if total.failed or not (total.passed or total.failed) else 0
