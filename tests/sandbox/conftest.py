"""Sandbox test fixtures: a sandbox on a manual clock; clients in-process or on loopback."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from simwood_async import RetryPolicy, SimwoodClient
from simwood_async.sandbox import ManualClock, Sandbox

#: A fixed instant, so every run sees the same days and rows.
START = dt.datetime(2026, 3, 15, 12, 0, 0, tzinfo=dt.timezone.utc)
PASSWORD = "pw-sandbox-Zq8vX3-never-log-me"


def make_sandbox(**kwargs: Any) -> Sandbox:
    """A sandbox with test defaults (manual clock at START, 2 s reports, 300 rows a day)."""
    options: dict[str, Any] = {
        "seed": 3,
        "clock": ManualClock(START),
        "report_delay": 2.0,
        "cdr_rows_per_day": 300,
        "password": PASSWORD,
    }
    options.update(kwargs)
    return Sandbox(**options)


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh sandbox on a manual clock."""
    return make_sandbox()


def no_retry() -> RetryPolicy:
    """A retry policy that never retries (faults must surface)."""
    return RetryPolicy(attempts=1)


@pytest.fixture(params=["inprocess", "loopback"])
async def api(request: pytest.FixtureRequest, sandbox: Sandbox) -> Any:
    """A strict, non-retrying client wired to `sandbox` in-process or over loopback HTTP."""
    if request.param == "inprocess":
        async with sandbox.client(strict=True, retry=no_retry()) as client:
            yield client
        return
    async with (
        sandbox.serve() as base_url,
        SimwoodClient(
            sandbox.account,
            username=sandbox.username,
            password=sandbox.password,
            base_url=base_url,
            retry=no_retry(),
            strict=True,
            env={},
        ) as client,
    ):
        yield client


@pytest.fixture
async def local(sandbox: Sandbox) -> Any:
    """A strict, non-retrying client wired to `sandbox` in-process."""
    async with sandbox.client(strict=True, retry=no_retry()) as client:
        yield client
