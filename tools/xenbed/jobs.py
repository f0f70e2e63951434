"""Jobs and steps: `xenbed jobs`, `xenbed job run JOB [--step STEP]`.

A job (tools/xenbed/jobs.toml) is one guest configuration and an ordered
list of steps, as OSSTest's jobs of ts-* scripts.  All the steps of a run
share one boot: each step is a guest shell fragment, run by the test
script in a shell of its own (`sh -e`) between two XENBED-MARK lines, and
a check on what it printed there.  A step that fails leaves the next ones
running; a guest that stops answering fails the step it was in and
blocks the rest.  `--step STEP` boots a guest with only what that step
needs.

Each step ends as pass, fail (an assertion on what the guest did),
blocked (an earlier failure stopped the guest) or infra (QEMU crashed or
would not start, or the guest printed nothing at all: not the kernel's
fault, so bisection stops instead of blaming a kernel).
"""

import os
import re
import shlex
import socket
import subprocess
import threading
import time
import tomllib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from . import guest, kernel, qemu
from .common import XenbedError

JOBS_FILE = Path(__file__).with_name("jobs.toml")
OPTION_TYPES = {"kernel": str, "accel": str, "xen_version": str, "smp": int,
                "memory": str, "evtchn": str, "nic": str, "append": str,
                "timeout": int, "evtchn_pairs": int, "evtchn_roundtrips": int,
                "hypercalls": int, "qemu_extra": list}
PASS, FAIL, BLOCKED, INFRA = "pass", "fail", "blocked", "infra"


class StepFailure(Exception):
    """A step's assertion did not hold; the message says which."""


def expect(condition, message):
    if not condition:
        raise StepFailure(message)


# Guest shell functions every step may use (sourced from /tmp/lib.sh).
GUEST_LIB = guest.script(
    "jobs-lib.sh",
    URL=f"http://{guest.BLOB_GUEST_ADDR}:{guest.BLOB_GUEST_PORT}/blob")


@dataclass
class Step:
    name: str
    doc: str
    script: object          # function(options) -> guest shell
    check: object           # function(StepRun, options, context) -> None
    modules: tuple = ()
    programs: tuple = ()


@dataclass
class StepRun:
    """What one step did: its console lines and XENBED-RESULT values."""
    name: str
    result: str = BLOCKED
    message: str = ""
    seconds: float = 0.0
    figures: dict = field(default_factory=dict)
    console: list = field(default_factory=list)
    results: dict = field(default_factory=dict)
    log: Path = None

    def value(self, key):
        if key not in self.results:
            raise StepFailure(f"guest did not report '{key}'"
                              f"{' (' + self.results['error'] + ')' if 'error' in self.results else ''}")
        return self.results[key]


def _check_boot(run, opts, ctx):
    expect(ctx["release"] is None or ctx["guest-release"] == ctx["release"],
           f"guest runs {ctx['guest-release']}, not {ctx['release']}")
    xen = [line for line in ctx["dmesg"] if "Xen version" in line
           or "Hypervisor detected: Xen" in line]
    expect(xen, "the kernel log has no 'Hypervisor detected: Xen' nor "
           "'Xen version': the guest did not find Xen")
    want = {"fifo": "Using FIFO-based ABI", "2level": "Using 2-level ABI"}
    abi = [line.split("] ", 1)[-1] for line in ctx["dmesg"]
           if "xen:events: Using" in line]
    expect(abi, "the kernel log has no 'xen:events: Using ... ABI' line")
    expect(want[opts["evtchn"]] in abi[0],
           f"event channel ABI: guest says '{abi[0]}', job wants "
           f"{opts['evtchn']}")
    expect(run.value("nproc") == str(opts["smp"]),
           f"guest has {run.value('nproc')} CPUs online, not {opts['smp']}")
    run.figures["seconds-to-init"] = round(ctx["init-seconds"], 2)


