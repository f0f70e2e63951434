"""Boot a guest under the built QEMU and collect what it reports.

The guest init (tests/guest/init) prints `XENBED-INIT <release>` once it
runs, `XENBED-RESULT <key> <value>` for each finding of the test script and
`XENBED-DONE rc=<n>` at the end, then powers off.  Networking is slirp with
restrict=on; the guest reaches the host only through guestfwd to 127.0.0.1.
"""

import hashlib
import http.server
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import blobcgi, kernel, nested, qemu
from .common import (BUILD, GUEST_SCRIPTS, XenbedError, log,
                     read_stamp, write_stamp)

BLOB_GUEST_ADDR = "10.0.2.100"
BLOB_GUEST_PORT = 80
BLOB_SIZE = 8 << 20

# Guest modules each NIC model needs (transport first; built-ins are skipped).
NIC_MODULES = {
    "virtio-net-pci": ["virtio_pci", "virtio_net"],
    "xen-net-device": ["xen_netfront"],
}


def kvm_usable():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def accel_choice(choice="auto"):
    """The user's choice: an explicit one, else $XENBED_ACCEL, else auto."""
    if choice == "auto":
        choice = os.environ.get("XENBED_ACCEL", "auto")
    if choice not in ("auto", "kvm", "tcg"):
        raise XenbedError(f"accelerator {choice}: use kvm, tcg or auto")
    return choice


def kvm_direct():
    """/dev/kvm can run a Linux guest (not only a nested KVM host VM)."""
    return kvm_usable() and kvm_probe()


def accelerator(choice="auto"):
    """'kvm' or 'tcg'.  auto (or $XENBED_ACCEL) picks KVM only when
    /dev/kvm exists and a probe boot under it works: some sandboxes expose
    a /dev/kvm that cannot run a Linux guest (xenbed then nests KVM under
    TCG where asked to: see nested.py)."""
    choice = accel_choice(choice)
    if choice == "auto":
        return "kvm" if kvm_direct() else "tcg"
    if choice == "kvm" and not kvm_usable():
        raise XenbedError("--accel kvm: /dev/kvm is missing or not usable")
    if choice == "kvm" and not nested.inside() and not kvm_probe():
        raise XenbedError("--accel kvm: this /dev/kvm cannot run a guest; "
                          "xenbed run, test and bench --accel kvm run KVM "
                          "nested under TCG instead")
    return choice


def kvm_probe():
    """Boot the default kernel to init under KVM once per QEMU binary."""
    binary_id = hashlib.sha256(str(qemu.BINARY).encode()).hexdigest()[:12]
    stamp = BUILD / "stamps" / f"kvm-probe-{binary_id}"
    key = f"{os.uname().release}:{qemu.BINARY.stat().st_mtime_ns}"
    cached = read_stamp(stamp)
    if cached and cached.startswith(key + "="):
        return cached.endswith("=yes")
    kern = kernel.resolve()
    initrd = kernel.build_initramfs(kern, [], "", name="kvm-probe")
    try:
        boot(qemu_argv(kern.image, initrd, smp=1, accel="kvm"), timeout=60)
        works = True
    except XenbedError as e:
        log("/dev/kvm is present but a probe boot under KVM failed "
            f"({str(e).splitlines()[0]}): auto means TCG here, and "
            "--accel kvm runs KVM nested under TCG")
        works = False
    write_stamp(stamp, f"{key}={'yes' if works else 'no'}")
    return works


class GuestError(XenbedError):
    def __init__(self, message, console):
        tail = "\n".join("  | " + line for line in list(console)[-25:])
        super().__init__(f"{message}\n  last console lines:\n{tail}")
        self.console = console


@dataclass
class GuestResult:
    release: str
    exit_code: int
    results: dict
    console: list
    seconds: float
    argv: list = field(default_factory=list)
    marks: dict = field(default_factory=dict)
    started: float = 0.0
    migration: str = None

    @property
    def seconds_to_init(self):
        """Host seconds from starting QEMU to the guest's init running."""
        return self.marks["init"] - self.started

    @property
    def dmesg(self):
        """Kernel log lines the guest dumped with DMESG_DUMP."""
        return [line[len("XENBED-DMESG "):] for line in self.console
                if line.startswith("XENBED-DMESG ")]

    def dmesg_has(self, text):
        return any(text in line for line in self.dmesg)

    def result(self, key):
        if key not in self.results:
            raise AssertionError(f"guest did not report '{key}'; it reported "
                                 f"{sorted(self.results)}")
        return self.results[key]


