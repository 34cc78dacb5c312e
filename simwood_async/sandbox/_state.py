"""The report lifecycle: request, de-duplication, readiness, one download, expiry, callbacks.

Every transition is computed from the sandbox clock when the state is looked at, so a report
expires at exactly five minutes of sandbox time whatever the clock. Methods are synchronous
and guarded by one lock: the loopback server may run the app in another thread.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["EXPIRY_SECONDS", "CallbackRecord", "Report", "ReportLog", "ReportStore"]

#: A ready report may be collected for this long (sandbox seconds).
EXPIRY_SECONDS: Final = 300.0


@attrs.define
class Report:
    """One generation of a report, from request to collection or expiry."""

    hash: str
    kind: str
    route: str
    params: dict[str, str]
    requested_at: float
    ready_at: float
    expires_at: float
    callback: str | None
    body: Callable[[Report], bytes] = attrs.field(repr=False)
    content: bytes | None = attrs.field(default=None, repr=False)

    def render(self) -> bytes:
        """The file's bytes (built once, when first needed, as of `ready_at`)."""
        if self.content is None:
            self.content = self.body(self)
        return self.content


@attrs.frozen
class CallbackRecord:
    """A report callback the sandbox sent, or meant to send.

    Attributes:
        hash: The report.
        url: Where it went.
        at: Sandbox time of the attempt.
        outcome: `delivered`, `failed` (an error or a non-2xx answer) or `lost` (a fault
            swallowed it).
        status: The receiver's HTTP status, if any.
        payload: The form variable `payload` that was (or would have been) sent.

    .. versionadded:: 0.1.0
    """

    hash: str
    url: str
    at: float
    outcome: str
    status: int | None
    payload: str


@attrs.define
class ReportLog:
    """Ground truth about reports, for assertions: read `sandbox.reports`.

    Attributes:
        requests: Report POSTs per hash (de-duplicated ones included).
        generations: Reports actually started per hash.
        downloads: Successful (200) downloads per hash.
        expiries: Reports that expired uncollected, per hash.
        callbacks: Every callback attempt, in order.

    .. versionadded:: 0.1.0
    """

    requests: Counter[str] = attrs.field(factory=Counter)
    generations: Counter[str] = attrs.field(factory=Counter)
    downloads: Counter[str] = attrs.field(factory=Counter)
    expiries: Counter[str] = attrs.field(factory=Counter)
    callbacks: list[CallbackRecord] = attrs.field(factory=list)

    def reset(self) -> None:
        """Forget everything recorded so far (reports in flight are kept)."""
        self.requests.clear()
        self.generations.clear()
        self.downloads.clear()
        self.expiries.clear()
        self.callbacks.clear()


def report_hash(account: str, kind: str, params: Mapping[str, str], day: str) -> str:
    """The deterministic hash: per account, report type, parameters and (sandbox) day."""
    canonical = "&".join(f"{k}={params[k]}" for k in sorted(params))
    return hashlib.md5(
        f"{account}|{kind}|{canonical}|{day}".encode(), usedforsecurity=False
    ).hexdigest()


@attrs.define
class _Due:
    """A callback waiting for its time."""

    at: float
    hash: str
    url: str
    copies: int = 1


class ReportStore:
    """Reports in flight and uncollected, keyed by hash."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._now = clock
        self._reports: dict[str, Report] = {}
        self._due: list[_Due] = []
        self.log = ReportLog()
        self.lock = threading.RLock()

    def request(
        self,
        *,
        hash_: str,
        kind: str,
        route: str,
        params: dict[str, str],
        timing: Callable[[], tuple[float, float]],
        callback: str | None,
        body: Callable[[Report], bytes],
    ) -> tuple[Report, bool]:
        """Start a report unless an identical one is pending or uncollected.

        Args:
            hash_: The report's hash.
            kind: The report type.
            route: The route template it was requested on.
            params: Its canonical parameters.
            timing: Called only for a new generation: (delay, expiry) in sandbox seconds.
            callback: URL to POST to when ready (ignored for a de-duplicated request).
            body: Builds the file's bytes from the report.

        Returns:
            The report, and whether a new generation started.
        """
        with self.lock:
            now = self._now()
            self._expire(now)
            self.log.requests[hash_] += 1
            existing = self._reports.get(hash_)
            if existing is not None:
                return existing, False
            delay, expiry = timing()
            delay = max(0.0, delay)
            report = Report(
                hash=hash_,
                kind=kind,
                route=route,
                params=params,
                requested_at=now,
                ready_at=now + delay,
                expires_at=now + delay + expiry,
                callback=callback,
                body=body,
            )
            self._reports[hash_] = report
            self.log.generations[hash_] += 1
            return report, True

    def schedule_callback(self, hash_: str, url: str, at: float, copies: int) -> None:
        """Queue a callback for sandbox time `at` (copies > 1 duplicates it)."""
        with self.lock:
            self._due.append(_Due(at=at, hash=hash_, url=url, copies=copies))

    def take_due_callbacks(self) -> list[tuple[str, str]]:
        """The callbacks whose time has come, as (hash, url), removed from the queue."""
        with self.lock:
            now = self._now()
            ready = [d for d in self._due if d.at <= now]
            self._due = [d for d in self._due if d.at > now]
        ready.sort(key=lambda d: d.at)
        return [(d.hash, d.url) for d in ready for _ in range(d.copies)]

    def next_callback_at(self) -> float | None:
        """Sandbox time of the next queued callback, if any."""
        with self.lock:
            return min((d.at for d in self._due), default=None)

    def record_callback(self, record: CallbackRecord) -> None:
        """Remember a callback attempt."""
        with self.lock:
            self.log.callbacks.append(record)

    def _expire(self, now: float) -> None:
        for hash_, report in list(self._reports.items()):
            if now >= report.expires_at:
                del self._reports[hash_]
                self.log.expiries[hash_] += 1

    def fetch(self, hash_: str) -> Report | bool | None:
        """Collect a file.

        Returns:
            The report (now deleted) if it is ready; True if it is still pending; None if it
            is unknown, collected or expired.
        """
        with self.lock:
            now = self._now()
            self._expire(now)
            report = self._reports.get(hash_)
            if report is None:
                return None
            if now < report.ready_at:
                return True
            report.render()
            del self._reports[hash_]
            self.log.downloads[hash_] += 1
            return report

    def ready(self) -> list[Report]:
        """Uncollected files that are ready now, oldest first."""
        with self.lock:
            now = self._now()
            self._expire(now)
            found = [r for r in self._reports.values() if r.ready_at <= now]
        for report in found:
            report.render()
        return sorted(found, key=lambda r: r.ready_at)

    def pending(self) -> list[Report]:
        """Every report not yet collected or expired (pending or ready)."""
        with self.lock:
            self._expire(self._now())
            return list(self._reports.values())
