"""The inline CDR endpoints: pagination, windows, the 90-day rule, filters and live traffic."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from typing import Any

import pytest

from simwood_async import BadRequestError
from simwood_async._converter import make_converter
from simwood_async.cdrs import CSV_COLUMNS, VoiceCdr
from tests.sandbox.conftest import START, make_sandbox

A = "930000"
DAY = dt.date(2026, 3, 10)


async def page(client: Any, path: str = f"voice/{A}/cdr", **params: Any) -> list[dict[str, Any]]:
    """GET one page of CDR rows as wire dicts."""
    response = await client._transport.request("GET", path, params=params, retry=False)
    body = response.json()
    assert list(body) == ["success", "count", "data"]
    assert body["success"] == 1
    assert body["count"] == len(body["data"])
    rows: list[dict[str, Any]] = body["data"]
    return rows


def start_of(row: dict[str, Any]) -> str:
    """A wire row's start, `YYYY-MM-DD hh:mm:ss`: its `date` and `time`."""
    return f"{row['date']} {row['time']}"


async def test_paging_a_day_returns_every_row_exactly_once(api, sandbox):
    """Offset pages over a past day cover its rows once each, newest first, decoding strictly."""
    refs: list[str] = []
    start = 0
    while True:
        rows = await page(api, f"voice/{A}/cdr/{DAY}", limit=37, start=start)
        api.converter.structure(rows, list[VoiceCdr])
        refs.extend(r["reference"] for r in rows)
        if len(rows) < 37:
            break
        start += 37
    truth = [r["reference"] for r in sandbox.voice_cdrs(DAY)]
    assert refs == truth
    assert len(set(refs)) == len(refs) == 300


async def test_rows_are_newest_first_within_the_day(local):
    """Rows come newest first and all belong to the requested GMT day."""
    rows = local.converter.structure(
        await page(local, f"voice/{A}/cdr/{DAY}", limit=300), list[VoiceCdr]
    )
    dates = [r.date for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert {d.date() for d in dates} == {DAY}


async def test_default_limit_is_500():
    """Without `limit`, a page holds 500 rows."""
    sandbox = make_sandbox(cdr_rows_per_day=1200)
    async with sandbox.client() as client:
        assert len(await page(client, f"voice/{A}/cdr/{DAY}")) == 500
        assert len(await page(client, f"voice/{A}/cdr/{DAY}", start=1000)) == 200


async def test_date_window_spans_days_inclusively(local, sandbox):
    """`date_start`..`date_end` (GMT, inclusive) may span days; rows come newest first."""
    rows = await page(
        local, date_start="2026-03-08 22:00:00", date_end="2026-03-10 01:30:00", limit=10000
    )
    # The wire format sorts as text.
    low, high = "2026-03-08 22:00:00", "2026-03-10 01:30:00"
    truth = [
        r["reference"]
        for day in (dt.date(2026, 3, 10), dt.date(2026, 3, 9), dt.date(2026, 3, 8))
        for r in sandbox.voice_cdrs(day)
        if low <= start_of(r) <= high
    ]
    assert [r["reference"] for r in rows] == truth
    assert len(truth) > 300


async def test_default_window_is_today_until_now(local, sandbox):
    """Without dates, the window is today from midnight GMT until now."""
    rows = await page(local, limit=10000)
    truth = [r["reference"] for r in sandbox.voice_cdrs(START.date())]
    assert [r["reference"] for r in rows] == truth
    # The sandbox started at noon: half a day of traffic, none of it in the future.
    assert 100 < len(rows) < 200
    assert all(start_of(r) <= "2026-03-15 12:00:00" for r in rows)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"voice/{A}/cdr", {"date_start": "2025-12-01 00:00:00"}),
        (f"voice/{A}/cdr", {"date_start": "2026-03-14T10:00:00"}),
        (
            f"voice/{A}/cdr",
            {"date_start": "2026-03-14 10:00:00", "date_end": "2026-03-13 10:00:00"},
        ),
        (f"voice/{A}/cdr/2025-12-01", {}),
        (f"voice/{A}/cdr/2026-03-16", {}),
        (f"voice/{A}/cdr/20260310", {}),
        (f"voice/{A}/cdr/{DAY}", {"limit": "0"}),
        (f"voice/{A}/cdr/{DAY}", {"start": "-1"}),
    ],
    ids=[
        "too-old",
        "iso-format",
        "reversed",
        "day-too-old",
        "future",
        "day-format",
        "limit",
        "start",
    ],
)
async def test_invalid_windows_and_paging_are_400(local, path, params):
    """Dates outside the last 90 days, bad formats and bad paging give 400."""
    with pytest.raises(BadRequestError):
        await page(local, path, **params)


