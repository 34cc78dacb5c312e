"""`VirtualTime` itself: sleepers wake in order at their times, whoever drives, on both backends."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import anyio
import pytest

from simwood_async import SimwoodClient
from simwood_async.reports import ReportRequest
from simwood_async.sandbox import (
    EXPIRY_SECONDS,
    IN_PROCESS_BASE_URL,
    ManualClock,
    RealClock,
    ScaledClock,
    VirtualTime,
)
from tests.testing.conftest import DAY, START, elapsed, make_sandbox

if TYPE_CHECKING:
    from anyio.abc import TaskStatus

    from simwood_async.sandbox import Sandbox

T0 = 1000.0


def standalone() -> VirtualTime:
    """Virtual time on a manual clock of its own, at T0."""
    return VirtualTime(clock=ManualClock(T0))


async def test_sleepers_wake_in_order_at_their_own_times():
    """Concurrent sleepers wake in the order of their ends, each exactly at its end."""
    vt = standalone()
    woke: list[tuple[float, float]] = []

    async def sleeper(seconds: float) -> None:
        """Sleep, then note when (virtual) it woke."""
        await vt.sleep(seconds)
        woke.append((seconds, vt.now() - T0))

    async with anyio.create_task_group() as tg:
        for seconds in (10.0, 20.0, 5.0, 10.0):
            tg.start_soon(sleeper, seconds)
    assert woke == [(5.0, 5.0), (10.0, 10.0), (10.0, 10.0), (20.0, 20.0)]
    assert vt.jumps == 3  # one jump per distinct wake-up time, none wasted


@pytest.mark.parametrize("seconds", [0.0, -3.0, math.nan], ids=["zero", "negative", "nan"])
async def test_a_non_positive_sleep_is_a_checkpoint(seconds):
    """A sleep of zero, a negative or NaN number of seconds returns without moving time."""
    vt = standalone()
    await vt.sleep(seconds)
    assert (vt.now(), vt.jumps) == (T0, 0)


async def test_the_next_sleeper_drives_when_the_driver_wakes():
    """When the sleeper that moves time wakes, the next one takes over and wakes on time."""
    vt = standalone()
    order: list[str] = []

    async def sleeper(name: str, seconds: float, *, task_status: TaskStatus[None]) -> None:
        """Sleep; the first one started drives."""
        task_status.started()
        await vt.sleep(seconds)
        order.append(f"{name}@{vt.now() - T0:g}")

    async with anyio.create_task_group() as tg:
        await tg.start(sleeper, "driver", 10.0)
        await tg.start(sleeper, "next", 20.0)
    assert order == ["driver@10", "next@20"]


async def test_a_cancelled_driver_hands_over():
    """Cancelling the sleeper that moves time neither loses the other sleepers nor wakes it."""
    vt = standalone()
    order: list[str] = []
    driver_scope = anyio.CancelScope()

    async def driver(*, task_status: TaskStatus[None]) -> None:
        """Start sleeping first (so it drives), until cancelled."""
        task_status.started()
        with driver_scope:
            await vt.sleep(100.0)
            order.append("driver woke")  # pragma: no cover - the failure under test

    async def canceller() -> None:
        """Wake first, and cancel the driver."""
        await vt.sleep(50.0)
        order.append(f"canceller@{vt.now() - T0:g}")
        driver_scope.cancel()

    async def last() -> None:
        """Wake last: someone must still move time after the driver is gone."""
        await vt.sleep(200.0)
        order.append(f"last@{vt.now() - T0:g}")

    async with anyio.create_task_group() as tg:
        await tg.start(driver)
        tg.start_soon(canceller)
        tg.start_soon(last)
    assert order == ["canceller@50", "last@200"]


async def test_an_endless_sleep_waits_for_a_finite_one():
    """A sleeper with no end does not move time; a later finite sleeper still wakes on time."""
    vt = standalone()
    endless = anyio.CancelScope()

    async def forever(*, task_status: TaskStatus[None]) -> None:
        """Sleep for ever (it drives, with nothing to jump to)."""
        task_status.started()
        with endless:
            await vt.sleep(math.inf)

    async with anyio.create_task_group() as tg:
        await tg.start(forever)
        await anyio.wait_all_tasks_blocked()
        assert vt.now() == T0
        await vt.sleep(5.0)
        endless.cancel()
    assert vt.now() == T0 + 5.0


async def test_a_sleeper_overtaken_by_a_manual_advance_wakes_without_a_jump(sandbox):
    """When the test moves the sandbox past a sleeper's end, it wakes then, with no jump."""
    vt = sandbox.virtual_time
    woke: list[float] = []

    async def sleeper(*, task_status: TaskStatus[None]) -> None:
        """Sleep 10 s of sandbox time."""
        task_status.started()
        await vt.sleep(10.0)
        woke.append(elapsed(sandbox))

    async with anyio.create_task_group() as tg:
        await tg.start(sleeper)
        await sandbox.advance(25.0)
    assert woke == [25.0]
    assert vt.jumps == 0


async def test_retry_policy_and_report_options_on_a_clock_of_its_own():
    """Without a sandbox, `retry_policy()` puts a client's backoff on the virtual clock."""
    server = make_sandbox()  # only answers requests; its clock is not the one driven
    server.faults.add("error", rate=1.0, count=2, status=503, route="*/prepay/balance")
    vt = standalone()
    client = SimwoodClient(
        server.account,
        username=server.username,
        password=server.password,
        base_url=IN_PROCESS_BASE_URL,
        allow_insecure_http=True,
        env={},
        transport=vt.transport(server.transport()),
        retry=vt.retry_policy(jitter=lambda: 1.0),
        reports=vt.report_options(deadline=60.0),
    )
    async with client:
        balance = await client.accounts.prepay_balance()
    assert balance.currency == "GBP"
    assert vt.now() - T0 == 0.25 + 0.5  # two backoffs, bounds 0.25 and 0.5, jitter 1.0
    assert elapsed(server) == 0.0


