"""xen-net-device as a full netif backend (issue 5): split event channels,
multi-queue, offloads, reconnect.

Each test boots a Debian kernel (6.1 and 6.12) as a Xen HVM guest under
TCG.  The guest reports what it negotiated (sysfs queues, interrupt lines
and their counts, xenstore keys read with `xs`) and the sha256 of what it
moved; parallel flows reach the host through slirp's guestfwd with a
command per connection (tools/xenbed/blobcgi.py), which also hands the
guest the device's own per-queue counters (query-xen-net over QMP).
"""

import json
import re
from contextlib import contextmanager

import pytest

from xenbed import guest, kernel

URL = f"http://{guest.BLOB_GUEST_ADDR}:{guest.BLOB_GUEST_PORT}"
NETFRONT = ["xen_netfront"]
BLOB = 1 << 20
# Flows each way where every queue must see traffic: the guest (TX) and the
# backend (RX) hash flows over 4 queues, so the chance that one queue gets
# none of 2 * 16 flows is 4 * (3/4)^32, below 1e-3.
FLOWS = 16
UPSTREAM_LIKE = (",max-queues=1,split-event-channels=off,sg=off,"
                 "gso-tcpv4=off,gso-tcpv6=off,ipv6-csum-offload=off,"
                 "rx-coalesce=off")
# What netfront counted (bytes, packets as skbs) over one more download.
RX_SYSFS = guest.script("rx-sysfs.sh", url=URL)


def rx_average(res):
    """Bytes per packet netfront received during that download: above a
    1514-byte frame only if it was handed GSO packets."""
    b0, p0, b1, p1 = map(int, res.result("rx-sysfs").split())
    return (b1 - b0) / (p1 - p0)


def cgi_network(blob_size, device_options):
    """guest.cgi_network with a xen-net-device xn0 and its counters."""
    return guest.cgi_network(
        blob_size, f"xen-net-device,id=xn0,netdev=net0{device_options}",
        "/machine/peripheral/xn0")


# Guest shell functions (tests/guest/scripts/netif-funcs.sh).
GUEST_FUNCS = guest.NET_SETUP + guest.script("netif-funcs.sh", url=URL)


@contextmanager
def slirp_network(blob_size, device_options):
    with cgi_network(blob_size, device_options) as (sha, devices):
        yield sha, devices, []


def tap_network(blob_size, device_options):
    """A tap with virtio-net headers in a namespace of its own."""
    return guest.tap_network(
        blob_size, f"xen-net-device,id=xn0,netdev=net0{device_options}",
        "/machine/peripheral/xn0")


def boot_netif(kern, accel, script, *, device="", smp=4, modules=NETFRONT,
               name="test-netif", blob_size=BLOB, append="", timeout=300,
               programs=("xs",), network=slirp_network, extra=()):
    with network(blob_size, device) as (sha, devices, prefix):
        initrd = kernel.build_initramfs(
            kern, modules, GUEST_FUNCS + script + guest.DMESG_DUMP,
            name=f"{name}-{kern.label}", programs=list(programs))
        argv = guest.qemu_argv(kern.image, initrd, devices=devices, smp=smp,
                               accel=guest.xen_accel(accel, "0x4000a"),
                               append=append, extra=extra)
        res = guest.boot(argv, timeout=timeout, wrapper=prefix)
    assert res.release == kern.release
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    assert res.result("nic-driver") == "vif", "xen-netfront did not bind"
    assert res.result("blob-sha256") == sha
    return res, sha


def irqs(res, prefix=""):
    """{interrupt line name: count} as the guest reported them."""
    head = f"{prefix}irq:"
    return {k[len(head):]: int(v) for k, v in res.results.items()
            if k.startswith(head)}


def queue_stats(res, prefix=""):
    """{queue: XenNetQueueInfo} from query-xen-net, as the guest fetched
    it."""
    text = res.result(f"{prefix}xen-net")
    try:
        info = json.loads(text)
    except ValueError:
        raise AssertionError(f"GET /stats: {text}") from None
    assert info["connected"], info
    return {queue["index"]: queue for queue in info["queues"]}


def assert_flows(res, sha, n, prefix="", blob=BLOB):
    assert res.result(f"{prefix}wget-failed") == "0"
    assert res.result(f"{prefix}dl") == f"{n} {sha};"
    assert int(res.result("up-bytes")) == 2 * blob
    assert res.result(f"{prefix}ul") == f"{n} {res.result('up-sha256')};"