class BlobServer:
    """An HTTP server on 127.0.0.1 serving one random blob at /blob."""

    def __init__(self, size):
        self.data = os.urandom(size)
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        data = self.data

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"
            timeout = 120

            def do_GET(self):
                if self.path != "/blob":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def guestfwd(self):
        return (f"guestfwd=tcp:{BLOB_GUEST_ADDR}:{BLOB_GUEST_PORT}"
                f"-tcp:127.0.0.1:{self.port}")

    @property
    def url(self):
        return f"http://{BLOB_GUEST_ADDR}:{BLOB_GUEST_PORT}/blob"


def user_netdev(netdev_id="net0", forwards=()):
    """slirp that cannot reach anything but the given forwards."""
    return ",".join(["user", f"id={netdev_id}", "restrict=on", *forwards])


def nic_device(nic, netdev_id="net0"):
    """-device value for `nic`; virtio-net without the option ROM, which
    no installed package provides."""
    device = f"{nic},netdev={netdev_id}"
    return device + ",romfile=" if nic == "virtio-net-pci" else device


@contextmanager
def blob_network(nic, blob_size=BLOB_SIZE):
    """A BlobServer, and the QEMU device arguments of one `nic` on slirp
    whose only way out is that server."""
    with BlobServer(blob_size) as server:
        yield server, [("-netdev", user_netdev("net0", [server.guestfwd()])),
                       ("-device", nic_device(nic))]


def blobcgi_argv(*args):
    """blobcgi.py's command line, with xenbed and QEMU's python packages
    (qemu.qmp, for /stats) on its path."""
    path = f"{Path(__file__).parents[1]}:{qemu.qemu_python_path()}"
    return ["env", f"PYTHONPATH={path}", sys.executable, "-m",
            "xenbed.blobcgi", *map(str, args)]


def guestfwd_cmd(argv):
    """slirp's guestfwd=...-cmd: (it splits the command as a shell would,
    then runs it without one), with commas doubled for QEMU's option
    parser."""
    return " ".join(map(shlex.quote, argv)).replace(",", ",,")


@contextmanager
def _blob_files(blob_size):
    """A random blob in a temporary folder, and a QMP socket path beside
    it, for blobcgi.py.  Yields (blob, qmp socket, sha256 of the blob)."""
    with tempfile.TemporaryDirectory(prefix="xenbed-net-") as tmp:
        data = os.urandom(blob_size)
        blob, qmp = Path(tmp) / "blob", Path(tmp) / "qmp"
        blob.write_bytes(data)
        yield blob, qmp, hashlib.sha256(data).hexdigest()


@contextmanager
def cgi_network(blob_size, device, qom_path=""):
    """A random blob, slirp whose only way out is blobcgi.py run per
    connection (so flows can run in parallel, which a chardev guestfwd
    cannot carry), the NIC `device` (a -device value on netdev net0) and,
    with qom_path, a QMP socket through which the guest's GET /stats
    reads query-xen-net for that device.  Yields (sha256, device
    arguments)."""
    with _blob_files(blob_size) as (blob, qmp, sha):
        args = [blob]
        devices = []
        if qom_path:
            args += [qmp, qom_path]
            devices.append(("-qmp", f"unix:{qmp},server=on,wait=off"))
        cmd = guestfwd_cmd(blobcgi_argv(*args))
        fwd = f"guestfwd=tcp:{BLOB_GUEST_ADDR}:{BLOB_GUEST_PORT}-cmd:{cmd}"
        devices += [("-netdev", user_netdev("net0", [fwd])),
                    ("-device", device)]
        yield sha, devices


