"""The report engine: one `await` per report, correct under any concurrency.

The first level of single flight lives here: a `Flight` per canonical request (account +
`ReportRequest`, or account + hash for `resume`). Its task, started in the engine's task group
(which lives as long as the client), delivers the report (`_delivery.py`: the POST, the wait
on the hash through the `Poller`, the second level: one poll loop and one download per hash,
and re-requests within a budget). Callers only wait on their own event, so 10,000 callers
cost one task (plus one watchdog per flight that wakes each caller at its own deadline); a
caller that is cancelled or whose deadline passes just stops waiting; a flight nobody waits
for any more is cancelled, unless its file is being downloaded: then the download is finished
(bounded) and its rows kept briefly for a caller that comes back (the server has deleted the
file).

No failure inside the engine's tasks reaches the user's code: each flight's error is delivered
to its callers, and the engine keeps serving.
"""

from __future__ import annotations

import logging
import math
import secrets
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from simwood_async.exceptions import ConfigurationError, ReportError
from simwood_async.reports._delivery import Delivery
from simwood_async.reports._fleet import HintSharing, SharedProfile
from simwood_async.reports._flight import Flight, KeptRows, Waiter, caller_timeout, fresh
from simwood_async.reports._options import ReportOptions
from simwood_async.reports._poller import ORPHAN_GRACE, Poller
from simwood_async.reports._profile import save_profile
from simwood_async.reports._stats import ReportStats
from simwood_async.reports._store import InMemoryReportStore

if TYPE_CHECKING:
    from anyio.abc import TaskGroup
    from cattrs import Converter

    from simwood_async._transport import Transport
    from simwood_async.reports._request import ReportRequest

__all__ = ["ReportEngine"]

logger = logging.getLogger("simwood_async")

T = TypeVar("T")


