"""`client.reports`: asynchronous reports as one `await` each.

Every Simwood report is a POST that returns a hash, then a file that answers 204 until it is
ready, 200 exactly once, and 404 after retrieval or five minutes. The methods here hide all of
that behind the engine (`_engine.py`): identical concurrent calls share one POST, one poll loop
and one download, and receive the same immutable tuple of rows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar, overload

import anyio

from simwood_async._area import Area
from simwood_async._operation import operation
from simwood_async._validate import plain_id
from simwood_async.exceptions import ReportError
from simwood_async.reports._models import ReportFile
from simwood_async.reports._request import Direction, LatestSize, ReportRequest, ReportTicket

if TYPE_CHECKING:
    import datetime as dt

    from cattrs import Converter

    from simwood_async._transport import Transport
    from simwood_async.cdrs._models import SmsCdr, VoiceCdr
    from simwood_async.reports._engine import ReportEngine
    from simwood_async.reports._models import PrepaySummaryRow, VoiceSummaryRow
    from simwood_async.reports._stats import ReportStats

__all__ = ["ReportsApi"]

logger = logging.getLogger("simwood_async")

T = TypeVar("T")


class ReportsApi(Area):
    """`client.reports`: request, wait for and download asynchronous reports.

    ```python
    async with SimwoodClient() as client:
        cdrs = await client.reports.voice_cdr_day(date="2026-01-05")
    ```

    Every method waits for its report (polling cleverly, or woken by a callback) and raises a
    `ReportError` subclass when the report cannot be delivered: `ReportTimeoutError` at the
    deadline, `ReportExpiredError` when the file keeps disappearing, `ReportDownloadError` when
    downloads keep breaking. Wrap a call in `anyio.fail_after()` for a per-caller limit:
    cancelling one caller never disturbs the others waiting for the same report.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("_engine",)

    def __init__(self, transport: Transport, converter: Converter, engine: ReportEngine) -> None:
        super().__init__(transport, converter)
        self._engine = engine

    @property
    def stats(self) -> ReportStats:
        """Counters and per-report timings of the engine."""
        return self._engine.stats

    @property
    def callback_url(self) -> str | None:
        """The `callback` URL sent with report requests (None without callbacks)."""
        return self._engine.callback_url

    # -- one method per report ---------------------------------------------------------------

    @operation("POST", "/v3/accounts/{ACCOUNT}/reports/voice/summary/day/[in|out]")
    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def voice_summary_day(
        self,
        direction: Direction,
        *,
        date: dt.date | str | None = None,
        deadline: float | None = None,
    ) -> tuple[VoiceSummaryRow, ...]:
        """Incoming (`in`) or outgoing (`out`) voice charges of a day, by destination.

        Args:
            direction: `in` or `out`.
            date: The day (default: today).
            deadline: Seconds to keep trying (default: the engine's).

        Raises:
            InvalidInputError: Bad direction or date (before any request).
            ReportError: The report could not be delivered.
        """
        return await self.get(
            ReportRequest.voice_summary_day(direction, date=date), deadline=deadline
        )

    @operation("POST", "/v3/accounts/{ACCOUNT}/reports/voice/cdr/day")
    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def voice_cdr_day(
        self, *, date: dt.date | str | None = None, deadline: float | None = None
    ) -> tuple[VoiceCdr, ...]:
        """Every voice CDR of a day (GMT).

        Args:
            date: The day (default: today).
            deadline: Seconds to keep trying (default: the engine's).

        Raises:
            InvalidInputError: A bad date (before any request).
            ReportError: The report could not be delivered.
        """
        return await self.get(ReportRequest.voice_cdr_day(date=date), deadline=deadline)

    @operation("POST", "/v3/accounts/{ACCOUNT}/reports/voice/cdr/latest/[10|100|1000|10000]")
    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def voice_cdr_latest(
        self, count: LatestSize, *, deadline: float | None = None
    ) -> tuple[VoiceCdr, ...]:
        """The latest 10, 100, 1000 or 10000 voice CDRs.

        Raises:
            InvalidInputError: `count` is not one of the four sizes (before any request).
            ReportError: The report could not be delivered.
        """
        return await self.get(ReportRequest.voice_cdr_latest(count), deadline=deadline)

    @operation("POST", "/v3/accounts/{ACCOUNT}/reports/sms/cdr/day")
    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def sms_cdr_day(
        self, *, date: dt.date | str | None = None, deadline: float | None = None
    ) -> tuple[SmsCdr, ...]:
        """Every SMS record of a day.

        Raises:
            InvalidInputError: A bad date (before any request).
            ReportError: The report could not be delivered.
        """
        return await self.get(ReportRequest.sms_cdr_day(date=date), deadline=deadline)

    @operation("POST", "/v3/accounts/{ACCOUNT}/reports/sms/cdr/latest/[10|100|1000|10000]")
    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def sms_cdr_latest(
        self, count: LatestSize, *, deadline: float | None = None
    ) -> tuple[SmsCdr, ...]:
        """The latest 10, 100, 1000 or 10000 SMS records.

        Raises:
            InvalidInputError: `count` is not one of the four sizes (before any request).
            ReportError: The report could not be delivered.
        """
        return await self.get(ReportRequest.sms_cdr_latest(count), deadline=deadline)

    @operation("POST", "/v3/accounts/{ACCOUNT}/prepay/summary")
    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def prepay_summary(
        self,
        *,
        from_date: dt.date | str | None = None,
        to_date: dt.date | str | None = None,
        deadline: float | None = None,
    ) -> tuple[PrepaySummaryRow, ...]:
        """Daily movements of the prepay balance (both dates default to today).

        Raises:
            InvalidInputError: Bad dates, or `from_date` after `to_date` (before any request).
            ReportError: The report could not be delivered.
        """
        request = ReportRequest.prepay_summary(from_date=from_date, to_date=to_date)
        return await self.get(request, deadline=deadline)

    # -- the lower level ---------------------------------------------------------------------

    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def get(
        self, request: ReportRequest[T], *, deadline: float | None = None
    ) -> tuple[T, ...]:
        """Request a report and wait for its rows.

        Args:
            request: What to request, e.g. `ReportRequest.voice_cdr_day(date=...)`.
            deadline: Seconds to keep trying, re-requests included (default: the engine's).
                A longer deadline extends a shared flight; it never shortens one.

        Returns:
            The rows, the same tuple object for every concurrent caller.

        Raises:
            ReportError: The report could not be delivered (see the class docstring).
        """
        return await self._engine.get(self._t, request, deadline=deadline)

    async def submit(self, request: ReportRequest[T]) -> ReportTicket[T]:
        """Request a report without waiting for it: a ticket to await later or elsewhere.

        Raises:
            SimwoodError: The request itself failed.
        """
        request = self._engine.pin(request)  # the ticket re-requests the same day
        report_hash = await self._engine.submit(self._t, request)
        link = f"/v3/files/{self._t.account}/{report_hash}"
        return ReportTicket(
            report_hash=report_hash,
            link=link,
            request=request,
            engine=self._engine,
            transport=self._t,
        )

    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def wait(
        self, ticket: ReportTicket[T], *, deadline: float | None = None
    ) -> tuple[T, ...]:
        """The rows of a submitted report (the same as `await ticket.result()`)."""
        return await ticket.result(deadline=deadline)

    @overload
    async def resume(
        self, report_hash: str, *, row_type: None = None, deadline: float | None = None
    ) -> tuple[Any, ...]: ...

    @overload
    async def resume(
        self, report_hash: str, *, row_type: type[T], deadline: float | None = None
    ) -> tuple[T, ...]: ...

    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def resume(
        self, report_hash: str, *, row_type: type[T] | None = None, deadline: float | None = None
    ) -> tuple[Any, ...]:
        """Wait for a report requested earlier (by this or another system), from its hash.

        Without the original request an expired file cannot be requested again: a 404 ends
        in `ReportExpiredError`.

        Args:
            report_hash: The hash the report request returned.
            row_type: The row model (e.g. `VoiceCdr`); None returns the JSON rows as they are.
            deadline: Seconds to keep waiting (default: the engine's).

        Raises:
            InvalidInputError: The hash is not a plain identifier.
            ReportError: The report could not be delivered.
        """
        report_hash = plain_id(report_hash, name="report_hash")
        return await self._engine.resume(self._t, report_hash, row_type=row_type, deadline=deadline)

    @operation("GET", "/v3/files/{ACCOUNT}")
    async def files(self) -> dict[str, ReportFile]:
        """The account's uncollected ready files (`GET /v3/files/{ACCOUNT}`), by hash."""
        listed = await self._engine.files(self._t)
        files = {}
        for report_hash, raw in listed.items():
            data = raw if isinstance(raw, dict) else {}
            files[report_hash] = self._conv.structure({"name": report_hash, **data}, ReportFile)
        return files

    @operation("GET", "/v3/files/{ACCOUNT}")
    @operation("GET", "/v3/files/{ACCOUNT}/{HASH}")
    async def recover(self) -> dict[str, tuple[Any, ...]]:
        """Download every uncollected file of the account (e.g. after a crash).

        Files that a flight of this client is waiting for are left to it (and woken at once).
        A file that vanishes meanwhile (collected elsewhere) is left out.

        Returns:
            The JSON rows of each recovered file, by hash (decode them with
            `client.converter.structure(row, VoiceCdr)` and friends).
        """
        listed = await self._engine.files(self._t)
        recovered: dict[str, tuple[Any, ...]] = {}

        async def one(report_hash: str) -> None:
            if self._engine.wake(report_hash):
                return  # a flight of ours is waiting for it: it downloads it now
            try:
                recovered[report_hash] = await self.resume(report_hash)
            except ReportError as err:  # gone meanwhile: nothing to recover
                logger.info("could not recover report %s: %s", report_hash, err)

        async with anyio.create_task_group() as tg:
            for report_hash in listed:
                tg.start_soon(one, report_hash)
        return recovered