def test_four_queues_split_channels(debian_kernel, xen_accel, qemu_binary):
    """max-queues=4 on 4 vCPUs: 4 queues with a tx and an rx interrupt
    each, and parallel flows both ways that reach every queue."""
    res, sha = boot_netif(debian_kernel, xen_accel, f"""
netif_facts ""
flows "" {FLOWS}
netif_facts "after-"
device_stats ""
""", device=",max-queues=4", name="test-netif-mq4")
    assert res.result("txq") == "4"
    assert res.result("rxq") == "4"
    assert res.result("be:multi-queue-max-queues") == "4"
    assert res.result("be:feature-split-event-channels") == "1"
    assert res.result("fe:multi-queue-num-queues") == "4"
    assert "fe:queue-0/event-channel-tx" in res.results
    lines = irqs(res, "after-")
    expected = {f"vif0-q{q}-{d}" for q in range(4) for d in ("tx", "rx")}
    assert set(lines) == expected, lines
    assert_flows(res, sha, FLOWS)
    # Every queue moved traffic both ways, seen by the guest (interrupts
    # on each ring's own port) and by the device (its counters).
    assert all(count > 0 for count in lines.values()), lines
    stats = queue_stats(res)
    assert sorted(stats) == [0, 1, 2, 3], stats
    for q, st in stats.items():
        assert st["tx-packets"] > 0 and st["rx-packets"] > 0, (q, st)
        assert not st["failed"], (q, st)
    # The guest sent TSO frames, which the device segmented.
    assert sum(st["tx-gso"] for st in stats.values()) > 0, stats
    assert sum(st["tx-bytes"] for st in stats.values()) >= FLOWS * BLOB
    assert sum(st["rx-bytes"] for st in stats.values()) >= FLOWS * BLOB


def test_one_queue_split_channels(debian_kernel, xen_accel, qemu_binary):
    """max-queues=1: flat keys, no multi-queue keys, split channels."""
    res, sha = boot_netif(debian_kernel, xen_accel, """
netif_facts ""
flows "" 4
device_stats ""
""" + RX_SYSFS, device=",max-queues=1", name="test-netif-mq1")
    assert res.result("txq") == "1"
    assert "be:multi-queue-max-queues" not in res.results
    assert "fe:multi-queue-num-queues" not in res.results
    assert "fe:event-channel-tx" in res.results
    lines = irqs(res)
    assert set(lines) == {"vif0-q0-tx", "vif0-q0-rx"}, lines
    assert_flows(res, sha, 4)
    stats = queue_stats(res)
    assert list(stats) == [0] and stats[0]["tx-gso"] > 0, stats
    # rx-coalesce: the host's TCP segments reached netfront merged.
    assert stats[0]["rx-gso"] > 0, stats
    assert rx_average(res) > 1514, res.result("rx-sysfs")


def test_four_queues_single_channel(debian_kernel, xen_accel, qemu_binary):
    """split-event-channels=off: one port per queue, named after the
    netdev, and traffic still flows on every queue."""
    res, sha = boot_netif(debian_kernel, xen_accel, f"""
netif_facts ""
flows "" {FLOWS}
device_stats ""
""", device=",max-queues=4,split-event-channels=off", name="test-netif-nosplit")
    assert res.result("txq") == "4"
    assert "be:feature-split-event-channels" not in res.results
    assert res.result("fe:multi-queue-num-queues") == "4"
    assert "fe:queue-0/event-channel" in res.results
    assert "fe:queue-0/event-channel-tx" not in res.results
    assert not any(name.startswith("vif") for name in irqs(res)), irqs(res)
    assert_flows(res, sha, FLOWS)
    stats = queue_stats(res)
    assert sorted(stats) == [0, 1, 2, 3], stats
    for q, st in stats.items():
        assert st["tx-packets"] > 0 and st["rx-packets"] > 0, (q, st)


