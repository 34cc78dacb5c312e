"""A small in-memory stand-in for `/v3/voice/{A}/cdr`, served through a respx router.

Rows and pages have the shape a real account sends (the project's OBSERVED.md, Voice CDR
rows): `{"success": 1, "count": N, "data": [...]}` with rows keyed `_id, time, date,
account, fromdesc, from, to, toid, toISO, todesc, calldate, secs_*, rate_*, chg_total,
currency, trunk, tag, reference`, values typed as that page prints them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from bisect import bisect_left, bisect_right
from typing import Any

import httpx

GMT = dt.timezone.utc
WIRE = "%Y-%m-%d %H:%M:%S"


def ref40(label: str) -> str:
    """A 40-hex-digit reference, as the API's are, derived from a readable label."""
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - an id, not security


def make_row(reference: str, when: dt.datetime) -> dict[str, Any]:
    """One wire row of a voice CDR, keyed and typed as OBSERVED.md shows a real one."""
    return {
        "_id": reference,
        "time": when.strftime("%H:%M:%S"),
        "date": when.strftime("%Y-%m-%d"),
        "account": "930000",
        "fromdesc": "NTS",
        "from": "01234567890",
        "to": "441234567890",
        "toid": "1234",
        "toISO": "GB",
        "todesc": "NTS to VoIP",
        "calldate": when.strftime("%Y-%m-%d %H:%M:00"),
        "secs_call": "60",
        "secs_peak": "60",
        "secs_offpeak": "0",
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
        "reference": reference,
    }


def when(row: dict[str, Any]) -> str:
    """A row's start, `YYYY-MM-DD hh:mm:ss` (GMT): its `date` and `time`."""
    return f"{row['date']} {row['time']}"


class FakeCdrApi:
    """Rows in memory; answers pages newest first, honouring date_start/date_end/limit/start."""

    def __init__(self, rows_per_day: dict[dt.date, int], *, seed: int = 0) -> None:
        rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.rows: list[dict[str, Any]] = []
        for day, count in sorted(rows_per_day.items()):
            base = dt.datetime(day.year, day.month, day.day, tzinfo=GMT)
            for i in range(count):
                moment = base + dt.timedelta(seconds=rng.randrange(86400))
                self.rows.append(make_row(ref40(f"{day:%Y%m%d}-{i:06d}"), moment))
        self.requests: list[dict[str, Any]] = []
        self.before_answer: Any = None  # called with the query; may return a Response
        self._sorted: list[dict[str, Any]] | None = None
        self._dates: list[str] = []

    def add(self, reference: str, moment: dt.datetime) -> None:
        """A new call arrives."""
        row = make_row(reference, moment)
        self.rows.append(row)
        if self._sorted is not None:
            at = bisect_right(self._dates, when(row))
            self._sorted.insert(at, row)
            self._dates.insert(at, when(row))

    def handler(self, request: httpx.Request) -> httpx.Response:
        """The respx side effect."""
        if request.method == "POST":
            query = json.loads(request.content)
        else:
            query = dict(request.url.params)
        self.requests.append(query)
        if self.before_answer is not None:
            response = self.before_answer(query)
            if response is not None:
                return response
        return self.handler_answer(query)

    def handler_answer(self, query: dict[str, Any]) -> httpx.Response:
        """The honest answer to a query."""
        lo = query.get("date_start") or ""
        hi = query.get("date_end") or "9999"
        if self._sorted is None:
            self._sorted = sorted(self.rows, key=lambda r: (when(r), r["reference"]))
            self._dates = [when(r) for r in self._sorted]
        # Newest first within [lo, hi] (bounds inclusive, to the second).
        selected = self._sorted[bisect_left(self._dates, lo) : bisect_right(self._dates, hi)]
        selected.reverse()
        wanted = query.get("filter") or {}
        if wanted:
            selected = [r for r in selected if all(r.get(k) == v for k, v in wanted.items())]
        start = int(query.get("start", 0))
        limit = int(query.get("limit", 500))
        data = selected[start : start + limit]
        return httpx.Response(200, json={"success": 1, "count": len(data), "data": data})
