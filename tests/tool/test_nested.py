"""KVM nested under TCG (tools/xenbed/nested.py): which guest test variants
each run collects, and how reports name the accelerator.  The KVM host VM
itself runs in the guest suite (`xenbed test`, tests/guest/kvm-ci.txt)."""

import importlib.util
import os
import subprocess

import pytest

from xenbed import nested
from xenbed.common import REPO, SYSTEM_PYTHON

GUEST_TESTS = REPO / "tests" / "guest"


def guest_conftest():
    spec = importlib.util.spec_from_file_location(
        "guest_conftest", GUEST_TESTS / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def collect(*options, env=None):
    """Test ids (file::name[params]) pytest selects in tests/guest."""
    proc = subprocess.run(
        [SYSTEM_PYTHON, "-m", "pytest", "-p", "no:cacheprovider",
         "--collect-only", "-q", str(GUEST_TESTS), *options],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO / "tools"), **(env or {})))
    ids = [line.split("/")[-1] for line in proc.stdout.splitlines()
           if "::" in line]
    return proc, ids


def test_kvm_ci_list_selects_exactly_its_kvm_variants():
    listed = guest_conftest().kvm_ci_ids()
    proc, ids = collect("--accel-variants=kvm", "--kvm-ci")
    assert proc.returncode == 0, proc.stdout
    assert sorted(ids) == sorted(listed)
    assert all("-kvm" in i for i in ids)
    # Each guest test file with KVM variants has one in CI.
    _, kvm = collect("--accel-variants=kvm")
    with_kvm = {i.split("::")[0] for i in kvm if "-kvm" in i}
    assert {"test_balloon.py", "test_netif.py"} <= with_kvm
    assert {i.split("::")[0] for i in ids} == with_kvm


def test_variants_split_the_suite():
    _, every = collect()
    _, tcg = collect("--accel-variants=tcg")
    _, kvm = collect("--accel-variants=kvm")
    assert tcg and kvm
    assert not [i for i in tcg if "-kvm" in i]
    assert not [i for i in kvm if "-tcg" in i]
    # Tests without accelerator variants (the virtio-net boot) run in both.
    shared = set(tcg) & set(kvm)
    assert shared and all("-tcg" not in i and "-kvm" not in i
                          for i in shared)
    assert set(tcg) | set(kvm) == set(every)


def test_a_stale_kvm_ci_entry_is_an_error(tmp_path):
    stale = tmp_path / "kvm-ci.txt"
    stale.write_text("# comment\ntest_xen_hvm.py::test_gone[6.12-kvm]\n")
    proc, ids = collect("--accel-variants=kvm", "--kvm-ci",
                        env={"XENBED_KVM_CI_LIST": str(stale)})
    assert proc.returncode != 0
    assert "names tests that do not exist: " \
        "test_xen_hvm.py::test_gone[6.12-kvm]" in proc.stdout


@pytest.mark.parametrize("nested_env,accel,label", [
    (None, "kvm", "kvm"), (None, "tcg", "tcg"),
    ("tcg", "kvm", "kvm (nested under TCG)"), ("tcg", "tcg", "tcg")])
def test_reports_name_the_nesting(monkeypatch, nested_env, accel, label):
    if nested_env:
        monkeypatch.setenv("XENBED_NESTED", nested_env)
    else:
        monkeypatch.delenv("XENBED_NESTED", raising=False)
    assert nested.accel_label(accel) == label
    assert nested.timeout_scale() == (nested.TIMEOUT_SCALE if nested_env
                                      else 1)
