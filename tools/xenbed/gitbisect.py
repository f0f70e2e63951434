"""`xenbed bisect --linux TREE --good REV --bad REV --job JOB`: the
first commit of a kernel tree that breaks a job, with `git bisect run`
driving `xenbed bisect-step`.

The bisection runs in a worktree of its own (git worktree add), so the
user's checkout, index and HEAD stay as they were; the worktree goes
away at the end.  It sits beside the build folder, at the same path on
every run, because Kbuild puts the source path into every compiler
command line: ccache then hits across runs.  Each step builds the kernel
out of tree in a build folder kept between steps (incremental, with
ccache) and runs the job on it:

  build fails          exit 125: git skips the commit
  job passes           exit 0: good
  a step fails         exit 1: bad
  infrastructure fault exit 128: git bisect run stops, and so do we

The build command is configurable (--build-cmd, run by sh in the tree
with $XENBED_OUT the build folder); the default is a Linux build with a
Xen guest configuration (defconfig, xen.config, netfront, the evtchn
device, xenfs, privcmd; or --kernel-config FILE).
"""

import argparse
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import flights, inputs, jobs, kernel
from .common import REPO, XenbedError

SKIP, ABORT = 125, 128

# Options a Xen HVM guest of the jobs needs, besides defconfig + xen.config.
XEN_GUEST_OPTIONS = ["XEN_NETDEV_FRONTEND", "XEN_DEV_EVTCHN", "XENFS",
                     "XEN_COMPAT_XENFS", "XEN_PRIVCMD", "XEN_PVHVM"]
LINUX_BUILD = r"""
set -e
cc="ccache gcc"; command -v ccache >/dev/null || cc=gcc
if [ -n "$XENBED_KERNEL_CONFIG" ]; then
    cp "$XENBED_KERNEL_CONFIG" "$XENBED_OUT/.config"
    make O="$XENBED_OUT" CC="$cc" olddefconfig
else
    make O="$XENBED_OUT" CC="$cc" defconfig xen.config
    for o in {options}; do
        scripts/config --file "$XENBED_OUT/.config" --enable $o
    done
    make O="$XENBED_OUT" CC="$cc" olddefconfig
fi
make O="$XENBED_OUT" CC="$cc" -j"$(nproc)" bzImage modules
rm -rf "$XENBED_OUT/modules"
make O="$XENBED_OUT" INSTALL_MOD_PATH="$XENBED_OUT/modules" modules_install
""".replace("{options}", " ".join(XEN_GUEST_OPTIONS))