def test_guest_max_queues_one(debian_kernel, xen_accel, qemu_binary):
    """xen_netfront.max_queues=1 against a backend offering 4: flat keys
    and multi-queue-num-queues=1."""
    res, sha = boot_netif(debian_kernel, xen_accel, """
netif_facts ""
flows "" 4
""", device=",max-queues=4", modules=["xen_netfront max_queues=1"],
        name="test-netif-guest1")
    assert res.result("be:multi-queue-max-queues") == "4"
    assert res.result("fe:multi-queue-num-queues") == "1"
    assert "fe:event-channel-tx" in res.results
    assert "fe:queue-0/event-channel-tx" not in res.results
    assert res.result("txq") == "1"
    assert set(irqs(res)) == {"vif0-q0-tx", "vif0-q0-rx"}, irqs(res)
    assert_flows(res, sha, 4)


def test_upstream_like_configuration(debian_kernel, xen_accel, qemu_binary):
    """Every feature off: upstream QEMU's keys, one queue, one channel."""
    res, sha = boot_netif(debian_kernel, xen_accel, """
netif_facts ""
flows "" 4
device_stats ""
""" + RX_SYSFS, device=UPSTREAM_LIKE, name="test-netif-upstream")
    for key in ("multi-queue-max-queues", "feature-split-event-channels",
                "feature-sg", "feature-gso-tcpv4", "feature-gso-tcpv6",
                "feature-ipv6-csum-offload"):
        assert f"be:{key}" not in res.results, key
    assert "fe:multi-queue-num-queues" not in res.results
    assert "fe:event-channel" in res.results
    assert res.result("txq") == "1"
    assert not any(name.startswith("vif") for name in irqs(res))
    assert_flows(res, sha, 4)
    stats = queue_stats(res)
    assert list(stats) == [0], stats
    assert stats[0]["tx-gso"] == 0 and stats[0]["tx-packets"] > 0, stats
    assert stats[0]["rx-gso"] == 0, stats
    assert rx_average(res) <= 1514, res.result("rx-sysfs")


def test_rebind_with_other_queue_count(debian_kernel, xen_accel,
                                       qemu_binary):
    """Unbind netfront, change its max_queues, bind again: the backend
    reconnects with the new queue count and traffic flows."""
    res, sha = boot_netif(debian_kernel, xen_accel,
                          guest.script("rebind-two-queues.sh"),
                          device=",max-queues=4", name="test-netif-rebind")
    assert res.result("fe:multi-queue-num-queues") == "4"
    assert res.result("txq") == "4"
    assert_flows(res, sha, 4)
    assert res.result("re-fe:multi-queue-num-queues") == "2"
    assert res.result("re-txq") == "2"
    assert set(irqs(res, "re-")) == {f"vif0-q{q}-{d}" for q in range(2)
                                     for d in ("tx", "rx")}, irqs(res, "re-")
    assert_flows(res, sha, 8, "re-")
    stats = queue_stats(res, "re-")
    assert sorted(stats) == [0, 1], stats
    assert all(st["tx-packets"] > 0 and st["rx-packets"] > 0
               for st in stats.values()), stats


# Rebind netfront after a fake frontend, then download again.
REBIND_AND_DOWNLOAD = guest.script("rebind-and-download.sh")


