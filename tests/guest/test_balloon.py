"""Ballooning a Xen HVM guest with QEMU's balloon command (issue 15).

The host asks through QMP; the guest's balloon driver reads the new
target from xenstore and gives pages back with XENMEM_decrease_reservation,
then takes them again with XENMEM_populate_physmap.  The guest reports
its balloon's current_kb and MemTotal, the host measures QEMU's RSS and
query-balloon, and a netfront download afterwards must still check out.
"""

from pathlib import Path

from xenbed import guest

SCRIPT = Path(__file__).parent / "scripts" / "balloon.sh"
MEMORY_MIB = 1024
SHRINK_MIB = 512


def test_balloon_down_and_up(debian_kernel, xen_accel, qemu_binary):
    host = {}

    def shrink(qmp, pid):
        host["rss-filled"] = guest.qemu_rss_kib(pid)
        qmp.cmd("balloon", value=(MEMORY_MIB - SHRINK_MIB) << 20)

    def grow(qmp, pid):
        host["rss-down"] = guest.qemu_rss_kib(pid)
        host["actual-down"] = qmp.cmd("query-balloon")["actual"]
        qmp.cmd("balloon", value=MEMORY_MIB << 20)

    res, sha = guest.boot_with_blob(
        debian_kernel, lambda url: f"shrink_kib={SHRINK_MIB << 10}\n" +
        SCRIPT.read_text() + guest.download_script(url) + guest.GUEST_FACTS,
        name="test-balloon", nic="xen-net-device",
        modules=guest.NIC_MODULES["xen-net-device"],
        accel=guest.xen_accel(xen_accel, "0x4000a"),
        memory=f"{MEMORY_MIB}M", at_marks={"filled": shrink, "down": grow},
        timeout=300)

    assert res.exit_code == 0, "\n".join(res.console[-40:])
    start = int(res.result("balloon-start-kb"))
    down = int(res.result("balloon-down-kb"))
    # The guest gave back what it was asked to, and took it all again
    assert down == start - (SHRINK_MIB << 10), res.dmesg[-20:]
    assert int(res.result("balloon-up-kb")) == start
    assert (int(res.result("memtotal-start-kb")) -
            int(res.result("memtotal-down-kb"))) == SHRINK_MIB << 10
    assert res.result("memtotal-up-kb") == res.result("memtotal-start-kb")
    assert res.result("keep-intact") == "yes"
    # QEMU counted the pages and gave their memory back to the host
    assert host["actual-down"] == (MEMORY_MIB - SHRINK_MIB) << 20
    released_mib = (host["rss-filled"] - host["rss-down"]) >> 10
    print(f"QEMU RSS {host['rss-filled'] >> 10} MiB filled, "
          f"{host['rss-down'] >> 10} MiB ballooned down "
          f"(-{released_mib} MiB)")
    assert released_mib >= 256, host
    # The network still works after the round trip
    assert res.result("nic-driver") == "vif"
    assert res.result("blob-sha256") == sha