def _check_xenstore(run, opts, ctx):
    domid = run.value("xs:domid")
    expect(domid.isdigit(), f"xenstore 'domid' reads '{domid}'")
    backend = run.value("xs:device/vif/0/backend")
    expect(backend.startswith("/local/domain/0/backend/"),
           f"device/vif/0/backend is '{backend}'")
    expect(run.value("backend-state") == "4",
           f"{backend}/state is {run.value('backend-state')}, not 4 "
           "(Connected)")
    reads, seconds = int(run.value("reads")), float(run.value("read-seconds"))
    expect(reads > 0, "no xenstore read completed")
    run.figures["xenstore-read-us"] = round(1e6 * seconds / reads, 1)


def _check_download(run, ctx):
    expect(run.value("nic-driver") == "vif",
           f"the NIC's driver is {run.value('nic-driver')}, not "
           "xen-netfront's vif")
    sha = run.value("blob-sha256")
    expect(sha == ctx["sha256"], f"downloaded blob's sha256 {sha[:16]}... "
           f"is not the served {ctx['sha256'][:16]}... "
           f"({run.value('blob-bytes')} bytes)")
    seconds = max(float(run.value("blob-seconds")), 0.01)
    run.figures["download-MBps"] = round(
        int(run.value("blob-bytes")) / seconds / 1e6, 1)


def nic_queues(opts):
    """Queues netfront binds with by default: the device's max-queues
    (default: vCPUs, at most 8) and netfront's (vCPUs)."""
    m = re.search(r"max-queues=(\d+)", opts["nic"])
    offered = int(m.group(1)) if m else min(opts["smp"], 8)
    return min(offered, opts["smp"])


def _check_netfront(queues):
    def check(run, opts, ctx):
        want = queues(opts)
        got = run.value("tx-queues")
        expect(got == str(want), f"netfront has {got} TX queues, not {want}")
        keyed = run.results.get("vif:multi-queue-num-queues", "1")
        expect(keyed == str(want), f"netfront wrote multi-queue-num-queues "
               f"{keyed}, not {want}")
        _check_download(run, ctx)
    return check


def _check_evtchn(run, opts, ctx):
    pairs = opts["evtchn_pairs"]
    bound = int(run.value("evtchn-bound-ports"))
    stop = run.value("evtchn-bind-stop")
    if opts["evtchn"] == "2level" and 2 * pairs >= 4096:
        expect(stop == "No space left on device" and 4000 <= bound < 4096,
               f"2-level: bound {bound} ports, stopped at '{stop}' (want "
               "about 4090 and ENOSPC)")
    else:
        expect(stop == "none" and bound == 2 * pairs,
               f"bound {bound} of {2 * pairs} ports, stopped at '{stop}'")
    for key in ("lost", "rebound-lost"):
        lost = int(run.value(f"evtchn-{key}"))
        expect(lost == 0, f"evtchn-{key}: {lost} ports never fired")
    if opts["evtchn"] == "fifo":
        dup = int(run.value("evtchn-duplicates"))
        expect(dup == 0, f"{dup} ports fired twice under FIFO")
    rebound = int(run.value("evtchn-rebound-ports"))
    expect(rebound == bound, f"{rebound} ports bound again, not {bound}")
    if opts["evtchn_roundtrips"]:
        run.figures["evtchn-roundtrips-per-s"] = float(
            run.value("evtchn-roundtrips-per-s"))
    run.figures["evtchn-bound-ports"] = bound


def _check_hypercall(run, opts, ctx):
    ns = run.value("hypercall-ns")
    expect(float(ns) > 0, f"hypercall cost reads '{ns}'")
    run.figures["hypercall-ns"] = float(ns)


XS_KEYS = "domid device/vif/0/backend device/vif/0/backend-id"

