"""The FIFO event channel ABI in the emulator, with 2-level kept (issue 4).

Unmodified Debian kernels pick FIFO by themselves, fall back to 2-level
when told to (xen.fifo_events=0) or when the emulator does not offer it
(xen-evtchn-fifo=off), and in every case still pass the netfront
download.  The FIFO hypercalls' error paths are driven from the guest
through /dev/xen/privcmd (tests/guest/progs/hcall.c); every assertion is
on what the guest reports.
"""

import os
import threading
import time

import pytest

from xenbed import guest, kernel, nested, qemu

NETFRONT = guest.NIC_MODULES["xen-net-device"]
PRIVCMD = NETFRONT + ["xen_privcmd unrestricted=1"]

# Linux errno values as the guest sees them.
ENOENT, EACCES, EINVAL, ENOSYS, EOPNOTSUPP = 2, 13, 22, 38, 95

INIT_CONTROL, EXPAND_ARRAY, SET_PRIORITY = 11, 12, 13
# The local APIC page: MMIO, never RAM.
MMIO_GFN = 0xfee00


def boot_fifo(kern, accel, calls=None, *, accel_options="", append="",
              name="test-fifo"):
    """Download through xen-netfront, then issue `calls` (name: (cmd,
    fields, expected)) with hcall, then report."""
    script = "".join(f"hcall evtchn {n} {cmd} {' '.join(fields)}\n"
                     for n, (cmd, fields, _) in (calls or {}).items())
    return guest.boot_with_blob(
        kern, lambda url: guest.download_script(url) + script +
        guest.GUEST_FACTS, name=name, nic="xen-net-device",
        modules=PRIVCMD if calls else NETFRONT,
        programs=["hcall"] if calls else (), append=append,
        accel=guest.xen_accel(accel, "0x4000a") + accel_options)


def assert_download(res, kern, sha):
    assert res.release == kern.release
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    assert res.result("nic-driver") == "vif", "xen-netfront did not bind"
    assert int(res.result("blob-bytes")) == guest.BLOB_SIZE
    assert res.result("blob-sha256") == sha


def assert_calls(res, calls):
    for n, (_, _, expected) in calls.items():
        assert int(res.result(f"hcall-{n}")) == expected, \
            f"{n}: expected {expected}, guest saw {res.result(f'hcall-{n}')}"


def test_guest_uses_fifo(debian_kernel, xen_accel, qemu_binary):
    """FIFO is offered by default; under it the error paths that do not
    disturb the running guest return Xen's codes."""
    calls = {
        "init-control-vcpu-99": (INIT_CONTROL, ["q:0x1000", "l:0", "l:99"],
                                 -ENOENT),
        "init-control-offset-4": (INIT_CONTROL, ["q:0x1000", "l:4", "l:0"],
                                  -EINVAL),
        "init-control-offset-4032": (INIT_CONTROL,
                                     ["q:0x1000", "l:4032", "l:0"], -EINVAL),
        # vCPU 0 already has its control block: Xen refuses a second one.
        "init-control-again": (INIT_CONTROL, ["q:0x1000", "l:0", "l:0"],
                               -EINVAL),
        "expand-array-mmio": (EXPAND_ARRAY, [f"q:{MMIO_GFN:#x}"], -EINVAL),
        "set-priority-16": (SET_PRIORITY, ["l:1", "l:16"], -EINVAL),
        "set-priority-unbound-port": (SET_PRIORITY, ["l:4000", "l:3"],
                                      -EACCES),
        "set-priority-port-0": (SET_PRIORITY, ["l:0", "l:3"], -EACCES),
        "set-priority-beyond-max": (SET_PRIORITY, ["l:200000", "l:3"],
                                    -EINVAL),
        "set-priority-7": (SET_PRIORITY, ["l:1", "l:7"], 0),
    }
    res, sha = boot_fifo(debian_kernel, xen_accel, calls)
    assert res.dmesg_has("xen:events: Using FIFO-based ABI"), res.dmesg[:40]
    assert not res.dmesg_has("Using 2-level ABI")
    assert_download(res, debian_kernel, sha)
    assert_calls(res, calls)


