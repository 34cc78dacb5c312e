"""A small in-memory stand-in for `/v3/voice/{A}/cdr`, served through a respx router."""

from __future__ import annotations

import datetime as dt
import json
import random
from bisect import bisect_left, bisect_right
from typing import Any

import httpx

GMT = dt.timezone.utc
WIRE = "%Y-%m-%d %H:%M:%S"


def make_row(reference: str, when: dt.datetime) -> dict[str, Any]:
    """One wire row of a voice CDR."""
    return {
        "reference": reference,
        "date": when.strftime(WIRE),
        "direction": "out",
        "from": "441632960000",
        "to": "447700900123",
        "toISO": "GB",
        "trunk": "930000-L001",
        "tag": None,
        "destid": "44",
        "location": "UK - Mobile",
        "seconds": 61,
        "charge": "0.01234",
        "currency": "GBP",
        "result": "ANSWERED",
        "cli_valid": True,
    }


class FakeCdrApi:
    """Rows in memory; answers pages newest first, honouring date_start/date_end/limit/start."""

    def __init__(self, rows_per_day: dict[dt.date, int], *, seed: int = 0) -> None:
        rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.rows: list[dict[str, Any]] = []
        for day, count in sorted(rows_per_day.items()):
            base = dt.datetime(day.year, day.month, day.day, tzinfo=GMT)
            for i in range(count):
                when = base + dt.timedelta(seconds=rng.randrange(86400))
                self.rows.append(make_row(f"{day:%Y%m%d}-{i:06d}", when))
        self.requests: list[dict[str, Any]] = []
        self.before_answer: Any = None  # called with the query; may return a Response
        self._sorted: list[dict[str, Any]] | None = None
        self._dates: list[str] = []

    def add(self, reference: str, when: dt.datetime) -> None:
        """A new call arrives."""
        row = make_row(reference, when)
        self.rows.append(row)
        if self._sorted is not None:
            at = bisect_right(self._dates, row["date"])
            self._sorted.insert(at, row)
            self._dates.insert(at, row["date"])

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
            self._sorted = sorted(self.rows, key=lambda r: (r["date"], r["reference"]))
            self._dates = [r["date"] for r in self._sorted]
        # Newest first within [lo, hi] (bounds inclusive, to the second).
        selected = self._sorted[bisect_left(self._dates, lo) : bisect_right(self._dates, hi)]
        selected.reverse()
        wanted = query.get("filter") or {}
        if wanted:
            selected = [r for r in selected if all(r.get(k) == v for k, v in wanted.items())]
        start = int(query.get("start", 0))
        limit = int(query.get("limit", 500))
        return httpx.Response(200, json=selected[start : start + limit])
