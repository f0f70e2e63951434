"""xenbed setup: quiet when everything is there, a clear list elsewhere."""

import subprocess

import pytest

from xenbed import deps
from xenbed.common import REPO, XenbedError


def test_setup_is_quiet_when_complete():
    proc = subprocess.run([str(REPO / "xenbed"), "setup"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout == ""


def test_other_distribution_gets_the_list(monkeypatch):
    monkeypatch.setattr(deps, "os_release",
                        lambda: {"ID": "fedora", "PRETTY_NAME": "Fedora 41"})
    monkeypatch.setattr(deps, "missing_packages", lambda: ["libslirp-dev"])
    with pytest.raises(XenbedError) as err:
        deps.setup()
    message = str(err.value)
    assert "supports Debian 12; this is Fedora 41" in message
    for package in deps.PACKAGES:
        assert package in message
    assert "meson >= 1.5" in message


def test_check_only_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(deps, "missing_packages", lambda: ["busybox-static"])
    monkeypatch.setattr(deps, "missing_python_debs", lambda: [])
    with pytest.raises(XenbedError, match="missing: busybox-static"):
        deps.setup(check_only=True)