class ReportEngine:
    """Single-flight, expiry-aware, callback-capable report fetching (`client.reports`' core).

    Owned by the client: `open()` in `SimwoodClient.__aenter__`, `aclose()` on exit, which
    cancels every flight and wakes every waiter with a `ReportError`.

    Args:
        converter: Decodes report bodies into row models.
        options: Waiting, re-requests, callbacks, store, clock.
    """

    def __init__(self, converter: Converter, options: ReportOptions | None = None) -> None:
        self.options = options = SharedProfile.options(options or ReportOptions())
        self._shared_profile = SharedProfile.of(options)  # learned times shared by a fleet
        self.stats = ReportStats()
        self._conv = converter
        self._clock = options.clock
        self._store = options.store if options.store is not None else InMemoryReportStore()
        self._poller = Poller(options, self.stats, self._store, secrets.token_hex(8))
        self._delivery = Delivery(converter, options, self.stats, self._store, self._poller)
        self._flights: dict[tuple[Any, ...], Flight] = {}
        self._kept = KeptRows(options.clock)
        self._tg: TaskGroup | None = None
        self._stack: AsyncExitStack | None = None

    def __repr__(self) -> str:
        return f"<ReportEngine flights={len(self._flights)} open={self._tg is not None}>"

    @property
    def callback_url(self) -> str | None:
        """The `callback` value sent with report requests, if any."""
        return self.options.effective_callback_url

    async def open(self) -> None:
        """Start the task group that flights run in (called by `SimwoodClient.__aenter__`)."""
        if self._stack is not None:
            return
        if self._shared_profile is not None:
            await self._shared_profile.load()  # start warm: what the fleet learned
        async with AsyncExitStack() as stack:
            self._tg = await stack.enter_async_context(anyio.create_task_group())
            self._stack = stack.pop_all()
        self._poller.bind(self._tg)
        if self.options.callback_receiver is not None:
            self.options.callback_receiver.attach(self)
        if isinstance(self._store, HintSharing):  # callbacks that land on other processes
            self._store.listen_hints(self.notify_ready)

    async def aclose(self) -> None:
        """Cancel every flight; waiters get a `ReportError`. No task outlives this call."""
        stack, tg = self._stack, self._tg
        if stack is None or tg is None:
            return
        self._stack = self._tg = None
        self._poller.bind(None)
        if self.options.callback_receiver is not None:
            self.options.callback_receiver.detach(self)
        if isinstance(self._store, HintSharing):
            self._store.ignore_hints(self.notify_ready)
        tg.cancel_scope.cancel()
        try:
            await stack.aclose()
        finally:
            for flight in list(self._flights.values()):
                self._finish(flight)
            await save_profile(self.options.profile)
            if self._shared_profile is not None:
                await self._shared_profile.save()

    def _check_open(self) -> TaskGroup:
        if self._tg is None:
            raise ConfigurationError(
                "the client is not open: use `async with SimwoodClient(...) as client:` "
                "before requesting reports"
            )
        return self._tg

    def notify_ready(self, report_hash: str) -> bool:
        """Tell the engine that a report is ready (a callback arrived): it is fetched at once.

        Returns:
            Whether a pending report has that hash (unknown hashes are ignored).
        """
        self.stats.callbacks += 1
        matched = self._poller.hint(report_hash, callback=True)
        self.stats.callbacks_matched += matched
        return matched

    def wake(self, report_hash: str) -> bool:
        """Check a pending report at once (it was listed ready); False if not pending here."""
        return self._poller.hint(report_hash, callback=False)

    # -- waiting -----------------------------------------------------------------------------

    def pin(self, request: ReportRequest[T]) -> ReportRequest[T]:
        """`request` with its default dates resolved to today (GMT) now.

        A report requested without a date is keyed and re-requested with the day of the call,
        so a re-request after midnight fetches the same day, and a caller after midnight does
        not join the previous day's flight.
        """
        return request.pinned(self.options.today())

    async def get(
        self,
        transport: Transport,
        request: ReportRequest[T],
        *,
        deadline: float | None = None,
        report_hash: str | None = None,
    ) -> tuple[T, ...]:
        """The rows of a report, sharing the flight of any identical request under way."""
        request = self.pin(request)
        key = (transport.account, request)
        return await self._join(
            key,
            transport,
            request=request,
            row_type=request.row_type,
            report_hash=report_hash,
            deadline=deadline,
        )

    async def resume(
        self,
        transport: Transport,
        report_hash: str,
        *,
        row_type: type[T] | None = None,
        deadline: float | None = None,
    ) -> tuple[Any, ...]:
        """The rows of an already requested report, by hash (no re-request is possible)."""
        key = (transport.account, "#", report_hash, row_type)
        return await self._join(
            key,
            transport,
            request=None,
            row_type=row_type,
            report_hash=report_hash,
            deadline=deadline,
        )

    async def submit(self, transport: Transport, request: ReportRequest[Any]) -> str:
        """Request a report (or join the identical request under way) and return its hash.

        The hash returned is always a live one: while the flight requests the report again
        (its file expired or broke), the call waits for the new hash.
        """
        request = self.pin(request)
        waiter = self._waiter(None, want_hash=True)
        flight = self._enter(
            (transport.account, request),
            transport,
            request=request,
            row_type=request.row_type,
            report_hash=None,
            waiter=waiter,
        )
        try:
            await waiter.event.wait()
        finally:
            self._leave(flight, waiter)
        if flight.report_hash is None:
            if waiter.expired:
                raise caller_timeout(flight)
            raise fresh(flight.error or ReportError("the report request failed"))
        return flight.report_hash

    async def files(self, transport: Transport) -> dict[str, Any]:
        """The uncollected ready files of the account, by hash."""
        self._check_open()
        return await self._poller.files(transport)

    def _waiter(self, deadline: float | None, *, want_hash: bool = False) -> Waiter:
        seconds = deadline if deadline is not None else self.options.deadline
        return Waiter(self._clock() + seconds, want_hash=want_hash)

    def _enter(
        self,
        key: tuple[Any, ...],
        transport: Transport,
        *,
        request: ReportRequest[Any] | None,
        row_type: type[Any] | None,
        report_hash: str | None,
        waiter: Waiter,
    ) -> Flight:
        tg = self._check_open()
        deadline_at = waiter.deadline_at
        flight = self._flights.get(key)
        if flight is None:
            if transport.deadline is not None:
                # The engine bounds the flight's time itself: one caller's per-call deadline
                # must not cut the requests of a flight that other callers share.
                transport = transport.with_options(deadline=None)
            flight = Flight(
                key,
                transport,
                request=request,
                row_type=row_type,
                report_hash=report_hash,
                deadline_at=deadline_at,
            )
            self._flights[key] = flight
            tg.start_soon(self._run, flight, name=f"simwood report flight {key!r}")
        else:
            self.stats.coalesced_callers += 1
            if flight.orphaned:  # a caller came back while its download is being finished
                flight.orphaned = False
                flight.scope.deadline = math.inf
                if flight.report_hash is not None:
                    self._poller.adopt(flight.transport, flight.report_hash)
            if deadline_at > flight.deadline_at:
                flight.deadline_at = deadline_at
                if flight.report_hash is not None:
                    self._poller.extend(transport, flight.report_hash, deadline_at)
        flight.callers.append(waiter)
        if waiter.want_hash and flight.report_hash is not None:
            waiter.event.set()
        if flight.watch_scope is not None:
            flight.watch_scope.cancel()  # the watchdog looks at the new deadline
        return flight

    def _leave(self, flight: Flight, waiter: Waiter) -> None:
        flight.callers.remove(waiter)
        if flight.callers or flight.done.is_set():
            return
        report_hash = flight.report_hash
        if report_hash is not None and self._poller.orphan(flight.transport, report_hash):
            # Its file is being downloaded, and the server deletes it once sent: finish the
            # download (bounded in time) and keep the rows for a caller that comes back.
            flight.orphaned = True
            flight.scope.deadline = min(flight.scope.deadline, anyio.current_time() + ORPHAN_GRACE)
            return
        flight.scope.cancel()  # nobody waits any more: end the flight
        if self._flights.get(flight.key) is flight:
            del self._flights[flight.key]

    async def _join(
        self,
        key: tuple[Any, ...],
        transport: Transport,
        *,
        request: ReportRequest[Any] | None,
        row_type: type[Any] | None,
        report_hash: str | None,
        deadline: float | None,
    ) -> tuple[Any, ...]:
        self._check_open()
        if key not in self._flights:
            kept = self._kept.take(key)
            if kept is not None:
                return kept
        waiter = self._waiter(deadline)
        flight = self._enter(
            key,
            transport,
            request=request,
            row_type=row_type,
            report_hash=report_hash,
            waiter=waiter,
        )
        try:
            await waiter.event.wait()
        finally:
            self._leave(flight, waiter)
        if flight.result is not None:
            return flight.result
        if waiter.expired:
            raise caller_timeout(flight)
        raise fresh(flight.error or ReportError("the report flight ended without a result"))

    def _finish(self, flight: Flight) -> None:
        if flight.result is None and flight.error is None:
            flight.error = ReportError(
                "the client was closed before the report arrived", report_hash=flight.last_hash
            )
        if self._flights.get(flight.key) is flight:
            del self._flights[flight.key]
        if not flight.callers and flight.result is not None:
            # A download finished for callers that had gone: keep it for one that comes back.
            self._kept.keep(flight.key, flight.result)
        flight.finish()

    # -- one flight --------------------------------------------------------------------------

    async def _run(self, flight: Flight) -> None:
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._watch, flight, name="simwood report caller deadlines")
                with flight.scope:
                    try:
                        flight.result = await self._delivery.fulfil(flight)
                        if self._shared_profile is not None:
                            await self._shared_profile.delivered()
                    except Exception as err:  # noqa: BLE001 - delivered to every waiter, never crashes the group
                        flight.error = err
                        if flight.callers:  # each of them receives the error: a note only
                            self.stats.failures += 1
                            logger.info("report %s failed: %s", flight.last_hash, err)
                        else:  # its callers are gone: nobody else will hear of it
                            logger.warning(
                                "report %s failed, nobody waiting: %s", flight.last_hash, err
                            )
                tg.cancel_scope.cancel()
        finally:
            self._finish(flight)

    async def _watch(self, flight: Flight) -> None:
        """Wake each caller of `flight` at its own deadline (on the engine's clock)."""
        try:
            await flight.watch(self._clock, self.options.sleep)
        except Exception:  # a bug here must not end the engine's task group
            logger.exception("report %s: the deadline watchdog failed", flight.last_hash)
