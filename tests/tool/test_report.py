"""`xenbed report` (issue 14): one HTML file with the pass/fail grid of
jobs by kernel and the figures plotted as embedded PNG images."""

import base64
import datetime
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from xenbed import flights, jobs, kernel
from xenbed.common import REPO


# A private data and config home for every test (conftest.py)
pytestmark = pytest.mark.usefixtures("data_home")


def record(job, release, results, mbps, days_ago):
    steps = []
    for name, result in results.items():
        step = jobs.StepRun(name, result=result, seconds=1.0,
                            message="" if result == "pass" else
                            f"{name}: it broke")
        if name == "netfront-mq" and result == "pass":
            step.figures = {"download-MBps": mbps}
        steps.append(step)
    run = jobs.JobRun(job=job, options={"job": job}, accel="tcg",
                      kernel=kernel.Kernel(image=Path("/k"), release=release,
                                           source=Path(f"/{release}.deb")),
                      steps=steps, release=release, seconds=9.0,
                      started=time.time() - days_ago * 86400)
    return flights.record(run)


class Page(HTMLParser):
    """The grid's cells and the images of a report."""

    def __init__(self):
        super().__init__()
        self.cells, self.images = {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-job" in attrs:
            self.cells[(attrs["data-job"], attrs["data-kernel"])] = \
                attrs["class"]
        if tag == "img":
            self.images.append(attrs["src"])


def test_report_has_the_grid_and_png_plots(tmp_path):
    record("xen-hvm", "6.1.0", {"boot": "pass", "netfront-mq": "pass"},
           30.0, 3)
    record("xen-hvm", "6.12.95", {"boot": "pass", "netfront-mq": "pass"},
           40.0, 2)
    # The latest flight of a job and kernel is the one shown.
    record("xen-hvm", "6.12.95", {"boot": "pass", "netfront-mq": "fail"},
           0, 1)
    record("smoke", "6.1.0", {"boot": "infra", "netfront-mq": "blocked"},
           0, 1)
    out = tmp_path / "report.html"
    proc = subprocess.run([str(REPO / "xenbed"), "report", "-o", str(out)],
                          text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout
    assert "(4 flights)" in proc.stdout
    page = Page()
    page.feed(out.read_text())
    assert page.cells == {("xen-hvm", "6.1.0"): "pass",
                          ("xen-hvm", "6.12.95"): "fail",
                          ("smoke", "6.1.0"): "infra",
                          ("smoke", "6.12.95"): "none"}
    assert len(page.images) == 1        # netfront-mq/download-MBps
    head, data = page.images[0].split(",", 1)
    assert head == "data:image/png;base64"
    png = base64.b64decode(data)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    assert "netfront-mq: it broke" in out.read_text()
    assert "http" not in out.read_text().replace("http-equiv", "")


def test_report_filters_by_date(tmp_path):
    record("smoke", "6.1.0", {"boot": "pass"}, 0, 10)
    record("smoke", "6.12.95", {"boot": "pass"}, 0, 0)
    from xenbed import report
    db = flights.connect()
    since = (datetime.date.today() - datetime.timedelta(days=2)).isoformat()
    page = Page()
    page.feed(report.render(db, flights.query(db, since=since)))
    assert page.cells == {("smoke", "6.12.95"): "pass"}
    assert page.images == []
