"""Single flight, cancellation and shutdown, against the sandbox in virtual time."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING

import anyio
import pytest

from simwood_async import ConfigurationError, ReportError
from simwood_async.reports import InMemoryReportStore
from tests.reports.conftest import VirtualTime, make_sandbox, sandbox_client

if TYPE_CHECKING:
    from simwood_async.cdrs import VoiceCdr

DAY = "2026-03-14"
FILE = "/v3/files/{account}/{hash}"
POST = "/v3/accounts/{account}/reports/voice/cdr/day"


async def test_ten_thousand_identical_callers_cost_one_post_and_one_download(sandbox, vtime):
    """10,000 concurrent identical requests send one POST and one download; all get one object."""
    results: list[tuple[VoiceCdr, ...]] = []
    async with sandbox_client(sandbox, vtime) as client, vtime.running():

        async def caller() -> None:
            """Await the report and keep what came back."""
            results.append(await client.reports.voice_cdr_day(date=DAY))

        async with anyio.create_task_group() as tg:
            for _ in range(10_000):
                tg.start_soon(caller)
    assert len(results) == 10_000
    assert all(r is results[0] for r in results)
    assert isinstance(results[0], tuple)
    assert sandbox.stats.count(method="POST") == 1
    assert sandbox.stats.count(route=FILE, status=200) == 1
    assert client.reports.stats.coalesced_callers == 9_999


async def test_a_date_object_and_its_string_are_one_request(sandbox, vtime):
    """`date=datetime.date(...)` and `date="YYYY-MM-DD"` share one flight."""
    async with (
        sandbox_client(sandbox, vtime) as client,
        vtime.running(),
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(partial(client.reports.voice_cdr_day, date=dt.date(2026, 3, 14)))
        tg.start_soon(partial(client.reports.voice_cdr_day, date=DAY))
    assert sandbox.stats.count(route=POST) == 1
    assert sandbox.stats.count(route=FILE, status=200) == 1


async def test_a_later_identical_request_is_a_new_report(sandbox, vtime):
    """Once a flight has delivered, the same request asks for a fresh report."""
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        first = await client.reports.voice_cdr_day(date=DAY)
        second = await client.reports.voice_cdr_day(date=DAY)
    assert first is not second
    assert first == second
    assert sandbox.stats.count(route=POST) == 2


async def test_cancelling_one_waiter_leaves_the_others_and_the_flight(sandbox, vtime):
    """A cancelled caller stops waiting; the other callers get the report from the same flight."""
    got: list[object] = []
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        doomed = anyio.CancelScope()

        async def cancelled_caller() -> None:
            """A caller that will be cancelled while waiting."""
            with doomed:
                got.append(await client.reports.voice_cdr_day(date=DAY))

        async def caller() -> None:
            """A caller that waits to the end."""
            got.append(await client.reports.voice_cdr_day(date=DAY))

        async with anyio.create_task_group() as tg:
            tg.start_soon(cancelled_caller)
            tg.start_soon(caller)
            tg.start_soon(caller)
            await vtime.sleep(1)  # the report takes 2 s: everyone is waiting now
            doomed.cancel()
    assert len(got) == 2
    assert got[0] is got[1]
    assert sandbox.stats.count(route=POST) == 1
    assert sandbox.stats.count(route=FILE, status=200) == 1


async def test_a_flight_nobody_waits_for_ends_and_stops_polling(sandbox, vtime):
    """When every caller is cancelled the flight ends, its task exits and polling stops."""
    sandbox = make_sandbox(report_delay=50.0)
    vtime = VirtualTime(sandbox)
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(client.reports.voice_cdr_day, date=DAY))
            tg.start_soon(partial(client.reports.voice_cdr_day, date=DAY))
            await vtime.sleep(5)
            tg.cancel_scope.cancel()
        await vtime.sleep(1)
        engine = client.reports._engine
        assert not engine._flights
        assert not engine._poller._hashes
        assert not engine._poller._running
        before = sandbox.stats.total
        await vtime.sleep(100)
        assert sandbox.stats.total == before
        # The claim was released: asking again works (the server still has the report).
        rows = await client.reports.voice_cdr_day(date=DAY)
    assert rows
    assert client.reports.stats.timings[0].outcome == "abandoned"


async def test_closing_the_client_wakes_waiters_with_an_error(sandbox, vtime):
    """`aclose()` cancels every flight; waiters in other tasks get a ReportError at once."""
    sandbox = make_sandbox(report_delay=500.0)
    vtime = VirtualTime(sandbox)
    errors: list[BaseException] = []
    client = sandbox_client(sandbox, vtime)

    async def caller() -> None:
        """Wait for a report; keep the error closing the client causes."""
        try:
            await client.reports.voice_cdr_day(date=DAY)
        except ReportError as err:
            errors.append(err)

    # The callers live outside the client's block, as request handlers do in a web app.
    async with vtime.running(), anyio.create_task_group() as handlers, client:
        handlers.start_soon(caller)
        handlers.start_soon(caller)
        await vtime.sleep(3)
    assert len(errors) == 2
    assert "closed" in str(errors[0])
    assert errors[0] is not errors[1]
    assert client.reports._engine._tg is None
    with pytest.raises(ConfigurationError, match="not open"):
        await client.reports.voice_cdr_day(date=DAY)


async def test_a_client_that_was_not_entered_says_so(sandbox, vtime):
    """Requesting a report on a client that was never entered raises at once, no hang."""
    client = sandbox_client(sandbox, vtime)
    with pytest.raises(ConfigurationError, match="async with"):
        await client.reports.voice_cdr_day(date=DAY)
    assert sandbox.stats.total == 0
    await client.aclose()


async def test_views_share_the_engine(sandbox, vtime):
    """A `with_options` view joins the flights of the client it came from."""
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        view = client.with_options(deadline=30.0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(client.reports.voice_cdr_day, date=DAY))
            tg.start_soon(partial(view.reports.voice_cdr_day, date=DAY))
    assert sandbox.stats.count(route=POST) == 1


async def test_two_clients_sharing_a_store_download_once(sandbox, vtime):
    """Clients sharing an InMemoryReportStore let one download and both receive the rows."""
    store = InMemoryReportStore()
    results: dict[str, tuple[VoiceCdr, ...]] = {}
    async with (
        sandbox_client(sandbox, vtime, store=store) as a,
        sandbox_client(sandbox, vtime, store=store) as b,
        vtime.running(),
    ):

        async def fetch(name: str, client: object) -> None:
            """Fetch the report through one of the clients."""
            results[name] = await client.reports.voice_cdr_day(date=DAY)  # type: ignore[attr-defined]

        async with anyio.create_task_group() as tg:
            tg.start_soon(fetch, "a", a)
            tg.start_soon(fetch, "b", b)
    assert results["a"] == results["b"]
    assert sandbox.stats.count(route=FILE, status=200) == 1
    assert a.reports.stats.followed + b.reports.stats.followed == 1
