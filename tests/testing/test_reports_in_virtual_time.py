"""Reports through `sandbox.client()` on a manual clock: they complete, in sandbox time."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import anyio
import httpx
import pytest

from simwood_async import RetryPolicy, SimwoodError
from simwood_async.reports import CallbackReceiver, ReportOptions, ReportRequest
from simwood_async.sandbox import EXPIRY_SECONDS, ScaledClock
from tests.testing.conftest import DAY, START, elapsed, make_sandbox

FILE = "/v3/files/{account}/{hash}"
#: The engine's longest wait between polls (ReportOptions.max_interval) plus its jitter.
MAX_GAP = 10.0 * 1.1
#: A generous bound on real seconds for a test that waits minutes of sandbox time: a hang
#: guard (the engine on real time would take the full sandbox delay), not a timing figure.
NO_REAL_WAIT = 30.0


def days(n: int) -> list[str]:
    """`n` distinct GMT days before START, newest first."""
    return [(START.date() - dt.timedelta(days=i)).isoformat() for i in range(1, n + 1)]


async def test_a_report_completes_after_its_delay_in_sandbox_time(sandbox):
    """The call returns the day's rows once the 30 s report is ready, polling only a few times."""
    with anyio.fail_after(NO_REAL_WAIT):
        async with sandbox.client() as client:
            rows = await client.reports.voice_cdr_day(date=DAY)
    assert len(rows) == len(list(sandbox.voice_cdrs(dt.date.fromisoformat(DAY))))
    assert 30.0 <= elapsed(sandbox) <= 30.0 + MAX_GAP
    assert sandbox.stats.count(method="POST") == 1
    assert sandbox.stats.count(route=FILE, status=200) == 1
    # No spinning: polls back off (a poll per yield would be thousands).
    assert sandbox.stats.total <= 20
    assert sandbox.virtual_time.jumps <= 20


async def test_concurrent_reports_share_one_timeline():
    """Distinct and identical concurrent calls all complete; identical ones share one report."""
    sandbox = make_sandbox(report_delay=(5.0, 60.0))
    results: dict[str, Any] = {}
    with anyio.fail_after(NO_REAL_WAIT):
        async with sandbox.client() as client, anyio.create_task_group() as tg:

            async def one(key: str, day: str) -> None:
                """Await one report and keep its rows."""
                results[key] = await client.reports.voice_cdr_day(date=day)

            for day in days(12):
                tg.start_soon(one, day, day)
            tg.start_soon(one, "again", days(1)[0])
    assert len(results) == 13
    assert results["again"] is results[days(1)[0]]
    assert sandbox.stats.count(method="POST") == 12
    assert sum(sandbox.reports.downloads.values()) == 12
    assert elapsed(sandbox) <= 60.0 + MAX_GAP
    assert sandbox.stats.total <= 100  # POSTs, downloads, and a listing or a few probes a round


async def test_a_report_slower_than_the_deadline_times_out_at_the_deadline():
    """A report the sandbox takes an hour to make fails at the 120 s deadline, in sandbox time."""
    sandbox = make_sandbox(report_delay=3600.0)
    with anyio.fail_after(NO_REAL_WAIT):
        async with sandbox.client(reports=ReportOptions(deadline=120.0)) as client:
            with pytest.raises(SimwoodError) as caught:
                await client.reports.voice_cdr_day(date=DAY)
    assert type(caught.value).__name__ == "ReportTimeoutError"
    assert elapsed(sandbox) == 120.0
    assert sandbox.stats.count(method="POST") == 1
    assert sandbox.stats.total <= 40  # backed-off polling, not one look per yield


async def test_a_callback_delivers_the_report_at_its_ready_time():
    """With a callback receiver, the sandbox's callback arrives exactly when the report is ready."""
    receiver = CallbackReceiver(token="t0ken-" + "v" * 20)
    sandbox = make_sandbox(report_delay=7.0, callback_transport=httpx.ASGITransport(receiver))
    options = ReportOptions(callback_url="http://hooks.test/simwood", callback_receiver=receiver)
    async with sandbox.client(reports=options) as client:
        rows = await client.reports.voice_cdr_day(date=DAY)
    assert rows
    assert elapsed(sandbox) == 7.0
    assert client.reports.stats.callbacks_matched == 1
    (record,) = sandbox.reports.callbacks
    assert (record.outcome, record.at - START.timestamp()) == ("delivered", 7.0)


async def test_an_expired_report_is_requested_again():
    """A file left uncollected for five minutes of sandbox time is gone; waiting re-requests it."""
    sandbox = make_sandbox(report_delay=2.0)
    async with sandbox.client() as client:
        ticket = await client.reports.submit(ReportRequest.voice_cdr_day(date=DAY))
        await sandbox.virtual_time.sleep(2.0 + EXPIRY_SECONDS)
        rows = await client.reports.wait(ticket)
    assert rows
    assert sandbox.reports.expiries[ticket.report_hash] == 1
    assert sandbox.reports.generations[ticket.report_hash] == 2  # same hash, made afresh
    assert sandbox.reports.downloads[ticket.report_hash] == 1
    assert elapsed(sandbox) >= 2.0 + EXPIRY_SECONDS + 2.0