@contextmanager
def switch_network(blob_size, device, gate=None):
    """Like cgi_network, but slirp and blobcgi.py live in a QEMU of their
    own (-M none, slirp on a hub) that the guest's QEMU reaches through a
    stream netdev on a Unix socket.  The guest's connections outlive its
    QEMU: a migration's destination connects to the same socket and takes
    the flows over.  gate: blobcgi.py's --gate.  Yields (sha256, device
    arguments)."""
    with _blob_files(blob_size) as (blob, _, sha):
        sock = blob.with_name("switch.sock")
        # Nested, a migration takes longer: the gated flows go slower.
        cmd = guestfwd_cmd(blobcgi_argv(*(
            ["--gate", gate, "--gate-pause",
             blobcgi.GATED_PAUSE * nested.timeout_scale()] if gate else []),
            blob))
        fwd = f"guestfwd=tcp:{BLOB_GUEST_ADDR}:{BLOB_GUEST_PORT}-cmd:{cmd}"
        argv = [qemu.BINARY, "-M", "none", "-nodefaults", "-no-user-config",
                "-netdev", user_netdev("slirp", [fwd]),
                "-netdev", f"stream,id=guest,server=on,addr.type=unix,"
                           f"addr.path={sock}",
                "-netdev", "hubport,id=hub-slirp,hubid=0,netdev=slirp",
                "-netdev", "hubport,id=hub-guest,hubid=0,netdev=guest"]
        switch = qemu.machine(argv, log_dir=blob.parent, name="switch")
        qemu.launch(switch, "the switch QEMU")
        try:
            # The stream netdev listens asynchronously: QMP may come first.
            try:
                qemu.wait_for_socket(sock, switch.is_running,
                                     30 * nested.timeout_scale(),
                                     "the switch QEMU")
            except XenbedError as err:
                switch.kill()
                raise XenbedError(f"{err}: {switch.get_log()}") from None
            yield sha, [("-netdev", f"stream,id=net0,server=off,"
                                    f"addr.type=unix,addr.path={sock}"),
                        ("-device", device)]
        finally:
            # Not a graceful quit: a switch that died must not hide the
            # test's own error.
            switch.kill()


TAP_NETNS_PREFIX = "xenbed-tap-"


def tap_usable():
    """Why a tap network cannot be set up here, or None."""
    if os.geteuid() != 0:
        return "tap networks need root"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    if not shutil.which("ip"):
        return "no ip (iproute2)"
    return None


@contextmanager
def tap_network(blob_size, device, qom_path):
    """Like cgi_network, on a tap with virtio-net headers instead of slirp,
    in a network namespace of its own so that nothing leaves it: the tap's
    host side is 10.0.2.2 and BLOB_GUEST_ADDR, where blobcgi.py listens.
    QEMU must run in the namespace: yields (sha256, device arguments,
    argv prefix)."""
    ip = shutil.which("ip")
    ns = f"{TAP_NETNS_PREFIX}{os.getpid()}"
    in_ns = [ip, "netns", "exec", ns]

    def run(*args):
        subprocess.run(in_ns + list(args), check=True)

    subprocess.run([ip, "netns", "add", ns], check=True)
    server = None
    try:
        run(ip, "link", "set", "lo", "up")
        run(ip, "tuntap", "add", "dev", "xbtap0", "mode", "tap", "vnet_hdr")
        # No IPv6 neighbour discovery or router solicitations to the guest:
        # tests count what arrives.
        run("sysctl", "-qw", "net.ipv6.conf.xbtap0.disable_ipv6=1")
        for addr in ("10.0.2.2/24", f"{BLOB_GUEST_ADDR}/24"):
            run(ip, "addr", "add", addr, "dev", "xbtap0")
        run(ip, "link", "set", "xbtap0", "up")
        with _blob_files(blob_size) as (blob, qmp, sha):
            server = subprocess.Popen(
                in_ns + blobcgi_argv(
                    "--listen", f"{BLOB_GUEST_ADDR}:{BLOB_GUEST_PORT}", blob,
                    qmp, qom_path), start_new_session=True)
            devices = [("-qmp", f"unix:{qmp},server=on,wait=off"),
                       ("-netdev", "tap,id=net0,ifname=xbtap0,script=no,"
                                   "downscript=no,vnet_hdr=on"),
                       ("-device", device)]
            yield sha, devices, in_ns
    finally:
        if server:
            os.killpg(server.pid, signal.SIGKILL)     # with its children
            server.wait()
        subprocess.run([ip, "netns", "del", ns])


