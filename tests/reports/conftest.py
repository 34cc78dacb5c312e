"""Report-test fixtures: a sandbox on a manual clock and the engine on virtual time.

`VirtualTime` adapts the public `simwood_async.sandbox.VirtualTime` (sleeps end as soon as
every other task is waiting: trio's "autojump" on both backends) to these tests: a sandbox's
shared virtual time, or a manual clock of its own for respx tests, and engine options with
jitter fixed at its middle.
"""

from __future__ import annotations

import datetime as dt
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from simwood_async import RetryPolicy, SimwoodClient
from simwood_async.reports import CallbackReceiver, ReportOptions
from simwood_async.sandbox import ManualClock, Sandbox
from simwood_async.sandbox import VirtualTime as PublicVirtualTime
from tests.conftest import ACCOUNT, BASE_URL, PASSWORD, USERNAME

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

START = dt.datetime(2026, 3, 15, 12, 0, 0, tzinfo=dt.timezone.utc)
CALLBACK_BASE = "http://callbacks.test/simwood/callbacks"


class VirtualTime:
    """A clock and sleep for the engine: the sandbox's virtual time, or one of its own."""

    def __init__(self, sandbox: Sandbox | None = None, start: float = 1000.0) -> None:
        self.time = (
            sandbox.virtual_time
            if sandbox is not None
            else PublicVirtualTime(clock=ManualClock(start))
        )
        self.clock = self.time.now
        self.sleep = self.time.sleep

    @asynccontextmanager
    async def running(self) -> AsyncIterator[VirtualTime]:
        """A block in which a hang fails the test after a minute of real time."""
        with anyio.fail_after(60):
            yield self

    def options(self, **kwargs: Any) -> ReportOptions:
        """Report options on this clock, with jitter fixed at its middle."""
        kwargs.setdefault("random", lambda: 0.5)
        return self.time.report_options(**kwargs)


def make_sandbox(**kwargs: Any) -> Sandbox:
    """A sandbox on a manual clock at START (2 s reports, 30 CDRs a day)."""
    options: dict[str, Any] = {
        "seed": 4,
        "clock": ManualClock(START),
        "report_delay": 2.0,
        "cdr_rows_per_day": 30,
        "sms_rows_per_day": 5,
    }
    options.update(kwargs)
    return Sandbox(**options)


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh sandbox on a manual clock."""
    return make_sandbox()


@pytest.fixture
def vtime(sandbox: Sandbox) -> VirtualTime:
    """Virtual time following the sandbox's manual clock."""
    return VirtualTime(sandbox)


def sandbox_client(sandbox: Sandbox, vtime: VirtualTime, **options: Any) -> SimwoodClient:
    """A strict client wired to `sandbox`, its report engine on `vtime`."""
    return sandbox.client(
        strict=True,
        retry=RetryPolicy(attempts=2, sleep=vtime.sleep, clock=vtime.clock),
        reports=vtime.options(**options),
    )


def receiver_for(sandbox: Sandbox) -> CallbackReceiver:
    """A receiver, wired as the sandbox's callback transport."""
    receiver = CallbackReceiver(token="t0ken-" + "x" * 20)
    sandbox._callback_transport = httpx.ASGITransport(receiver)
    return receiver


def respx_client(router: Any, vtime: VirtualTime, **options: Any) -> SimwoodClient:
    """A strict client whose requests go to a respx router, its engine on `vtime`."""
    return SimwoodClient(
        ACCOUNT,
        username=USERNAME,
        password=PASSWORD,
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
        retry=RetryPolicy(attempts=2, jitter=lambda: 1.0, sleep=vtime.sleep, clock=vtime.clock),
        strict=True,
        env={},
        reports=vtime.options(**options),
    )
