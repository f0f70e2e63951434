"""Command line: xenbed setup | build | run | test | patches | qemu."""

import argparse
import os
import sys

from . import deps, qemu
from .common import REPO, XenbedError, die, log


def cmd_setup(args):
    deps.setup(check_only=args.check)
    return 0


def cmd_build(args):
    deps.setup()
    build_all(args.jobs, sanitize=args.sanitize)
    return 0


def build_all(jobs=None, sanitize=False):
    """QEMU and xenbed's libraries; with sanitize (or XENBED_SANITIZE=1)
    QEMU with ASan and UBSan too."""
    from . import libs
    qemu.build(jobs)
    if sanitize or qemu.sanitized_wanted():
        qemu.build(jobs, sanitize=True)
    libs.build()


def run_guest_command(args, main):
    """Build, then main(args); in the KVM host VM when KVM is asked for
    and /dev/kvm cannot run a guest.  Inside that VM the outer xenbed has
    built everything already."""
    from . import guest, nested
    if nested.inside():
        return main(args)
    deps.setup()
    build_all()
    if guest.accel_choice(args.accel) == "kvm" and not guest.kvm_direct():
        return nested.run([str(REPO / "xenbed")] + args.argv)
    return main(args)


def cmd_run(args):
    from . import runjob
    return run_guest_command(args, runjob.main)


def cmd_test(args):
    from . import nested, testrun
    if not nested.inside():
        deps.setup(slow=args.suite == "slow")
        # The qtests run against the sanitized QEMU too.
        build_all(sanitize=args.suite in ("all", "qtest") and
                  not args.keyword)
    return testrun.main(args)


def cmd_bench(args):
    from . import bench
    if args.qemu:
        bench.use_qemu(args)
    return run_guest_command(args, bench.main)


def cmd_jobs(args):
    from . import jobs
    return jobs.list_jobs()


def cmd_job_run(args):
    from . import jobs
    config = jobs.load_config(jobs.config_path(args.config))
    if config["qemu_tarball"]:
        # As XENBED_QEMU_TARBALL: the build check below uses it.
        os.environ["XENBED_QEMU_TARBALL"] = config["qemu_tarball"]
    if not args.no_build:
        deps.setup()
        build_all()
    return jobs.main(args, config)


def cmd_history(args):
    from . import flights
    return flights.history_main(args)


def cmd_bisect(args):
    from . import bisect, jobs
    config = jobs.load_config(jobs.config_path(args.config))
    if config["qemu_tarball"]:
        os.environ["XENBED_QEMU_TARBALL"] = config["qemu_tarball"]
    if bool(args.kernels) == bool(args.linux):
        raise XenbedError("bisect: give --kernels A B ... or --linux TREE "
                          "--good REV --bad REV")
    if args.linux and not (args.good and args.bad):
        raise XenbedError("bisect --linux needs --good REV and --bad REV")
    if not args.no_build:
        deps.setup()
        build_all()
    if args.linux:
        from . import gitbisect
        return gitbisect.main(args)
    return bisect.main(args, config)


def cmd_bisect_step(args):
    from . import gitbisect
    return gitbisect.step_main(args)


def cmd_report(args):
    from . import report
    return report.main(args)


def cmd_matrix(args):
    from . import matrix
    return matrix.main(args)


def cmd_patches(args):
    from . import patchq
    if args.action == "edit":
        patchq.edit()
    elif args.action == "check":
        failures = patchq.check()
        if failures:
            raise XenbedError(f"{len(failures)} patches do not build on "
                              "their own:\n" + "\n".join(failures))
        log("every patch of qemu-patches/ builds on its own")
    else:
        patchq.export(args.output)
    return 0


def cmd_qemu(args):
    binary = qemu.BINARY
    if not binary.exists():
        raise XenbedError("QEMU is not built yet: run xenbed build")
    argv = [str(binary)] + qemu.firmware_args()
    extra = args.qemu_args
    if extra[:1] == ["--"]:
        extra = extra[1:]
    os.execv(argv[0], argv + extra)