STEPS = {s.name: s for s in [
    Step("boot", "the kernel boots as a Xen HVM guest and reaches init; "
         "its log names Xen and the event channel ABI the job wants; all "
         "vCPUs online", lambda o: guest.DMESG_DUMP +
         'echo "XENBED-RESULT nproc $(nproc)"\n', _check_boot),
    Step("xenstore", "xenstore reads through /dev/xen/xenbus: domid, the "
         "vif's backend, which reaches Connected; time per read",
         lambda o: guest.script("job-xenstore.sh", keys=XS_KEYS),
         _check_xenstore, programs=("xs",)),
    Step("netfront-1q", "netfront bound again with one queue downloads "
         "8 MiB from the host, sha256 checked", lambda o: """
queues 1
netfront_facts
download
""", _check_netfront(lambda o: 1), programs=("xs",)),
    Step("netfront-mq", "netfront with its default queue count (the "
         "device's max-queues and the vCPUs) downloads 8 MiB, sha256 "
         "checked", lambda o: f"""
queues {nic_queues(o)}
netfront_facts
download
""", _check_netfront(nic_queues), programs=("xs",)),
    Step("evtchn-scale", "loopback event channel pairs bind through "
         "/dev/xen/evtchn, each port fires once, ping-pong round trips "
         "timed (tests/guest/progs/evtchn_scale.c)",
         lambda o: f"evtchn_scale {o['evtchn_pairs']} "
         f"{o['evtchn_roundtrips']}\n", _check_evtchn,
         modules=("xen-evtchn",), programs=("evtchn_scale",)),
    Step("hypercall", "mean cost of xen_version hypercalls through "
         "/dev/xen/privcmd (as xenbed bench boot)",
         lambda o: f"hcall {o['hypercalls']}\n", _check_hypercall,
         modules=("xen_privcmd unrestricted=1",), programs=("hcall",)),
]}


def load_jobs(path=JOBS_FILE):
    """{job name: its table} with defaults applied, checked."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise XenbedError(f"{path}: {e}")
    defaults = data.get("defaults", {})
    jobs = {}
    for name, table in data.get("jobs", {}).items():
        job = dict(defaults)
        job.update(table)
        job.setdefault("description", "")
        unknown = [s for s in job.get("steps", []) if s not in STEPS]
        if unknown or not job.get("steps"):
            raise XenbedError(f"{path}: job {name}: unknown steps {unknown} "
                              f"(steps are {', '.join(STEPS)})")
        check_options(job, f"{path}: job {name}")
        jobs[name] = job
    return jobs


def check_options(options, where):
    for key, value in options.items():
        if key in ("steps", "description"):
            continue
        want = OPTION_TYPES.get(key)
        if want is None:
            raise XenbedError(f"{where}: unknown option '{key}' (options: "
                              f"{', '.join(OPTION_TYPES)})")
        if not isinstance(value, want):
            raise XenbedError(f"{where}: {key} = {value!r} should be a "
                              f"{want.__name__}")
    if options.get("evtchn", "fifo") not in ("fifo", "2level"):
        raise XenbedError(f"{where}: evtchn is fifo or 2level, not "
                          f"{options['evtchn']!r}")


def config_path(explicit=None):
    """--config, else $XENBED_CONFIG, else the user's config if present."""
    if explicit:
        return Path(explicit)
    if os.environ.get("XENBED_CONFIG"):
        return Path(os.environ["XENBED_CONFIG"])
    home = Path(os.environ.get("XDG_CONFIG_HOME") or
                Path.home() / ".config")
    path = home / "xenbed" / "config.toml"
    return path if path.is_file() else None


def load_config(path):
    """The config file as {"options": {...}, "jobs": {job: {...}},
    "qemu_tarball": path or None, "kernels": [...]}."""
    if path is None:
        return {"options": {}, "jobs": {}, "qemu_tarball": None,
                "kernels": []}
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise XenbedError(f"config {path}: no such file")
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise XenbedError(f"config {path}: {e}")
    per_job = data.pop("jobs", {})
    tarball = data.pop("qemu_tarball", None)
    kernels = data.pop("kernels", [])
    check_options(data, f"config {path}")
    for name, table in per_job.items():
        check_options(table, f"config {path}: [jobs.{name}]")
    return {"options": data, "jobs": per_job, "qemu_tarball": tarball,
            "kernels": kernels}