# What xen-net-device must do with each fakevif attack (net/README.md).
# "fatal": the queue fails with exactly this reason in one
# "xen-net-device vif0 queue 0 failed: " line and the backend stays
# Connected; "refused": the backend goes Closing at connect, with this
# reason in one "frontend change error: " line ({max} is the backend's
# max-queues); "tx": the statuses of each TX packet's slots as fakevif
# read them back, run-length coded ("-": no answer); "rx": the RX
# response producer and the ARP replies from slirp found in the buffers;
# "dropped": why QEMU's xen_netdev_tx_dropped trace gives for each packet
# answered ERROR.
ARP_THEN_FATAL = ["1x0", "-"]
ATTACKS = {
    "tx-prod": dict(fatal="Impossible number of requests: "
                    "req_prod 2147483648 req_cons 0", tx=[]),
    "storm": dict(tx=[]),
    # Chains of 18 and 19 slots (17 and 18 follow-on slots) are delivered,
    # 20 and 21 dropped; a slot bigger than what is left, 13 bytes, 10
    # bytes in the first slot and a bad gref in one slot drop the packet;
    # the queue stays up.  slirp answers the three ARP requests delivered.
    "tx-drops": dict(tx=["18x0", "19x0", "20x-1", "21x-1", "3x-1", "1x-1",
                         "2x-1", "4x-1", "3x0"], rx=(3, 3),
                     dropped=["too many slots", "too many slots",
                              "a slot larger than the rest of the packet",
                              "shorter than an Ethernet header",
                              "shorter than an Ethernet header",
                              "a grant that cannot be copied"]),
    # The reply to the first ARP request lands on a bad gref: ERROR; the
    # second reaches the next buffer.
    "rx-bad-gref": dict(tx=["1x0", "1x0"], rx=(2, 1), rx_first="-1"),
    "chain-22": dict(fatal="Malicious frontend using 20 slots",
                     tx=ARP_THEN_FATAL),
    "chain-ring": dict(fatal="Malicious frontend using 20 slots",
                       tx=ARP_THEN_FATAL),
    "chain-short": dict(fatal="Asked for 4 slots but exceeds this limit",
                        tx=ARP_THEN_FATAL),
    "cross-page-frag": dict(fatal="Cross page boundary, offset 4000 size 97",
                            tx=ARP_THEN_FATAL),
    "cross-page-first": dict(fatal="Cross page boundary, offset 4000 "
                             "size 97", tx=ARP_THEN_FATAL),
    "extra-type-0": dict(fatal="Invalid extra type: 0", tx=ARP_THEN_FATAL),
    "extra-type-255": dict(fatal="Invalid extra type: 255",
                           tx=ARP_THEN_FATAL),
    "gso-size-0": dict(fatal="GSO size must not be zero", tx=ARP_THEN_FATAL),
    "gso-type": dict(fatal="Bad GSO type 3", tx=ARP_THEN_FATAL),
    "missing-extra": dict(fatal="Missing extra info", tx=ARP_THEN_FATAL),
    # slirp's reply to the first packet fails the queue (RX): the second
    # packet of the same batch is not sent.
    "rx-prod": dict(fatal="RX Impossible number of requests: "
                    "req_prod 2147483648 req_cons 0", tx=ARP_THEN_FATAL,
                    rx=(0, 0)),
    "arp": dict(tx=["1x0"], rx=(1, 1)),
    "close-in-flight": dict(closes=True),
    "close-connecting": dict(hasty=True),
    "two-queues": dict(tx=["1x0", "1x0"]),
    "queue1-fatal": dict(queue=1, fatal="Impossible number of requests: "
                         "req_prod 2147483648 req_cons 0", tx=["1x0"],
                         rx=(1, 1)),
    "bad-num-queues": dict(refused="bad value for multi-queue-num-queues"),
    "shared-ring": dict(refused="queue 0: tx and rx rings share ref "),
    "num-queues-0": dict(refused="guest requested 0 queues, but valid "
                         "range is 1 - {max}"),
    "num-queues-max1": dict(refused="guest requested {max1} queues, but "
                            "valid range is 1 - {max}"),
    "queue1-missing": dict(refused="reading queue-1/tx-ring-ref failed"),
    "tx-channel-only": dict(refused="reading event-channel failed"),
    "same-port": dict(refused="queues 0 and 1 share an event channel"),
    "same-ring": dict(refused="queues 0 and 1 share a ring ref"),
    "bad-ring-ref": dict(refused="queue 0: failed to map tx ring ref "
                         "2147483647"),
    "bad-port": dict(refused="queue 0: xenevtchn_bind_interdomain failed"),
    "queue1-bad-port": dict(refused="queue 1: xenevtchn_bind_interdomain "
                            "failed"),
}
ONE_QUEUE = ",max-queues=1,split-event-channels=off"
# QEMU's trace line for a TX packet answered ERROR: why
TX_DROPPED_TRACE = re.compile(r"xen_netdev_tx_dropped vif0 q\d+ id \d+ "
                              r"slots \d+: (.*)$")
