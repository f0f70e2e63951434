"""Flights (issue 14): job runs in SQLite, `xenbed history` with its
filters, JUnit XML, and merging another machine's flights.db."""

import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from xenbed import flights, jobs, kernel
from xenbed.common import REPO, XenbedError


# A private data and config home for every test (conftest.py)
pytestmark = pytest.mark.usefixtures("data_home")


def fake_run(tmp_path, job="xen-hvm", release="6.12.95", results=None,
             started=None):
    """A jobs.JobRun as run_job returns it, without a guest."""
    results = results or {"boot": "pass", "netfront-mq": "pass"}
    steps = []
    for name, result in results.items():
        log = tmp_path / f"{job}-{release}-{name}.log"
        log.write_text(f"console of {name}\nXENBED-RESULT rc 0\n")
        step = jobs.StepRun(name, result=result, seconds=1.5, log=log,
                            message="" if result == "pass" else
                            f"{name}: the assertion\nmore evidence")
        if result == "pass" and name == "netfront-mq":
            step.figures = {"download-MBps": 40.0}
        steps.append(step)
    run = jobs.JobRun(job=job, options={"job": job, "smp": 2},
                      kernel=kernel.Kernel(image=Path("/k/vmlinuz"),
                                           release=release,
                                           source=Path(f"/d/linux-{release}.deb")),
                      accel="tcg", steps=steps,
                      started=started or time.time(), seconds=12.0,
                      release=release)
    return run


def test_record_and_query(tmp_path, data_home):
    db = flights.connect()
    old = fake_run(tmp_path, started=time.time() - 10 * 86400)
    a = flights.record(old, db=db)
    b = flights.record(fake_run(tmp_path, release="6.1.0", results={
        "boot": "pass", "netfront-mq": "fail"}), db=db)
    c = flights.record(fake_run(tmp_path, job="smoke"), only_step="boot",
                       db=db)
    assert (data_home / "xenbed" / "flights.db").is_file()
    assert [f["id"] for f in flights.query(db)] == [a, b, c]
    assert [f["id"] for f in flights.query(db, job="xen-hvm")] == [a, b]
    assert [f["id"] for f in flights.query(db, since="3d")] == [b, c]
    assert [f["id"] for f in flights.query(db, kernel="6.1.0")] == [b]
    row = flights.query(db, ids=[b])[0]
    assert row["result"] == "fail" and row["kernel_package"] == \
        "linux-6.1.0.deb"
    lines = flights.table(db, flights.query(db))
    assert "netfront-mq:fail" in lines[2] and "FAIL" in lines[2]
    assert "smoke/boot" in lines[3]
    with pytest.raises(XenbedError, match="--since yesterday"):
        flights.query(db, since="yesterday")


def test_junit_has_a_testcase_per_step(tmp_path):
    db = flights.connect()
    f = flights.record(fake_run(tmp_path, results={
        "boot": "pass", "netfront-mq": "fail", "evtchn-scale": "infra",
        "hypercall": "blocked"}), db=db)
    out = tmp_path / "junit.xml"
    flights.write_junit(db, flights.query(db, ids=[f]), out)
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    assert suite.get("errors") == "1" and suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["boot", "netfront-mq", "evtchn-scale",
                           "hypercall"]
    failure = cases["netfront-mq"].find("failure")
    assert failure.get("message") == "netfront-mq: the assertion"
    assert "more evidence" in failure.text
    assert "console of netfront-mq" in \
        cases["netfront-mq"].find("system-out").text
    assert cases["evtchn-scale"].find("error") is not None
    assert cases["hypercall"].find("skipped") is not None
    assert cases["boot"].find("failure") is None


def test_history_command_and_import(tmp_path, data_home):
    """`xenbed history` imports another flights.db once, filters, and
    writes JUnit."""
    other = tmp_path / "ci" / "flights.db"
    db = flights.connect(other)
    flights.record(fake_run(tmp_path, job="smoke", release="6.1.0"), db=db)
    db.close()
    flights.record(fake_run(tmp_path))
    xml = tmp_path / "h.xml"
    cmd = [str(REPO / "xenbed"), "history", "--import", str(other)]
    proc = subprocess.run(cmd + ["--junit", str(xml)], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout
    assert f"imported 1 flights from {other}" in proc.stdout
    assert len(ET.parse(xml).getroot().findall("testsuite")) == 2
    proc = subprocess.run(cmd + ["smoke"], text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    assert "imported 0 flights" in proc.stdout and "1 already here" in \
        proc.stdout
    body = proc.stdout.splitlines()[2:]
    assert len(body) == 1 and " smoke " in body[0] and "6.1.0" in body[0]
    merged = flights.connect()
    assert flights.query(merged, job="smoke")[0]["origin"] == str(other)
