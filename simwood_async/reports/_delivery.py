"""Delivering one flight's report: the POST (shared across a fleet), the wait, re-requests.

The engine (`_engine.py`) owns flights and their callers; this is what a flight's task does:
request the report (or take the hash another process of a fleet requested), await the hash
through the `Poller`, decode the body once, and request the report again within a budget when
the file expired, was collected elsewhere, broke mid-body or did not decode.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import attrs

from simwood_async.exceptions import (
    DeadlineExceededError,
    DecodeError,
    ReportDownloadError,
    ReportExpiredError,
    ReportTimeoutError,
    RequestInfo,
)
from simwood_async.reports._body import decode_rows, envelope_hash
from simwood_async.reports._fleet import RequestSharing, request_key

if TYPE_CHECKING:
    from cattrs import Converter

    from simwood_async.reports._flight import Flight
    from simwood_async.reports._options import ReportOptions
    from simwood_async.reports._poller import Poller
    from simwood_async.reports._stats import ReportStats
    from simwood_async.reports._store import ReportStore

__all__ = ["Delivery"]

logger = logging.getLogger("simwood_async")

_SERVER_ERRORS: Final = frozenset(range(500, 600))


class Delivery:
    """Fetches a flight's rows for the engine (one per engine, shared by its flights)."""

    def __init__(
        self,
        converter: Converter,
        options: ReportOptions,
        stats: ReportStats,
        store: ReportStore,
        poller: Poller,
    ) -> None:
        self._conv = converter
        self._options = options
        self._clock = options.clock
        self.stats = stats
        self._store = store
        self._poller = poller

    async def fulfil(self, flight: Flight) -> tuple[Any, ...]:
        """The rows of `flight`'s report: POST (or share), await the hash, decode, re-request.

        Raises:
            ReportTimeoutError: Not requested, or not ready, by the flight's deadline.
            ReportExpiredError: The file was gone and no re-request is left.
            ReportDownloadError: The file broke or did not decode and no re-request is left.
        """
        report_hash = flight.report_hash
        probe_first = report_hash is not None  # a known hash may be ready already (or gone)
        history: list[str] = []
        shared = 0  # the version of a fleet-shared hash this flight used (`RequestSharing`)
        while True:
            if report_hash is None:
                try:
                    report_hash, shared = await self._share_post(flight, shared)
                except DeadlineExceededError as err:
                    raise ReportTimeoutError(
                        f"the report could not be requested by its deadline: {err}",
                        request=err.request,
                        report_hash=flight.last_hash,
                    ) from err
                probe_first = False
            flight.hash_known(report_hash)
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
                or spent >= self._options.rerequests
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
            # The old hash is dead: `submit` callers wait for the new one.
            report_hash = flight.report_hash = None

    async def _share_post(self, flight: Flight, after: int) -> tuple[str, int]:
        """POST, or take the hash of the same request POSTed by another process of a fleet."""
        if not isinstance(self._store, RequestSharing):
            return await self._post(flight), 0
        assert flight.request is not None  # noqa: S101 - resumed flights never post
        key = request_key(flight.transport.account, flight.request)
        ttl = max(flight.deadline_at - self._clock(), 1.0)
        return await self._store.share_request(
            key, lambda: self._post(flight), after=after, ttl=ttl
        )

    async def _post(self, flight: Flight) -> str:
        assert flight.request is not None  # noqa: S101 - resumed flights never post
        t = flight.transport
        data = dict(flight.request.fields)
        if self._options.effective_callback_url is not None:
            data["callback"] = self._options.effective_callback_url
        self.stats.report_requests += 1
        # Report requests are safe to retry on any 5xx: the API de-duplicates them by hash.
        # Bounded by the flight's deadline, so retries (a long `Retry-After`) cannot outlast it.
        remaining = max(flight.deadline_at - self._clock(), 0.001)
        retry = attrs.evolve(t.retry, retry_statuses=t.retry.retry_statuses | _SERVER_ERRORS)
        response = await t.with_options(deadline=remaining, retry=retry).request(
            "POST", flight.request.url_path(t.account), data=data, retry=True
        )
        report_hash = envelope_hash(self._conv, response)
        logger.info("report %s requested: %s", report_hash, flight.request.kind)
        return report_hash
