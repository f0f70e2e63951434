"""xen-net-device configuration, without a guest: the QOM side of the
device (properties, queue-stats, HMP info xen-net) and the values it
refuses."""

import subprocess

from qemu.machine import QEMUMachine

from xenbed import qemu

XEN = qemu.firmware_args() + [
    "-M", "pc", "-accel", "tcg,xen-version=0x4000a", "-nodefaults",
    "-display", "none", "-netdev", "user,id=n0,restrict=on"]


def test_properties_and_empty_queue_stats(qemu_binary, tmp_path):
    vm = QEMUMachine(str(qemu_binary), base_temp_dir=str(tmp_path),
                     args=XEN + ["-S", "-smp", "3", "-device",
                                 "xen-net-device,id=xn0,netdev=n0,"
                                 "split-event-channels=off,gso-tcpv6=off"])
    vm.launch()
    try:
        def get(prop):
            return vm.cmd("qom-get", path="/machine/peripheral/xn0",
                          property=prop)
        values = {p: get(p) for p in ("max-queues", "split-event-channels",
                                      "sg", "gso-tcpv4", "gso-tcpv6",
                                      "ipv6-csum-offload",
                                      "multicast-control")}
        stats = get("queue-stats")
        hmp = vm.cmd("human-monitor-command",
                     command_line="qom-get /machine/peripheral/xn0 sg")
        info = vm.cmd("human-monitor-command", command_line="info xen-net")
    finally:
        vm.shutdown()
    assert values == {"max-queues": 0, "split-event-channels": False,
                      "sg": True, "gso-tcpv4": True, "gso-tcpv6": False,
                      "ipv6-csum-offload": True, "multicast-control": False}
    # No frontend has connected: no queue to report.
    assert stats == ""
    assert hmp.strip() == "true"
    assert info == "/machine/peripheral/xn0: vif0, 0 queues (not connected)\r\n"


def test_too_many_queues_is_refused(qemu_binary):
    proc = subprocess.run(
        [str(qemu_binary)] + XEN + ["-device",
                                    "xen-net-device,netdev=n0,max-queues=17"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=30)
    assert proc.returncode != 0
    assert "max-queues must be at most 16" in proc.stdout, proc.stdout
