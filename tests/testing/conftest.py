"""Fixtures for the test-aid tests: a sandbox on a manual clock at a fixed instant."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from simwood_async.sandbox import ManualClock, Sandbox

START = dt.datetime(2026, 3, 15, 12, 0, 0, tzinfo=dt.timezone.utc)
DAY = "2026-03-14"


def make_sandbox(**kwargs: Any) -> Sandbox:
    """A sandbox on a manual clock at START (30 s reports, 20 CDRs a day)."""
    options: dict[str, Any] = {
        "seed": 5,
        "clock": ManualClock(START),
        "report_delay": 30.0,
        "cdr_rows_per_day": 20,
        "sms_rows_per_day": 5,
    }
    options.update(kwargs)
    return Sandbox(**options)


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh sandbox on a manual clock."""
    return make_sandbox()


def elapsed(sandbox: Sandbox) -> float:
    """Sandbox seconds since START."""
    return sandbox.clock.now() - START.timestamp()