def job_options(name, config=None, overrides=None, jobs=None):
    """A job's options: jobs.toml, then the config file, then `overrides`
    (the command line; None values are ignored)."""
    jobs = jobs if jobs is not None else load_jobs()
    if name not in jobs:
        raise XenbedError(f"no job '{name}' (jobs: {', '.join(jobs)})")
    opts = dict(jobs[name])
    opts.setdefault("qemu_extra", [])
    if config:
        opts.update(config["options"])
        opts.update(config["jobs"].get(name, {}))
    opts.update({k: v for k, v in (overrides or {}).items() if v is not None})
    opts["job"] = name
    return opts


def data_dir():
    """${XDG_DATA_HOME:-~/.local/share}/xenbed: flights and their logs."""
    base = os.environ.get("XDG_DATA_HOME") or \
        str(Path.home() / ".local" / "share")
    return Path(base) / "xenbed"


@dataclass
class JobRun:
    job: str
    options: dict
    kernel: object
    accel: str
    steps: list
    started: float
    seconds: float = 0.0
    release: str = ""
    log_dir: Path = None
    console_tail: str = ""      # the last console line (QEMU's error)

    @property
    def result(self):
        results = {s.result for s in self.steps}
        for r in (INFRA, FAIL, BLOCKED):
            if r in results:
                return FAIL if r == BLOCKED else r
        return PASS

    def failed_step(self):
        return next((s for s in self.steps if s.result in (FAIL, INFRA)),
                    None)


class _Console(deque):
    """Console lines as guest.boot keeps them, each also handed to
    on_line as it arrives (progress)."""

    def __init__(self, on_line):
        super().__init__(maxlen=20000)
        self.on_line = on_line

    def append(self, line):
        super().append(line)
        self.on_line(line)


def classify(err, console):
    """INFRA when the failure is not the kernel's: QEMU would not start
    or crashed (non-zero exit), stopped the guest with a fatal error, or
    the kernel printed nothing at all before a timeout."""
    text = str(err)
    if not any("Linux version" in line for line in console):
        return INFRA
    m = re.search(r"QEMU exited (?:with status )?\(?(-?\d+)\)?", text)
    if m and int(m.group(1)) != 0:
        return INFRA
    if "fatal error" in text or "does not exist" in text:
        return INFRA
    return FAIL


def test_script(steps, opts):
    """The guest's /test.sh: each step's fragment in a file of its own,
    run by `sh -e` between marks; its exit status is reported."""
    out = [f"cat > /tmp/lib.sh <<'XENBED_EOF'\n{GUEST_LIB}XENBED_EOF\n"]
    for step in steps:
        body = ". /tmp/lib.sh\n" + step.script(opts)
        out.append(f"""
cat > /tmp/step-{step.name}.sh <<'XENBED_EOF'
{body}XENBED_EOF
echo "XENBED-MARK step-start-{step.name}"
rc=0
sh -e /tmp/step-{step.name}.sh || rc=$?
if [ $rc != 0 ]; then
    dmesg | tail -n 20 | sed 's/^/XENBED-STEPLOG /'
fi
echo "XENBED-RESULT rc $rc"
echo "XENBED-MARK step-end-{step.name}"
""")
    return "".join(out)


def split_console(console):
    """{step name: (its console lines, its XENBED-RESULT values, ended)}."""
    out, current = {}, None
    for line in console:
        if line.startswith("XENBED-MARK step-start-"):
            current = line.split("step-start-", 1)[1].strip()
            out[current] = ([], {}, False)
            continue
        if line.startswith("XENBED-MARK step-end-") and current:
            lines, results, _ = out[current]
            out[current] = (lines, results, True)
            current = None
            continue
        if current:
            out[current][0].append(line)
            if line.startswith("XENBED-RESULT "):
                parts = line.split(" ", 2)
                out[current][1][parts[1]] = \
                    parts[2].strip() if len(parts) > 2 else ""
    return out


