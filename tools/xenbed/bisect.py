"""`xenbed bisect`: the first kernel that breaks a job.

--kernels A B C ...: prebuilt kernels in order, the first known good and
the last known bad; a binary search runs the job (or one step) on the
kernel halfway between the last good and the first bad known so far.
Every run is a flight.  An infrastructure fault (QEMU crashed or would not
start, the guest printed nothing) stops the bisection and is reported as
such: it says nothing about the kernel.
"""

import json
import os
import shlex
import time

from . import flights, jobs, kernel
from .common import XenbedError

# Test hook: per-position job options, e.g. {"3": {"append": "xen_nopv"}},
# so that one kernel package can stand for several "kernels".
TEST_OPTIONS_ENV = "XENBED_TEST_KERNEL_OPTIONS"


class Probe:
    """The outcome of one job run on one kernel of the list."""

    def __init__(self, index, outcome, run=None, flight=None):
        self.index, self.outcome, self.run, self.flight = \
            index, outcome, run, flight

    def failing(self):
        return self.run.failed_step() if self.run else None


def search(count, probe, say=print):
    """Binary search over kernels 0..count-1, 0 good and count-1 bad.
    probe(i) returns a Probe whose outcome is pass, fail or infra.
    Returns (last good index, first bad index, the probe of the first bad
    (None if it was never run), the infra Probe or None, probes run)."""
    if count < 2:
        raise XenbedError("bisect needs at least two kernels: the first "
                          "known good, the last known bad")
    good, bad, evidence, probes = 0, count - 1, None, []
    while bad - good > 1:
        mid = (good + bad) // 2
        left = bad - good - 1
        say(f"bisect: {left} kernels between #{good} (good) and #{bad} "
            f"(bad); testing #{mid}")
        p = probe(mid)
        probes.append(p)
        if p.outcome == jobs.INFRA:
            return good, bad, evidence, p, probes
        if p.outcome == jobs.PASS:
            good = mid
        else:
            bad, evidence = mid, p
    return good, bad, evidence, None, probes


def test_options():
    raw = os.environ.get(TEST_OPTIONS_ENV)
    if not raw:
        return {}
    try:
        return {int(k): v for k, v in json.loads(raw).items()}
    except (ValueError, AttributeError) as e:
        raise XenbedError(f"{TEST_OPTIONS_ENV}: {e}")


def add_arguments(p):
    from . import gitbisect
    p.add_argument("--kernels", nargs="+", metavar="KERNEL",
                   help="kernels in order (.deb, bzImage or pinned "
                   "version): the first known good, the last known bad")
    p.add_argument("--check-ends", action="store_true",
                   help="--kernels: first check that the first kernel "
                   "passes and the last fails")
    p.add_argument("--linux", metavar="TREE", help="a kernel git tree to "
                   "bisect between --good and --bad (git bisect run)")
    p.add_argument("--good", help="--linux: a good revision")
    p.add_argument("--bad", help="--linux: a bad revision")
    p.add_argument("--no-build", action="store_true", help="use the QEMU "
                   "already built, without the setup and build check")
    gitbisect.add_step_arguments(p)


def main(args, config=None):
    config = config or jobs.load_config(jobs.config_path(args.config))
    per_position = test_options()
    kernels = [kernel.resolve(k) for k in args.kernels]
    db = flights.connect()
    started = time.monotonic()
    say = lambda text: print(text, flush=True)     # noqa: E731

    def options(i):
        opts = jobs.job_options(args.job, config, {"accel": args.accel,
                                                   "kernel": args.kernels[i]})
        opts.update(per_position.get(i, {}))
        return opts

    def probe(i):
        say(f"bisect: #{i} {kernels[i].label} ({kernels[i].source.name if kernels[i].source else ''})")
        run = jobs.run_job(options(i), only_step=args.step,
                           printer=lambda s: say("  " + s), kern=kernels[i])
        flight = flights.record(run, args.step, db=db)
        outcome = run.result
        bad = run.failed_step()
        say(f"bisect: #{i} {outcome.upper()} (flight {flight}, "
            f"{run.seconds:.1f} s)" +
            (f": {bad.message.splitlines()[0]}" if bad else ""))
        return Probe(i, outcome, run, flight)

    last = len(kernels) - 1
    say(f"bisect: {len(kernels)} kernels, job {args.job}"
        + (f", step {args.step}" if args.step else "") +
        f"; #0 {kernels[0].label} known good, #{last} {kernels[last].label} "
        "known bad")
    if args.check_ends:
        for i, want in ((0, jobs.PASS), (last, jobs.FAIL)):
            p = probe(i)
            if p.outcome == jobs.INFRA:
                return report_infra(p, kernels, say, db)
            if p.outcome != want:
                raise XenbedError(f"kernel #{i} {kernels[i].label} "
                                  f"{p.outcome}s, but was given as "
                                  f"{'good' if want == jobs.PASS else 'bad'}")
    good, bad, evidence, infra, probes = search(len(kernels), probe, say)
    if infra:
        return report_infra(infra, kernels, say, db, good, bad)
    if evidence is None:
        say(f"bisect: #{bad} was never run; running it for the evidence")
        evidence = probe(bad)
        if evidence.outcome == jobs.INFRA:
            return report_infra(evidence, kernels, say, db, good, bad)
        if evidence.outcome == jobs.PASS:
            raise XenbedError(f"the last kernel #{bad} {kernels[bad].label} "
                              "passes: it was given as known bad")
        probes.append(evidence)
    step = evidence.failing()
    say("")
    say(f"first bad kernel: #{bad} {kernels[bad].label} "
        f"({kernels[bad].source})")
    say(f"last good kernel: #{good} {kernels[good].label} "
        f"({kernels[good].source})")
    say(f"failing step: {step_line(step)}")
    say(f"evidence: {step.log} (flight {evidence.flight})")
    say(f"reproduce: {reproduce(args, bad, options(bad))}")
    say(f"bisection: {len(probes)} runs, "
        f"{time.monotonic() - started:.1f} s")
    db.close()
    return 0


def report_infra(p, kernels, say, db, good=None, bad=None):
    step = p.failing()
    say("")
    say(f"bisection stopped: infrastructure fault on #{p.index} "
        f"{kernels[p.index].label} (flight {p.flight}), which says nothing "
        "about the kernel")
    say(f"  {step_line(step)}")
    if p.run.console_tail:
        say(f"  QEMU/console: {p.run.console_tail}")
    say(f"  log: {step.log}")
    if good is not None:
        say(f"  known so far: #{good} good, #{bad} bad")
    db.close()
    return 2


def step_line(step):
    """'STEP: first line of its message' (checks already name the step)."""
    first = step.message.splitlines()[0] if step.message else step.result
    return first if first.startswith(f"{step.name}: ") else \
        f"{step.name}: {first}"


def reproduce(args, index, opts):
    cmd = ["./xenbed", "job", "run", args.job, "--kernel",
           str(args.kernels[index])]
    if args.step:
        cmd += ["--step", args.step]
    if args.accel:
        cmd += ["--accel", args.accel]
    if args.config:
        cmd += ["--config", args.config]
    if opts.get("append"):
        cmd += ["--append", opts["append"]]
    return " ".join(shlex.quote(c) for c in cmd)