async def test_ninety_days_back_is_allowed(local):
    """A day exactly 90 days back is still served."""
    oldest = START.date() - dt.timedelta(days=90)
    assert len(await page(local, f"voice/{A}/cdr/{oldest}", limit=5)) == 5


async def test_filter_in_a_json_post_body(local, sandbox):
    """A JSON POST `filter` keeps only matching rows; pagination applies to the filtered rows."""
    wanted = {"trunk": "930000-L002", "toISO": "GB"}
    body = {"date_start": f"{DAY} 00:00:00", "date_end": f"{DAY} 23:59:59", "filter": wanted}
    response = await local._transport.request(
        "POST", f"voice/{A}/cdr", json={**body, "limit": 5, "start": 2}, retry=False
    )
    truth = [
        r["reference"]
        for r in sandbox.voice_cdrs(DAY)
        if r["trunk"] == "930000-L002" and r["toISO"] == "GB"
    ]
    assert [r["reference"] for r in response.json()["data"]] == truth[2:7]


async def test_filter_outside_a_json_body_is_ignored(local):
    """As documented, `filter` in a query string does nothing."""
    rows = await page(local, f"voice/{A}/cdr/{DAY}", limit=300, filter='{"trunk":"x"}')
    assert len(rows) == 300


async def test_unknown_filter_key_is_400(local):
    """Only from, to, toISO, trunk and tag can be filtered on."""
    with pytest.raises(BadRequestError):
        await local._transport.request(
            "POST", f"voice/{A}/cdr/{DAY}", json={"filter": {"destid": "1"}}, retry=False
        )


async def test_live_calls_shift_offsets_so_pages_repeat_rows():
    """New calls during a pull push rows down: the next page repeats some (dedupe by reference)."""
    sandbox = make_sandbox(live_calls_per_minute=30.0)
    async with sandbox.client() as client:
        first = await page(client, limit=50)
        await sandbox.advance(120)
        second = await page(client, limit=50, start=50)
    seen = {r["reference"] for r in first}
    repeated = [r for r in second if r["reference"] in seen]
    assert repeated
    assert len({r["reference"] for r in first + second}) < 100


async def test_same_seed_same_rows_other_seed_other_rows():
    """Data is a pure function of the seed."""
    days = [list(make_sandbox(seed=s).voice_cdrs(DAY)) for s in (5, 5, 6)]
    assert days[0] == days[1]
    assert days[0] != days[2]


async def test_generated_rows_have_the_real_rows_keys_and_types(sandbox):
    """Every row kind, base and live, has a real account's keys in order, typed as it types them."""
    source = sandbox._core.cdrs
    strict = make_converter(strict=True)
    ordinal = DAY.toordinal()
    seen: dict[str, set[Any]] = {k: set() for k in ("trunk", "tag", "toISO", "fromdesc")}
    inbound = 0
    for live in (False, True):
        for i in range(0, 4 * 1024, 3) if live else range(300):
            encoded = source.voice_json(live, ordinal, i)
            wire = source.voice_wire(live, ordinal, i)
            assert list(wire) == list(CSV_COLUMNS)
            assert wire["_id"] == wire["reference"]
            assert len(wire["reference"]) == 40
            assert all(isinstance(wire[k], int) for k in CSV_COLUMNS if k.startswith("secs_"))
            assert all(isinstance(wire[k], str) for k in CSV_COLUMNS if k.startswith("rate_"))
            assert isinstance(wire["toid"], int)
            assert isinstance(wire["chg_total"], (int, float))
            assert json.dumps(wire, separators=(",", ":")).encode() == encoded
            row = strict.structure(wire, VoiceCdr)
            assert row.extra == {}
            assert row.date == dt.datetime.fromisoformat(start_of(wire)).replace(tzinfo=dt.UTC)
            assert row.calldate == row.date.replace(second=0)
            inbound += wire["todesc"].endswith(" to VoIP")
            for key, values in seen.items():
                values.add(wire[key])
    assert {key: len(values) >= 3 for key, values in seen.items()} == dict.fromkeys(seen, True)
    assert 0 < inbound < 300 + 4 * 1024 // 3


