"""Virtual time for report tests: sleeps end as soon as every other task is blocked.

`VirtualTime` gives the engine a clock and a sleep. A driver task waits until nothing else can
run, then moves time (the sandbox's `ManualClock`, delivering due callbacks, or a plain number)
to the earliest pending sleep and wakes it: trio's "autojump" on both backends, so tests run
in milliseconds and never sleep for real.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import sniffio

from simwood_async import RetryPolicy, SimwoodClient
from simwood_async.reports import CallbackReceiver, ReportOptions
from simwood_async.sandbox import ManualClock, Sandbox
from tests.conftest import ACCOUNT, BASE_URL, PASSWORD, USERNAME

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

START = dt.datetime(2026, 3, 15, 12, 0, 0, tzinfo=dt.timezone.utc)
CALLBACK_BASE = "http://callbacks.test/simwood/callbacks"


async def settle() -> None:
    """Return once every other task is blocked (waiting on an event, a lock, a sleep...).

    Only the virtual-time driver calls this: two tasks settling at once would wait for each
    other on asyncio. Tests let time pass with `vtime.sleep()` instead.
    """
    if sniffio.current_async_library() == "trio":
        await anyio.wait_all_tasks_blocked()  # trio's is exact and instant
        return
    import asyncio  # noqa: PLC0415 - anyio's asyncio version polls every 0.1 s; ours yields

    me = asyncio.current_task()
    while True:
        await anyio.lowlevel.checkpoint()
        for task in asyncio.all_tasks():
            waiter = getattr(task, "_fut_waiter", None)
            if task is not me and (waiter is None or waiter.done()):
                break
        else:
            return


class VirtualTime:
    """A clock and sleep for the engine, driven by `run()` (see the module docstring)."""

    def __init__(self, sandbox: Sandbox | None = None, start: float = 1000.0) -> None:
        self.sandbox = sandbox
        self._now = start
        self._heap: list[list[Any]] = []
        self._seq = itertools.count()
        self._changed: anyio.Event | None = None
        self.jumps = 0

    def clock(self) -> float:
        """Now, in seconds."""
        return self.sandbox.clock.now() if self.sandbox is not None else self._now

    async def sleep(self, seconds: float) -> None:
        """Sleep in virtual time."""
        entry = [self.clock() + max(seconds, 0.0), next(self._seq), anyio.Event(), False]
        heapq.heappush(self._heap, entry)
        if self._changed is not None:
            self._changed.set()
        try:
            await entry[2].wait()
        finally:
            entry[3] = True

    async def advance(self, seconds: float) -> None:
        """Move time forward (delivering sandbox callbacks that fall due)."""
        if self.sandbox is not None:
            await self.sandbox.advance(seconds)
        else:
            self._now += seconds

    def _next_callback(self) -> float | None:
        """When the sandbox's next callback is due: time never jumps past one."""
        if self.sandbox is None:
            return None
        return self.sandbox._core.store.next_callback_at()

    async def run(self) -> None:
        """Forever: when all is blocked, jump to the next sleep's end and wake it."""
        while True:
            await settle()
            while self._heap and self._heap[0][3]:
                heapq.heappop(self._heap)
            callback_at = self._next_callback()
            if not self._heap and callback_at is None:
                self._changed = anyio.Event()
                await self._changed.wait()
                self._changed = None
                continue
            at = min(self._heap[0][0] if self._heap else math.inf, callback_at or math.inf)
            if at > self.clock():
                self.jumps += 1
                await self.advance(at - self.clock())
            while self._heap and self._heap[0][0] <= self.clock():
                entry = heapq.heappop(self._heap)
                if not entry[3]:
                    entry[2].set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[VirtualTime]:
        """Run the driver for the duration of the block (with a real-time safety net)."""
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(self.run)
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()

    def options(self, **kwargs: Any) -> ReportOptions:
        """Report options on this clock, with jitter fixed at its middle."""
        kwargs.setdefault("clock", self.clock)
        kwargs.setdefault("sleep", self.sleep)
        kwargs.setdefault("random", lambda: 0.5)
        return ReportOptions(**kwargs)


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
