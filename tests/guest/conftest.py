"""The accelerator variants of the guest tests.

Each test taking `xen_accel` runs once under TCG and once under KVM.
`xenbed test` chooses which variants a pytest run collects: with
--accel-variants=kvm on a machine whose /dev/kvm cannot run a guest, it
runs them in the KVM host VM (tools/xenbed/nested.py), where KVM works;
--kvm-ci keeps only the KVM variants kvm-ci.txt lists, the subset CI runs.
"""

import os
from pathlib import Path

import pytest

from xenbed import guest

KVM_CI_LIST = Path(os.environ.get("XENBED_KVM_CI_LIST",
                        Path(__file__).with_name("kvm-ci.txt")))


def pytest_addoption(parser):
    parser.addoption("--accel-variants", choices=["all", "tcg", "kvm"],
                     default="all", help="collect only these variants of "
                     "the tests taking xen_accel")
    parser.addoption("--kvm-ci", action="store_true",
                     help=f"only the KVM variants {KVM_CI_LIST.name} lists")


def kvm_ci_ids():
    """Test ids (file::name[params]) of the KVM variants CI runs."""
    lines = KVM_CI_LIST.read_text().splitlines()
    return [line.strip() for line in lines
            if line.strip() and not line.startswith("#")]


def pytest_collection_modifyitems(config, items):
    variants = config.getoption("--accel-variants")
    kvm_ci = config.getoption("--kvm-ci")
    wanted = set(kvm_ci_ids()) if kvm_ci else None
    keep, drop = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        variant = params.params.get("xen_accel") if params else None
        item_id = item.nodeid.split("/")[-1]
        if variant and variants not in ("all", variant):
            drop.append(item)
        elif wanted is not None and item_id not in wanted:
            drop.append(item)
        else:
            keep.append(item)
    if wanted is not None:
        collected = {item.nodeid.split("/")[-1] for item in items}
        stale = sorted(wanted - collected)
        if stale and not config.getoption("keyword"):
            raise pytest.UsageError(f"{KVM_CI_LIST.name} names tests that "
                                    f"do not exist: {', '.join(stale)}")
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=["tcg", "kvm"])
def xen_accel(request):
    if request.param == "kvm" and guest.accelerator("auto") != "kvm":
        pytest.skip("KVM cannot run a guest here: run xenbed test "
                    "--accel kvm (KVM nested under TCG)")
    return request.param


def pytest_runtest_logreport(report):
    """In the KVM host VM, show a failure at once: its console is the only
    view of the run, and the summary comes only at the very end."""
    if report.failed and os.environ.get("XENBED_NESTED"):
        lines = report.longreprtext.splitlines()
        print("\n".join(["", f"XENBED-FAILED {report.nodeid}"] + lines[-60:]),
              flush=True)