def boot_with_blob(kern, script, *, name, nic="virtio-net-pci",
                   modules=None, programs=(), blob_size=BLOB_SIZE,
                   timeout=240, migrate_at=None, at_marks=None,
                   **argv_options):
    """Boot `kern` with blob_network(nic) and the guest test script
    script(url of the blob).  Returns (GuestResult, sha256 of the blob)."""
    with blob_network(nic, blob_size) as (server, devices):
        initrd = kernel.build_initramfs(
            kern, NIC_MODULES[nic] if modules is None else modules,
            script(server.url), name=f"{name}-{kern.label}",
            programs=programs)
        argv = qemu_argv(kern.image, initrd, devices=devices, **argv_options)
        return boot(argv, timeout=timeout, migrate_at=migrate_at,
                    at_marks=at_marks), server.sha256


def qemu_argv(kernel_image, initrd, append="", smp=2, memory="512M",
              accel="tcg", machine="pc", devices=(), extra=()):
    argv = [str(qemu.BINARY)] + qemu.firmware_args()
    argv += ["-M", machine, "-accel", accel, "-smp", str(smp), "-m", memory,
             "-nodefaults", "-no-user-config", "-display", "none",
             "-vga", "none", "-serial", "stdio", "-no-reboot",
             "-kernel", str(kernel_image), "-initrd", str(initrd),
             "-append", " ".join(filter(None, [
                 "console=ttyS0", "panic=-1", nested.guest_append(accel),
                 append]))]
    for dev in devices:
        argv += list(dev)
    return argv + list(extra)


# QEMU output after which the guest will never get anywhere.
FATAL_OUTPUT = ("KVM internal error", "emulation failure")


def boot(argv, timeout=120, migrate_at=None, console=None, at_marks=None,
         migrate_to="file", at_switchover=None, wrapper=()):
    """Run QEMU until the guest powers off; parse its XENBED- lines.

    QEMU runs under QEMU's own qemu.machine.QEMUMachine, which also holds
    the QMP connection; a thread follows QEMU's output (the serial console
    on stdio, and QEMU's own messages).  console, if given, is the deque
    the output lines go to (a caller that watches them as they come, or
    wants more than the last 2000).

    With migrate_at, once the guest prints `XENBED-MARK <migrate_at>`, QEMU
    migrates the running guest and quits, and a second QEMU with the same
    options resumes it: migrate_to "file" saves to a file that the second
    one, started then, loads; "socket" is a live migration to a second
    QEMU already waiting on a TCP socket on 127.0.0.1.  marks["migrated"]
    is the host time at which the second one took over.  The result's
    `migration` says "completed", or why QEMU refused (the guest then runs
    on).  at_switchover(qmp) runs on the first QEMU once the migration has
    completed, before it quits: it sees the state that the second got.

    at_marks maps marks to what the host does when the guest prints them:
    each is called, in the order the guest prints them, with the QEMU's
    QEMUMachine (its cmd() is a QMP command) and QEMU's pid.

    wrapper is what runs QEMU, e.g. `ip netns exec NS`."""
    if not Path(argv[0]).exists():
        raise XenbedError(f"{argv[0]} does not exist: run xenbed build")
    timeout *= nested.timeout_scale()
    start = time.monotonic()
    if console is None:
        console = deque(maxlen=2000)
    fatal = threading.Event()
    marks = {}
    deadline = start + timeout
    migration = None
    with tempfile.TemporaryDirectory(prefix="xenbed-guest-") as tmp:
        def launch(name, extra=()):
            return _Qemu(argv + list(extra), wrapper, tmp, name, console,
                         fatal, marks)

        vm = launch("source" if migrate_at else "guest")
        dest = None     # a destination QEMU not yet running the guest
        try:
            for mark, action in (at_marks or {}).items():
                if not vm.wait(deadline, timeout, lambda: mark in marks):
                    break
                action(vm.machine, vm.machine.get_pid())
            if migrate_at and vm.wait(deadline, timeout,
                                      lambda: migrate_at in marks):
                if migrate_to == "socket":
                    dest = launch("destination", ["-incoming", "defer"])
                    uri = _listen_incoming(dest.machine)
                else:
                    uri = f"file:{Path(tmp) / 'state'}"
                migration = _migrate(vm.machine, uri, console, deadline,
                                     at_switchover)
                if migration == "completed":
                    vm.close()
                    if vm.exitcode != 0:
                        raise GuestError(f"QEMU exited with {vm.exitcode} "
                                         "after migrating", console)
                    marks["migrated"] = time.monotonic()
                    vm, dest = (dest or launch("destination",
                                               ["-incoming", uri])), None
                elif dest:
                    dest.kill()     # refused: the guest runs on here
                    dest = None
            vm.wait(deadline, timeout)
        finally:
            vm.kill()
            if dest:
                dest.kill()
    result = _parse(console, vm.exitcode, start, argv, marks)
    result.migration = migration
    return result


