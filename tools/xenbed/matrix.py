"""`xenbed matrix --gitlab-ci`: a GitLab CI pipeline with one CI job per
kernel and job of jobs.toml.

Each CI job runs `xenbed job run` with its own data folder, kept as
artifacts: flights.db, the step logs and a JUnit file (shown by GitLab
as the job's test report).  A last CI job merges every flights.db
(`xenbed history --import`) and writes the HTML report and one JUnit
file over all of them.
"""

import json
import re
from pathlib import Path

from . import jobs
from .common import XenbedError


def slug(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def q(text):
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(str(text))


def kernels_from(args, config):
    kernels = args.kernels or config["kernels"] or ["6.1", "6.12"]
    if not isinstance(kernels, list) or not kernels:
        raise XenbedError("kernels: give --kernels K ... or kernels = [...] "
                          "in the config file")
    return kernels


def pipeline(job_names, kernels, accel="tcg", no_build=False):
    """The .gitlab-ci.yml text."""
    out = ["# Written by `xenbed matrix --gitlab-ci`: one CI job per job "
           "and kernel.",
           "stages:", "  - test", "  - report", "",
           "variables:",
           "  # The pinned inputs, as CI's own copy (README, Inputs).",
           f"  XENBED_DIST: {q('$CI_PROJECT_DIR/dist')}", ""]
    for job in job_names:
        for k in kernels:
            name = f"{job} {Path(k).name}"
            folder = slug(f"{job}-{Path(k).name}")
            run = (f"./xenbed job run {job} --kernel {k} --accel {accel} "
                   f"--junit \"$CI_PROJECT_DIR/junit/{folder}.xml\"" +
                   (" --no-build" if no_build else ""))
            out += [f"{q(name)}:", "  stage: test", "  script:"]
            out += [f"    - {q('mkdir -p $CI_PROJECT_DIR/junit')}",
                    "    - " + q("export XDG_DATA_HOME="
                                 f"$CI_PROJECT_DIR/flights/{folder}"),
                    f"    - {q(run)}",
                    "  artifacts:", "    when: always",
                    "    paths:", f"      - {q('flights/' + folder + '/')}",
                    f"      - {q('junit/' + folder + '.xml')}",
                    "    reports:",
                    f"      junit: {q('junit/' + folder + '.xml')}", ""]
    merge = ("for db in flights/*/xenbed/flights.db; do "
             "./xenbed history --import \"$db\" > /dev/null; done")
    out += [f"{q('report')}:", "  stage: report", "  when: always",
            "  script:",
            f"    - {q('export XDG_DATA_HOME=$CI_PROJECT_DIR/merged')}",
            f"    - {q(merge)}",
            f"    - {q('./xenbed history --junit junit-all.xml')}",
            f"    - {q('./xenbed report -o report.html')}",
            "  artifacts:", "    when: always", "    paths:",
            f"      - {q('report.html')}", f"      - {q('junit-all.xml')}",
            f"      - {q('merged/')}", ""]
    return "\n".join(out)


def add_arguments(p):
    p.add_argument("--gitlab-ci", action="store_true", required=True,
                   help="write a GitLab CI pipeline")
    p.add_argument("--kernels", nargs="+", help="kernels (default: the "
                   "config file's kernels, else 6.1 and 6.12)")
    p.add_argument("--jobs", nargs="+", dest="job_names",
                   help="jobs (default: all of jobs.toml)")
    p.add_argument("--accel", default="tcg", choices=["auto", "kvm", "tcg"],
                   help="default tcg: CI runners rarely have a usable KVM")
    p.add_argument("--no-build", action="store_true", help="CI jobs use a "
                   "QEMU the runner already has (job run --no-build)")
    p.add_argument("--config", help="config file, as for job run")
    p.add_argument("-o", "--output", default=".gitlab-ci.yml")


def main(args):
    config = jobs.load_config(jobs.config_path(args.config))
    known = jobs.load_jobs()
    names = args.job_names or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise XenbedError(f"no jobs {', '.join(unknown)} (jobs: "
                          f"{', '.join(known)})")
    kernels = kernels_from(args, config)
    Path(args.output).write_text(pipeline(names, kernels, args.accel,
                                          args.no_build))
    print(f"xenbed matrix: {args.output}: {len(names) * len(kernels)} CI "
          f"jobs ({len(names)} jobs x {len(kernels)} kernels) and a report")
    return 0
