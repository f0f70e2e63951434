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
    monkeypatch.setattr(deps, "missing_packages",
                        lambda packages=deps.PACKAGES: ["libslirp-dev"])
    with pytest.raises(XenbedError) as err:
        deps.setup()
    message = str(err.value)
    assert "supports Debian 12; this is Fedora 41" in message
    for package in deps.PACKAGES:
        assert package in message
    assert "meson >= 1.5" in message


def test_check_only_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(deps, "missing_packages",
                        lambda packages=deps.PACKAGES: ["busybox-static"])
    monkeypatch.setattr(deps, "missing_python_debs", lambda: [])
    with pytest.raises(XenbedError, match="missing: busybox-static"):
        deps.setup(check_only=True)


def test_slow_suite_asks_for_its_own_packages(monkeypatch):
    """Only `test --suite slow` wants the Linux tree and its build tools."""
    asked = []

    def missing(packages=deps.PACKAGES):
        asked.append(set(packages))
        return [p for p in packages if p in deps.SLOW_PACKAGES]
    monkeypatch.setattr(deps, "missing_packages", missing)
    monkeypatch.setattr(deps, "missing_python_debs", lambda: [])
    deps.setup(check_only=True)
    with pytest.raises(XenbedError, match="missing: linux-source-6.1 bc "
                       "libelf-dev libssl-dev"):
        deps.setup(check_only=True, slow=True)
    assert not asked[0] & set(deps.SLOW_PACKAGES)
    assert asked[1] >= set(deps.SLOW_PACKAGES) | set(deps.PACKAGES)