class _Qemu:
    """One QEMU of a boot, under qemu.machine.QEMUMachine, and the thread
    that follows its output (the machine's log: stdout and stderr)."""

    def __init__(self, argv, wrapper, tmp, name, console, fatal, marks):
        self.console, self.fatal = console, fatal
        self.machine = qemu.machine(argv, wrapper=wrapper, log_dir=tmp,
                                    name=name,
                                    qmp_timeout=60 * nested.timeout_scale())
        self.exitcode = None
        log_path = Path(tmp) / f"{name}.log"
        try:
            qemu.launch(self.machine)
        except qemu.LaunchError as err:
            for line in err.output.splitlines():
                console.append(line)
            raise GuestError(f"QEMU did not start (exit code {err.exitcode})",
                             console) from None
        self.reader = threading.Thread(
            target=_read_console,
            args=(log_path, self.machine.is_running, console, fatal, marks),
            daemon=True)
        self.reader.start()

    def wait(self, deadline, timeout, until=None):
        """Wait until QEMU exits (False) or until() is true (True).  On a
        timeout, the error carries what QEMU's monitor tells of the stuck
        guest."""
        while self.machine.is_running():
            if until and until():
                return True
            if self.fatal.is_set() or time.monotonic() > deadline:
                host = [] if self.fatal.is_set() else _host_view(self.machine)
                self.kill()
                if self.fatal.is_set():
                    raise GuestError("QEMU stopped the guest with a fatal "
                                     "error", self.console)
                raise GuestError("\n".join(
                    [_timeout_reason(self.console, timeout)] + host),
                    self.console)
            self.fatal.wait(0.1)
        self.close()
        return False

    def close(self):
        """Once QEMU has exited, or was told to: reap it and its output."""
        if self.exitcode is None:
            self.machine.wait(timeout=60)
            self.exitcode = self.machine.exitcode()
            self.reader.join(5)

    def kill(self):
        if self.exitcode is None:
            self.machine.kill()
            self.exitcode = self.machine.exitcode()
            self.reader.join(5)


def qemu_rss_kib(pid):
    """Resident memory of QEMU process `pid`, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise XenbedError(f"no VmRSS for process {pid}")


def _listen_incoming(machine):
    """Have the QEMU started with -incoming defer listen on a free TCP
    port of 127.0.0.1; returns the URI to migrate to."""
    machine.cmd("migrate-incoming", uri="tcp:127.0.0.1:0")
    address = machine.cmd("query-migrate")["socket-address"][0]
    return f"tcp:{address['host']}:{address['port']}"


def _migrate(machine, uri, console, deadline, at_switchover=None):
    """Migrate the running guest to `uri` over QMP, then quit QEMU.
    Returns "completed", or "refused: <QEMU's reason>" (QEMU runs on)."""
    try:
        # A guest that keeps its NIC busy dirties memory fast: let the
        # last pass take up to a second rather than never converge.
        machine.cmd("migrate-set-parameters", **{"downtime-limit": 1000,
                                                "max-bandwidth": 1 << 30})
        machine.cmd("migrate", uri=uri)
    except qemu.qmp_library().ExecuteError as err:
        return f"refused: {err}"
    while True:
        info = machine.cmd("query-migrate")
        if info.get("status") == "completed":
            break
        if info.get("status") in ("failed", "cancelled"):
            raise GuestError("migration failed: " +
                             info.get("error-desc", "?"), console)
        if time.monotonic() > deadline:
            raise GuestError("migration did not complete before the "
                             f"deadline ({info.get('status')})", console)
        time.sleep(0.1)
    if at_switchover:
        at_switchover(machine)
    machine.cmd("quit")
    return "completed"


# HMP commands whose output explains a guest that stopped making progress.
# "info cpus" does not tell a halted vCPU from a running one; the RIP line
# (EIP in 32-bit modes) of "info registers -a" does (HLT=1): only that
# line is kept per vCPU.
HOST_VIEW = ("info xen-net", "xen-event-list", "info network", "info usernet",
             "info cpus", "info registers -a")


def _host_view(machine, max_lines=120):
    """HOST_VIEW's output, each line prefixed with "XENBED-HOST "."""
    lines = []
    try:
        for command in HOST_VIEW:
            out = machine.cmd("human-monitor-command",
                              **{"command-line": command})
            text = str(out).splitlines()
            if command == "info registers -a":
                text = [line for line in text
                        if line.startswith(("CPU#", "RIP=", "EIP="))]
            lines.append(f"XENBED-HOST ({command})")
            lines += [f"XENBED-HOST {line}" for line in text[:max_lines]]
    except Exception as err:    # the view is a courtesy: never mask the timeout
        lines.append(f"XENBED-HOST monitor unavailable: {err}")
    return lines


