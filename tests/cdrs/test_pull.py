"""The concurrent puller against a fake endpoint: completeness, order, dedupe, retries."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import anyio
import httpx
import pytest
from tests.cdrs.conftest import DAY_SIZES, FIRST_DAY, now
from tests.cdrs.fakeapi import when

from simwood_async import DecodeError, ServerError
from simwood_async.cdrs import CdrFilter, VoiceCdr

GMT = dt.timezone.utc
LAST_DAY = FIRST_DAY + dt.timedelta(days=9)
TOTAL = sum(DAY_SIZES.values())


async def pull_all(client, **options) -> list[VoiceCdr]:
    """Every row of the ten fake days."""
    async with client.cdrs.pull(FIRST_DAY, LAST_DAY, now=now, **options) as cdrs:
        return [cdr async for cdr in cdrs]


@pytest.mark.parametrize(
    ("concurrency", "page_size"),
    [
        pytest.param(1, 100, id="c1-p100"),
        pytest.param(4, 100, id="c4-p100"),
        pytest.param(16, 100, id="c16-p100"),
        pytest.param(8, 1000, id="c8-p1000"),
        pytest.param(3, 37, id="c3-p37"),
    ],
)
async def test_ordered_pull_returns_every_row_once_in_time_order(
    client, fake, concurrency, page_size
):
    """An ordered pull yields each row exactly once, oldest first across all days."""
    rows = await pull_all(client, concurrency=concurrency, page_size=page_size)
    assert sorted(r.reference for r in rows) == sorted(r["reference"] for r in fake.rows)
    assert all(a.date <= b.date for a, b in itertools.pairwise(rows))
    assert all(isinstance(r, VoiceCdr) for r in rows)


async def test_unordered_pull_returns_the_same_rows(client, fake):
    """`ordered=False` yields the same set of rows, each once."""
    rows = await pull_all(client, ordered=False, concurrency=8, page_size=100)
    assert len(rows) == TOTAL
    assert {r.reference for r in rows} == {r["reference"] for r in fake.rows}


async def test_small_days_cost_one_request_each(client, fake):
    """Days shorter than a page are fetched with exactly one request each."""
    await pull_all(client, page_size=5000, concurrency=8)
    assert len(fake.requests) == len(DAY_SIZES)
    assert {q["date_start"][:10] for q in fake.requests} == {d.isoformat() for d in DAY_SIZES}


async def test_speculation_wastes_few_requests(client, fake):
    """Speculative pages cost at most a few requests beyond the minimum."""
    await pull_all(client, page_size=100, concurrency=8)
    minimum = sum(n // 100 + 1 for n in DAY_SIZES.values())  # up to the first short page
    assert minimum <= len(fake.requests) <= minimum + 4


async def test_repeated_rows_are_dropped(client, fake):
    """Rows repeated across pages (offsets shifted by new calls) are yielded once."""

    def overlapping(query):
        """Start every page after the first one row early."""
        # Every page after the first starts one row early, as when a call arrives on top.
        start = int(query.get("start", 0))
        if start:
            query["start"] = str(start - 1)
            return fake.handler_answer(query)
        return None

    fake.before_answer = overlapping
    rows = await pull_all(client, page_size=100, concurrency=4)
    assert len(rows) == TOTAL
    assert len({r.reference for r in rows}) == TOTAL


async def test_calls_arriving_during_the_pull_shift_nothing(client, fake):
    """New calls (dated after the pull's planned end) neither appear nor make rows vanish."""
    clock = {"now": dt.datetime(2026, 11, 10, 12, 0, tzinfo=GMT)}
    for i in range(300):  # today's calls so far
        fake.add(f"early-{i}", clock["now"] - dt.timedelta(seconds=100 * i + 1))

    def arrivals(query):
        """Three calls arrive with every request."""
        # Three calls arrive with every request, at the live edge.
        for _ in range(3):
            clock["now"] += dt.timedelta(seconds=1)
            fake.add(f"live-{clock['now']:%H%M%S}", clock["now"])

    fake.before_answer = arrivals
    started = clock["now"]
    async with client.cdrs.pull(
        FIRST_DAY, None, now=lambda: started, page_size=50, concurrency=8
    ) as cdrs:
        rows = [cdr async for cdr in cdrs]
    expected = {
        r["reference"] for r in fake.rows if when(r) < started.strftime("%Y-%m-%d %H:%M:%S")
    }
    assert cdrs.until == started
    assert {r.reference for r in rows} == expected
    assert len(rows) == len(expected)
    assert not any(r.reference.startswith("live-") for r in rows)


async def test_garbled_and_cut_off_pages_are_fetched_again(client, fake):
    """A 200 page whose body is cut off or not JSON is requested again, and nothing is lost."""
    broken: dict[tuple[str, str], int] = {}

    def garble(query):
        """Cut off or garble the first answer to some pages."""
        key = (query["date_start"], query["start"])
        broken[key] = broken.get(key, 0) + 1
        if broken[key] == 1 and int(query["start"]) % 200 == 0:
            good = fake.handler_answer(query)
            return httpx.Response(200, content=good.content[: len(good.content) // 2])
        if broken[key] == 1 and int(query["start"]) % 300 == 100:
            return httpx.Response(200, text="<html>busy</html>")
        return None

    fake.before_answer = garble
    rows = await pull_all(client, page_size=100, concurrency=8)
    assert len(rows) == TOTAL
    assert len({r.reference for r in rows}) == TOTAL


async def test_a_page_that_keeps_failing_raises_the_plain_error(client, fake):
    """A page that fails every attempt ends the pull with that error, not a group."""

    def fail_day_five(query):
        """Answer every page of day five with a 503."""
        if query["date_start"].startswith("2026-11-05"):
            return httpx.Response(503, json={"success": False, "errors": ["busy"]})
        return None

    fake.before_answer = fail_day_five
    with pytest.raises(ServerError, match="503"):
        await pull_all(client, page_size=100)


async def test_persistently_garbled_page_raises_decode_error(client, fake):
    """A page that never decodes raises DecodeError after its page-level retries."""
    fake.before_answer = lambda _: httpx.Response(200, text="[{")
    with pytest.raises(DecodeError, match="unexpected CDR page"):
        await pull_all(client, page_size=100)
    assert len(fake.requests) >= 3


async def test_leaving_early_cancels_the_fetching(client, fake):
    """Breaking out of the loop ends the pull cleanly, with bounded extra requests."""
    async with client.cdrs.pull(FIRST_DAY, LAST_DAY, now=now, page_size=100, concurrency=4) as cdrs:
        async for _ in cdrs:
            break
    sent = len(fake.requests)
    await anyio.wait_all_tasks_blocked()
    assert len(fake.requests) == sent
    assert sent < 40


async def test_a_stalled_consumer_stalls_the_fetching(client, fake):
    """Without a consumer, the puller fetches only a bounded number of pages ahead."""
    async with client.cdrs.pull(FIRST_DAY, LAST_DAY, now=now, page_size=50, concurrency=4) as cdrs:
        first = await cdrs.__anext__()
        await anyio.wait_all_tasks_blocked()
        stalled = len(fake.requests)
        await anyio.wait_all_tasks_blocked()
        assert len(fake.requests) == stalled
        # Pages start 48 rows apart (neighbours share 2 rows): 117 pages in all.
        pages = sum(n // 48 + 1 for n in DAY_SIZES.values())
        assert stalled < 0.6 * pages
        rest = [cdr async for cdr in cdrs]
    assert len(rest) + 1 == TOTAL
    assert first.reference not in {r.reference for r in rest}


async def test_filter_is_sent_in_a_json_body(client, fake):
    """A filter turns each page request into a JSON POST carrying `filter`."""
    fake.rows[5]["to"] = "447700900999"
    async with client.cdrs.pull(
        FIRST_DAY, LAST_DAY, now=now, filter=CdrFilter(to="447700900999", to_iso="GB")
    ) as cdrs:
        rows = [cdr async for cdr in cdrs]
    assert [r.reference for r in rows] == [fake.rows[5]["reference"]]
    assert all(q["filter"] == {"to": "447700900999", "toISO": "GB"} for q in fake.requests)


async def test_progress_reports_rows_pages_and_windows(client, fake):
    """The progress callback sees rows, pages and windows grow to the totals."""
    seen = []
    await pull_all(client, page_size=100, on_progress=seen.append)
    assert [p.rows for p in seen] == sorted(p.rows for p in seen)
    last = seen[-1]
    assert (last.rows, last.windows_done, last.windows_total) == (TOTAL, 10, 10)
    assert last.pages == len(fake.requests)
    assert last.rows_per_second >= 0


async def test_page_call_reads_one_page(client, fake):
    """`page()` is one request: by day or by time range, with limit and offset."""
    rows = await client.cdrs.page(
        date_start=dt.datetime(2026, 11, 5, tzinfo=GMT),
        date_end=dt.datetime(2026, 11, 5, 23, 59, 59, tzinfo=GMT),
        limit=10,
        offset=20,
    )
    assert len(rows) == 10
    assert fake.requests == [
        {
            "limit": "10",
            "start": "20",
            "date_start": "2026-11-05 00:00:00",
            "date_end": "2026-11-05 23:59:59",
        }
    ]
    assert json.dumps(sorted(fake.requests[0])) == json.dumps(
        ["date_end", "date_start", "limit", "start"]
    )
