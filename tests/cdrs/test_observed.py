"""CDR pages in the shape a real account sends (OBSERVED.md, built here, not by the sandbox).

The rows copy the observed row literally (its keys, order and printed values); only the
dates move to days the 90-day rule allows, and ids differ per row. Some rows carry a key no
model knows, some use the `cdr` push event's spellings, one has no id at all: every path
(`page`, the typed `pull`, `pull_to_file` as JSON Lines and CSV, and a resumed pull) must
deliver every row exactly once, keep every key, and give the right times.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from simwood_async import ServerError
from simwood_async.cdrs import CSV_COLUMNS, VoiceCdr, row_identity
from simwood_async.cdrs._checkpoint import checkpoint_path

GMT = dt.timezone.utc
NOW = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=GMT)
DAYS = [dt.date(2026, 11, 10) + dt.timedelta(days=d) for d in range(4)]

#: The observed row, as OBSERVED.md prints it (a `print_r` of a real answer).
OBSERVED_ROW: dict[str, Any] = {
    "_id": "8c2b3b6a1f0e4d5c9b8a7f6e5d4c3b2a1f0e9d8c",
    "time": "13:27:19",
    "date": "2015-12-10",
    "account": "930000",
    "fromdesc": "NTS",
    "from": "01234567890",
    "to": "441234567890",
    "toid": "1234",
    "toISO": "GB",
    "todesc": "NTS to VoIP",
    "calldate": "2015-12-10 13:27:00",
    "secs_call": "60",
    "secs_peak": "0",
    "secs_offpeak": "60",
    "secs_weekend": "0",
    "secs_billed": "60",
    "rate_peak": "0.00000",
    "rate_offpeak": "0.00000",
    "rate_weekend": "0.00000",
    "rate_connection": "0.0000",
    "chg_total": "0",
    "currency": "GBP",
    "trunk": "930000-L001",
    "tag": "",
    "reference": "8c2b3b6a1f0e4d5c9b8a7f6e5d4c3b2a1f0e9d8c",
}


def observed(n: int, moment: dt.datetime, **changes: Any) -> dict[str, Any]:
    """Row `n`: the observed row at `moment`, with its own id."""
    ref = hashlib.sha1(f"row-{n}".encode()).hexdigest()  # noqa: S324 - an id
    row = {
        **OBSERVED_ROW,
        "_id": ref,
        "reference": ref,
        "date": f"{moment:%Y-%m-%d}",
        "time": f"{moment:%H:%M:%S}",
        "calldate": f"{moment:%Y-%m-%d %H:%M:00}",
        "secs_call": str(n % 300),
        "chg_total": str(Decimal(n % 50) / 1000),
    }
    row.update(changes)
    return row


def push_spelling(n: int, moment: dt.datetime) -> dict[str, Any]:
    """A row spelled as the documented `cdr` push event is (`cdr_id`, `dest_id`, `iso`)."""
    return {
        "call_id": f"call-{n}@sip",
        "cdr_id": f"cdr-{n}",
        "calldate": f"{moment:%Y-%m-%d %H:%M:%S}",
        "direction": "out",
        "nts_source": None,
        "trunk": "930000-L002",
        "tag": "sales",
        "from": "441632960001",
        "to": "447700900123",
        "dest_id": 2303,
        "todesc": "UK - Mobile",
        "iso": "GB",
        "secs_call": 61,
        "secs_billed": 61,
        "chg_total": 0.0122,
        "currency": "GBP",
    }


def build_rows() -> list[dict[str, Any]]:
    """About 650 rows over four days; the odd ones out sit on page boundaries and inside."""
    rows = []
    for d, day in enumerate(DAYS):
        base = dt.datetime(day.year, day.month, day.day, tzinfo=GMT)
        for i in range(160 + 7 * d):
            n = d * 1000 + i
            moment = base + dt.timedelta(seconds=(i * 86400) // (160 + 7 * d) + 17)
            if i % 53 == 5:
                rows.append(push_spelling(n, moment))
            elif i % 41 == 3:
                rows.append(observed(n, moment, billing_note=f"note {n}", nts_source="0800"))
            else:
                rows.append(observed(n, moment))
    # No id at all: identified by the hash of its canonical JSON.
    anonymous = observed(99, dt.datetime(2026, 11, 11, 9, 0, 0, tzinfo=GMT))
    del anonymous["_id"], anonymous["reference"]
    rows.append(anonymous)
    return rows


def start_of(row: dict[str, Any]) -> str:
    """When a wire row's call started, `YYYY-MM-DD hh:mm:ss`."""
    if "time" in row:
        return f"{row['date']} {row['time']}"
    return str(row["calldate"])


