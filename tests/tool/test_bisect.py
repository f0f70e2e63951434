"""`xenbed bisect --kernels` (issue 14): the search itself, then real
bisections over the pinned 6.1 and 6.12 packages, one package standing
for several "kernels" with per-position options (a test hook)."""

import json
import shlex

import pytest

from xenbed import bisect, cli, flights, inputs, jobs


# A private data and config home for every test (conftest.py)
pytestmark = pytest.mark.usefixtures("data_home")


def fake_search(outcomes):
    """search() over kernels whose outcomes are given; returns its answer
    and the indexes it ran."""
    ran = []

    def probe(i):
        ran.append(i)
        return bisect.Probe(i, outcomes[i])
    good, bad, evidence, infra, _ = bisect.search(len(outcomes), probe,
                                                  say=lambda s: None)
    return good, bad, infra.index if infra else None, ran


@pytest.mark.parametrize("first_bad", range(1, 9))
def test_search_finds_the_first_bad_in_log_steps(first_bad):
    outcomes = ["pass"] * first_bad + ["fail"] * (9 - first_bad)
    good, bad, infra, ran = fake_search(outcomes)
    assert (good, bad, infra) == (first_bad - 1, first_bad, None)
    assert len(ran) <= 3 and 0 not in ran and 8 not in ran


def test_search_stops_at_an_infrastructure_fault():
    good, bad, infra, ran = fake_search(
        ["pass", "pass", "pass", "pass", "infra", "fail", "fail"])
    assert infra == 3 or infra == 4
    assert ran[-1] == infra
    outcomes = ["pass", "pass", "infra", "fail", "fail"]
    assert fake_search(outcomes)[2:] == (2, [2])


def run_bisect(argv, capsys, monkeypatch, per_position):
    monkeypatch.setenv(bisect.TEST_OPTIONS_ENV, json.dumps(per_position))
    args = cli.parser().parse_args(["bisect", *argv])
    rc = bisect.main(args)
    return rc, capsys.readouterr().out


def test_bisect_names_the_first_bad_kernel_with_evidence(
        qemu_binary, capsys, monkeypatch):
    """Five "kernels" (6.1, 6.12, 6.1, 6.12, 6.12); from #3 on the job's
    command line has xen_nopv, so boot fails there: #3 is the answer, not
    #1 (the first 6.12) nor #4 (the last)."""
    debs = [str(inputs.find(inputs.KERNEL_DEBS[v]))
            for v in ("6.1", "6.12", "6.1", "6.12", "6.12")]
    rc, out = run_bisect(["--kernels", *debs, "--job", "smoke", "--step",
                          "boot", "--accel", "tcg"], capsys, monkeypatch,
                         {"3": {"append": "xen_nopv"},
                          "4": {"append": "xen_nopv"}})
    assert rc == 0, out
    assert "first bad kernel: #3 6.12.95+deb12-cloud-amd64" in out, out
    assert "last good kernel: #2 6.1.0-56-cloud-amd64" in out
    assert "failing step: boot: the kernel log has no 'xen:events: " \
        "Using ... ABI' line" in out
    assert f"--kernel {shlex.quote(debs[3])} --step boot --accel tcg --append " \
        "xen_nopv" in out
    evidence = next(line.split("evidence: ", 1)[1].split(" (flight")[0]
                    for line in out.splitlines()
                    if line.startswith("evidence: "))
    assert "XENBED-INIT 6.12.95" in open(evidence).read()
    db = flights.connect()
    ran = [(f["kernel_release"], f["result"]) for f in flights.query(db)]
    assert ran == [("6.1.0-56-cloud-amd64", "pass"),
                   ("6.12.95+deb12-cloud-amd64", "fail")]


def test_bisect_stops_at_an_infrastructure_fault(qemu_binary, capsys,
                                                 monkeypatch):
    """QEMU refusing to start on the kernel under test is reported as
    such, and no kernel is called bad."""
    debs = [str(inputs.find(inputs.KERNEL_DEBS["6.1"]))] * 3
    rc, out = run_bisect(["--kernels", *debs, "--job", "smoke", "--accel",
                          "tcg"], capsys, monkeypatch,
                         {"1": {"qemu_extra": ["-device", "no-such-nic"]}})
    assert rc == 2, out
    assert "bisection stopped: infrastructure fault on #1" in out
    assert "no-such-nic" in out
    assert "known so far: #0 good, #2 bad" in out
    assert "first bad kernel" not in out
    (flight,) = flights.query(flights.connect())
    assert flight["result"] == jobs.INFRA
