"""Memory that does not grow with rows: bounded de-duplication state, spilled windows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from simwood_async import InvalidInputError
from simwood_async.sandbox import ManualClock, Sandbox

GMT = dt.timezone.utc
START = dt.datetime(2026, 11, 20, 15, 30, 0, tzinfo=GMT)
DAY = START.date() - dt.timedelta(days=1)
ROWS = 12_000
PAGE = 50


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "as-they-arrive"])
async def test_dedupe_state_is_a_few_pages_not_the_window(ordered):
    """Over a 240-page window the identities kept never exceed a few pages' worth."""
    sandbox = Sandbox(seed=2, clock=ManualClock(START), cdr_rows_per_day=ROWS)
    peak = 0
    holder: dict[str, Any] = {}

    def watch(_progress: Any) -> None:
        """Record the largest de-duplication state seen."""
        nonlocal peak
        peak = max(peak, holder["engine"].kept_identities())

    async with (
        sandbox.client() as client,
        client.cdrs.pull(
            DAY, DAY, now=sandbox.now, page_size=PAGE, ordered=ordered, on_progress=watch
        ) as pull,
    ):
        holder["engine"] = pull._engine
        refs = [row.reference async for row in pull]
    assert len(refs) == len(set(refs)) == ROWS
    assert 0 < peak <= 12 * PAGE  # the window has 240 pages of 50


async def test_a_window_beyond_the_memory_limit_is_spilled_and_read_back(tmp_path):
    """With no memory for page bodies, the window goes to disk: the file is the same."""
    sandbox = Sandbox(seed=2, clock=ManualClock(START), cdr_rows_per_day=ROWS)
    outs = {}
    async with sandbox.client() as client:
        for limit in (0, 64 * 1024 * 1024):
            out = outs[limit] = tmp_path / f"cdrs-{limit}.jsonl"
            await client.cdrs.pull_to_file(
                out, DAY, DAY, now=sandbox.now, page_size=PAGE, memory_limit=limit
            )
        async with client.cdrs.pull(
            DAY, DAY, now=sandbox.now, page_size=PAGE, memory_limit=0
        ) as pull:
            typed = [row.reference async for row in pull]
            spilled = pull._engine._spill.spilled
    assert outs[0].read_bytes() == outs[64 * 1024 * 1024].read_bytes()
    assert len(outs[0].read_bytes().splitlines()) == ROWS == len(set(typed))
    assert spilled > ROWS * 300


async def test_memory_limit_is_checked_before_any_request():
    """A negative memory limit is refused at once."""
    sandbox = Sandbox(seed=2, clock=ManualClock(START))
    async with sandbox.client() as client:
        with pytest.raises(InvalidInputError, match="memory_limit"):
            client.cdrs.pull(DAY, DAY, now=sandbox.now, memory_limit=-1)
    assert sandbox.stats.total == 0