# Each run boots once and plays its attacks on fresh connections in turn.
HOSTILE_RUNS = {
    "tx-prod": (ONE_QUEUE, ["tx-prod"]),
    "storm": (ONE_QUEUE, ["storm"]),
    "bad-keys": (ONE_QUEUE, ["bad-num-queues", "shared-ring",
                             "num-queues-max1", "bad-ring-ref", "bad-port",
                             "arp"]),
    "tx-drops": (ONE_QUEUE, ["tx-drops", "rx-bad-gref"]),
    "tx-fatal": (ONE_QUEUE, ["chain-22", "chain-ring", "chain-short",
                             "cross-page-frag", "cross-page-first"]),
    "extra-fatal": (ONE_QUEUE, ["extra-type-0", "extra-type-255",
                                "gso-size-0", "gso-type", "missing-extra"]),
    "rx-and-close": (ONE_QUEUE, ["rx-prod", "close-in-flight",
                                 "close-connecting", "arp"]),
    "queue-keys": (",max-queues=2", ["two-queues", "num-queues-0",
                                     "num-queues-max1", "queue1-missing",
                                     "tx-channel-only", "same-port",
                                     "same-ring", "queue1-bad-port",
                                     "queue1-fatal", "two-queues"]),
}


def slots_answered(packets):
    """Responses that run-length coded packet statuses stand for."""
    return sum(int(run.split("x")[0]) for pkt in packets
               for run in pkt.split() if run != "-")


def console_reasons(res, marker):
    return [line.split(marker, 1)[1].strip() for line in res.console
            if marker in line]


def check_attack(res, key, want, max_queues):
    """Assert one attack's outcome from what fakevif reported under key
    ("N.attack"); return ("fatal" or "refused", the console line's reason)
    or None."""
    def got(step):
        return res.result(f"{key}:{step}")

    assert got("initwait") == "2", key
    assert got("closed") == "6", key
    if want.get("hasty"):
        return None
    if "refused" in want:
        assert got("connect") == "5", key
        assert f"{key}:after" not in res.results
        return "refused", want["refused"].format(max=max_queues,
                                                 max1=max_queues + 1)
    assert got("connect") == "4", key
    if want.get("closes"):
        assert got("after") == "6", key
        return None
    # Only the queue failed, or nothing did: the backend stays Connected.
    assert got("after") == "4", key
    tx = want["tx"]
    assert [got(f"pkt{i + 1}") for i in range(len(tx))] == tx, key
    assert f"{key}:pkt{len(tx) + 1}" not in res.results
    assert got("tx-ids") == "1", key
    if not key.endswith("two-queues"):     # its second packet is on queue 1
        assert got("tx-rsp-prod") == str(slots_answered(tx)), key
    if "rx" in want:
        assert (int(got("rx-rsp-prod")), int(got("rx-arp"))) == want["rx"], \
            (key, got("rx-rsp"))
        assert got("rx-ids") == "1", key
    if "rx_first" in want:
        assert got("rx-rsp").split()[0] == want["rx_first"], key
    if "fatal" in want:
        return "fatal", f"queue {want.get('queue', 0)} failed: {want['fatal']}"
    return None


@pytest.mark.parametrize("run", list(HOSTILE_RUNS))
def test_hostile_frontend(debian_kernel, xen_accel, qemu_binary, run):
    """A userspace frontend (tests/guest/progs/fakevif.c) connects with
    netfront unbound and breaks its rings, its packets or its keys, one
    attack per connection: the queue fails with one error line, or the
    packet is answered with errors and the queue carries on, or the
    backend refuses the keys and goes Closing.  QEMU stays up, the next
    connection works, and so does netfront after rebinding."""
    device, attacks = HOSTILE_RUNS[run]
    max_queues = int(device.split("max-queues=")[1].split(",")[0])
    res, sha = boot_netif(debian_kernel, xen_accel, f"""
echo vif-0 > /sys/bus/xen/drivers/vif/unbind
backend=$(xs device/vif/0/backend | cut -d= -f2)
fakevif device/vif/0 $backend {" ".join(attacks)}
""" + REBIND_AND_DOWNLOAD, device=device,
        modules=NETFRONT + ["xen_gntalloc", "xen_evtchn"],
        programs=("xs", "fakevif"), name=f"test-netif-{run}",
        extra=["-trace", "xen_netdev_tx_dropped"])
    assert "fakevif-error" not in res.results, res.results
    # Every packet answered ERROR is traced with why, in order.
    dropped = [m.group(1) for m in map(TX_DROPPED_TRACE.search, res.console)
               if m]
    assert dropped == [why for attack in attacks
                       for why in ATTACKS[attack].get("dropped", [])], dropped
    expected = {"fatal": [], "refused": []}
    for n, attack in enumerate(attacks, 1):
        outcome = check_attack(res, f"{n}.{attack}", ATTACKS[attack],
                               max_queues)
        if outcome:
            expected[outcome[0]].append(outcome[1])
    # Exactly the expected failures and refusals, in order, once each.
    assert console_reasons(res, "xen-net-device vif0 ") == expected["fatal"]
    reasons = console_reasons(res, "frontend change error: ")
    assert len(reasons) == len(expected["refused"]), reasons
    for reason, want in zip(reasons, expected["refused"]):
        assert reason.startswith(want), (reason, want)
    assert res.result("again-sha256") == sha