class Progress:
    """One line per event with the seconds since the job started, and a
    'still running' line when nothing happened for a while."""

    def __init__(self, printer=print, quiet_after=30):
        self.start = time.monotonic()
        self.printer = printer
        self.quiet_after = quiet_after
        self.last = self.start
        self.current = "boot"
        self.marks = {}         # host times of init and each step's marks
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._tick, daemon=True)

    def say(self, text):
        self.last = time.monotonic()
        self.printer(f"[{self.last - self.start:7.1f}s] {text}")

    def _tick(self):
        while not self.stop.wait(1):
            if time.monotonic() - self.last >= self.quiet_after:
                self.say(f"{self.current}: still running")

    def line(self, line):
        if line.startswith("XENBED-MARK step-"):
            # "start-NAME" or "end-NAME"
            self.marks[line.split("step-", 1)[1].strip()] = time.monotonic()
        if line.startswith("XENBED-INIT "):
            self.marks["init"] = time.monotonic()
            self.say(f"boot: init reached ({line.split(' ', 1)[1]})")
        elif line.startswith("XENBED-MARK step-start-"):
            self.current = line.split("step-start-", 1)[1].strip()
            self.say(f"{self.current}: running")
        elif line.startswith("XENBED-MARK step-end-"):
            took = self.marks.get(f"end-{self.current}", 0) - \
                self.marks.get(f"start-{self.current}", 0)
            self.say(f"{self.current}: finished in {took:.1f} s")
            self.current = "shutdown"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def qemu_version():
    proc = subprocess.run([str(qemu.BINARY), "--version"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    first = proc.stdout.splitlines()[0] if proc.stdout else "unknown"
    return first.removeprefix("QEMU emulator version ").strip()


def run_job(opts, only_step=None, printer=print, log_root=None,
            kern=None):
    """Boot the job's guest once and run its steps (or only_step).
    Returns a JobRun; each step's log is written under log_root."""
    names = list(opts["steps"])
    if only_step:
        if only_step not in STEPS:
            raise XenbedError(f"no step '{only_step}' (steps: "
                              f"{', '.join(STEPS)})")
        names = [only_step]
    kern = kern or kernel.resolve(opts["kernel"])
    accel = guest.accelerator(opts["accel"])
    # boot's fragment always runs (the kernel log for every check); it is
    # reported only when asked for.
    run_steps = [STEPS["boot"]] + [STEPS[n] for n in names if n != "boot"]
    modules = ["xen_netfront"] + [m for s in run_steps for m in s.modules]
    programs = sorted({p for s in run_steps for p in s.programs})
    accel_arg = guest.xen_accel(accel, opts["xen_version"])
    if opts["evtchn"] == "2level":
        accel_arg += ",xen-evtchn-fifo=off"
    started = time.time()
    log_root = Path(log_root or data_dir() / "logs")
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started))
    log_dir = log_root / f"{stamp}-{opts['job']}-{os.getpid()}"
    run = JobRun(job=opts["job"], options=opts, kernel=kern, accel=accel,
                 steps=[StepRun(n) for n in names], started=started,
                 log_dir=log_dir)
    nic = "xen-net-device,netdev=net0" + \
        (f",{opts['nic']}" if opts["nic"] else "")
    ctx = {"release": kern.release or None}
    progress = Progress(printer)
    console = _Console(progress.line)
    err = None
    # blobcgi.py per connection: steps download more than once (a
    # chardev guestfwd carries a single connection).
    with guest.cgi_network(guest.BLOB_SIZE, nic) as (sha, devices), \
            progress:
        ctx["sha256"] = sha
        initrd = kernel.build_initramfs(
            kern, modules, test_script(run_steps, opts),
            name=f"job-{opts['job']}-{kern.label}", programs=programs)
        argv = guest.qemu_argv(kern.image, initrd, append=opts["append"],
                               smp=opts["smp"], memory=opts["memory"],
                               accel=accel_arg, devices=devices,
                               extra=opts["qemu_extra"])
        progress.say(f"boot: starting QEMU ({kern.label}, {accel.upper()}, "
                     f"{opts['smp']} vCPUs)")
        progress.marks["qemu"] = time.monotonic()
        try:
            guest.boot(argv, opts["timeout"], console=console)
            progress.say("guest powered off")
        except XenbedError as e:
            err = e
            progress.say(f"guest run failed: {str(e).splitlines()[0]}")
    run.seconds = time.time() - started
    lines = list(console)
    run.release = next((line.split(" ", 1)[1].strip() for line in lines
                        if line.startswith("XENBED-INIT ")), "")
    ctx["guest-release"] = run.release
    run.console_tail = next((line for line in reversed(lines)
                             if line.strip()), "")
    _evaluate(run, err, lines, opts, ctx, progress.marks)
    _write_logs(run, err, lines, argv)
    return run


