"""What a report is: its endpoint and normalised parameters (the single-flight key), and tickets.

A `ReportRequest` is a frozen value whose equality *is* the canonical request: two calls that
ask for the same report (a `date` given as `datetime.date` or as `"2026-01-05"`, say) build
equal requests, so they share one POST, one poll loop and one download.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar

import attrs

from simwood_async._http import path
from simwood_async._validate import day, one_of
from simwood_async.cdrs._models import SmsCdr, VoiceCdr
from simwood_async.exceptions import InvalidInputError
from simwood_async.reports._engine import ReportEngine
from simwood_async.reports._models import PrepaySummaryRow, VoiceSummaryRow

if TYPE_CHECKING:
    import datetime as dt

    from simwood_async.numbers._models import AllocatedNumberRow, AvailableNumber

__all__ = [
    "ALLOCATED_SIZES",
    "CONSECUTIVE_SIZES",
    "LATEST_SIZES",
    "ReportRequest",
    "ReportTicket",
]

T = TypeVar("T")

#: The sizes the `.../cdr/latest/{N}` endpoints accept (enumerated path segments are strict).
LATEST_SIZES: Final = (10, 100, 1000, 10000)
#: The sizes of `numbers/.../allocated/{N}` reports.
ALLOCATED_SIZES: Final = (10, 100, 1000, 10000)
#: The sizes of `numbers/.../available/consecutive/{N}` reports.
CONSECUTIVE_SIZES: Final = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)

#: A voice summary's direction; the sizes of the "latest CDRs" reports.
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
        endpoint: Path segments below `/v3/{root}/{ACCOUNT}/`.
        fields: The form fields, normalised and sorted (without `callback`).
        row_type: The model each row of the report decodes into.
        root: The API area the report belongs to: `accounts` (default) or `numbers`.

    .. versionadded:: 0.1.0
    """

    endpoint: tuple[str, ...]
    fields: tuple[tuple[str, str], ...] = ()
    row_type: type[T]
    root: str = "accounts"
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
        """The endpoint as one string, e.g. `reports/voice/cdr/day` (models learn per kind).

        Reports outside `accounts` are prefixed with their root, e.g. `numbers/allocated/all`.
        """
        joined = "/".join(self.endpoint)
        return joined if self.root == "accounts" else f"{self.root}/{joined}"

    def url_path(self, account: str) -> str:
        """The path the report is requested at, e.g. `accounts/930000/reports/voice/cdr/day`."""
        return path(self.root, account, *self.endpoint)

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

    @staticmethod
    def numbers_allocated(
        count: Literal["all", 10, 100, 1000, 10000] = "all",
        *,
        pattern: str | None = None,
        key: str | None = None,
        filter_config: bool = False,
    ) -> ReportRequest[AllocatedNumberRow]:
        """The account's allocated numbers: all, or the first 10, 100, 1000 or 10000.

        Args:
            count: `all` or one of the four sizes.
            pattern: Only numbers matching it (digits and `*` wildcards, e.g. `*203*`).
            key: Only numbers whose config `meta.key` is this (case-insensitive, no wildcards).
            filter_config: Only numbers with their own routing configuration.

        Raises:
            InvalidInputError: A bad count, pattern or key.
        """
        from simwood_async.numbers._models import AllocatedNumberRow  # noqa: PLC0415 - cycle

        if isinstance(count, bool) or count not in ("all", *ALLOCATED_SIZES):
            raise InvalidInputError(f"count must be 'all', 10, 100, 1000 or 10000; got {count!r}")
        fields = _pattern(pattern)
        if key is not None:
            given: object = key
            if not isinstance(given, str) or not given or len(key) > 40 or "*" in key:  # noqa: PLR2004
                raise InvalidInputError(
                    f"key must be 1 to 40 characters without wildcards; got {key!r}"
                )
            # Keys are case-insensitive: one canonical request for `ABC` and `abc`.
            fields += (("key", key.lower()),)
        if filter_config:
            fields += (("filter_config", "1"),)
        return ReportRequest(
            root="numbers",
            endpoint=("allocated", str(count)),
            fields=tuple(sorted(fields)),
            row_type=AllocatedNumberRow,
        )

    @staticmethod
    def numbers_consecutive(
        count: int, *, pattern: str | None = None
    ) -> ReportRequest[AvailableNumber]:
        """A block of 10, 20, ... or 100 consecutive available UK numbers.

        Args:
            count: 10, 20, 30, ... 100 (no other sizes exist).
            pattern: UK national digits and `*` wildcards (the report is UK only).

        Raises:
            InvalidInputError: A bad count or pattern.
        """
        from simwood_async.numbers._models import AvailableNumber  # noqa: PLC0415 - cycle

        if isinstance(count, bool) or not isinstance(count, int):
            raise InvalidInputError(f"count must be one of 10, 20, ... 100; got {count!r}")
        one_of("count", count, CONSECUTIVE_SIZES)
        return ReportRequest(
            root="numbers",
            endpoint=("available", "consecutive", str(count)),
            fields=_pattern(pattern),
            row_type=AvailableNumber,
        )


def _pattern(pattern: object) -> tuple[tuple[str, str], ...]:
    if pattern is None:
        return ()
    if not isinstance(pattern, str) or not re.fullmatch(r"[0-9*]{1,20}", pattern):
        raise InvalidInputError(
            f"pattern must be digits with '*' wildcards, e.g. '*203*'; got {pattern!r}"
        )
    return (("pattern", pattern),)


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
