"""Fixtures of the tool suite (tests/conftest.py has the shared ones)."""

import pytest


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """A private XDG data and config home: tests never read the user's
    config nor write into the user's flight history."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("XENBED_CONFIG", raising=False)
    return tmp_path / "data"
