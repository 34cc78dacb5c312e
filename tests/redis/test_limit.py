"""The fleet's cap on requests in flight (in Redis), and working on when Redis is down."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from simwood_async import ConfigurationError, SimwoodClient
from simwood_async.reports import ReportOptions
from simwood_async.sandbox import Sandbox, ScaledClock
from tests.redis.conftest import COREDIS_LEAKS, in_process_client, open_store

if TYPE_CHECKING:
    from tests.redis.conftest import RedisServer


class Counting(httpx.AsyncBaseTransport):
    """An httpx transport that counts the requests in flight through it (shared counter)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, counter: dict[str, int]) -> None:
        self.inner = inner
        self.counter = counter

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count the request while the sandbox handles it."""
        self.counter["now"] += 1
        self.counter["peak"] = max(self.counter["peak"], self.counter["now"])
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.counter["now"] -= 1


def sandbox_with_latency() -> Sandbox:
    """A real-time sandbox whose every request takes 20 ms."""
    sandbox = Sandbox(seed=4, clock=ScaledClock(1.0), report_delay=0.2, cdr_rows_per_day=10)
    sandbox.faults.add(kind="latency", seconds=0.02)
    return sandbox


def client_of(sandbox: Sandbox, counter: dict[str, int], **kwargs: Any) -> SimwoodClient:
    """A client of the sandbox (in-process) whose requests are counted."""
    return in_process_client(sandbox, transport=Counting(sandbox.transport(), counter), **kwargs)


async def test_the_cap_holds_across_stores(redis_server, prefix):
    """Two stores (two processes' worth) with a cap of 3 never hold more than 3 slots."""
    now = peak = done = 0

    async def work(store: Any) -> None:
        """Hold a slot for a moment."""
        nonlocal now, peak, done
        async with store.limiter.slot():
            now += 1
            peak = max(peak, now)
            await anyio.sleep(0.01)
            now -= 1
        done += 1

    async with (
        open_store(redis_server, prefix, max_in_flight=3) as first,
        open_store(redis_server, prefix, max_in_flight=3) as second,
    ):
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for _ in range(15):
                    tg.start_soon(work, first)
                    tg.start_soon(work, second)
    assert done == 30
    assert peak == 3
    assert first.limiter.taken + second.limiter.taken == 30


async def test_two_clients_requests_share_the_fleet_cap(redis_server, prefix):
    """Two clients, each with its own store and 10 concurrent calls: at most 2 in flight."""
    sandbox = sandbox_with_latency()
    counter = {"now": 0, "peak": 0}
    async with (
        open_store(redis_server, prefix, max_in_flight=2) as first,
        open_store(redis_server, prefix, max_in_flight=2) as second,
        client_of(sandbox, counter, request_limiter=first.limiter) as one,
        client_of(sandbox, counter, request_limiter=second.limiter) as two,
    ):
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(one.accounts.account_type)
                    tg.start_soon(two.accounts.account_type)
    assert counter["peak"] == 2
    assert first.limiter.taken == second.limiter.taken == 10


@pytest.mark.parametrize("value", [0, -1, 2.5, True])
async def test_a_bad_cap_is_refused_before_any_io(value):
    """`max_in_flight` is a whole number >= 1."""
    from simwood_async.reports import RedisReportStore  # noqa: PLC0415 - needs the extra

    with pytest.raises(ConfigurationError, match="max_in_flight"):
        async with RedisReportStore.open("redis://127.0.0.1:1/0", max_in_flight=value):
            pass  # pragma: no cover - never opened


@COREDIS_LEAKS
async def test_with_redis_down_requests_work_alone_and_it_is_logged_once(
    spare_redis: RedisServer, prefix, caplog, coredis_leaks
):
    """Redis stops: reports and calls go on (local limiter, local de-duplication), one warning."""
    sandbox = sandbox_with_latency()
    counter = {"now": 0, "peak": 0}
    caplog.set_level(logging.WARNING, logger="simwood_async")
    async with open_store(spare_redis, prefix, max_in_flight=1, command_timeout=1) as store:
        options = ReportOptions(store=store, min_interval=0.02, max_interval=0.05)
        async with client_of(
            sandbox, counter, request_limiter=store.limiter, max_concurrency=3, reports=options
        ) as client:
            spare_redis.stop()
            rows: list[Any] = []

            async def report() -> None:
                """One caller of the day's report."""
                rows.append(await client.reports.voice_cdr_day(date="2026-03-14"))

            with anyio.fail_after(20):
                async with anyio.create_task_group() as tg:
                    for _ in range(10):
                        tg.start_soon(client.accounts.account_type)
                        tg.start_soon(report)
    down = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(down) == 1, [r.getMessage() for r in down]
    assert "working without coordination" in down[0].getMessage()
    assert len(rows) == 10
    assert rows[0]
    assert all(r == rows[0] for r in rows)
    assert sum(sandbox.reports.downloads.values()) == 1  # the callers still share one download
    assert sum(sandbox.reports.requests.values()) == 1
    assert 1 < counter["peak"] <= 3  # the local limiter, not the fleet's cap of 1
    assert store.limiter.unshared > 0