def _evaluate(run, err, lines, opts, ctx, marks):
    """Each step's result from the console: checks for the steps that
    ended; after a failed guest run, the step it was in (or the first one,
    when no step had started) carries the error and the rest are blocked."""
    parts = split_console(lines)
    ctx["dmesg"] = [line[len("XENBED-DMESG "):] for line in lines
                    if line.startswith("XENBED-DMESG ")]
    ctx["init-seconds"] = (marks["init"] - marks["qemu"]
                           if "init" in marks else None)
    names = [s.name for s in run.steps]
    blamed = None
    if err is not None:
        running = next((n for n, (_, _, ended) in parts.items()
                        if not ended), None)
        if running in names:
            blamed = running
        elif running is None and all(n in parts for n in names):
            blamed = names[-1]      # after every step: QEMU failed at exit
        else:
            blamed = names[0]       # before any step: the boot itself
    for step in run.steps:
        lines_, results, ended = parts.get(step.name, ([], {}, False))
        step.console, step.results = lines_, results
        if step.name == "boot":
            step.seconds = round(ctx["init-seconds"] or 0, 2)
        elif f"end-{step.name}" in marks:
            step.seconds = round(marks[f"end-{step.name}"] -
                                 marks[f"start-{step.name}"], 2)
        if step.name == blamed:
            step.result, step.message = classify(err, lines), str(err)
            continue
        if not ended:
            step.result = BLOCKED
            step.message = "not run: the guest stopped before it"
            continue
        try:
            if results.get("rc", "0") != "0":
                raise StepFailure(f"a command of the step failed (exit "
                                  f"{results['rc']})" +
                                  (f": {results['error']}"
                                   if "error" in results else ""))
            STEPS[step.name].check(step, opts, ctx)
            step.result = PASS
        except StepFailure as e:
            step.result = FAIL
            step.message = f"{step.name}: {e}"


def _write_logs(run, err, lines, argv):
    run.log_dir.mkdir(parents=True, exist_ok=True)
    (run.log_dir / "console.log").write_text("\n".join(lines) + "\n")
    for step in run.steps:
        step.log = run.log_dir / f"{step.name}.log"
        text = [f"job {run.job}, step {step.name}: {step.result.upper()}",
                f"kernel {run.release or run.kernel.label} "
                f"({run.kernel.source})",
                f"QEMU: {' '.join(shlex.quote(a) for a in argv)}", ""]
        if step.message:
            text += [step.message, ""]
        if step.figures:
            text += [f"{k} {v}" for k, v in step.figures.items()] + [""]
        text += ["--- this step's console ---"] + step.console
        if step.result != PASS:
            text += ["", "--- whole console ---"] + lines
        step.log.write_text("\n".join(text) + "\n")


