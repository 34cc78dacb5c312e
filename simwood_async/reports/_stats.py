"""Counters and per-report timings of the report engine (`client.reports.stats`)."""

from __future__ import annotations

from collections import deque
from typing import Any

import attrs

__all__ = ["ReportStats", "ReportTiming"]


@attrs.define(kw_only=True)
class ReportTiming:
    """When one report generation was requested, seen ready and downloaded (engine clock).

    Attributes:
        kind: The report's endpoint, e.g. `reports/voice/cdr/day`.
        report_hash: The hash.
        requested_at: When the hash became known (the POST's answer, or `resume`).
        ready_at: When the engine learned it was ready (listing, callback or a 200).
        downloaded_at: When the body was complete.
        outcome: `ready`, `gone`, `broken`, `timeout` or `abandoned`.
        detected_by: `poll`, `listing` or `callback`.

    .. versionadded:: 0.1.0
    """

    kind: str
    report_hash: str
    requested_at: float
    ready_at: float | None = None
    downloaded_at: float | None = None
    outcome: str | None = None
    detected_by: str | None = None

    @property
    def waited(self) -> float | None:
        """Seconds from request to readiness being seen."""
        return None if self.ready_at is None else self.ready_at - self.requested_at

    @property
    def download_delay(self) -> float | None:
        """Seconds from readiness being seen to the body being complete."""
        if self.ready_at is None or self.downloaded_at is None:
            return None
        return self.downloaded_at - self.ready_at


@attrs.define(kw_only=True)
class ReportStats:
    """What the engine did, for dashboards and tests (read-only for users; `reset()` zeroes it).

    Attributes:
        report_requests: Report POSTs sent (re-requests included).
        coalesced_callers: Callers that joined a flight another caller had started.
        polls: Per-hash checks (`GET /v3/files/{ACCOUNT}/{HASH}`) answered 204.
        listings: `GET /v3/files/{ACCOUNT}` listings sent.
        downloads: Report bodies received (200).
        re_requests: Fresh requests after expiry, a broken or undecodable download.
        callbacks: Callbacks accepted by a receiver attached to this engine.
        callbacks_matched: Accepted callbacks that named a pending report.
        followed: Hashes waited for through the store because another client owned them.
        failures: Reports whose waiters got an error.
        timings: The latest per-report timings (bounded).

    .. versionadded:: 0.1.0
    """

    report_requests: int = 0
    coalesced_callers: int = 0
    polls: int = 0
    listings: int = 0
    downloads: int = 0
    re_requests: int = 0
    callbacks: int = 0
    callbacks_matched: int = 0
    followed: int = 0
    failures: int = 0
    timings: deque[ReportTiming] = attrs.field(factory=lambda: deque(maxlen=1000), repr=False)

    @property
    def requests(self) -> int:
        """Every request the engine sent: POSTs, polls, listings and downloads."""
        return self.report_requests + self.polls + self.listings + self.downloads

    def as_dict(self) -> dict[str, Any]:
        """The counters (not the timings) as a plain dict, e.g. for a metrics exporter."""
        counters = attrs.asdict(self, filter=lambda a, _: a.name != "timings")
        counters["requests"] = self.requests
        return counters

    def reset(self) -> None:
        """Zero every counter and forget the timings."""
        for field in attrs.fields(type(self)):
            if field.name != "timings":
                setattr(self, field.name, 0)
        self.timings.clear()
