"""The report engine: one `await` per report, correct under any concurrency.

The first level of single flight lives here: a `_Flight` per canonical request (account +
`ReportRequest`, or account + hash for `resume`). Its task, started in the engine's task group
(which lives as long as the client), sends the POST, awaits the hash through the `Poller`
(the second level: one poll loop and one download per hash), decodes the body once and, when
the file expired, was collected elsewhere, broke mid-body or did not decode, requests the report
again within a budget. Callers only wait on the flight's event, so 10,000 callers cost one task;
a caller that is cancelled just stops waiting; a flight nobody waits for any more is cancelled.
"""

from __future__ import annotations

import logging
import secrets
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from simwood_async._transport import path
from simwood_async.exceptions import (
    ConfigurationError,
    DecodeError,
    ReportDownloadError,
    ReportError,
    ReportExpiredError,
    ReportTimeoutError,
    RequestInfo,
)
from simwood_async.reports._body import decode_rows, envelope_hash
from simwood_async.reports._fleet import HintSharing, RequestSharing, SharedProfile, request_key
from simwood_async.reports._options import ReportOptions
from simwood_async.reports._poller import Poller
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


class _Flight:
    """One canonical request being fulfilled; every caller waits on `done`."""

    __slots__ = (
        "deadline_at",
        "done",
        "error",
        "hash_known",
        "key",
        "report_hash",
        "request",
        "result",
        "row_type",
        "scope",
        "transport",
        "waiters",
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
        self.report_hash = report_hash
        self.deadline_at = deadline_at
        self.waiters = 0
        self.done = anyio.Event()
        self.hash_known = anyio.Event()
        self.scope = anyio.CancelScope()
        self.result: tuple[Any, ...] | None = None
        self.error: BaseException | None = None


def _fresh(err: BaseException) -> BaseException:
    """A copy of `err` to raise in one more waiter.

    Raising one instance in many tasks would grow its traceback without bound.
    """
    copy = type(err).__new__(type(err), *err.args)
    copy.__dict__.update(err.__dict__)
    copy.__cause__ = err.__cause__
    return copy


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
        self._flights: dict[tuple[Any, ...], _Flight] = {}
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

    async def get(
        self,
        transport: Transport,
        request: ReportRequest[T],
        *,
        deadline: float | None = None,
        report_hash: str | None = None,
    ) -> tuple[T, ...]:
        """The rows of a report, sharing the flight of any identical request under way."""
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
        """Request a report (or join the identical request under way) and return its hash."""
        flight = self._enter(
            (transport.account, request),
            transport,
            request=request,
            row_type=request.row_type,
            report_hash=None,
            deadline=None,
        )
        try:
            await flight.hash_known.wait()
        finally:
            self._leave(flight)
        if flight.report_hash is None:
            raise _fresh(flight.error or ReportError("the report request failed"))
        return flight.report_hash

    async def files(self, transport: Transport) -> dict[str, Any]:
        """The uncollected ready files of the account, by hash."""
        self._check_open()
        return await self._poller.files(transport)

    def _enter(
        self,
        key: tuple[Any, ...],
        transport: Transport,
        *,
        request: ReportRequest[Any] | None,
        row_type: type[Any] | None,
        report_hash: str | None,
        deadline: float | None,
    ) -> _Flight:
        tg = self._check_open()
        deadline_at = self._clock() + (deadline if deadline is not None else self.options.deadline)
        flight = self._flights.get(key)
        if flight is None:
            flight = _Flight(
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
            if deadline_at > flight.deadline_at:
                flight.deadline_at = deadline_at
                if flight.report_hash is not None:
                    self._poller.extend(transport, flight.report_hash, deadline_at)
        flight.waiters += 1
        return flight

    def _leave(self, flight: _Flight) -> None:
        flight.waiters -= 1
        if flight.waiters == 0 and not flight.done.is_set():
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
        flight = self._enter(
            key,
            transport,
            request=request,
            row_type=row_type,
            report_hash=report_hash,
            deadline=deadline,
        )
        try:
            await flight.done.wait()
        finally:
            self._leave(flight)
        if flight.result is None:
            raise _fresh(flight.error or ReportError("the report flight ended without a result"))
        return flight.result

    def _finish(self, flight: _Flight) -> None:
        if flight.result is None and flight.error is None:
            flight.error = ReportError(
                "the client was closed before the report arrived", report_hash=flight.report_hash
            )
        if self._flights.get(flight.key) is flight:
            del self._flights[flight.key]
        flight.hash_known.set()
        flight.done.set()

    # -- one flight --------------------------------------------------------------------------

    async def _run(self, flight: _Flight) -> None:
        try:
            with flight.scope:
                try:
                    flight.result = await self._fulfil(flight)
                    if self._shared_profile is not None:
                        await self._shared_profile.delivered()
                except Exception as err:  # noqa: BLE001 - delivered to every waiter, never crashes the group
                    flight.error = err
                    self.stats.failures += 1
                    logger.warning("report %s failed: %s", flight.report_hash, err)
        finally:
            self._finish(flight)

    async def _fulfil(self, flight: _Flight) -> tuple[Any, ...]:
        report_hash = flight.report_hash
        probe_first = report_hash is not None  # a known hash may be ready already (or gone)
        history: list[str] = []
        shared = 0  # the version of a fleet-shared hash this flight used (`RequestSharing`)
        while True:
            if report_hash is None:
                report_hash, shared = await self._share_post(flight, shared)
                probe_first = False
            flight.report_hash = report_hash
            flight.hash_known.set()
            kind = flight.request.kind if flight.request is not None else "resumed"
            outcome = await self._poller.await_hash(
                flight.transport,
                report_hash,
                kind=kind,
                deadline_at=flight.deadline_at,
                probe_first=probe_first,
            )
            info = RequestInfo("GET", f"/v3/files/{flight.transport.account}/{report_hash}")
            if outcome is None:
                waited = " after: " + "; ".join(history) if history else ""
                raise ReportTimeoutError(
                    f"report {report_hash} was not ready by its deadline{waited}",
                    request=info,
                    report_hash=report_hash,
                )
            status, detail = outcome.status, outcome.detail
            if status == "ready":
                try:
                    return decode_rows(self._conv, outcome.body or b"", flight.row_type, info)
                except DecodeError as err:
                    status, detail = "broken", f"the body did not decode ({err.message})"
            history.append(f"{report_hash}: {detail}")
            spent = len(history) - 1
            if (
                flight.request is None
                or spent >= self.options.rerequests
                or self._clock() >= flight.deadline_at
            ):
                cls = ReportExpiredError if status == "gone" else ReportDownloadError
                budget = (
                    "no re-request possible"
                    if flight.request is None
                    else f"{spent} re-request(s) spent"
                )
                raise cls(
                    f"report {report_hash} could not be delivered ({budget}): "
                    + "; ".join(history),
                    request=info,
                    report_hash=report_hash,
                )
            self.stats.re_requests += 1
            logger.info("report %s: %s; requesting it again", report_hash, detail)
            report_hash = None

    async def _share_post(self, flight: _Flight, after: int) -> tuple[str, int]:
        """POST, or take the hash of the same request POSTed by another process of a fleet."""
        if not isinstance(self._store, RequestSharing):
            return await self._post(flight), 0
        assert flight.request is not None  # noqa: S101 - resumed flights never post
        key = request_key(flight.transport.account, flight.request)
        ttl = max(flight.deadline_at - self._clock(), 1.0)
        return await self._store.share_request(
            key, lambda: self._post(flight), after=after, ttl=ttl
        )

    async def _post(self, flight: _Flight) -> str:
        assert flight.request is not None  # noqa: S101 - resumed flights never post
        t = flight.transport
        data = dict(flight.request.fields)
        if self.callback_url is not None:
            data["callback"] = self.callback_url
        self.stats.report_requests += 1
        # Report requests are safe to retry: the API de-duplicates them by hash.
        response = await t.request(
            "POST", path("accounts", t.account, *flight.request.endpoint), data=data, retry=True
        )
        report_hash = envelope_hash(self._conv, response)
        logger.info("report %s requested: %s", report_hash, flight.request.kind)
        return report_hash
