"""A KVM host VM: KVM nested under TCG where /dev/kvm cannot run a guest.

TCG emulates AMD SVM with nested paging, so a Linux guest under TCG with
kvm-amd loaded has a working /dev/kvm (kvm_amd only: TCG has no VMX).
That guest, L1, boots the pinned 6.12 cloud kernel with a busybox
initramfs, mounts the host's root read-only through virtiofs (writes go
to a tmpfs overlay) and the checkout's build/ folder read-write, chroots
into that and runs one xenbed command there: the same code, tests and
assertions as on the host, now with a /dev/kvm that works.  Inside,
XENBED_NESTED=tcg says so: reports read "kvm (nested under TCG)", the
outer xenbed has already built everything, and guest timeouts stretch.
"""

import functools
import os
import re
import shlex
import subprocess
import threading
from pathlib import Path

from . import kernel, qemu
from .common import BUILD, GUEST_SCRIPTS, REPO, XenbedError, log

VIRTIOFSD = Path("/usr/lib/qemu/virtiofsd")   # Debian: qemu-system-common
L1_KERNEL = "6.12"
L1_MODULES = ["kvm", "kvm_amd", "overlay", "tun", "virtiofs"]
L1_CPU = "EPYC,+svm,+npt"
# One vCPU: with two, multi-threaded TCG's SVM emulation corrupts L1's
# memory under heavy VM exit load (the L1 kernel panics "corrupted stack
# end detected inside scheduler" within a minute of binding 50,000 ports).
L1_SMP = int(os.environ.get("XENBED_L1_SMP", "1"))
L1_MEMORY_MB = 6144
# L2 guests boot about ten times slower under KVM nested in TCG.
TIMEOUT_SCALE = 5

# L1's test script (tests/guest/init runs it).
L1_SCRIPT = (GUEST_SCRIPTS / "kvm-host.sh").read_text()


def inside():
    """True in the KVM host VM (set by the L1 run script)."""
    return os.environ.get("XENBED_NESTED") == "tcg"


def accel_label(accel):
    """How reports name the accelerator."""
    if accel == "kvm" and inside():
        return "kvm (nested under TCG)"
    return accel


def timeout_scale():
    return TIMEOUT_SCALE if inside() else 1


def guest_append(accel):
    """Kernel options for a guest of the KVM host VM: its loops_per_jiffy,
    since L1's.  Nested, every vCPU that calibrates its delay loop takes
    about a minute (34 vCPUs: more than half an hour); L2's TSC runs at
    L1's rate, so L1's value is right for udelay."""
    if not (inside() and accel.startswith("kvm")):
        return ""
    lpj = _l1_loops_per_jiffy()
    return f"lpj={lpj}" if lpj else ""


@functools.lru_cache(maxsize=None)
def _l1_loops_per_jiffy():
    try:
        log_text = subprocess.run(["dmesg"], capture_output=True, text=True,
                                  check=False).stdout
    except OSError:
        return None
    # "... 5999.99 BogoMIPS (lpj=11999992)", as L1's kernel calibrated
    found = re.search(r"BogoMIPS \(lpj=(\d+)\)", log_text)
    return int(found.group(1)) if found else None


def check_host():
    if not VIRTIOFSD.exists():
        raise XenbedError(f"{VIRTIOFSD} missing: the KVM host VM needs it "
                          "(xenbed setup installs qemu-system-common)")
    if os.geteuid() != 0:
        raise XenbedError("the KVM host VM needs root (virtiofsd shares /)")