def _read_console(path, running, console, fatal, marks):
    # In the KVM host VM the console is all one sees of a slow run: echo.
    echo = nested.inside()
    for raw in qemu.follow(path, running):
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        console.append(line)
        if echo:
            print(f"L2| {line}", flush=True)
        if line.startswith("XENBED-INIT "):
            marks["init"] = time.monotonic()
        elif line.startswith("XENBED-MARK "):
            # Host time at which the guest printed it, for timing tests.
            marks[line.split(" ", 1)[1].strip()] = time.monotonic()
        if line.startswith(FATAL_OUTPUT):
            fatal.set()


def _timeout_reason(console, timeout):
    lines = list(console)
    if not any(line.startswith("XENBED-INIT") for line in lines):
        return f"guest did not reach init within {timeout} s"
    return f"guest reached init but did not finish its test within {timeout} s"


def _parse(console, returncode, start, argv, marks):
    lines = list(console)
    release, exit_code, results = None, None, {}
    for line in lines:
        if line.startswith("XENBED-INIT "):
            release = line.split(" ", 1)[1].strip()
        elif line.startswith("XENBED-RESULT "):
            parts = line.split(" ", 2)
            results[parts[1]] = parts[2].strip() if len(parts) > 2 else ""
        elif line.startswith("XENBED-DONE rc="):
            exit_code = int(line.split("=", 1)[1])
    if release is None:
        raise GuestError(f"QEMU exited ({returncode}) before the guest "
                         "reached init", console)
    if exit_code is None:
        raise GuestError(f"QEMU exited ({returncode}) before the guest test "
                         "finished", console)
    if returncode != 0:
        # The guest finished: QEMU itself failed (a crash at exit counts).
        raise GuestError(f"QEMU exited with status {returncode} after the "
                         "guest test finished", console)
    return GuestResult(release=release, exit_code=exit_code, results=results,
                       console=lines, seconds=time.monotonic() - start,
                       argv=argv, marks=marks, started=start)


def xen_accel(accel, xen_version):
    """-accel argument for Xen HVM emulation; KVM needs the split irqchip."""
    if accel == "kvm":
        return f"kvm,xen-version={xen_version},kernel-irqchip=split"
    return f"{accel},xen-version={xen_version}"


def script(name, **variables):
    """Guest shell from tests/guest/scripts/`name`, after lines that set
    the shell variables it takes."""
    return "".join(f"{key}={shlex.quote(str(value))}\n"
                   for key, value in variables.items()) + \
        (GUEST_SCRIPTS / name).read_text()


def shell_function(name, body):
    """Guest shell defining function `name` that runs `body` (shell), for
    scripts that take a step as a function."""
    return f"{name}() {{\n{body}\n:\n}}\n"


# Guest-side shell shared by tests and `xenbed run`.
DMESG_DUMP = "dmesg | sed 's/^/XENBED-DMESG /'\n"
GUEST_FACTS = DMESG_DUMP + script("guest-facts.sh")
NET_SETUP = script("net-setup.sh")
TWO_NICS_SETUP = script("two-nics-setup.sh")

# QEMU's xenstore ring page (XEN_SPECIAL_PFN(XENSTORE)), for
# xenstore-ring.sh's $ring.
XENSTORE_RING = 0xfeff9000


def download_script(url):
    return NET_SETUP + script("download.sh", url=url)
