"""Jobs and steps (issue 14): jobs.toml, config overrides, `xenbed job
run` on real guests (pass, a failing assertion, one step, an
infrastructure fault), and how a guest run's console becomes step
results."""

import subprocess
import xml.etree.ElementTree as ET

import pytest

from xenbed import cli, flights, guest, jobs
from xenbed.common import REPO, XenbedError


# A private data and config home for every test (conftest.py)
pytestmark = pytest.mark.usefixtures("data_home")


def run_cli(argv, capsys):
    """`xenbed job run ...` in this process, without the build check."""
    args = cli.parser().parse_args(argv)
    rc = jobs.main(args)
    return rc, capsys.readouterr().out


def test_jobs_file_defines_jobs_of_known_steps():
    table = jobs.load_jobs()
    assert {"xen-hvm", "xen-hvm-2level", "smoke"} <= set(table)
    for name, job in table.items():
        assert job["steps"], name
        assert set(job["steps"]) <= set(jobs.STEPS), name
        assert job["evtchn"] in ("fifo", "2level")
    assert table["xen-hvm-2level"]["evtchn"] == "2level"
    assert table["xen-hvm"]["kernel"] == "6.12"        # from [defaults]


def test_xenbed_jobs_lists_jobs_and_steps():
    proc = subprocess.run([str(REPO / "xenbed"), "jobs"], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout
    for name in jobs.load_jobs():
        assert f"\n{name}: " in "\n" + proc.stdout
    for step in jobs.STEPS:
        assert f"  {step} " in proc.stdout


def test_bad_jobs_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "jobs.toml"
    bad.write_text('[jobs.x]\nsteps = ["boot", "fly"]\n')
    with pytest.raises(XenbedError, match=r"job x: unknown steps \['fly'\]"):
        jobs.load_jobs(bad)
    bad.write_text('[jobs.x]\nsteps = ["boot"]\nsmp = "two"\n')
    with pytest.raises(XenbedError, match="smp = 'two' should be a int"):
        jobs.load_jobs(bad)


def test_config_file_overrides_job_and_command_line_overrides_config(
        tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('kernel = "6.1"\nxen_version = "0x40011"\n'
                      'accel = "tcg"\nqemu_tarball = "/x/qemu.tar.xz"\n'
                      '[jobs.smoke]\nsmp = 3\n')
    monkeypatch.setenv("XENBED_CONFIG", str(config))
    loaded = jobs.load_config(jobs.config_path())
    assert loaded["qemu_tarball"] == "/x/qemu.tar.xz"
    opts = jobs.job_options("smoke", loaded, {"kernel": None,
                                              "accel": "kvm"})
    assert opts["kernel"] == "6.1"                  # config over jobs.toml
    assert opts["xen_version"] == "0x40011"
    assert opts["smp"] == 3                         # the job's own section
    assert opts["accel"] == "kvm"                   # command line wins
    assert jobs.job_options("xen-hvm", loaded)["smp"] == 2
    config.write_text('kernal = "6.1"\n')
    with pytest.raises(XenbedError, match="unknown option 'kernal'"):
        jobs.load_config(config)
    with pytest.raises(XenbedError, match="no job 'nope'"):
        jobs.job_options("nope")


def console_of(*steps, init=True, finished=True):
    """A console as the guest prints it: steps is (name, result lines,
    ended) tuples."""
    lines = ["[    0.000000] Linux version 6.12.95+deb12-cloud-amd64"]
    if init:
        lines.append("XENBED-INIT 6.12.95+deb12-cloud-amd64")
    for name, results, ended in steps:
        lines.append(f"XENBED-MARK step-start-{name}")
        lines += [f"XENBED-RESULT {r}" for r in results]
        if ended:
            lines.append(f"XENBED-MARK step-end-{name}")
    if finished:
        lines.append("XENBED-DONE rc=0")
    return lines


def evaluate(names, lines, err=None):
    run = jobs.JobRun(job="t", options={}, kernel=None, accel="tcg",
                      steps=[jobs.StepRun(n) for n in names], started=0)
    opts = dict(jobs.load_jobs()["xen-hvm"])
    ctx = {"release": None, "guest-release": "6.12", "sha256": "ab" * 32}
    jobs._evaluate(run, err, lines, opts, ctx, {})
    return {s.name: (s.result, s.message) for s in run.steps}


def test_timeout_in_a_step_fails_it_and_blocks_the_rest():
    lines = console_of(("hypercall", ["hypercall-ns 900", "rc 0"], True),
                       ("netfront-mq", ["nic eth0"], False), finished=False)
    err = guest.GuestError("guest reached init but did not finish its "
                           "test within 300 s", lines)
    out = evaluate(["hypercall", "netfront-mq", "netfront-1q"], lines, err)
    assert out["hypercall"] == ("pass", "")
    assert out["netfront-mq"][0] == "fail"
    assert "did not finish its test within 300 s" in out["netfront-mq"][1]
    assert out["netfront-1q"][0] == "blocked"


def test_a_step_whose_command_failed_or_whose_check_fails():
    lines = console_of(
        ("hypercall", ["hypercall-ns 0", "rc 0"], True),
        ("netfront-mq", ["error no NIC", "rc 1"], True),
        ("netfront-1q", ["nic-driver vif", "tx-queues 1",
                         "blob-sha256 " + "cd" * 32, "blob-bytes 5",
                         "blob-seconds 1", "rc 0"], True))
    out = evaluate(["hypercall", "netfront-mq", "netfront-1q"], lines)
    assert out["hypercall"] == ("fail", "hypercall: hypercall cost reads "
                                "'0'")
    assert out["netfront-mq"] == ("fail", "netfront-mq: a command of the "
                                  "step failed (exit 1): no NIC")
    assert out["netfront-1q"][0] == "fail"
    assert "sha256 cdcdcdcdcdcdcdcd... is not the served abababab" in \
        out["netfront-1q"][1]


def test_infrastructure_faults_are_told_apart():
    silent = ["qemu-system-x86_64: -device nope: 'nope' is not a valid "
              "device model name"]
    err = guest.GuestError("QEMU exited (1) before the guest reached init",
                           silent)
    assert jobs.classify(err, silent) == "infra"
    hung = guest.GuestError("guest did not reach init within 300 s", [])
    assert jobs.classify(hung, []) == "infra"
    spoke = ["Linux version 6.1", "Kernel panic - not syncing"]
    panic = guest.GuestError("QEMU exited (0) before the guest reached "
                             "init", spoke)
    assert jobs.classify(panic, spoke) == "fail"
    crash = guest.GuestError("QEMU exited (-11) before the guest test "
                             "finished", spoke)
    assert jobs.classify(crash, spoke) == "infra"
    out = evaluate(["boot", "netfront-mq"], silent, err)
    assert out["boot"][0] == "infra"
    assert out["netfront-mq"][0] == "blocked"


def test_job_run_passes_every_step(qemu_binary, capsys, data_home,
                                   tmp_path):
    """xen-hvm on 6.12 under TCG: all steps in one boot, with progress,
    figures and a log per step; the flight is recorded and exported."""
    junit = tmp_path / "flight.xml"
    rc, out = run_cli(["job", "run", "xen-hvm", "--accel", "tcg",
                       "--junit", str(junit)], capsys)
    assert rc == 0, out
    for step in jobs.load_jobs()["xen-hvm"]["steps"]:
        assert f"] {step}: running" in out or step == "boot", out
        assert f"  {step:<14} PASS" in out, out
    for figure in ("seconds-to-init", "download-MBps", "xenstore-read-us",
                   "evtchn-roundtrips-per-s", "hypercall-ns"):
        assert f"{figure} " in out, out
    assert "result: PASS" in out
    logs = list((data_home / "xenbed" / "logs").glob("*-xen-hvm-*/*.log"))
    assert {p.name for p in logs} >= {"console.log", "boot.log",
                                      "netfront-mq.log"}
    db = flights.connect()
    (flight,) = flights.query(db)
    assert flight["job"] == "xen-hvm" and flight["result"] == "pass"
    assert flight["kernel_release"] == "6.12.95+deb12-cloud-amd64"
    assert flight["kernel_package"].startswith("linux-image-6.12.95")
    assert flight["accel"] == "tcg"
    assert flight["qemu_version"].startswith("10.0.13")
    steps = flights.steps_of(db, flight["id"])
    assert [s["step"] for s in steps] == \
        jobs.load_jobs()["xen-hvm"]["steps"]
    figures = {g["name"]: g["value"]
               for g in flights.figures_of(db, flight["id"])}
    assert figures["hypercall-ns"] > 0 and figures["download-MBps"] > 0
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert [c.get("name") for c in cases] == [s["step"] for s in steps]
    assert not ET.parse(junit).getroot().findall(".//failure")


def test_failing_step_names_its_assertion_and_keeps_its_log(
        qemu_binary, capsys):
    """xen_nopv: the 6.1 guest does not use Xen's PV interfaces; boot
    fails on the missing event channel ABI, netfront finds no NIC."""
    rc, out = run_cli(["job", "run", "smoke", "--kernel", "6.1", "--accel",
                       "tcg", "--append", "xen_nopv"], capsys)
    assert rc == 1, out
    assert "boot: the kernel log has no 'xen:events: Using ... ABI' " \
        "line" in out
    assert "  netfront-mq    FAIL" in out
    log = next(line.split("log: ", 1)[1] for line in out.splitlines()
               if "log: " in line and "boot.log" in line)
    text = open(log).read()
    assert "xen_nopv" in text                       # the QEMU command line
    assert "--- whole console ---" in text
    assert "XENBED-INIT 6.1.0-56-cloud-amd64" in text


def test_single_step_boots_what_it_needs(qemu_binary, capsys):
    rc, out = run_cli(["job", "run", "xen-hvm", "--accel", "tcg", "--step",
                       "hypercall"], capsys)
    assert rc == 0, out
    assert "  hypercall      PASS" in out
    assert "  boot " not in out and "netfront" not in out, out


def test_qemu_that_does_not_start_is_an_infrastructure_fault(
        qemu_binary, capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('qemu_extra = ["-device", "no-such-device"]\n')
    rc, out = run_cli(["job", "run", "smoke", "--accel", "tcg", "--config",
                       str(config)], capsys)
    assert rc == 2, out
    assert "  boot           INFRA" in out
    assert "  netfront-mq    BLOCKED" in out
    assert "no-such-device" in out