class ObservedApi:
    """Serves the rows as the real API pages them: newest first, in the observed envelope."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = sorted(rows, key=start_of, reverse=True)
        self.fail_from: str | None = None  # fail pages of windows starting at/after this

    def handler(self, request: httpx.Request) -> httpx.Response:
        """The respx side effect: `date_start`..`date_end` (inclusive), `start`, `limit`."""
        query = dict(request.url.params)
        if request.method == "POST":
            query = json.loads(request.content)
        lo, hi = query.get("date_start", ""), query.get("date_end", "9999")
        day = request.url.path.rsplit("/", 1)[-1]
        if day != "cdr":  # `/cdr/{date}`: that GMT day
            lo, hi = f"{day} 00:00:00", f"{day} 23:59:59"
        if self.fail_from is not None and lo >= self.fail_from:
            return httpx.Response(503, json={"success": False, "errors": ["down"]})
        selected = [r for r in self.rows if lo <= start_of(r) <= hi]
        start, limit = int(query.get("start", 0)), int(query.get("limit", 500))
        data = selected[start : start + limit]
        return httpx.Response(200, json={"success": 1, "count": len(data), "data": data})


@pytest.fixture
def api(router: Any) -> ObservedApi:
    """The observed-shape endpoint behind the shared respx router."""
    served = ObservedApi(build_rows())
    router.route(path__regex=r"voice/930000/cdr(/[0-9-]+)?$").mock(side_effect=served.handler)
    return served


def now() -> dt.datetime:
    """The time the tests pull at."""
    return NOW


def check_typed(rows: list[VoiceCdr], wire: list[dict[str, Any]]) -> None:
    """Typed rows match the wire rows one for one: ids, times, money, kept keys."""
    by_id = {row_identity(w): w for w in wire}
    assert len(by_id) == len(wire)
    seen = set()
    for row in rows:
        w = by_id.get(row.reference)
        if w is None:  # the anonymous row: find it by its time
            (w,) = [x for x in wire if "reference" not in x and "cdr_id" not in x]
        seen.add(row_identity(w))
        assert row.date == dt.datetime.fromisoformat(start_of(w)).replace(tzinfo=GMT)
        assert row.calldate == dt.datetime.fromisoformat(str(w["calldate"])).replace(tzinfo=GMT)
        assert row.chg_total == Decimal(str(w["chg_total"]))
        assert row.destid == str(w.get("toid", w.get("dest_id")))
        assert row.to_iso == w.get("toISO", w.get("iso"))
        known = set(CSV_COLUMNS) | {"call_id", "cdr_id", "direction", "dest_id", "iso"}
        assert dict(row.extra) == {k: v for k, v in w.items() if k not in known}
        if "rate_peak" in w:
            assert row.rate_peak == Decimal("0.00000")
            assert row.secs_call == int(w["secs_call"])
    assert len(seen) == len(rows) == len(wire)


async def test_page_decodes_the_observed_row_exactly(client, api):
    """`cdrs.page` decodes the observed row: aware GMT start from date + time, Decimal rates."""
    rows = await client.cdrs.page(DAYS[0], limit=5000)
    wire = [r for r in api.rows if start_of(r).startswith(str(DAYS[0]))]
    check_typed(rows, wire)
    literal = next(r for r in rows if r.reference and len(r.reference) == 40)
    assert literal.tag == ""
    assert literal.date is not None
    assert literal.date.tzinfo is GMT
    assert literal.rate_connection == Decimal("0.0000")


async def test_typed_pull_delivers_every_observed_row_once(client, api):
    """The typed pull yields every row once, ids by the one identity rule, keys all kept."""
    async with client.cdrs.pull(DAYS[0], DAYS[-1], now=now, page_size=50) as pull:
        rows = [row async for row in pull]
    check_typed(rows, api.rows)


@pytest.mark.parametrize("concurrency", [1, 8], ids=["c1", "c8"])
async def test_jsonl_file_keeps_every_observed_row_as_sent(client, api, tmp_path, concurrency):
    """The JSON Lines file holds every row exactly once, as sent, oldest first."""
    out = tmp_path / "cdrs.jsonl"
    result = await client.cdrs.pull_to_file(
        out, DAYS[0], DAYS[-1], now=now, page_size=50, concurrency=concurrency
    )
    lines = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert result.rows == len(lines) == len(api.rows)
    assert sorted(map(row_identity, lines)) == sorted(map(row_identity, api.rows))
    assert {row_identity(r): r for r in lines} == {row_identity(r): r for r in api.rows}
    assert [start_of(r) for r in lines] == sorted(start_of(r) for r in lines)


async def test_csv_file_keeps_every_column_a_row_has(client, api, tmp_path):
    """The CSV header is the observed keys then every other key met; each cell is the value."""
    out = tmp_path / "cdrs.csv"
    await client.cdrs.pull_to_file(out, DAYS[0], DAYS[-1], now=now, page_size=50, format="csv")
    with out.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        cells = list(reader)
    assert header[: len(CSV_COLUMNS)] == list(CSV_COLUMNS)
    every_key = {k for row in api.rows for k in row}
    assert set(header) == every_key
    assert len(header) == len(set(header))
    assert all(len(line) == len(header) for line in cells)
    assert len(cells) == len(api.rows)
    got = [dict(zip(header, line, strict=True)) for line in cells]
    by_id = {row_identity(r): r for r in api.rows}
    for row in got:
        key = row["reference"] or row["cdr_id"]
        anonymous = [r for r in api.rows if "reference" not in r and "cdr_id" not in r]
        wire = by_id[key] if key else anonymous[0]
        for column, text in row.items():
            value = wire.get(column)
            assert text == ("" if value is None else str(value)), (column, wire)


@pytest.mark.parametrize("file_format", ["jsonl", "csv"])
async def test_resumed_pull_of_observed_rows_writes_each_row_once(
    client, api, tmp_path, file_format
):
    """A pull that fails on its third day resumes there: every row once, every key kept."""
    out = tmp_path / f"cdrs.{file_format}"
    api.fail_from = f"{DAYS[2]} 00:00:00"
    with pytest.raises(ServerError):
        await client.cdrs.pull_to_file(
            out, DAYS[0], DAYS[-1], now=now, page_size=50, format=file_format, concurrency=1
        )
    assert checkpoint_path(out).exists()
    api.fail_from = None
    result = await client.cdrs.pull_to_file(
        out, DAYS[0], DAYS[-1], now=now, page_size=50, format=file_format
    )
    assert result.windows_resumed == 2
    if file_format == "jsonl":
        rows = [json.loads(line) for line in out.read_bytes().splitlines()]
        assert sorted(map(row_identity, rows)) == sorted(map(row_identity, api.rows))
        assert {row_identity(r): r for r in rows} == {row_identity(r): r for r in api.rows}
    else:
        with out.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert set(rows[0]) == {k for row in api.rows for k in row}
        ids = sorted(r["reference"] or r["cdr_id"] for r in rows)
        assert ids == sorted(str(r.get("reference") or r.get("cdr_id") or "") for r in api.rows)
    assert not checkpoint_path(out).exists()


async def test_identity_rule_is_one_function():
    """`reference`, then `_id`, `cdr_id`, `call_id`, else a stable hash of the canonical JSON."""
    row = {"call_id": "c", "cdr_id": "d", "_id": "e", "reference": "f"}
    assert row_identity(row) == "f"
    assert row_identity({**row, "reference": ""}) == "e"
    assert row_identity({"call_id": "c", "cdr_id": "d"}) == "d"
    assert row_identity({"call_id": 17}) == "17"
    a = row_identity({"b": 1, "a": [1, "é"]})
    assert a == row_identity({"a": [1, "é"], "b": 1})
    assert a.startswith("#")
    assert a != row_identity({"a": [1, "é"], "b": 2})
    await anyio.lowlevel.checkpoint()
