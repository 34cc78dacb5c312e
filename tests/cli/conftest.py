"""Fixtures shared by the CLI tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def env(tmp_path):
    """An environment with no credentials, no base URL and no config file."""
    return {
        "SIMWOOD_API_USER": "",
        "SIMWOOD_API_PASSWORD": "",
        "SIMWOOD_ACCOUNT": "",
        "SIMWOOD_BASE_URL": "",
        "SIMWOOD_CONFIG": "",
        "XDG_CONFIG_HOME": str(tmp_path / "no-config"),
    }