def git(tree, *args, check=True):
    proc = subprocess.run(["git", "-C", str(tree), *args], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and proc.returncode != 0:
        raise XenbedError(f"git {' '.join(args)} in {tree}: "
                          f"{proc.stderr.strip()}")
    return proc.stdout.strip()


def add_step_arguments(p):
    """Options shared by `bisect --linux` and `bisect-step`."""
    p.add_argument("--job", required=True, help="a job of `xenbed jobs`")
    p.add_argument("--step", help="judge by this step only")
    p.add_argument("--accel", choices=["auto", "kvm", "tcg"])
    p.add_argument("--config", help="config file, as for job run")
    p.add_argument("--build-cmd", help="shell command building the kernel "
                   "in the tree into $XENBED_OUT (default: Linux, out of "
                   "tree, Xen guest configuration, ccache)")
    p.add_argument("--kernel-config", help="a .config for the default build "
                   "instead of defconfig + xen.config")
    p.add_argument("--build-dir", help="the build folder, kept between "
                   "steps (default ~/.cache/xenbed/linux-build/TREE)")
    p.add_argument("--kernel-path", default="arch/x86/boot/bzImage",
                   help="the built kernel, relative to the build folder")
    p.add_argument("--modules-path", default="modules/lib/modules/*",
                   help="its lib/modules/RELEASE (a glob), relative to the "
                   "build folder")


def add_step_only_arguments(p):
    p.add_argument("--linux", help="the tree; with --rev, the step checks "
                   "REV out in a worktree of its own (else: the current "
                   "folder, as git bisect run calls it)")
    p.add_argument("--rev", help="with --linux: the revision to test")
    # Where each step leaves its outcome for `bisect --linux` to report.
    p.add_argument("--status-dir", help=argparse.SUPPRESS)


def default_build_dir(tree):
    return inputs.cache_dir() / "linux-build" / Path(tree).resolve().name


def add_worktree(tree, build_dir, rev):
    """Check `rev` out in the worktree beside `build_dir`, replacing what
    an interrupted run may have left there."""
    wt = build_dir.with_name(build_dir.name + "-src")
    git(tree, "worktree", "remove", "--force", str(wt), check=False)
    git(tree, "worktree", "prune", check=False)
    if wt.exists():
        shutil.rmtree(wt)
    wt.parent.mkdir(parents=True, exist_ok=True)
    git(tree, "worktree", "add", "--detach", str(wt), rev)
    return wt


def remove_worktree(tree, wt):
    git(tree, "worktree", "remove", "--force", str(wt), check=False)
    git(tree, "worktree", "prune", check=False)


def build(tree, args, out):
    """Run the build command in `tree`; True when it succeeded."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, XENBED_OUT=str(out))
    if args.kernel_config:
        env["XENBED_KERNEL_CONFIG"] = str(Path(args.kernel_config).resolve())
    cmd = args.build_cmd or LINUX_BUILD
    log = out / "xenbed-build.log"
    with open(log, "w") as f:
        proc = subprocess.run(["sh", "-c", cmd], cwd=tree, env=env,
                              stdout=f, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        print(f"bisect-step: build failed (exit {proc.returncode}); "
              f"{log}:", flush=True)
        for line in tail:
            print("  | " + line, flush=True)
        return False
    return True


def built_kernel(args, out):
    image = out / args.kernel_path
    modules = sorted(glob.glob(str(out / args.modules_path)))
    if not image.is_file():
        return None
    return kernel.resolve(str(image), modules[0] if modules else None)


def step_main(args):
    """`xenbed bisect-step`: exit 0 good, 1 bad, 125 skip, 128 abort."""
    if args.linux and args.rev:
        tree = Path(args.linux).resolve()
        wt = add_worktree(tree, Path(args.build_dir or
                                     default_build_dir(tree)), args.rev)
        try:
            return _step(wt, args, tree)
        finally:
            remove_worktree(tree, wt)
    return _step(Path.cwd(), args, Path(args.linux or Path.cwd()))


def _step(wt, args, tree):
    rev = git(wt, "rev-parse", "HEAD")
    subject = git(wt, "log", "-1", "--format=%s")
    out = Path(args.build_dir or default_build_dir(tree))
    print(f"bisect-step: {rev[:12]} {subject}", flush=True)
    status = {"rev": rev, "subject": subject}
    if not build(wt, args, out):
        status["outcome"] = "skip"
        code = SKIP
    else:
        kern = built_kernel(args, out)
        if kern is None:
            print(f"bisect-step: the build left no {out / args.kernel_path}",
                  flush=True)
            status["outcome"] = "skip"
            code = SKIP
        else:
            code = _run(args, kern, rev, status)
    if args.status_dir:
        Path(args.status_dir).mkdir(parents=True, exist_ok=True)
        (Path(args.status_dir) / f"{rev}.json").write_text(
            json.dumps(status))
    return code


def _run(args, kern, rev, status):
    config = jobs.load_config(jobs.config_path(args.config))
    opts = jobs.job_options(args.job, config, {"accel": args.accel,
                                               "kernel": str(kern.image)})
    run = jobs.run_job(opts, only_step=args.step, kern=kern,
                       printer=lambda s: print(s, flush=True))
    jobs.print_run(run, lambda s: print(s, flush=True))
    flight = flights.record(run, args.step, kernel_revision=rev)
    bad = run.failed_step()
    status.update(outcome=run.result, flight=flight,
                  step=bad.name if bad else None,
                  message=bad.message.splitlines()[0] if bad else "",
                  log=str(bad.log) if bad else "",
                  console_tail=run.console_tail)
    return {jobs.PASS: 0, jobs.FAIL: 1, jobs.INFRA: ABORT}[run.result]


def step_command(args, status_dir, build_dir):
    """The `xenbed bisect-step` command git bisect run runs."""
    cmd = [sys.executable, str(REPO / "xenbed"), "bisect-step", "--job",
           args.job, "--build-dir", str(build_dir), "--kernel-path",
           args.kernel_path, "--modules-path", args.modules_path,
           "--linux", str(Path(args.linux).resolve())]
    if status_dir:
        cmd += ["--status-dir", str(status_dir)]
    for opt in ("step", "accel", "config", "build_cmd", "kernel_config"):
        value = getattr(args, opt)
        if value:
            if opt in ("config", "kernel_config"):
                value = str(Path(value).resolve())
            cmd += ["--" + opt.replace("_", "-"), value]
    return cmd


def main(args):
    """`xenbed bisect --linux`: 0 with a first bad commit, 2 stopped by an
    infrastructure fault, 1 when git could not name one commit."""
    tree = Path(args.linux).resolve()
    if git(tree, "rev-parse", "--is-inside-work-tree", check=False) != \
            "true":
        raise XenbedError(f"--linux {args.linux}: not a git tree")
    good = git(tree, "rev-parse", "--verify", f"{args.good}^{{commit}}")
    bad = git(tree, "rev-parse", "--verify", f"{args.bad}^{{commit}}")
    build_dir = Path(args.build_dir or default_build_dir(tree))
    print(f"bisect: {tree}, good {good[:12]}, bad {bad[:12]}, job "
          f"{args.job}" + (f", step {args.step}" if args.step else "") +
          f"; builds in {build_dir}", flush=True)
    with tempfile.TemporaryDirectory(prefix="xenbed-bisect-") as tmp:
        status_dir = Path(tmp) / "status"
        wt = add_worktree(tree, build_dir, bad)
        try:
            git(wt, "bisect", "start", bad, good)
            proc = subprocess.Popen(
                ["git", "-C", str(wt), "bisect", "run",
                 *step_command(args, status_dir, build_dir)], text=True,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            output = []
            for line in proc.stdout:
                output.append(line.rstrip("\n"))
                print("  " + line, end="", flush=True)
            proc.wait()
            bisect_log = git(wt, "bisect", "log", check=False)
            statuses = {p.stem: json.loads(p.read_text())
                        for p in status_dir.glob("*.json")}
            return report(args, tree, output, statuses, bisect_log)
        finally:
            git(wt, "bisect", "reset", check=False)
            remove_worktree(tree, wt)


def report(args, tree, output, statuses, bisect_log):
    print()
    infra = [s for s in statuses.values() if s["outcome"] == jobs.INFRA]
    if infra:
        s = infra[-1]
        print(f"bisection stopped: infrastructure fault at {s['rev'][:12]} "
              f"{s['subject']} (flight {s['flight']}), which says nothing "
              "about the commit")
        print(f"  {s['step']}: {s['message']}")
        if s.get("console_tail"):
            print(f"  QEMU/console: {s['console_tail']}")
        print(f"  log: {s['log']}")
        print("bisect log so far:")
        print("\n".join("  " + line for line in bisect_log.splitlines()))
        return 2
    first = next((line.split()[0] for line in output
                  if line.endswith(" is the first bad commit")), None)
    if first is None:
        print("git bisect did not name one first bad commit:")
        print("\n".join("  " + line for line in output[-15:]))
        return 1
    s = statuses.get(first, {})
    subject = git(tree, "log", "-1", "--format=%s", first)
    print(f"first bad commit: {first} {subject}")
    print(f"failing step: {s.get('message', '?')}")
    print(f"evidence: {s.get('log', '?')} (flight {s.get('flight', '?')})")
    repro = ["./xenbed", "bisect-step", "--linux", str(tree), "--rev",
             first[:12]] + step_command(args, None, Path(
                 args.build_dir or default_build_dir(tree)))[3:]
    # --linux was given twice above; keep the first.
    i = repro.index("--linux", 3)
    del repro[i:i + 2]
    print("reproduce: " + " ".join(shlex.quote(c) for c in repro))
    skipped = bisect_log.count("\ngit bisect skip")
    print(f"bisection: {len(statuses)} steps ({skipped} skipped builds)")
    return 0
