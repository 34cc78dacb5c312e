"""Redis report store: what sharing reports between processes costs, against the in-memory store.

Everything runs against a real `redis-server` started for the run (127.0.0.1, any free port,
no persistence) and the in-process sandbox:

(a) one coordination cycle (claim, publish, read back by a late waiter), small body:
    `InMemoryReportStore` vs `RedisReportStore`, wall microseconds per cycle, asyncio and trio,
    with one bare coredis PING round trip for scale (a cycle is three round trips);
(b) wake-up: a waiter parked in another store (its own pool, as another process has) gets the
    owner's publication: milliseconds from `publish` to `wait` returning;
(c) a large body: a 10,000-row voice CDR report as the sandbox serves it, published by one
    store and read by another: MB/s;
(d) end to end: two clients ask for the same 20 reports at once. Baseline: one shared
    `InMemoryReportStore` (one process). Redis: each client its own store on one Redis (as two
    processes would). Downloads are the sandbox's ground truth.
(e) the fleet: 8 worker processes (asyncio and trio), 50 concurrent callers each, all asking
    for the same 20 reports from one loopback sandbox process (`tests/redis/fleet.py`), with
    the Redis store and without it (each process alone: the losers of each download race find
    the file gone, request again, and fail once their re-requests are spent). POSTs and
    downloads are the sandbox's counts; a failed caller got an error for any of its reports.

Run: `python benchmarks/bench_redis.py`. The last line is one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import coredis

from simwood_async import SimwoodClient
from simwood_async.reports import (
    Claim,
    InMemoryReportStore,
    RedisReportStore,
    ReportOptions,
    ReportStore,
    StoredOutcome,
)
from simwood_async.sandbox import IN_PROCESS_BASE_URL, Sandbox, ScaledClock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the fleet's workers and orchestration live with the tests
    sys.path.insert(0, str(ROOT))

from tests.redis.fleet import run_fleet  # noqa: E402

CYCLES = 2000
WAKES = 200
HASH = "0123456789abcdef0123456789abcdef"
SMALL = StoredOutcome(status="ready", body=b'[{"calls": 1}]')
DAYS = 20


def start_redis(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server on a free loopback port; returns the process and its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            shutil.which("redis-server") or "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", directory),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.01)
    return server, f"redis://127.0.0.1:{port}/0"


def prefix() -> str:
    """Fresh keys for each measurement."""
    return f"bench:{uuid.uuid4().hex[:8]}:"


async def cycles(store: ReportStore, n: int) -> float:
    """Microseconds per claim, publish, wait cycle (each on a fresh hash)."""
    start = time.perf_counter()
    for i in range(n):
        report_hash = f"{HASH}{i}"
        claim = await store.claim(report_hash, "owner", ttl=60)
        await store.publish(report_hash, claim, SMALL)
        assert await store.wait(report_hash, claim.generation) == SMALL
    return (time.perf_counter() - start) / n * 1e6


async def measure_cycles(url: str) -> tuple[float, float, float]:
    """(a): in-memory and Redis microseconds per cycle, and one bare PING round trip."""
    memory = InMemoryReportStore()
    await cycles(memory, CYCLES // 10)
    memory_us = await cycles(memory, CYCLES)
    async with RedisReportStore.open(url, prefix=prefix()) as store:
        await cycles(store, CYCLES // 10)
        redis_us = await cycles(store, CYCLES)
    async with coredis.Redis.from_url(url) as client:
        start = time.perf_counter()
        for _ in range(CYCLES):
            await client.ping()
        ping_us = (time.perf_counter() - start) / CYCLES * 1e6
    return memory_us, redis_us, ping_us


async def handoff(owner: ReportStore, waiter: ReportStore, body: bytes, tag: str) -> float:
    """Seconds from the owner's publish to the parked waiter's wait returning."""
    report_hash = f"{HASH}{tag}"
    claim = await owner.claim(report_hash, "owner", ttl=60)
    followed = await waiter.claim(report_hash, "waiter", ttl=60)
    got: list[StoredOutcome | None] = []
    done_at = 0.0

    async def wait() -> None:
        nonlocal done_at
        got.append(await waiter.wait(report_hash, followed.generation))
        done_at = time.perf_counter()

    async with anyio.create_task_group() as tg:
        tg.start_soon(wait)
        await anyio.sleep(0.002)  # let the waiter park (it re-reads every `recheck` anyway)
        start = time.perf_counter()
        await owner.publish(report_hash, claim, StoredOutcome(status="ready", body=body))
    assert got[0] is not None
    assert got[0].body == body
    return done_at - start


async def measure_handoffs(url: str, body: bytes) -> tuple[list[float], list[float]]:
    """(b) and (c): wake-up times with a small body, transfer times with the large one."""
    keys = prefix()
    async with (
        RedisReportStore.open(url, prefix=keys, recheck=30) as owner,
        RedisReportStore.open(url, prefix=keys, recheck=30) as waiter,
    ):
        wakes = [await handoff(owner, waiter, b"[]", f"w{i}") for i in range(WAKES)]
        large = [await handoff(owner, waiter, body, f"l{i}") for i in range(10)]
    return wakes, large


class Capture(InMemoryReportStore):
    """An in-memory store that keeps the last published body."""

    body = b""

    async def publish(self, report_hash: str, claim: Claim, outcome: StoredOutcome) -> None:
        """Keep the body, then publish."""
        self.body = outcome.body or b""
        await super().publish(report_hash, claim, outcome)


def fast_sandbox(rows_per_day: int) -> Sandbox:
    """A sandbox whose reports take 2 sandbox seconds, 200 times faster than real time."""
    return Sandbox(
        seed=7, clock=ScaledClock(200.0), report_delay=2.0, cdr_rows_per_day=rows_per_day
    )


def client_of(sandbox: Sandbox, store: ReportStore) -> SimwoodClient:
    """A client of the in-process sandbox whose engine polls every 5 to 20 ms."""
    return SimwoodClient(
        sandbox.account,
        username=sandbox.username,
        password=sandbox.password,
        base_url=IN_PROCESS_BASE_URL,
        allow_insecure_http=True,
        transport=sandbox.transport(),
        env={},
        reports=ReportOptions(store=store, min_interval=0.005, max_interval=0.02),
    )


async def large_body() -> bytes:
    """The body of a 10,000-row voice CDR report, as the sandbox serves it."""
    sandbox = fast_sandbox(10_000)
    store = Capture()
    async with client_of(sandbox, store) as client:
        rows = await client.reports.voice_cdr_day(date=dt.date(2026, 1, 5))
    assert len(rows) == 10_000
    return store.body


async def twenty_reports(stores: tuple[ReportStore, ReportStore]) -> tuple[float, int]:
    """(d): two clients ask for the same 20 reports; seconds and downloads (ground truth)."""
    sandbox = fast_sandbox(50)
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(DAYS)]
    results: list[Any] = []
    start = time.perf_counter()
    async with client_of(sandbox, stores[0]) as one, client_of(sandbox, stores[1]) as two:

        async def fetch(client: SimwoodClient, day: dt.date) -> None:
            results.append(await client.reports.voice_cdr_day(date=day))

        async with anyio.create_task_group() as tg:
            for day in days:
                tg.start_soon(fetch, one, day)
                tg.start_soon(fetch, two, day)
    seconds = time.perf_counter() - start
    assert len(results) == 2 * DAYS
    return seconds, sum(sandbox.reports.downloads.values())


async def measure_end_to_end(url: str) -> dict[str, tuple[float, int]]:
    """(d) with one shared in-memory store, then with two Redis stores."""
    shared = InMemoryReportStore()
    memory = await twenty_reports((shared, shared))
    keys = prefix()
    async with (
        RedisReportStore.open(url, prefix=keys) as first,
        RedisReportStore.open(url, prefix=keys) as second,
    ):
        redis = await twenty_reports((first, second))
    return {"memory": memory, "redis": redis}


async def measure_fleet(url: str | None, log: Path) -> dict[str, Any]:
    """(e): the 8-process fleet, with the Redis store (`url`) or without it (None)."""
    fleet = await run_fleet(redis_url=url, prefix=prefix(), log=log)
    return fleet.summary()


def main() -> None:
    """Start Redis, measure, print the table and the JSON line."""
    if shutil.which("redis-server") is None:
        print("redis-server is not on PATH (apt-get install redis-server)")
        print(json.dumps({"skipped": "no redis-server"}))
        sys.exit(0)
    with tempfile.TemporaryDirectory() as directory:
        server, url = start_redis(directory)
        try:
            cycle = {b: anyio.run(measure_cycles, url, backend=b) for b in ("asyncio", "trio")}
            body = anyio.run(large_body)
            wakes, large = anyio.run(measure_handoffs, url, body)
            e2e = anyio.run(measure_end_to_end, url)
            log = Path(directory) / "fleet.log"
            fleet = {
                "with_redis": anyio.run(measure_fleet, url, log),
                "without_redis": anyio.run(measure_fleet, None, log),
            }
        finally:
            server.terminate()
            server.wait()

    print(f"(a) claim + publish + read back (3 round trips), {CYCLES} cycles, wall µs per cycle")
    print(f"{'backend':<8} {'in-memory':>10} {'redis':>10} {'ratio':>8} {'1 PING':>8}")
    for backend, (memory_us, redis_us, ping_us) in cycle.items():
        print(
            f"{backend:<8} {memory_us:>10.1f} {redis_us:>10.1f} "
            f"{redis_us / memory_us:>8.0f} {ping_us:>8.1f}"
        )
    wake_ms = statistics.median(wakes) * 1000
    wake_p95 = statistics.quantiles(wakes, n=20)[-1] * 1000
    print(f"(b) wake-up of a waiter in another store: median {wake_ms:.2f} ms, "
          f"p95 {wake_p95:.2f} ms ({WAKES} hand-offs)")  # fmt: skip
    mb = len(body) / 1e6
    large_ms = statistics.median(large) * 1000
    print(f"(c) 10,000-row CDR report body, {mb:.2f} MB: publish to other store's wait "
          f"{large_ms:.1f} ms median = {mb / (large_ms / 1000):.0f} MB/s")  # fmt: skip
    print(f"(d) two clients, the same {DAYS} reports at once (sandbox at 200x, 2 s reports)")
    print(f"{'store':<28} {'seconds':>8} {'downloads':>10}")
    labels = {"memory": "one shared in-memory", "redis": "two redis stores, one Redis"}
    for name, (seconds, downloads) in e2e.items():
        print(f"{labels[name]:<28} {seconds:>8.3f} {downloads:>10}")
    print("(e) 8 processes x 50 callers, the same 20 reports (loopback sandbox, 1-2 s reports)")
    print(f"{'':<14} {'POSTs':>6} {'downloads':>10} {'failed callers':>15} {'wall s':>8}")
    for name, figures in fleet.items():
        print(
            f"{name:<14} {figures['posts']:>6} {figures['downloads']:>10} "
            f"{figures['failed_callers']:>15} {figures['wall_s']:>8.2f}"
        )
    with_, without = fleet["with_redis"], fleet["without_redis"]
    print(
        f"{'ratio':<14} {without['posts'] / with_['posts']:>6.1f} "
        f"{without['downloads'] / with_['downloads']:>10.1f} {'':>15} "
        f"{without['wall_s'] / with_['wall_s']:>8.2f}  (without / with)"
    )
    memory_us, redis_us, ping_us = cycle["asyncio"]
    print(
        json.dumps(
            {
                **fleet,
                "cycle_us_memory": round(memory_us, 1),
                "cycle_us_redis": round(redis_us, 1),
                "cycle_ratio": round(redis_us / memory_us, 1),
                "ping_us": round(ping_us, 1),
                "wake_ms_median": round(wake_ms, 2),
                "wake_ms_p95": round(wake_p95, 2),
                "large_body_mb": round(mb, 2),
                "large_body_ms": round(large_ms, 1),
                "e2e_seconds_memory": round(e2e["memory"][0], 3),
                "e2e_seconds_redis": round(e2e["redis"][0], 3),
                "e2e_downloads_memory": e2e["memory"][1],
                "e2e_downloads_redis": e2e["redis"][1],
            }
        )
    )


if __name__ == "__main__":
    main()