async def test_time_stands_still_while_a_request_is_in_flight():
    """No jump happens while a request through the sandbox client is being answered."""
    release = anyio.Event()

    async def held(_seconds: float) -> None:
        """The latency fault's wait: until the test releases it."""
        await release.wait()

    sandbox = make_sandbox(sleep=held)
    sandbox.faults.add("latency", rate=1.0, seconds=1.0)
    vt = sandbox.virtual_time
    answered: list[str] = []
    async with sandbox.client() as client, anyio.create_task_group() as tg:

        async def ask() -> None:
            """A request that stays in flight until released."""
            answered.append((await client.accounts.prepay_balance()).currency)

        tg.start_soon(ask)
        tg.start_soon(vt.sleep, 10.0)
        await anyio.wait_all_tasks_blocked()
        assert (elapsed(sandbox), answered) == (0.0, [])
        release.set()
    assert answered == ["GBP"]
    assert elapsed(sandbox) == 10.0


async def test_a_sandbox_may_sleep_in_its_own_virtual_time():
    """A latency fault that waits in the sandbox's virtual time takes sandbox time, at once."""
    late: dict[str, VirtualTime] = {}

    async def sleep(seconds: float) -> None:
        """The faults' wait, in the sandbox's virtual time (made after the sandbox)."""
        await late["vt"].sleep(seconds)

    sandbox = make_sandbox(sleep=sleep)
    late["vt"] = sandbox.virtual_time
    sandbox.faults.add("latency", rate=1.0, seconds=5.0)
    async with sandbox.client() as client:
        balance = await client.accounts.prepay_balance()
    assert balance.currency == "GBP"
    assert elapsed(sandbox) == 5.0


async def test_sandbox_time_passes_in_jumps_to_reports_and_expiry(sandbox):
    """`sleep()` on a sandbox's virtual time stops at each report event: ready, then expired."""
    vt = sandbox.virtual_time
    async with sandbox.client() as client:
        ticket = await client.reports.submit(ReportRequest.voice_cdr_day(date=DAY))
        await vt.sleep(30.0 + EXPIRY_SECONDS - 1)
        assert ticket.report_hash in await client.reports.files()
        await vt.sleep(1.0)
        assert await client.reports.files() == {}
    assert sandbox.reports.expiries[ticket.report_hash] == 1
    assert elapsed(sandbox) == 30.0 + EXPIRY_SECONDS
    assert vt.jumps == 3  # to "ready", to the first sleep's end, to "expired"


async def test_next_event_at_names_the_next_change(sandbox):
    """`next_event_at()` is None when idle, then a report's ready time, then its expiry."""
    assert sandbox.next_event_at() is None
    async with sandbox.client() as client:
        await client.reports.submit(ReportRequest.voice_cdr_day(date=DAY))
    start = START.timestamp()
    assert sandbox.next_event_at() == start + 30.0
    await sandbox.advance(30.0)
    assert sandbox.next_event_at() == start + 30.0 + EXPIRY_SECONDS
    await sandbox.advance(EXPIRY_SECONDS)
    assert sandbox.next_event_at() is None


async def test_next_event_at_includes_due_callbacks():
    """A queued callback is an event, even one already due and not yet sent."""
    sandbox = make_sandbox()
    sandbox.faults.add("callback_delay", rate=1.0, seconds=100.0)
    async with sandbox.client() as client:
        await client._transport.request(
            "POST",
            f"accounts/{sandbox.account}/reports/voice/cdr/day",
            data={"date": DAY, "callback": "http://hooks.test/cb"},
            retry=False,
        )
    start = START.timestamp()
    assert sandbox.next_event_at() == start + 30.0
    sandbox.clock.advance(200.0)  # past the callback, without delivering it
    assert sandbox.next_event_at() == start + 130.0


def test_one_virtual_time_per_sandbox(sandbox):
    """`sandbox.virtual_time` is made once and drives the sandbox's own clock."""
    vt = sandbox.virtual_time
    assert vt is sandbox.virtual_time
    assert vt.clock is sandbox.clock
    assert vt.now() == sandbox.clock.now()
    assert "jumps=0" in repr(vt)


@pytest.mark.parametrize("clock", [RealClock(), ScaledClock(10.0)], ids=["real", "scaled"])
def test_virtual_time_needs_a_manual_clock(clock):
    """Real and scaled sandbox clocks move alone: they have no virtual time."""
    sandbox = make_sandbox(clock=clock)
    with pytest.raises(TypeError, match="ManualClock"):
        _ = sandbox.virtual_time


@pytest.mark.parametrize(
    "make",
    [
        lambda sandbox: VirtualTime(sandbox, clock=ManualClock()),
        lambda _: VirtualTime(idle_passes=0),
    ],
    ids=["sandbox-and-clock", "no-idle-passes"],
)
def test_bad_arguments_are_refused(sandbox: Sandbox, make):
    """A sandbox together with a clock, or fewer than one idle pass, is a ValueError."""
    with pytest.raises(ValueError):
        make(sandbox)