def _virtiofsd(socket, source):
    # Its stderr: only noise ("Unexpected poll revents") as L1 powers off.
    return subprocess.Popen(
        [str(VIRTIOFSD), f"--socket-path={socket}", "-o", f"source={source}",
         "-o", "cache=auto", "-o", "sandbox=chroot", "-o", "log_level=err"],
        stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def l1_argv(kern, initrd, run_script, sockets):
    mem = f"{L1_MEMORY_MB}M"
    argv = [str(qemu.OBJ / "qemu-system-x86_64")] + qemu.firmware_args()
    argv += ["-M", "q35,memory-backend=l1ram",
             "-accel", os.environ.get("XENBED_L1_ACCEL", "tcg"),
             "-cpu", L1_CPU, "-smp", str(L1_SMP), "-m", mem,
             "-object", f"memory-backend-memfd,id=l1ram,size={mem},share=on",
             "-nodefaults", "-no-user-config", "-display", "none",
             "-vga", "none", "-serial", "stdio", "-no-reboot",
             "-kernel", str(kern.image), "-initrd", str(initrd),
             "-append", f"console=ttyS0 quiet panic=-1 xenbed.run={run_script} "
                        f"xenbed.build={BUILD}"]
    # Debugging L1 itself, e.g. "-d cpu_reset,guest_errors -D l1.log".
    argv += shlex.split(os.environ.get("XENBED_L1_QEMU_ARGS", ""))
    for tag, socket in sockets.items():
        argv += ["-chardev", f"socket,id=fs-{tag},path={socket}",
                 "-device", f"vhost-user-fs-pci,chardev=fs-{tag},tag={tag}"]
    return argv


def run(command, env=None, timeout=6 * 3600, echo=print):
    """Run `command` (argv) in the KVM host VM with env added to the
    environment; its output goes to echo() line by line.  Returns its
    exit status."""
    check_host()
    kern = kernel.resolve(L1_KERNEL)
    initrd = kernel.build_initramfs(kern, L1_MODULES, L1_SCRIPT,
                                    name="kvm-host")
    jobs = BUILD / "nested"
    jobs.mkdir(parents=True, exist_ok=True)
    job = jobs / f"run-{os.getpid()}"
    job.mkdir(exist_ok=True)
    run_env = {k: v for k, v in os.environ.items()
               if k.startswith("XENBED_") or k in ("HOME", "PATH", "LANG")}
    run_env.update({"XENBED_NESTED": "tcg", "XENBED_ACCEL": "kvm",
                    **(env or {})})
    script = job / "run.sh"
    script.write_text(
        "".join(f"export {k}={shlex.quote(v)}\n" for k, v in run_env.items())
        + f"cd {shlex.quote(str(REPO))}\n"
        + "exec " + " ".join(shlex.quote(str(a)) for a in command) + "\n")
    sockets = {"host": job / "host.sock", "build": job / "build.sock"}
    daemons = [_virtiofsd(sockets["host"], "/"),
               _virtiofsd(sockets["build"], BUILD)]
    try:
        for socket in sockets.values():
            qemu.wait_for_socket(socket, seconds=10, what="virtiofsd")
        argv = l1_argv(kern, initrd, script, sockets)
        log(f"KVM host VM: {L1_KERNEL} kernel under TCG ({L1_CPU}, "
            f"{L1_SMP} vCPUs, {L1_MEMORY_MB} MiB) runs: "
            + " ".join(str(a) for a in command))
        return _run_l1(argv, timeout, echo, job)
    finally:
        for daemon in daemons:
            daemon.terminate()
        for daemon in daemons:
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        for path in job.iterdir():
            path.unlink()
        job.rmdir()


def _run_l1(argv, timeout, echo, job):
    """Run L1 under QEMU's QEMUMachine; its console (the machine's log)
    goes to echo() from XENBED-NESTED-READY on.  Returns the exit status
    of the command run inside."""
    machine = qemu.machine(argv, log_dir=job, name="l1")
    state = {"rc": None, "ready": False, "tail": []}
    qemu.launch(machine, "the KVM host VM's QEMU")

    def reader():
        for raw in qemu.follow(job / "l1.log", machine.is_running):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            state["tail"] = (state["tail"] + [line])[-40:]
            if line.startswith("XENBED-DONE rc="):
                state["rc"] = int(line.split("=", 1)[1])
                state["ready"] = False
            elif line == "XENBED-NESTED-READY":
                state["ready"] = True
            elif state["ready"]:
                echo(line)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    # L1 powers off by itself (-no-reboot, panic=-1); past the timeout,
    # QEMUMachine kills it.
    try:
        machine.wait(timeout)
    except qemu.machine_library().machine.AbnormalShutdown:
        pass
    thread.join(10)
    rc_file = job / "rc"
    if rc_file.exists():
        state["rc"] = int(rc_file.read_text())
    if state["rc"] is None:
        tail = "\n".join("  | " + line for line in state["tail"])
        raise XenbedError("the KVM host VM did not finish "
                          f"(QEMU status {machine.exitcode()}):\n{tail}")
    return state["rc"]
