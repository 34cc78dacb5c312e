"""Bulk pulls against the sandbox: exactly its rows over 90 days, under faults and live traffic."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import anyio
import pytest

from simwood_async import RetryPolicy
from simwood_async.cdrs._checkpoint import checkpoint_path
from simwood_async.sandbox import ManualClock, Sandbox

GMT = dt.timezone.utc
START = dt.datetime(2026, 11, 20, 15, 30, 0, tzinfo=GMT)


def ground_truth(sandbox: Sandbox, first: dt.date, until: dt.datetime) -> list[str]:
    """References of every sandbox row from `first` up to `until` (exclusive)."""
    limit = until.strftime("%Y-%m-%d %H:%M:%S")
    refs = []
    day = first
    while day <= until.date():
        refs.extend(
            r["reference"] for r in sandbox.voice_cdrs(day) if f"{r['date']} {r['time']}" < limit
        )
        day += dt.timedelta(days=1)
    return refs


def checksum(refs) -> str:
    """An order-independent digest of a collection of references."""
    return hashlib.sha256("\n".join(sorted(refs)).encode()).hexdigest()


def oldest_day(sandbox: Sandbox) -> dt.date:
    """The oldest day the CDR endpoint serves (90 days before the sandbox's today)."""
    return sandbox.now().date() - dt.timedelta(days=90)


@pytest.fixture
def retry(fake_time):
    """Retries that wait on the fake clock, never really."""
    return RetryPolicy(attempts=6, jitter=lambda: 1.0, sleep=fake_time.sleep, clock=fake_time.clock)


FAULTS = [
    pytest.param([], id="clean"),
    pytest.param(
        [
            ("error", 0.08, {"status": 503}),
            ("rate_limit", 0.08, {"retry_after": 1}),
            ("truncate", 0.08, {"fraction": 0.4}),
            ("reset", 0.08, {}),
        ],
        id="5xx-429-truncated-reset",
    ),
]


@pytest.mark.parametrize("faults", FAULTS)
async def test_ninety_days_return_exactly_the_sandbox_rows(retry, faults):
    """A 90-day pull yields every sandbox row once (count and checksum), faults or not."""
    sandbox = Sandbox(seed=7, clock=ManualClock(START), cdr_rows_per_day=180)
    for kind, rate, params in faults:
        sandbox.faults.add(kind, rate, route="/v3/voice/*", **params)
    first = oldest_day(sandbox)
    async with (
        sandbox.client(retry=retry) as client,
        client.cdrs.pull(first, None, now=sandbox.now, concurrency=8) as cdrs,
    ):
        refs = [cdr.reference async for cdr in cdrs]
    truth = ground_truth(sandbox, first, cdrs.until)
    assert len(cdrs.windows) == 91
    assert len(refs) == len(set(refs)) == len(truth) > 90 * 150
    assert checksum(refs) == checksum(truth)
    for kind, _, _ in faults:
        assert sandbox.faults.fired[kind] > 0, kind


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "as-they-arrive"])
async def test_calls_arriving_during_the_pull_lose_nothing(retry, ordered):
    """With live calls arriving as the clock moves during the pull, no planned row is lost."""
    clock = ManualClock(START)
    sandbox = Sandbox(seed=3, clock=clock, cdr_rows_per_day=300, live_calls_per_minute=60)
    clock.advance(1800)  # half an hour of live traffic before the pull
    first = sandbox.now().date() - dt.timedelta(days=3)

    def traffic(_progress):
        """Move the clock after every page: live calls keep arriving."""
        clock.advance(60)  # 60 more calls on top of today's pages, after every page

    async with (
        sandbox.client(retry=retry) as client,
        client.cdrs.pull(
            first, None, now=sandbox.now, page_size=40, ordered=ordered, on_progress=traffic
        ) as cdrs,
    ):
        refs = [cdr.reference async for cdr in cdrs]
    assert sandbox.now() > cdrs.until + dt.timedelta(minutes=10)
    truth = ground_truth(sandbox, first, cdrs.until)
    base = set(ground_truth(sandbox, first, START))
    live_before = [r for r in truth if r not in base]
    assert live_before  # the live calls that arrived before the pull are in it
    assert len(refs) == len(set(refs)) == len(truth)
    assert checksum(refs) == checksum(truth)


async def test_interrupted_file_pull_resumes_with_no_duplicate(retry, tmp_path):
    """A file pull cancelled half way resumes from its checkpoint: all rows, each once."""
    sandbox = Sandbox(seed=11, clock=ManualClock(START), cdr_rows_per_day=300)
    first = sandbox.now().date() - dt.timedelta(days=20)
    end = sandbox.now().date() - dt.timedelta(days=1)
    out = tmp_path / "cdrs.jsonl"
    async with sandbox.client(retry=retry) as client:
        with anyio.CancelScope() as scope:

            def stop(progress):
                """Cancel the pull once eight days are finished."""
                if progress.windows_done >= 8:
                    scope.cancel()

            await client.cdrs.pull_to_file(out, first, end, now=sandbox.now, on_progress=stop)
        assert checkpoint_path(out).exists()
        sandbox.stats.reset()
        result = await client.cdrs.pull_to_file(out, first, end, now=sandbox.now)
    rows = [json.loads(line) for line in out.read_bytes().splitlines()]
    refs = [r["reference"] for r in rows]
    truth = ground_truth(sandbox, first, result.until)
    assert result.windows_resumed >= 8
    assert len(refs) == len(set(refs)) == len(truth)
    assert checksum(refs) == checksum(truth)
    starts = [f"{r['date']} {r['time']}" for r in rows]
    assert starts == sorted(starts)