@pytest.mark.parametrize("peer_offloads", ["on", "off"])
def test_tap_peer_offloads(debian_kernel, xen_accel, qemu_binary,
                           peer_offloads):
    """A tap peer takes virtio-net headers: the guest's TSO frames reach it
    as GSO frames with partial checksums, unsegmented, and the host's
    large TCP packets reach netfront as GSO packets, as with netback.
    With peer-offloads=off the device segments and completes in software
    as for slirp.  The tap lives in a network namespace of its own."""
    why = guest.tap_usable()
    if why:
        pytest.skip(why)
    res, sha = boot_netif(debian_kernel, xen_accel, """
netif_facts ""
flows "" 4
device_stats ""
""" + RX_SYSFS, device=f",max-queues=1,peer-offloads={peer_offloads}",
        name="test-netif-tap", network=tap_network)
    assert_flows(res, sha, 4)
    stats = queue_stats(res)
    assert list(stats) == [0], stats
    st = stats[0]
    assert st["tx-gso"] > 0 and not st["failed"], st
    if peer_offloads == "on":
        # Every guest TSO frame went to the tap whole.
        assert st["tx-offload-passed"] >= st["tx-gso"], st
        # The host sent GSO packets and netfront got them whole.
        assert st["rx-gso"] > 0, st
        assert rx_average(res) > 1514, res.result("rx-sysfs")
    else:
        assert st["tx-offload-passed"] == 0, st
        assert st["tx-gso-dropped"] == 0, st


# Two NICs of one guest on a QEMU hub, the second in a network namespace of
# its own, each end serving the same blob with tcpbench (sendfile).  The
# other end fetches it with busybox wget, so each direction goes out of one
# device and into the other.  /proc/net/dev gives each end's counters.
TWO_NICS = guest.TWO_NICS_SETUP + guest.script("two-nics-traffic.sh")


def per_packet(res, before, after, end):
    """Bytes per packet (received, sent) at `end` between two counters."""
    rxb0, rxp0, txb0, txp0 = map(int, res.result(f"{before}-{end}").split())
    rxb1, rxp1, txb1, txp1 = map(int, res.result(f"{after}-{end}").split())
    return (rxb1 - rxb0) / (rxp1 - rxp0), (txb1 - txb0) / (txp1 - txp0)


@pytest.mark.parametrize("config", ["full", "upstream-like"])
def test_two_devices_on_a_hub(debian_kernel, xen_accel, qemu_binary, config):
    """Two xen-net-devices (vif 0 and 1) in one guest, joined by a QEMU
    hub, which takes 1514-byte frames only.  With full features the
    sending device cuts the guest's TSO frames and the receiving one merges
    the segments again (rx-coalesce), so netfront sends and receives more
    than a frame per packet at both ends; upstream-like, neither.  The
    data must arrive intact both ways."""
    options = UPSTREAM_LIKE if config == "upstream-like" else ",max-queues=2"
    devices = [("-netdev", "hubport,id=net0,hubid=0"),
               ("-netdev", "hubport,id=net1,hubid=0")]
    devices += [("-device", f"xen-net-device,netdev=net{n}{options}")
                for n in (0, 1)]
    initrd = kernel.build_initramfs(
        debian_kernel, NETFRONT, TWO_NICS + guest.DMESG_DUMP,
        name=f"test-netif-hub-{debian_kernel.label}", programs=["tcpbench"])
    res = guest.boot(guest.qemu_argv(
        debian_kernel.image, initrd, devices=devices, smp=2,
        accel=guest.xen_accel(xen_accel, "0x4000a")), timeout=300)
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    drivers = {k: v for k, v in res.results.items()
               if k.startswith("driver-")}
    assert sorted(drivers.values()) == ["vif", "vif"], drivers
    sha = res.result("blob-sha256")
    assert res.result("sha-b2a") == sha
    assert res.result("sha-a2b") == sha
    # b sends to a, then a to b.
    steps = [("before-b2a", "after-b2a", "b", "a"),
             ("after-b2a", "after-a2b", "a", "b")]
    for before, after, sender, receiver in steps:
        _, sent = per_packet(res, before, after, sender)
        received, _ = per_packet(res, before, after, receiver)
        if config == "full":
            assert sent > 1514, (sender, sent)          # TSO frames
            assert received > 1514, (receiver, received)  # merged again
        else:
            assert sent <= 1514, (sender, sent)
            assert received <= 1514, (receiver, received)