async def test_retry_backoff_passes_in_sandbox_time():
    """A 429 with `Retry-After: 30` is retried after 30 s of sandbox time, at once."""
    sandbox = make_sandbox()
    sandbox.faults.add("rate_limit", rate=1.0, count=1, retry_after=30.0)
    with anyio.fail_after(NO_REAL_WAIT):
        async with sandbox.client() as client:
            balance = await client.accounts.prepay_balance()
    assert balance.currency == "GBP"
    assert elapsed(sandbox) == 30.0
    assert (sandbox.stats.count(status=429), sandbox.stats.count(status=200)) == (1, 1)


def delay_of(_kind: str, params: Any, _rng: Any) -> float:
    """A generation time that depends only on the report's day (5 to 93 s).

    A seeded `(min, max)` range is drawn in request order, which trio shuffles on purpose.
    """
    return 5.0 + 8.0 * (int(params["date"][-2:]) % 12)


async def sequential_scenario() -> tuple[float, int, int]:
    """A request retried twice, three reports one after another, two identical callers."""
    sandbox = make_sandbox(report_delay=delay_of)
    sandbox.faults.add("error", rate=1.0, count=2, status=503, route="*/prepay/balance")
    async with sandbox.client() as client:
        await client.accounts.prepay_balance()
        for day in days(3):
            await client.reports.voice_cdr_day(date=day)
        async with anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(partial(client.reports.voice_cdr_day, date=days(4)[-1]))
    return elapsed(sandbox), sandbox.stats.total, sandbox.virtual_time.jumps


async def concurrent_scenario() -> tuple[float, int, int]:
    """Twelve distinct reports at once, and a request retried twice."""
    sandbox = make_sandbox(report_delay=delay_of)
    sandbox.faults.add("error", rate=1.0, count=2, status=503, route="*/prepay/balance")
    async with sandbox.client() as client, anyio.create_task_group() as tg:
        tg.start_soon(client.accounts.prepay_balance)
        for day in days(12):
            tg.start_soon(partial(client.reports.voice_cdr_day, date=day))
    return elapsed(sandbox), sandbox.stats.total, sandbox.virtual_time.jumps


async def test_runs_repeat_exactly():
    """The same scenario twice (jitter and backoff included) gives the same times and requests."""
    first = await sequential_scenario()
    assert first == await sequential_scenario()
    assert first[0] > 5.0 * 3


# trio runs tasks that become runnable together in a random order, on purpose; the engine's
# plan depends on the order in which concurrent reports answered, so only asyncio repeats.
@pytest.mark.parametrize("anyio_backend", ["asyncio"], ids=["asyncio"], indirect=True)
async def test_concurrent_runs_repeat_exactly_on_asyncio():
    """On asyncio, even concurrent reports give the same times and requests run after run."""
    first = await concurrent_scenario()
    assert first == await concurrent_scenario()
    assert first[0] > 5.0


async def test_opting_out_leaves_time_to_the_test(sandbox):
    """With `virtual_time=False` the engine waits in real time and sandbox time stands still."""
    async with sandbox.client(virtual_time=False) as client, anyio.create_task_group() as tg:
        tg.start_soon(partial(client.reports.voice_cdr_day, date=DAY))
        await anyio.wait_all_tasks_blocked()
        assert elapsed(sandbox) == 0.0
        assert sandbox.stats.count(method="POST") == 1
        assert sum(sandbox.reports.downloads.values()) == 0
        tg.cancel_scope.cancel()
    assert sandbox.virtual_time.jumps == 0


async def test_an_injected_clock_and_sleep_are_kept(sandbox):
    """Report options and a retry policy with your own clock and sleep are used as given."""
    vt = sandbox.virtual_time
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        """Record the wait, then wait in virtual time."""
        slept.append(seconds)
        await vt.sleep(seconds)

    options = ReportOptions(clock=vt.now, sleep=sleep)
    retry = RetryPolicy(attempts=1)
    async with sandbox.client(reports=options, retry=retry) as client:
        await client.reports.voice_cdr_day(date=DAY)
    assert slept  # the engine waited through the injected sleep
    assert elapsed(sandbox) >= 30.0


async def test_your_jitter_is_kept_when_clocks_are_wired(sandbox):
    """Default clocks are replaced, but a jitter or random draw you chose is used as given."""
    draws: list[str] = []

    def report_random() -> float:
        """The engine's jitter draw, recorded."""
        draws.append("report")
        return 0.5

    def retry_jitter() -> float:
        """The retry policy's jitter draw, recorded."""
        draws.append("retry")
        return 1.0

    sandbox.faults.add("error", rate=1.0, count=1, status=503, route="*/prepay/balance")
    async with sandbox.client(
        reports=ReportOptions(random=report_random), retry=RetryPolicy(jitter=retry_jitter)
    ) as client:
        await client.accounts.prepay_balance()
        assert elapsed(sandbox) == 0.25  # the first backoff bound, times a jitter of 1.0
        await client.reports.voice_cdr_day(date=DAY)
    assert draws[0] == "retry"
    assert "report" in draws


async def test_your_own_transport_still_waits_in_virtual_time(sandbox):
    """A client given its own transport into the sandbox still gets its report at once."""
    async with sandbox.client(transport=sandbox.transport()) as client:
        rows = await client.reports.voice_cdr_day(date=DAY)
    assert rows
    assert elapsed(sandbox) >= 30.0


def test_virtual_time_on_a_scaled_clock_is_refused():
    """Asking for virtual time on a clock that moves alone is a TypeError."""
    sandbox = make_sandbox(clock=ScaledClock(10.0))
    assert sandbox.client() is not None  # the default on such a clock: real time
    with pytest.raises(TypeError, match="ManualClock"):
        sandbox.client(virtual_time=True)