async def test_references_are_unique_across_days_and_live_calls():
    """A reference is a bijection of (stream, row): no two rows of any day share one."""
    sandbox = make_sandbox(cdr_rows_per_day=5000, live_calls_per_minute=60.0)
    await sandbox.advance(3 * 3600)
    refs = [
        r["reference"]
        for day in (START.date() - dt.timedelta(days=n) for n in range(4))
        for r in sandbox.voice_cdrs(day)
    ]
    assert len(refs) > 3 * 5000 + 3 * 60 * 59
    assert len(set(refs)) == len(refs)


@pytest.mark.parametrize("rows_per_day", [1, 1023, 1024, 2500], ids=["1", "1023", "1024", "2500"])
async def test_rows_of_a_day_are_newest_first_inside_the_day(rows_per_day):
    """Across block boundaries, a day's rows all fall inside it and come newest first."""
    sandbox = make_sandbox(cdr_rows_per_day=rows_per_day)
    rows = list(sandbox.voice_cdrs(DAY))
    dates = [start_of(r) for r in rows]
    assert len(rows) == rows_per_day
    assert dates == sorted(dates, reverse=True)
    assert all(d.startswith(str(DAY)) for d in dates)


async def test_pages_are_the_same_with_or_without_the_row_cache():
    """The cache stays within its byte budget; evicted rows come back byte for byte."""
    budget = 600_000
    cached = make_sandbox(cdr_rows_per_day=4000, cdr_cache_bytes=budget)
    uncached = make_sandbox(cdr_rows_per_day=4000, cdr_cache_bytes=0)
    pages: dict[str, list[bytes]] = {"cached": [], "uncached": []}
    for name, box in (("cached", cached), ("uncached", uncached)):
        async with box.client() as client:
            for day in (DAY, DAY - dt.timedelta(days=1), DAY):
                for start in range(0, 4000, 500):
                    response = await client._transport.request(
                        "GET", f"voice/{A}/cdr/{day}", params={"start": start}, retry=False
                    )
                    pages[name].append(response.content)
                    assert box._core.cdrs.cached_bytes <= budget
    assert pages["cached"] == pages["uncached"]
    assert cached._core.cdrs.cached_bytes > 0
    assert uncached._core.cdrs.cached_bytes == 0


@pytest.mark.parametrize(
    "wanted",
    [{"tag": ""}, {"tag": "sales", "trunk": "930000-L001"}, {"toISO": "FR"}, {"to": "x/y"}],
    ids=["empty-tag", "tag-and-trunk", "country", "no-match"],
)
async def test_filters_match_exact_field_values(local, sandbox, wanted):
    """A filter keeps exactly the rows whose fields equal every wanted value, "" included."""
    response = await local._transport.request(
        "POST", f"voice/{A}/cdr/{DAY}", json={"filter": wanted, "limit": 1000}, retry=False
    )
    truth = [
        r["reference"]
        for r in sandbox.voice_cdrs(DAY)
        if all(r[key] == value for key, value in wanted.items())
    ]
    assert [r["reference"] for r in response.json()["data"]] == truth
    assert truth or wanted == {"to": "x/y"}


async def test_a_million_row_day_is_paged_without_materialising_it():
    """Deep pages of a 1,000,000-row day are generated on demand in little memory."""
    sandbox = make_sandbox(cdr_rows_per_day=1_000_000)
    async with sandbox.client() as client:
        tracemalloc.start()
        try:
            rows = await page(client, f"voice/{A}/cdr/{DAY}", limit=500, start=999_800)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(rows) == 200
    assert start_of(rows[-1]).startswith(f"{DAY} 00:00")
    assert peak < 30 * 1024 * 1024