TX_OFFLOAD_TRACE = re.compile(
    r"xen_netdev_tx_(offload_passed|gso_segmented|gso_dropped) vif0 q0 "
    r"(?:gso_type (\d+) )?gso_size (\d+) len (\d+)(?: segments (\d+))?")


def tx_offload_traces(res):
    """{event: sorted [(gso_type or None, gso_size, len, segments or
    None)]} for GSO frames of at most 1514 bytes: fakevif's, not netfront's
    TSO frames (larger) or partial checksums (gso_type 0)."""
    out = {"offload_passed": [], "gso_segmented": [], "gso_dropped": []}
    for line in res.console:
        m = TX_OFFLOAD_TRACE.search(line)
        if m and int(m.group(4)) <= 1514 and m.group(2) != "0":
            out[m.group(1)].append(tuple(
                None if g is None else int(g) for g in m.group(2, 3, 4, 5)))
    return {k: sorted(v, key=str) for k, v in out.items()}


@pytest.mark.parametrize("network", ["tap", "slirp"])
def test_hostile_offload_frames(debian_kernel, xen_accel, qemu_binary,
                                network):
    """fakevif's offload-garbage: frames with csum_blank and GSO extras
    whose headers lie (IHL or data offset past the frame, an IP length
    past it, UDP or an IPv6 frame under a TCPv4 GSO type and the reverse,
    MSS 47; csum_blank alone on ICMP and on a fragment), then two
    well-formed GSO frames, one VLAN-tagged.  Every request is answered
    OKAY (its extra NULL).  With a tap the well-formed ones go out whole
    with virtio-net headers; with slirp they are cut in software.  The
    type-swapped ones are cut as what they are (a tap is never handed a
    GSO type that is not the frame's), the rest are dropped; QEMU's trace
    events say which.  The queue stays up and answers an ARP request,
    and netfront works after rebinding."""
    why = guest.tap_usable() if network == "tap" else None
    if why:
        pytest.skip(why)
    res, sha = boot_netif(debian_kernel, xen_accel, """
echo vif-0 > /sys/bus/xen/drivers/vif/unbind
backend=$(xs device/vif/0/backend | cut -d= -f2)
fakevif device/vif/0 $backend offload-garbage
""" + REBIND_AND_DOWNLOAD, device=ONE_QUEUE,
        modules=NETFRONT + ["xen_gntalloc", "xen_evtchn"],
        programs=("xs", "fakevif"), name="test-netif-offload-garbage",
        network=tap_network if network == "tap" else slirp_network,
        extra=["-trace", "xen_netdev_tx_*"])
    assert "fakevif-error" not in res.results, res.results
    key = "1.offload-garbage"
    assert res.result(f"{key}:connect") == "4"
    assert res.result(f"{key}:after") == "4"
    with_gso, csum_only = "1x0 1x1", "1x0"
    want = [with_gso] * 7 + [csum_only] * 2 + [with_gso] * 2 + ["1x0"]
    got = [res.result(f"{key}:pkt{i + 1}") for i in range(len(want))]
    assert got == want
    assert f"{key}:pkt{len(want) + 1}" not in res.results
    assert int(res.result(f"{key}:rx-arp")) == 1, res.result(f"{key}:rx-rsp")
    assert console_reasons(res, "xen-net-device vif0 ") == []
    assert res.result("again-sha256") == sha
    traces = tx_offload_traces(res)
    # (gso_size, len): IHL 15, data offset 15 (54 bytes: headers only),
    # the IP length past the frame, UDP, MSS 47.
    assert traces["gso_dropped"] == sorted(
        [(None, 1448, 54, None), (None, 1448, 54, None),
         (None, 1448, 154, None), (None, 1448, 154, None),
         (None, 47, 154, None)], key=str), traces
    # IPv6 under TCPv4 (174 bytes) and IPv4 under TCPv6: one segment each.
    swapped = [(None, 1448, 174, 1), (None, 1448, 154, 1)]
    well_formed = [(658, 3), (654, 3)]     # VLAN-tagged, plain; MSS 256
    if network == "tap":
        assert traces["offload_passed"] == sorted(
            [(1, 256, length, None) for length, _ in well_formed],
            key=str), traces
        assert traces["gso_segmented"] == sorted(swapped, key=str), traces
    else:
        assert traces["offload_passed"] == [], traces
        assert traces["gso_segmented"] == sorted(
            swapped + [(None, 256, length, segs)
                       for length, segs in well_formed], key=str), traces


