"""The xen-evtchn migration stream with the FIFO ABI (issue 4).

The guest tests migrate Xen guests (test_migration_* in tests/guest);
these check the stream's layout as QEMU describes it (-dump-vmstate): the
main section is what QEMU 10.0.13 sends, and the FIFO state is in a
subsection of its own.
"""

import json
import subprocess


def evtchn_vmstate(qemu_binary, tmp_path):
    out = tmp_path / "vmstate.json"
    subprocess.run([str(qemu_binary), "-M", "pc", "-accel",
                    "tcg,xen-version=0x4000a", "-nodefaults", "-display",
                    "none", "-dump-vmstate", str(out)], check=True,
                   timeout=60)
    return json.loads(out.read_text())["xen-evtchn"]["Description"]


def sizes(fields):
    return [(f["field"], f["size"]) for f in fields]


def test_main_section_keeps_upstream_wire_format(qemu_binary, tmp_path):
    desc = evtchn_vmstate(qemu_binary, tmp_path)
    assert desc["name"] == "xen_evtchn" and desc["version_id"] == 1
    fields = desc["Fields"]
    # callback_param u64, port count u32, then 8-byte port records.
    assert [f["size"] for f in fields[:3]] == [8, 4, 8]
    port = fields[2]["Description"]
    assert port["name"] == "xen_evtchn_port"
    assert [f["size"] for f in port["Fields"]] == [4, 2, 2]
    assert sizes(fields[3:]) == [("gsi_pirq", 2), ("pirq_inuse_bitmap", 8),
                                 ("pirq_gsi_set", 4)]


def test_fifo_state_is_a_subsection(qemu_binary, tmp_path):
    desc = evtchn_vmstate(qemu_binary, tmp_path)
    subs = {s["name"]: s for s in desc.get("Subsections", [])}
    assert list(subs) == ["xen_evtchn/fifo"]
    fields = {f["field"]: f for f in subs["xen_evtchn/fifo"]["Fields"]}
    # Full 32-bit port records, the event-array frames, per-vCPU queues
    # and per-port FIFO state.
    assert sizes(fields["port_v2"]["Description"]["Fields"]) == [
        ("vcpu", 4), ("type", 2), ("u.val", 4)]
    # The FIFO core's own saved state (struct evtchn_fifo_save), as
    # hw/xen-evtchn-abi.c describes it.
    fifo = fields["fifo_mig"]["Description"]
    assert fifo["name"] == "xen_evtchn_fifo_save"
    core = {f["field"]: f for f in fifo["Fields"]}
    assert sizes(fifo["Fields"]) == [
        ("fifo", 1), ("nr_pages", 4), ("array_gfn", 8), ("nr_vcpus", 4),
        ("vcpus", 88), ("nr_ports", 4), ("ports", 8)]
    assert core["array_gfn"]["num"] == 128
    vcpu = core["vcpus"]["Description"]["Fields"]
    assert ("tail", 4) in sizes(vcpu)
    assert [f["num"] for f in vcpu if f["field"] == "tail"] == [16]
    port = sizes(core["ports"]["Description"]["Fields"])
    assert port == [("priority", 1), ("last_priority", 1),
                    ("pending_nopage", 1), ("last_vcpu", 4)]
