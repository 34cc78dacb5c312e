"""Clients sharing one Redis share report downloads, and survive the owner's crash."""

from __future__ import annotations

import datetime as dt
from typing import Any

import anyio

from simwood_async import ReportTimeoutError, SimwoodClient
from simwood_async.reports import ReportOptions
from simwood_async.sandbox import Sandbox, ScaledClock
from tests.redis.conftest import (
    StoreCalls,
    StoreTime,
    TracedStore,
    in_process_client,
    log_signal,
    make_sandbox,
    open_store,
)

DAY = "2026-03-14"
FILE = "/v3/files/{account}/{hash}"


async def fetch(client: SimwoodClient, results: list[Any]) -> None:
    """Await the day's CDR report and keep its rows."""
    results.append(await client.reports.voice_cdr_day(date=DAY))


async def test_two_clients_sharing_redis_download_a_report_once(redis_server, prefix):
    """Two clients (own stores, one Redis) ask at once: one downloads, both get equal rows."""
    sandbox = make_sandbox()
    vtime = StoreTime(sandbox)
    got_a: list[Any] = []
    got_b: list[Any] = []
    async with (
        open_store(redis_server, prefix, account=sandbox.account) as store_a,
        open_store(redis_server, prefix, account=sandbox.account) as store_b,
    ):
        a, b = TracedStore(store_a, vtime.calls), TracedStore(store_b, vtime.calls)
        async with (
            vtime.client(a) as client_a,
            vtime.client(b) as client_b,
            vtime.running(),
            anyio.create_task_group() as tg,
        ):
            with vtime.hold():  # both ask before any sandbox time passes
                tg.start_soon(fetch, client_a, got_a)
                tg.start_soon(fetch, client_b, got_b)
                await a.claimed.wait()
                await b.claimed.wait()
    assert sum(sandbox.reports.downloads.values()) == 1
    assert sandbox.stats.count(route=FILE, status=200) == 1
    assert sum(sandbox.reports.generations.values()) == 1
    assert [c.owned for c in a.claims + b.claims].count(True) == 1
    assert client_a.reports.stats.downloads + client_b.reports.stats.downloads == 1
    assert client_a.reports.stats.followed + client_b.reports.stats.followed == 1
    assert len(got_a[0]) == len(list(sandbox.voice_cdrs(dt.date(2026, 3, 14)))) > 0
    assert got_a == got_b


async def test_a_crashed_owner_is_taken_over_once_its_lease_lapses(redis_server, prefix):
    """The owner's process dies mid-flight without a word; the other client takes over."""
    sandbox = make_sandbox()
    vtime = StoreTime(sandbox)
    crash = anyio.CancelScope()
    owner_claimed = anyio.Event()
    doomed: list[TracedStore] = []
    got: list[Any] = []

    async def doomed_process() -> None:
        """A client with its own store that owns the report when it dies."""
        with crash:
            async with open_store(redis_server, prefix, lease=0.3) as store:
                traced = TracedStore(store, vtime.calls)
                doomed.append(traced)
                async with vtime.client(traced) as client, anyio.create_task_group() as tg:
                    tg.start_soon(fetch, client, [])
                    await traced.claimed.wait()
                    owner_claimed.set()
                    await anyio.sleep_forever()

    async with open_store(redis_server, prefix, lease=0.3, recheck=0.05) as store_b:
        b = TracedStore(store_b, vtime.calls)
        with log_signal("ended without an outcome") as lapse_logged:
            async with (
                vtime.client(b) as client_b,
                vtime.running(),
                anyio.create_task_group() as tg,
            ):
                with vtime.hold():
                    tg.start_soon(doomed_process)
                    await owner_claimed.wait()
                    tg.start_soon(fetch, client_b, got)
                    await b.claimed.wait()
                    # The process dies: its release never reaches Redis, its renewals stop.
                    doomed[0].crashed = True
                    crash.cancel()
            assert lapse_logged.is_set()
    first, second = b.claims
    assert doomed[0].claims[0].owned
    assert not first.owned
    assert first.generation == doomed[0].claims[0].generation
    assert second.owned
    assert second.generation == first.generation + 1
    assert sum(sandbox.reports.downloads.values()) == 1
    assert client_b.reports.stats.downloads == 1
    assert len(got[0]) == len(list(sandbox.voice_cdrs(dt.date(2026, 3, 14)))) > 0


async def test_a_lease_follows_the_work_when_a_later_caller_extends_the_deadline(
    redis_server, prefix
):
    """A caller with a short deadline claims; a later one extends it; nobody takes over.

    The owner's first lease lasts about the first caller's deadline; it must be renewed while
    the owner still works for the second caller, so that another client that asks after that
    first deadline follows the owner instead of claiming (and downloading) a generation of its
    own. Real time: leases run on the Redis server's clock.
    """
    sandbox = Sandbox(seed=4, clock=ScaledClock(1.0), report_delay=2.0, cdr_rows_per_day=30)
    calls = StoreCalls()
    got: list[Any] = []
    timed_out: list[float] = []

    def client(store: TracedStore) -> SimwoodClient:
        """A client of the in-process sandbox that polls every 50 to 100 ms, in real time."""
        return in_process_client(
            sandbox,
            reports=ReportOptions(store=store, min_interval=0.05, max_interval=0.1),
        )

    async def late(client: SimwoodClient, deadline: float) -> None:
        """Ask for the report with this deadline (the first caller's runs out first)."""
        try:
            got.append(await client.reports.voice_cdr_day(date=DAY, deadline=deadline))
        except ReportTimeoutError:
            timed_out.append(deadline)

    async with (
        open_store(redis_server, prefix, lease=0.3) as store_a,
        open_store(redis_server, prefix, lease=0.3) as store_b,
    ):
        a, b = TracedStore(store_a, calls), TracedStore(store_b, calls)
        async with client(a) as client_a, client(b) as client_b, anyio.create_task_group() as tg:
            with anyio.fail_after(20):
                tg.start_soon(late, client_a, 0.5)  # claims with a ttl of about 1 s
                await a.claimed.wait()
                tg.start_soon(late, client_a, 30.0)  # joins the flight, pushes its deadline
                await anyio.sleep(1.6)  # past the first ttl and a lease, before it is ready
                tg.start_soon(late, client_b, 30.0)
    assert [c.owned for c in a.claims] == [True]
    assert [c.owned for c in b.claims] == [False]
    assert b.claims[0].generation == a.claims[0].generation
    assert sum(sandbox.reports.downloads.values()) == 1
    assert sum(sandbox.reports.generations.values()) == 1
    assert client_a.reports.stats.downloads == 1
    assert client_b.reports.stats.downloads == 0
    assert timed_out == [0.5]
    assert len(got) == 2
    assert got[0] == got[1]
    assert got[0]