def xen_net_bytes(qmp):
    """(rx-bytes, tx-bytes) of every queue of the one xen-net-device."""
    [info] = qmp.cmd("query-xen-net")
    assert info["connected"], info
    return (sum(q["rx-bytes"] for q in info["queues"]),
            sum(q["tx-bytes"] for q in info["queues"]))


@pytest.mark.parametrize("migrate_to", ["file", "socket"])
@pytest.mark.parametrize("append", ["", "xen.fifo_events=0"],
                         ids=["fifo", "2level"])
def test_migration_mid_transfer(debian_kernel, xen_accel, qemu_binary,
                                append, migrate_to, tmp_path):
    """A guest with a 4-queue xen-net-device (split channels, 4 vCPUs)
    migrates, to a file or live to a second QEMU over a TCP socket, while
    parallel downloads and uploads run.  Its peer (slirp in a QEMU of its
    own) outlives the guest's QEMU, so the same TCP connections finish on
    the destination: every byte arrives (sha256 on both ends), every queue
    carries traffic both ways afterwards, and the device's counters
    went on from where the source left them.  The peer paces the flows
    until the source has stopped, so that they are mid-way then."""
    blob, flows = 4 << 20, FLOWS
    seen = {}
    device = "xen-net-device,id=xn0,netdev=net0,max-queues=4"
    gate = tmp_path / "gate"

    def switchover(qmp):
        seen["switchover"] = xen_net_bytes(qmp)
        gate.touch()

    with guest.switch_network(blob, device, gate) as (sha, devices):
        initrd = kernel.build_initramfs(
            debian_kernel, NETFRONT,
            GUEST_FUNCS +
            guest.script("netif-migrate.sh", flows=flows, started=blob // 4) +
            guest.DMESG_DUMP,
            name=f"test-netif-migrate-{debian_kernel.label}",
            programs=["xs"])
        argv = guest.qemu_argv(debian_kernel.image, initrd, devices=devices,
                               smp=4, append=append,
                               accel=guest.xen_accel(xen_accel, "0x4000a"))
        res = guest.boot(
            argv, timeout=600, migrate_at="migrate", migrate_to=migrate_to,
            at_marks={"flows": lambda qmp, pid:
                      seen.update(flows=xen_net_bytes(qmp))},
            at_switchover=switchover)
    assert res.migration == "completed", res.migration
    assert res.exit_code == 0, "\n".join(res.console[-40:])
    abi = "2-level" if append else "FIFO-based"
    assert res.dmesg_has(f"xen:events: Using {abi} ABI")
    assert res.result("nic-driver") == "vif"
    assert res.result("blob-sha256") == sha
    assert res.result("fe:multi-queue-num-queues") == "4"
    assert_flows(res, sha, flows, blob=blob)
    assert_flows(res, sha, flows, "post-", blob)
    # When the source stopped, the flows had moved data both ways but
    # were not done: the rest went through the destination.
    rx0, tx0 = seen["flows"]
    rx1, tx1 = seen["switchover"]
    assert 0 < rx1 - rx0 < flows * blob, (seen, flows * blob)
    assert 0 < tx1 - tx0 < flows * 2 * blob, (seen, flows * 2 * blob)
    # Every queue's TX and RX ports raised interrupts after the migration.
    before, after = irqs(res, "mig-"), irqs(res, "after-")
    expected = {f"vif0-q{q}-{d}" for q in range(4) for d in ("tx", "rx")}
    assert set(after) == expected, after
    grew = {line for line in expected if after[line] > before[line]}
    assert grew == expected, (before, after)