def parser():
    p = argparse.ArgumentParser(
        prog="xenbed",
        description="Xen paravirtual interfaces for unmodified Linux guests "
                    "in QEMU's Xen emulation, under KVM or TCG.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("setup", help="fetch the pinned inputs and install "
                       "build and test dependencies (Debian 12, as root)")
    s.add_argument("--check", action="store_true",
                   help="only report what is missing")
    s.set_defaults(func=cmd_setup)

    s = sub.add_parser("build", help="build the patched QEMU and xenbed's "
                       "libraries")
    s.add_argument("-j", "--jobs", type=int, help="parallel build jobs")
    s.add_argument("--sanitize", action="store_true",
                   help="also build QEMU with AddressSanitizer and UBSan "
                   "(build/qemu/build-asan; XENBED_SANITIZE=1 runs it)")
    s.set_defaults(func=cmd_build)

    s = sub.add_parser("run", help="boot a kernel under the built QEMU and "
                       "report what the guest saw")
    from . import runjob
    runjob.add_arguments(s)
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("test", help="run every test suite; ends with "
                       "'N passed, N failed'")
    s.add_argument("--suite", choices=["all", "unit", "qtest", "tool", "guest",
                                       "slow"], default="all",
                   help="one suite; all is every suite but slow, which "
                   "runs only when asked for (real Linux builds)")
    s.add_argument("-k", dest="keyword", help="pytest -k expression for "
                   "the guest suite")
    s.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto",
                   help="the guest tests' variants to run: auto (default) "
                   "runs the TCG ones and the KVM ones directly where "
                   "/dev/kvm runs a guest, else KVM nested under TCG for "
                   "the subset in tests/guest/kvm-ci.txt; kvm runs every "
                   "KVM variant (nested where needed)")
    s.add_argument("--kvm-ci", action="store_true",
                   help="only the KVM variants tests/guest/kvm-ci.txt lists")
    s.set_defaults(func=cmd_test)

    s = sub.add_parser("bench", help="benchmarks that print figures")
    from . import bench
    bench.add_arguments(s)
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser("jobs", help="list the jobs (tools/xenbed/jobs.toml) "
                       "and their steps")
    s.set_defaults(func=cmd_jobs)

    s = sub.add_parser("job", help="run a job: boot its guest once and "
                       "run its steps")
    job_sub = s.add_subparsers(dest="action", required=True)
    r = job_sub.add_parser("run", help="run one job (or one step of it)")
    from . import jobs
    jobs.add_run_arguments(r)
    r.set_defaults(func=cmd_job_run)

    s = sub.add_parser("history", help="the flights (job runs) recorded in "
                       "flights.db, as a table and JUnit XML")
    from . import flights
    flights.add_history_arguments(s)
    s.set_defaults(func=cmd_history)

    s = sub.add_parser("bisect", help="find the first kernel that breaks "
                       "a job")
    from . import bisect
    bisect.add_arguments(s)
    s.set_defaults(func=cmd_bisect)

    s = sub.add_parser("bisect-step", help="build the kernel tree here and "
                       "run a job on it: exit 0 good, 1 bad, 125 skip "
                       "(build failed), 128 infrastructure fault (for git "
                       "bisect run)")
    from . import gitbisect
    gitbisect.add_step_arguments(s)
    gitbisect.add_step_only_arguments(s)
    s.set_defaults(func=cmd_bisect_step)

    s = sub.add_parser("report", help="a self-contained HTML page of the "
                       "flights: pass/fail grid, figures plotted")
    from . import report
    report.add_arguments(s)
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("matrix", help="a CI pipeline running every job on "
                       "every kernel (--gitlab-ci)")
    from . import matrix
    matrix.add_arguments(s)
    s.set_defaults(func=cmd_matrix)

    s = sub.add_parser("patches", help="edit the QEMU patch queue as a git "
                       "tree, and export it back; check that each patch "
                       "builds on its own")
    s.add_argument("action", choices=["edit", "export", "check"])
    s.add_argument("--output", help="export to this folder instead of "
                   "qemu-patches/")
    s.set_defaults(func=cmd_patches)

    s = sub.add_parser("qemu", help="run the built qemu-system-x86_64 with "
                       "firmware paths set")
    s.add_argument("qemu_args", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_qemu)
    return p


def main(argv):
    if argv[:1] == ["qemu"]:
        # Everything after `qemu` belongs to QEMU, dashes included.
        args = argparse.Namespace(func=cmd_qemu, qemu_args=argv[1:])
    else:
        args = parser().parse_args(argv)
        args.argv = list(argv)
    try:
        return args.func(args)
    except XenbedError as e:
        die(e)
    except KeyboardInterrupt:
        print("xenbed: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (xenbed jobs | head): stop quietly, and
        # keep the interpreter's final flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
