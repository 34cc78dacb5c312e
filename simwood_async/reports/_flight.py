"""A flight of the report engine and the callers waiting on it (see `_engine.py`)."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Final

import anyio

from simwood_async.exceptions import ReportTimeoutError, RequestInfo

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from simwood_async._transport import Transport
    from simwood_async.reports._request import ReportRequest

__all__ = ["KEEP_ORPHANED", "Flight", "KeptRows", "Waiter", "caller_timeout", "fresh"]

#: How long (engine clock) the rows of an orphaned download are kept for a caller coming back.
KEEP_ORPHANED: Final = 120.0
_MAX_KEPT: Final = 32


class Waiter:
    """One caller of a flight: its own deadline, and the event that wakes it.

    Attributes:
        deadline_at: When this caller stops waiting (engine clock).
        want_hash: Woken as soon as the report's hash is known (`submit`), not at the end.
        expired: Woken because its deadline passed.
    """

    __slots__ = ("deadline_at", "event", "expired", "want_hash")

    def __init__(self, deadline_at: float, *, want_hash: bool = False) -> None:
        self.deadline_at = deadline_at
        self.want_hash = want_hash
        self.expired = False
        self.event = anyio.Event()


class Flight:
    """One canonical request being fulfilled; every caller waits on its own `Waiter`."""

    __slots__ = (
        "callers",
        "deadline_at",
        "done",
        "error",
        "key",
        "last_hash",
        "orphaned",
        "report_hash",
        "request",
        "result",
        "row_type",
        "scope",
        "transport",
        "watch_scope",
    )

    def __init__(
        self,
        key: tuple[Any, ...],
        transport: Transport,
        *,
        request: ReportRequest[Any] | None,
        row_type: type[Any] | None,
        report_hash: str | None,
        deadline_at: float,
    ) -> None:
        self.key = key
        self.transport = transport
        self.request = request
        self.row_type = row_type
        #: The live hash (None while the report is being requested, or requested again).
        self.report_hash = report_hash
        #: The last hash the server gave, for error messages.
        self.last_hash = report_hash
        self.deadline_at = deadline_at
        self.callers: list[Waiter] = []
        self.done = anyio.Event()
        self.scope = anyio.CancelScope()
        self.watch_scope: anyio.CancelScope | None = None
        #: Nobody waits any more, but a download is being finished.
        self.orphaned = False
        self.result: tuple[Any, ...] | None = None
        self.error: BaseException | None = None

    def hash_known(self, report_hash: str) -> None:
        """The server gave the report's hash: wake the callers that wanted only that."""
        self.report_hash = self.last_hash = report_hash
        for waiter in self.callers:
            if waiter.want_hash:
                waiter.event.set()

    def finish(self) -> None:
        """Wake every caller and mark the flight done."""
        for waiter in self.callers:
            waiter.event.set()
        self.done.set()

    async def watch(
        self, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        """Forever: wake each caller at its own deadline (`watch_scope` wakes it to re-plan)."""
        while True:
            upcoming = self.expire(clock())
            with anyio.CancelScope() as scope:
                self.watch_scope = scope
                if math.isinf(upcoming):
                    await anyio.sleep_forever()
                else:
                    await sleep(max(upcoming - clock(), 0.0))
            self.watch_scope = None

    def expire(self, now: float) -> float:
        """Wake the callers whose deadline has passed; the next deadline (inf if none).

        Only callers with a deadline before the flight's own are watched here: the flight's
        deadline is enforced by the flight itself (its hash flight times out, its requests are
        bounded by it), and waiting on it twice would only add timers.
        """
        upcoming = math.inf
        for waiter in self.callers:
            if waiter.event.is_set() or waiter.deadline_at >= self.deadline_at:
                continue
            if waiter.deadline_at <= now:
                waiter.expired = True
                waiter.event.set()
            else:
                upcoming = min(upcoming, waiter.deadline_at)
        return upcoming


class KeptRows:
    """The rows of downloads finished after their callers left, kept briefly by flight key."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._rows: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], float]] = OrderedDict()

    def keep(self, key: tuple[Any, ...], rows: tuple[Any, ...]) -> None:
        """Keep `rows` for `key` (the oldest are dropped beyond a few dozen)."""
        self._rows[key] = (rows, self._clock())
        while len(self._rows) > _MAX_KEPT:
            self._rows.popitem(last=False)

    def take(self, key: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The rows kept for `key` (once), unless too old."""
        kept = self._rows.pop(key, None)
        if kept is None or self._clock() - kept[1] > KEEP_ORPHANED:
            return None
        return kept[0]


def caller_timeout(flight: Flight) -> ReportTimeoutError:
    """The error for a caller whose own deadline passed (the flight may go on for others)."""
    report_hash = flight.last_hash
    name = f"report {report_hash}" if report_hash else "the report (not yet requested)"
    account = flight.transport.account
    info = RequestInfo("GET", f"/v3/files/{account}/{report_hash}") if report_hash else None
    return ReportTimeoutError(
        f"{name} was not delivered by this caller's deadline "
        "(other callers may still be waiting for it)",
        request=info,
        report_hash=report_hash,
    )


def fresh(err: BaseException) -> BaseException:
    """A copy of `err` to raise in one more waiter.

    Raising one instance in many tasks would grow its traceback without bound.
    """
    copy = type(err).__new__(type(err), *err.args)
    copy.__dict__.update(err.__dict__)
    copy.__cause__ = err.__cause__
    return copy
