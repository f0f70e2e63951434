"""`xenbed matrix --gitlab-ci` (issue 14): the pipeline parses as YAML
with a CI job per job and kernel, and one CI job's script, run here,
leaves artifacts (JUnit, flights.db and logs) that `history --import`
merges."""

import os
import subprocess
import xml.etree.ElementTree as ET

import yaml

from xenbed import flights
from xenbed.common import REPO


def matrix(tmp_path, *extra):
    out = tmp_path / "gitlab-ci.yml"
    proc = subprocess.run([str(REPO / "xenbed"), "matrix", "--gitlab-ci",
                           "-o", str(out), *extra], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=dict(os.environ,
                                   XDG_CONFIG_HOME=str(tmp_path / "cfg")))
    assert proc.returncode == 0, proc.stdout
    return yaml.safe_load(out.read_text()), proc.stdout


def test_pipeline_has_a_ci_job_per_job_and_kernel(tmp_path):
    pipe, out = matrix(tmp_path, "--jobs", "smoke", "xen-hvm", "--kernels",
                       "6.1", "/srv/linux-image-6.13_amd64.deb")
    assert "4 CI jobs (2 jobs x 2 kernels)" in out
    assert pipe["stages"] == ["test", "report"]
    tests = {k: v for k, v in pipe.items() if isinstance(v, dict) and
             v.get("stage") == "test"}
    assert set(tests) == {"smoke 6.1", "smoke linux-image-6.13_amd64.deb",
                          "xen-hvm 6.1",
                          "xen-hvm linux-image-6.13_amd64.deb"}
    job = tests["xen-hvm linux-image-6.13_amd64.deb"]
    assert any("./xenbed job run xen-hvm --kernel "
               "/srv/linux-image-6.13_amd64.deb --accel tcg --junit" in line
               for line in job["script"]), job["script"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] in job["artifacts"]["paths"]
    assert pipe["report"]["stage"] == "report"
    assert any("history --import" in s for s in pipe["report"]["script"])


def test_a_ci_jobs_script_leaves_artifacts_that_import_merges(
        qemu_binary, tmp_path, monkeypatch):
    pipe, _ = matrix(tmp_path, "--jobs", "smoke", "--kernels", "6.1",
                     "--no-build")
    script = pipe["smoke 6.1"]["script"]
    project = tmp_path / "project"
    project.mkdir()
    env = dict(os.environ, CI_PROJECT_DIR=str(project))
    proc = subprocess.run(["bash", "-e", "-c", "\n".join(script)], cwd=REPO,
                          env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout
    artifacts = pipe["smoke 6.1"]["artifacts"]
    for path in artifacts["paths"]:
        assert (project / path).exists(), path
    suite = ET.parse(project / artifacts["reports"]["junit"]).getroot()
    assert [c.get("name") for c in suite.iter("testcase")] == \
        ["boot", "netfront-mq"]
    # Elsewhere (another machine's data folder): merge the artifact.
    here = tmp_path / "here"
    db_file = project / artifacts["paths"][0] / "xenbed" / "flights.db"
    proc = subprocess.run([str(REPO / "xenbed"), "history", "--import",
                           str(db_file)], text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          env=dict(os.environ, XDG_DATA_HOME=str(here)))
    assert proc.returncode == 0, proc.stdout
    assert "imported 1 flights" in proc.stdout
    assert " smoke " in proc.stdout and "6.1.0-56-cloud-amd64" in proc.stdout
    monkeypatch.setenv("XDG_DATA_HOME", str(here))
    db = flights.connect()
    (flight,) = flights.query(db)
    assert flight["result"] == "pass"
    for step in flights.steps_of(db, flight["id"]):
        # The logs came with the artifact and are found there.
        assert flights.log_path(step["log"]).is_file()
        assert str(project) in step["log"]
