"""Numbers-test fixtures: respx clients (reports on virtual time) and an in-process sandbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from simwood_async import RetryPolicy
from simwood_async.sandbox import ManualClock, Sandbox
from tests.reports.conftest import VirtualTime, respx_client

START = dt.datetime(2026, 3, 15, 12, 0, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def vclient(router: Any) -> Any:
    """A strict respx client whose report engine runs on its own virtual time."""
    vtime = VirtualTime()
    async with vtime.running(), respx_client(router, vtime) as client:
        yield client


def make_sandbox(**kwargs: Any) -> Sandbox:
    """A sandbox on a manual clock at START, reports taking 2 s of sandbox time."""
    options: dict[str, Any] = {"seed": 7, "clock": ManualClock(START), "report_delay": 2.0}
    options.update(kwargs)
    return Sandbox(**options)


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh sandbox."""
    return make_sandbox()


@pytest.fixture
async def local(sandbox: Sandbox) -> Any:
    """A strict, non-retrying client wired to `sandbox` in-process (reports in virtual time)."""
    async with sandbox.client(strict=True, retry=RetryPolicy(attempts=1)) as client:
        yield client
