"""What a report is: its endpoint and normalised parameters (the single-flight key), and tickets.

A `ReportRequest` is a frozen value whose equality *is* the canonical request: two calls that
ask for the same report (a `date` given as `datetime.date` or as `"2026-01-05"`, say) build
equal requests, so they share one POST, one poll loop and one download.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar

import attrs

from simwood_async._validate import day, one_of
from simwood_async.cdrs._models import SmsCdr, VoiceCdr
from simwood_async.exceptions import InvalidInputError
from simwood_async.reports._engine import ReportEngine
from simwood_async.reports._models import PrepaySummaryRow, VoiceSummaryRow

if TYPE_CHECKING:
    import datetime as dt

__all__ = ["LATEST_SIZES", "ReportRequest", "ReportTicket"]

T = TypeVar("T")

#: The sizes the `.../cdr/latest/{N}` endpoints accept (enumerated path segments are strict).
LATEST_SIZES: Final = (10, 100, 1000, 10000)

Direction = Literal["in", "out"]
LatestSize = Literal[10, 100, 1000, 10000]


def _latest(count: int) -> str:
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidInputError(f"count must be one of 10, 100, 1000, 10000; got {count!r}")
    return str(one_of("count", count, LATEST_SIZES))


def _optional_day(value: dt.date | str | None, name: str) -> tuple[tuple[str, str], ...]:
    return () if value is None else ((name, day(value, name=name)),)


@attrs.frozen(kw_only=True)
class ReportRequest(Generic[T]):
    """One asynchronous report, canonicalised: the key of the engine's single flight.

    Build one with the class methods (they validate their inputs before any request is sent)
    and pass it to `client.reports.get()` or `client.reports.submit()`.

    Attributes:
        endpoint: Path segments below `/v3/accounts/{ACCOUNT}/`.
        fields: The form fields, normalised and sorted (without `callback`).
        row_type: The model each row of the report decodes into.

    .. versionadded:: 0.1.0
    """

    endpoint: tuple[str, ...]
    fields: tuple[tuple[str, str], ...] = ()
    row_type: type[T]
    #: Date fields that default to today (GMT) when left out; the engine pins them.
    today_fields: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)

    def pinned(self, today: dt.date) -> ReportRequest[T]:
        """This request with every left-out date field set to `today` (same if none)."""
        given = {name for name, _ in self.fields}
        missing = [name for name in self.today_fields if name not in given]
        if not missing:
            return self
        fields = tuple(sorted((*self.fields, *((n, today.isoformat()) for n in missing))))
        return attrs.evolve(self, fields=fields)

    @property
    def kind(self) -> str:
        """The endpoint as one string, e.g. `reports/voice/cdr/day` (models learn per kind)."""
        return "/".join(self.endpoint)

    @staticmethod
    def voice_summary_day(
        direction: Direction, *, date: dt.date | str | None = None
    ) -> ReportRequest[VoiceSummaryRow]:
        """Summary of incoming (`in`) or outgoing (`out`) voice charges for a day.

        Raises:
            InvalidInputError: `direction` is not `in`/`out`, or `date` is not a date.
        """
        one_of("direction", direction, ("in", "out"))
        return ReportRequest(
            endpoint=("reports", "voice", "summary", "day", direction),
            fields=_optional_day(date, "date"),
            row_type=VoiceSummaryRow,
            today_fields=("date",),
        )

    @staticmethod
    def voice_cdr_day(*, date: dt.date | str | None = None) -> ReportRequest[VoiceCdr]:
        """Every voice CDR of a day (GMT); today if `date` is omitted.

        Raises:
            InvalidInputError: `date` is not a date.
        """
        return ReportRequest(
            endpoint=("reports", "voice", "cdr", "day"),
            fields=_optional_day(date, "date"),
            row_type=VoiceCdr,
            today_fields=("date",),
        )

    @staticmethod
    def voice_cdr_latest(count: LatestSize) -> ReportRequest[VoiceCdr]:
        """The latest 10, 100, 1000 or 10000 voice CDRs.

        Raises:
            InvalidInputError: `count` is not one of the four sizes.
        """
        return ReportRequest(
            endpoint=("reports", "voice", "cdr", "latest", _latest(count)), row_type=VoiceCdr
        )

    @staticmethod
    def sms_cdr_day(*, date: dt.date | str | None = None) -> ReportRequest[SmsCdr]:
        """Every SMS record of a day; today if `date` is omitted.

        Raises:
            InvalidInputError: `date` is not a date.
        """
        return ReportRequest(
            endpoint=("reports", "sms", "cdr", "day"),
            fields=_optional_day(date, "date"),
            row_type=SmsCdr,
            today_fields=("date",),
        )

    @staticmethod
    def sms_cdr_latest(count: LatestSize) -> ReportRequest[SmsCdr]:
        """The latest 10, 100, 1000 or 10000 SMS records.

        Raises:
            InvalidInputError: `count` is not one of the four sizes.
        """
        return ReportRequest(
            endpoint=("reports", "sms", "cdr", "latest", _latest(count)), row_type=SmsCdr
        )

    @staticmethod
    def prepay_summary(
        *, from_date: dt.date | str | None = None, to_date: dt.date | str | None = None
    ) -> ReportRequest[PrepaySummaryRow]:
        """Daily movements of the prepay balance between two days (both default to today).

        Raises:
            InvalidInputError: A date is invalid, or `from_date` is after `to_date`.
        """
        fields = _optional_day(from_date, "from_date") + _optional_day(to_date, "to_date")
        if len(fields) == 2 and fields[0][1] > fields[1][1]:  # noqa: PLR2004 - both given
            raise InvalidInputError(f"from_date {fields[0][1]} is after to_date {fields[1][1]}")
        return ReportRequest(
            endpoint=("prepay", "summary"),
            fields=fields,
            row_type=PrepaySummaryRow,
            today_fields=("from_date", "to_date"),
        )


@attrs.frozen(kw_only=True)
class ReportTicket(Generic[T]):
    """A requested report: its hash and link, awaitable later or from another task.

    ```python
    ticket = await client.reports.submit(ReportRequest.voice_cdr_day(date="2026-01-05"))
    ...  # store ticket.report_hash, hand the ticket to another task, ...
    rows = await ticket.result()
    ```

    Attributes:
        report_hash: The hash the API gave the report (usable with `client.reports.resume`).
        link: The file's path, `/v3/files/{ACCOUNT}/{HASH}`.
        request: The request, so an expired report can be requested again.

    .. versionadded:: 0.1.0
    """

    report_hash: str
    link: str
    request: ReportRequest[T]
    _engine: ReportEngine = attrs.field(repr=False, eq=False, alias="engine")
    _transport: Any = attrs.field(repr=False, eq=False, alias="transport")

    async def result(self, *, deadline: float | None = None) -> tuple[T, ...]:
        """Wait for the report and return its rows (joining any flight already under way).

        Args:
            deadline: Seconds to keep trying (default: the engine's `deadline`).

        Raises:
            ReportError: A subclass saying why the report could not be delivered.
        """
        return await self._engine.get(
            self._transport, self.request, deadline=deadline, report_hash=self.report_hash
        )