def test_fifo_events_0_uses_2level(debian_kernel, xen_accel, qemu_binary):
    """xen.fifo_events=0: Linux never calls init_control, so the domain is
    2-level and the FIFO hypercalls say so."""
    calls = {
        "expand-array-before-init": (EXPAND_ARRAY, ["q:0x1000"],
                                     -EOPNOTSUPP),
        "set-priority-2level": (SET_PRIORITY, ["l:1", "l:0"], -ENOSYS),
        "init-control-mmio": (INIT_CONTROL, [f"q:{MMIO_GFN:#x}", "l:0",
                                             "l:0"], -EINVAL),
        "init-control-beyond-ram": (INIT_CONTROL, ["q:0xfffffffff", "l:0",
                                                   "l:0"], -EINVAL),
        "init-control-vcpu-99": (INIT_CONTROL, ["q:0x1000", "l:0", "l:99"],
                                 -ENOENT),
        "init-control-offset-4": (INIT_CONTROL, ["q:0x1000", "l:4", "l:0"],
                                  -EINVAL),
        # The failed init_controls left the domain 2-level.
        "expand-array-after-failures": (EXPAND_ARRAY, ["q:0x1000"],
                                        -EOPNOTSUPP),
    }
    res, sha = boot_fifo(debian_kernel, xen_accel, calls,
                         append="xen.fifo_events=0", name="test-fifo-2l")
    assert res.dmesg_has("xen:events: Using 2-level ABI"), res.dmesg[:40]
    assert not res.dmesg_has("Using FIFO-based ABI")
    assert_download(res, debian_kernel, sha)
    assert_calls(res, calls)


def test_fifo_off_falls_back(debian_kernel, xen_accel, qemu_binary):
    """xen-evtchn-fifo=off: init_control is -ENOSYS as before FIFO existed,
    and Linux falls back to 2-level by itself."""
    calls = {
        "init-control-fifo-off": (INIT_CONTROL, ["q:0x1000", "l:0", "l:0"],
                                  -ENOSYS),
        "expand-array-fifo-off": (EXPAND_ARRAY, ["q:0x1000"], -ENOSYS),
        "set-priority-fifo-off": (SET_PRIORITY, ["l:1", "l:0"], -ENOSYS),
    }
    res, sha = boot_fifo(debian_kernel, xen_accel, calls,
                         accel_options=",xen-evtchn-fifo=off",
                         name="test-fifo-off")
    assert res.dmesg_has("xen:events: Using 2-level ABI"), res.dmesg[:40]
    assert not res.dmesg_has("Using FIFO-based ABI")
    assert_download(res, debian_kernel, sha)
    assert_calls(res, calls)


def boot_scale(kern, accel, pairs, *, append="", name="test-fifo-scale",
               roundtrips=0, accel_options=""):
    """Run evtchn_scale PAIRS in the guest (no download)."""
    res, _ = guest.boot_with_blob(
        kern, lambda url: f"evtchn_scale {pairs} {roundtrips}\n" +
        guest.GUEST_FACTS, name=name, nic="xen-net-device",
        modules=NETFRONT + ["xen-evtchn"], programs=["evtchn_scale"],
        append=append, memory="1G", timeout=900,
        accel=guest.xen_accel(accel, "0x4000a") + accel_options)
    assert res.release == kern.release
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    return res


def test_fifo_scale_50k_ports(debian_kernel, xen_accel, qemu_binary):
    """Under FIFO, 25,000 loopback pairs (50,000 ports) bind through
    /dev/xen/evtchn, every port gets its notification exactly once, and
    after unbinding all of them the same number binds and delivers again."""
    res = boot_scale(debian_kernel, xen_accel, 25000)
    assert res.dmesg_has("xen:events: Using FIFO-based ABI")
    assert res.result("evtchn-bind-stop") == "none"
    assert int(res.result("evtchn-bound-ports")) == 50000
    assert int(res.result("evtchn-highest-port")) > 50000
    assert int(res.result("evtchn-lost")) == 0
    assert int(res.result("evtchn-duplicates")) == 0
    assert int(res.result("evtchn-rebound-ports")) == 50000
    assert int(res.result("evtchn-rebound-lost")) == 0
    assert int(res.result("evtchn-rebound-duplicates")) == 0


def test_2level_scale_stops_at_4096(debian_kernel, xen_accel, qemu_binary):
    """Under 2-level the same program stops cleanly at the 4096-port limit
    (-ENOSPC), and every port it did bind delivers."""
    res = boot_scale(debian_kernel, xen_accel, 25000,
                     append="xen.fifo_events=0", name="test-2l-scale")
    assert res.dmesg_has("xen:events: Using 2-level ABI")
    assert res.result("evtchn-bind-stop") == "No space left on device"
    bound = int(res.result("evtchn-bound-ports"))
    assert 4000 <= bound < 4096, bound
    assert int(res.result("evtchn-highest-port")) < 4096
    # 2-level may deliver an event twice when Linux moves a port to another
    # vCPU (QEMU raises a pending port again on its new vCPU, as it always
    # did); none may be lost.
    assert int(res.result("evtchn-lost")) == 0
    assert int(res.result("evtchn-rebound-ports")) == bound
    assert int(res.result("evtchn-rebound-lost")) == 0


