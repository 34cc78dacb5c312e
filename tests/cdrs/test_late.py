"""Late CDRs inserted during a pull at random page boundaries, with answers out of order.

Offset pagination over a window shifts when rows are inserted ahead of the cursor: pages
repeat rows, and a page answered before the one ahead of it can miss rows. The pull must
still deliver every row that existed when it started exactly once, and rows inserted while
it runs at most once, with de-duplication state that does not grow with the window.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import anyio
import httpx
import pytest

from simwood_async import RetryPolicy
from simwood_async.cdrs import row_identity
from simwood_async.sandbox import ManualClock, Sandbox

GMT = dt.timezone.utc
START = dt.datetime(2026, 11, 20, 15, 30, 0, tzinfo=GMT)
PAGE = 50
STEP = PAGE - 2  # neighbouring pages share 2 rows at this page size


def start_of(row: dict[str, Any]) -> str:
    """A wire row's start, `YYYY-MM-DD hh:mm:ss`."""
    return f"{row['date']} {row['time']}"


class LateInserter(httpx.AsyncBaseTransport):
    """The sandbox, answering in a shuffled order, with late CDRs inserted at page boundaries.

    Before some CDR page requests, a late CDR is inserted with the start time of the row
    at a random page boundary of the window asked for, so it lands exactly there; requests
    and answers are delayed by a random number of scheduler turns, so neighbouring pages are
    answered in either order.
    """

    def __init__(self, sandbox: Sandbox, seed: int, rate: float) -> None:
        self._inner = sandbox.transport()
        self._sandbox = sandbox
        self._rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self._rate = rate
        self.inserted: list[str] = []

    async def _shuffle(self) -> None:
        """Yield to other tasks a random number of times."""
        for _ in range(self._rng.randrange(8)):
            await anyio.lowlevel.checkpoint()

    def _insert(self, request: httpx.Request) -> None:
        """Insert a late CDR at a random page boundary of the requested window."""
        lo, hi = request.url.params["date_start"], request.url.params["date_end"]
        day = dt.date.fromisoformat(lo[:10])
        rows = [r for r in self._sandbox.voice_cdrs(day) if lo <= start_of(r) <= hi]
        if len(rows) <= STEP:
            return
        boundary = rows[STEP * self._rng.randrange(1, (len(rows) - 1) // STEP + 1)]
        moment = dt.datetime.fromisoformat(start_of(boundary)).replace(tzinfo=GMT)
        self.inserted.append(self._sandbox._core.cdrs.insert_late(int(moment.timestamp())))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Shuffle, maybe insert, forward, shuffle."""
        await self._shuffle()
        if "/cdr" in request.url.path and self._rng.random() < self._rate:
            self._insert(request)
        response = await self._inner.handle_async_request(request)
        await self._shuffle()
        return response


def truth(sandbox: Sandbox, days: list[dt.date]) -> list[str]:
    """Identities of every row of the days, as the sandbox has them now."""
    return [row_identity(r) for day in days for r in sandbox.voice_cdrs(day)]


def check(got: list[str], before: list[str], after: list[str], inserted: list[str]) -> None:
    """Every row from before the pull once; late ones at most once; nothing else."""
    assert len(got) == len(set(got))
    assert set(before) <= set(got)
    assert set(got) <= set(after)
    assert set(got) - set(before) <= set(inserted)
    assert set(after) - set(before) == set(inserted)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "as-they-arrive"])
async def test_typed_pull_with_late_cdrs_at_page_boundaries(seed, ordered):
    """The typed pull: no row lost or doubled while late CDRs shift the pages under it."""
    sandbox = Sandbox(seed=seed, clock=ManualClock(START), cdr_rows_per_day=600)
    days = [START.date() - dt.timedelta(days=d) for d in range(5, 0, -1)]
    before = truth(sandbox, days)
    inserter = LateInserter(sandbox, seed, rate=0.5)
    retry = RetryPolicy(attempts=3)
    async with (
        sandbox.client(transport=inserter, retry=retry) as client,
        client.cdrs.pull(
            days[0], days[-1], now=sandbox.now, page_size=PAGE, ordered=ordered
        ) as pull,
    ):
        got = [row.reference or "" async for row in pull]
    assert len(inserter.inserted) > 20
    check(got, before, truth(sandbox, days), inserter.inserted)


@pytest.mark.parametrize("seed", [4, 5])
async def test_file_pull_with_late_cdrs_at_page_boundaries(tmp_path, seed):
    """The pull to JSON Lines: every row once, as sent, while late CDRs shift the pages."""
    sandbox = Sandbox(seed=seed, clock=ManualClock(START), cdr_rows_per_day=600)
    days = [START.date() - dt.timedelta(days=d) for d in range(5, 0, -1)]
    before = truth(sandbox, days)
    inserter = LateInserter(sandbox, seed, rate=0.5)
    out = tmp_path / "cdrs.jsonl"
    async with sandbox.client(transport=inserter, retry=RetryPolicy(attempts=3)) as client:
        result = await client.cdrs.pull_to_file(
            out, days[0], days[-1], now=sandbox.now, page_size=PAGE
        )
    rows = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert result.rows == len(rows)
    after = {row_identity(r): r for day in days for r in sandbox.voice_cdrs(day)}
    check([row_identity(r) for r in rows], before, list(after), inserter.inserted)
    assert all(after[row_identity(r)] == r for r in rows)