def describe_options(opts):
    return (f"Xen {opts['xen_version']}, {opts['smp']} vCPUs, "
            f"{opts['memory']}, {opts['evtchn']}, nic {opts['nic'] or '-'}"
            + (f", append '{opts['append']}'" if opts["append"] else ""))


def print_run(run, printer=print):
    printer("")
    printer(f"job {run.job}: {run.release or run.kernel.label}, "
            f"{run.accel.upper()}, {describe_options(run.options)}")
    for step in run.steps:
        figures = "  ".join(f"{k} {v}" for k, v in step.figures.items())
        printer(f"  {step.name:<14} {step.result.upper():<8}"
                f"{step.seconds:7.1f} s  {figures}")
        if step.result not in (PASS, BLOCKED):
            printer(f"      {step.message.splitlines()[0]}")
            if step.result == INFRA and run.console_tail:
                printer(f"      QEMU/console: {run.console_tail}")
            printer(f"      log: {step.log}")
    n_bad = sum(s.result != PASS for s in run.steps)
    printer(f"result: {run.result.upper()}"
            + (f" ({n_bad} of {len(run.steps)} steps not passed)"
               if n_bad else "") + f", {run.seconds:.1f} s; logs in "
            f"{run.log_dir}")


def list_jobs(printer=print):
    jobs = load_jobs()
    for name, job in jobs.items():
        printer(f"{name}: {job['description']}")
        printer(f"    kernel {job['kernel']}, accel {job['accel']}, "
                f"{describe_options(job)}")
        printer(f"    steps: {' '.join(job['steps'])}")
    printer("")
    printer("steps:")
    for step in STEPS.values():
        printer(f"  {step.name:<14} {step.doc}")
    return 0


def add_run_arguments(p):
    p.add_argument("job", help="a job of `xenbed jobs`")
    p.add_argument("--kernel", help="a linux-image .deb, a bzImage, or a "
                   "pinned version (6.1, 6.12)")
    p.add_argument("--accel", choices=["auto", "kvm", "tcg"])
    p.add_argument("--xen-version")
    p.add_argument("--step", help="run only this step (booting what it "
                   "needs)")
    p.add_argument("--append", help="extra kernel command line (replaces "
                   "the job's)")
    p.add_argument("--config", help="config file (default $XENBED_CONFIG, "
                   "else ~/.config/xenbed/config.toml if present)")
    p.add_argument("--junit", metavar="FILE", help="also write this "
                   "flight as JUnit XML")
    p.add_argument("--kernel-revision", help="the git revision the kernel "
                   "was built from, for the flight record")
    p.add_argument("--no-build", action="store_true", help="use the QEMU "
                   "already built, without the setup and build check (CI "
                   "jobs after a build stage)")


def overrides_from(args):
    return {"kernel": args.kernel, "accel": args.accel,
            "xen_version": args.xen_version, "append": args.append}


def main(args, config=None):
    """`xenbed job run`: exit 0 pass, 1 fail, 2 infrastructure fault."""
    config = config or load_config(config_path(args.config))
    opts = job_options(args.job, config, overrides_from(args))
    print(f"xenbed job run {args.job} on {socket.gethostname()}: kernel "
          f"{opts['kernel']}, {describe_options(opts)}", flush=True)
    run = run_job(opts, only_step=args.step,
                  printer=lambda s: print(s, flush=True))
    print_run(run, lambda s: print(s, flush=True))
    from . import flights
    db = flights.connect()
    flight = flights.record(run, args.step, args.kernel_revision, db)
    print(f"flight {flight} recorded in {flights.db_path()}")
    if args.junit:
        flights.write_junit(db, flights.query(db, ids=[flight]), args.junit)
        print(f"JUnit XML: {args.junit}")
    db.close()
    return {PASS: 0, FAIL: 1, INFRA: 2}[run.result]