def poll_event_list(path, until, seconds=120):
    """Query xen-event-list until until(list) holds; returns the last list
    and the HMP rendering of it."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return None, None
        time.sleep(0.2)
    qmp = qemu.qmp_connect(path)
    try:
        while True:
            ports = qmp.cmd("xen-event-list")
            if until(ports) or time.monotonic() > deadline:
                hmp = qmp.cmd("human-monitor-command",
                              **{"command-line": "xen-event-list"})
                return ports, hmp
            time.sleep(0.5)
    finally:
        qmp.close()


def timer_ports(ports):
    return [p for p in ports if p["type"] == "virq" and p["target"] == 0]


@pytest.mark.parametrize("fifo", [True, False], ids=["fifo", "2level"])
def test_event_list_reports_abi_and_timer_priority(debian_kernel, xen_accel,
                                                   qemu_binary, tmp_path,
                                                   fifo):
    """xen-event-list shows what the guest did: under FIFO its VIRQ_TIMER
    port on each vCPU at priority 0 (Linux's set_priority), the other ports
    at the default 7; under 2-level no FIFO fields."""
    sock = str(tmp_path / "qmp.sock")
    found = {}

    def watch():
        found["ports"], found["hmp"] = poll_event_list(
            sock, lambda ports: len(timer_ports(ports)) == 2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        res, _ = guest.boot_with_blob(
            debian_kernel, lambda url: "sleep 8\n" + guest.GUEST_FACTS,
            name="test-fifo-qmp", nic="xen-net-device", modules=NETFRONT,
            append="" if fifo else "xen.fifo_events=0",
            extra=["-qmp", f"unix:{sock},server=on,wait=off"],
            accel=guest.xen_accel(xen_accel, "0x4000a"))
    finally:
        watcher.join()
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    ports, hmp = found["ports"], found["hmp"]
    assert ports, "xen-event-list never answered"
    timers = timer_ports(ports)
    assert sorted(p["vcpu"] for p in timers) == [0, 1], ports
    if fifo:
        assert res.dmesg_has("Using FIFO-based ABI")
        assert all(p["abi"] == "fifo" for p in ports), ports
        assert all(p["priority"] == 0 for p in timers), timers
        others = [p for p in ports if p not in timers]
        assert others and all(p["priority"] == 7 for p in others), others
        assert all("linked" in p and "busy" in p for p in ports)
        assert "fifo" in hmp and "priority 0" in hmp, hmp
    else:
        assert res.dmesg_has("Using 2-level ABI")
        assert all(p["abi"] == "two-level" for p in ports), ports
        assert not any("priority" in p for p in ports), ports
        assert "two-level" in hmp and "priority" not in hmp, hmp


def test_fifo_trace_events(debian_kernel, xen_accel, qemu_binary):
    """The ABI operations have trace events: the switch to FIFO, each
    vCPU's control block, the event-array pages and the timer priority."""
    res, _ = guest.boot_with_blob(
        debian_kernel, lambda url: guest.GUEST_FACTS, name="test-fifo-trace",
        nic="xen-net-device", modules=NETFRONT,
        extra=["-trace", "xen_evtchn_abi_switch",
               "-trace", "xen_evtchn_fifo_init_control",
               "-trace", "xen_evtchn_fifo_expand_array",
               "-trace", "xen_evtchn_set_priority"],
        accel=guest.xen_accel(xen_accel, "0x4000a"))
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    assert res.dmesg_has("Using FIFO-based ABI")
    text = "\n".join(res.console)
    assert "xen_evtchn_abi_switch now fifo" in text, text[-3000:]
    assert "xen_evtchn_fifo_init_control vcpu 0 rc 0" in text
    assert "xen_evtchn_fifo_init_control vcpu 1 rc 0" in text
    assert "xen_evtchn_fifo_expand_array rc 0" in text
    assert "rc 0" in "".join(line for line in res.console
                             if "xen_evtchn_set_priority" in line)


def test_fifo_cpu_offline_online_under_event_load(debian_kernel, xen_accel,
                                                  qemu_binary):
    """-smp 4 under FIFO: vCPUs go offline and online while loopback
    event channels ping-pong (Linux moves their queues between vCPUs) and
    netfront moves 32 MiB; no event is lost and no round trip stalls."""
    res, sha = guest.boot_with_blob(
        debian_kernel,
        lambda url: guest.NET_SETUP +
        guest.script("cpu-hotplug-events.sh", url=url) +
        guest.GUEST_FACTS, name="test-fifo-hotplug", nic="xen-net-device",
        modules=NETFRONT + ["xen-evtchn"], programs=["evtchn_scale"],
        blob_size=32 << 20, smp=4, timeout=600,
        accel=guest.xen_accel(xen_accel, "0x4000a"))
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    assert res.dmesg_has("xen:events: Using FIFO-based ABI")
    assert int(res.result("cycles")) >= 3
    assert int(res.result("evtchn-bound-ports")) == 4000
    assert int(res.result("evtchn-lost")) == 0
    assert int(res.result("evtchn-roundtrips")) == 20000
    assert int(res.result("evtchn-roundtrips-all")) == 20000
    assert int(res.result("evtchn-rebound-lost")) == 0
    assert res.result("big-sha256") == sha
    assert res.result("cpus-online") == "0-3"


def test_fifo_expand_array_stops_at_128_pages(debian_kernel, xen_accel,
                                              qemu_binary):
    """The 129th event-array page is -ENOSPC: after the download, hcall
    hands EVTCHNOP_expand_array locked pages of its own until it fails;
    Linux's own pages plus those make 128.  (Last in the test: the pages
    must stay the program's while the emulator holds them.)"""
    ENOSPC = 28
    res, sha = guest.boot_with_blob(
        debian_kernel, lambda url: guest.download_script(url) +
        "hcall expand-fill fill &\nsleep 3\n" + guest.GUEST_FACTS,
        name="test-fifo-enospc", nic="xen-net-device", modules=PRIVCMD,
        programs=["hcall"], accel=guest.xen_accel(xen_accel, "0x4000a"))
    assert_download(res, debian_kernel, sha)
    assert res.dmesg_has("xen:events: Using FIFO-based ABI")
    added = int(res.result("hcall-fill-added"))
    # Linux has at least one page; the rest up to 128 were ours.
    assert 1 <= added <= 127, added
    assert int(res.result("hcall-fill-error")) == -ENOSPC
    assert int(res.result("hcall-fill-again")) == -ENOSPC


def test_fifo_again_after_reset(debian_kernel, xen_accel, qemu_binary,
                                tmp_path):
    """A machine reset returns the domain to 2-level: the rebooted kernel's
    EVTCHNOP_init_control succeeds again (a surviving control block would
    make it fail with -EINVAL and Linux would print 'Using 2-level ABI')."""
    sock = str(tmp_path / "qmp.sock")
    done = {}

    def reset_once():
        ports, _ = poll_event_list(
            sock, lambda ports: any(p["abi"] == "fifo" for p in ports))
        done["fifo-before-reset"] = bool(ports) and \
            any(p["abi"] == "fifo" for p in ports)
        time.sleep(6)                   # into the first boot's sleep 10
        qmp = qemu.qmp_connect(sock)
        try:
            done["reset"] = qmp.cmd("system_reset")
        finally:
            qmp.close()

    watcher = threading.Thread(target=reset_once)
    watcher.start()
    try:
        res, _ = guest.boot_with_blob(
            debian_kernel, lambda url: "sleep 10\n" + guest.GUEST_FACTS,
            name="test-fifo-reset", nic="xen-net-device", modules=NETFRONT,
            # After the harness's -no-reboot: a reset resets, once.
            extra=["-qmp", f"unix:{sock},server=on,wait=off",
                   "-action", "reboot=reset"],
            accel=guest.xen_accel(xen_accel, "0x4000a"), timeout=300)
    finally:
        watcher.join()
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    assert done.get("fifo-before-reset"), done
    assert done.get("reset") == {}, done
    inits = [line for line in res.console if line.startswith("XENBED-INIT")]
    assert len(inits) == 2, "the guest did not boot twice"
    second = res.console[res.console.index(inits[1]):]
    boot_lines = [line for line in res.console
                  if "xen:events: Using" in line and
                  not line.startswith("XENBED-DMESG")]
    assert len(boot_lines) == 2, boot_lines
    assert all("Using FIFO-based ABI" in line for line in boot_lines), \
        boot_lines
    assert res.dmesg_has("xen:events: Using FIFO-based ABI"), second[:40]


def test_fifo_max_port_caps_ports(debian_kernel, xen_accel, qemu_binary):
    """xen-evtchn-max-port=6000: under FIFO binding stops cleanly at port
    6000 (-ENOSPC), past the 2-level limit, and every bound port delivers."""
    res = boot_scale(debian_kernel, xen_accel, 25000,
                     name="test-fifo-maxport",
                     accel_options=",xen-evtchn-max-port=6000")
    assert res.dmesg_has("xen:events: Using FIFO-based ABI")
    assert res.result("evtchn-bind-stop") == "No space left on device"
    highest = int(res.result("evtchn-highest-port"))
    assert 4096 <= highest <= 6000, highest
    bound = int(res.result("evtchn-bound-ports"))
    assert 5900 <= bound < 6000, bound
    assert int(res.result("evtchn-lost")) == 0
    assert int(res.result("evtchn-rebound-ports")) == bound
    assert int(res.result("evtchn-rebound-lost")) == 0


@pytest.mark.parametrize("xen_version,append", [
    ("0x4000a", "xen_no_vector_callback"),
    ("0x4000a", "xen_no_vector_callback noapic"),
    ("0x40011", ""),
], ids=["intx-ioapic", "intx-pic", "percpu-vector-4.17"])
def test_fifo_with_other_upcalls(debian_kernel, xen_accel, qemu_binary,
                                 xen_version, append):
    """FIFO events also arrive through the platform PCI INTx line (IOAPIC or
    PIC) and through per-vCPU upcall vectors: the download passes."""
    res, sha = guest.boot_with_blob(
        debian_kernel, lambda url: guest.download_script(url) +
        guest.GUEST_FACTS, name="test-fifo-upcalls", nic="xen-net-device",
        modules=NETFRONT, append=append,
        accel=guest.xen_accel(xen_accel, xen_version))
    assert res.dmesg_has("xen:events: Using FIFO-based ABI"), res.dmesg[:40]
    if append:
        assert not res.dmesg_has("Xen HVM callback vector for event "
                                 "delivery is enabled")
    assert_download(res, debian_kernel, sha)


def test_hostile_fifo_pages_then_reset(debian_kernel, xen_accel, qemu_binary):
    """A guest that owns the FIFO pages and fills them with garbage while
    events are raised (tests/guest/progs/fifohostile.c): every hypercall
    still returns 0, the port table is untouched, EVTCHNOP_reset returns
    the domain to 2-level with every port closed, and FIFO then queues
    correctly again.  The kernel stays 2-level (xen.fifo_events=0) so the
    program can take FIFO over; its own ports, timers included, are lost,
    and under KVM its UART interrupt too (a PIRQ there): the program
    writes its results to the kernel log (whose console polls; the guest
    boots with printk.time=0 and printk.devkmsg=on, so each is a console
    line and none is rate-limited away), ends with XENBED-DONE itself and
    restarts through sysrq (QEMU exits: -no-reboot)."""
    # Each operation is a hypercall QEMU handles: nested under TCG (KVM in
    # the KVM host VM) one costs ~100x what it does under TCG on the host.
    storm = 50000 if nested.inside() else 500000
    initrd = kernel.build_initramfs(
        debian_kernel, ["xen_privcmd unrestricted=1"],
        guest.DMESG_DUMP + f"fifohostile {storm}\n",
        name=f"test-fifo-hostile-{debian_kernel.label}",
        programs=["fifohostile"])
    res = guest.boot(guest.qemu_argv(
        debian_kernel.image, initrd, smp=1,
        append="xen.fifo_events=0 printk.time=0 printk.devkmsg=on",
        accel=guest.xen_accel(xen_accel, "0x4000a")), timeout=180)
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    expected = {
        "init-control": 17, "expand-array": 0, "pair0": 0, "pair1": 0,
        "head-is-first": 1, "ready": 1, "first-links-second": 1,
        "second-is-tail": 1,
    }
    for stage in ("first", "again"):
        for key, value in expected.items():
            assert int(res.result(f"fifo-{stage}-{key}")) == value, \
                f"{stage}-{key}: {res.result(f'fifo-{stage}-{key}')}"
    assert int(res.result("fifo-init-control-twice")) == -EINVAL
    assert int(res.result("fifo-busy-tail-linked")) == 1
    assert int(res.result("fifo-storm-ops")) == storm
    assert int(res.result("fifo-storm-failures")) == 0
    assert int(res.result("fifo-pairs-intact")) == 8
    assert int(res.result("fifo-reset")) == 0
    assert int(res.result("fifo-status-after-reset")) == 0   # closed
    assert int(res.result("fifo-expand-after-reset")) == -EOPNOTSUPP
    assert int(res.result("fifo-set-priority-after-reset")) == -ENOSYS


KEXEC_STAGE2 = "xenbed.stage=2"


def kexec_script(url, before_kexec=""):
    """Stage 1 downloads, runs `before_kexec`, then kexecs the same kernel
    with its own root file system as initrd; stage 2 (KEXEC_STAGE2 on its
    command line) downloads again and reports."""
    return (guest.shell_function("download", guest.download_script(url)) +
            guest.shell_function("guest_facts", guest.GUEST_FACTS) +
            guest.shell_function("before_kexec", before_kexec) +
            guest.script("kexec-twice.sh", stage2=KEXEC_STAGE2))


@pytest.mark.parametrize("smp", [1, 2], ids=["smp1", "smp2"])
def test_kexec_soft_reset_gives_fifo_again(debian_kernel, xen_accel,
                                           qemu_binary, smp):
    """kexec into the same kernel: Linux's kexec shutdown closes netfront
    and issues SHUTDOWN_soft_reset, which must leave the domain with no
    ports and 2-level again, or the second kernel's init_control would
    fail and it would print "Using 2-level ABI".  Then its netfront
    reconnects to the same backend and downloads (through blobcgi.py: a
    chardev guestfwd would carry only stage 1's connection)."""
    url = f"http://{guest.BLOB_GUEST_ADDR}:{guest.BLOB_GUEST_PORT}/blob"
    with guest.cgi_network(guest.BLOB_SIZE, "xen-net-device,netdev=net0") \
            as (sha, devices):
        initrd = kernel.build_initramfs(
            debian_kernel, NETFRONT, kexec_script(url),
            name=f"test-fifo-kexec-{debian_kernel.label}",
            programs=["kexec"],
            files={"kexec/vmlinuz": debian_kernel.image})
        res = guest.boot(guest.qemu_argv(
            debian_kernel.image, initrd, smp=smp, devices=devices,
            accel=guest.xen_accel(xen_accel, "0x4000a")), timeout=240)
    assert res.result("stage1-abi") == "Using FIFO-based ABI"
    assert res.result("stage1-blob-sha256") == sha
    assert res.result("stage2-abi") == "Using FIFO-based ABI", \
        "\n".join(res.console[-60:])
    assert KEXEC_STAGE2 in " ".join(res.dmesg[:5]), res.dmesg[:5]
    assert_download(res, debian_kernel, sha)
    assert int(res.result("nproc")) == smp


# A request header left in the xenstore ring by the first kernel.
PARTIAL_XS_REQUEST = guest.script("xenstore-ring.sh",
                                  ring=guest.XENSTORE_RING) + \
    guest.script("xenstore-partial-request.sh")


def test_kexec_drops_a_partial_xenstore_request(debian_kernel, xen_accel,
                                                qemu_binary):
    """The soft reset starts the second kernel on an empty xenstore
    connection, as xenstored does when a domain is introduced again.  A
    request header the first kernel left in the ring would otherwise take
    the second kernel's first request as its payload, and xenbus_probe()
    would wait for ever for the reply (seen in CI as a hang right after
    "io scheduler mq-deadline registered")."""
    url = f"http://{guest.BLOB_GUEST_ADDR}:{guest.BLOB_GUEST_PORT}/blob"
    with guest.cgi_network(guest.BLOB_SIZE, "xen-net-device,netdev=net0") \
            as (sha, devices):
        initrd = kernel.build_initramfs(
            debian_kernel, NETFRONT, kexec_script(url, PARTIAL_XS_REQUEST),
            name=f"test-fifo-kexec-partial-xs-{debian_kernel.label}",
            programs=["kexec"],
            files={"kexec/vmlinuz": debian_kernel.image})
        res = guest.boot(guest.qemu_argv(
            debian_kernel.image, initrd, smp=2, devices=devices,
            accel=guest.xen_accel(xen_accel, "0x4000a")), timeout=240)
    assert int(res.result("xs-stale-bytes")) == 16
    assert KEXEC_STAGE2 in " ".join(res.dmesg[:5]), res.dmesg[:5]
    assert not res.dmesg_has("ring is not quiescent"), \
        [line for line in res.dmesg if "quiescent" in line]
    assert_download(res, debian_kernel, sha)
