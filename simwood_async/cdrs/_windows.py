"""Time ranges for CDR pulls: validation (before any request) and splitting into windows.

Times are GMT, as the API documents for CDR queries. Naive datetimes are refused rather than
guessed at; a `date` stands for a whole GMT day. A range is half-open, `[start, end)`, and
clamped to "now" when it is planned: the pull is a snapshot of the calls made before it
started, so calls arriving while it runs never shift the pages it reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import attrs

from simwood_async._converter import format_wire_datetime
from simwood_async._types import GMT
from simwood_async.exceptions import InvalidInputError

__all__ = ["MAX_AGE", "Window", "check_age", "earliest", "plan_range", "split_windows", "utc_now"]

#: How far back the inline CDR endpoint reaches: from midnight GMT of the day 90 days ago.
MAX_AGE: Final = dt.timedelta(days=90)
_DAY: Final = dt.timedelta(days=1)
_SECOND: Final = dt.timedelta(seconds=1)


def utc_now() -> dt.datetime:
    """The current time, aware, in GMT (the default clock of CDR pulls)."""
    return dt.datetime.now(tz=GMT)


@attrs.frozen(order=True)
class Window:
    """A slice of a pull, `[start, end)` in GMT, fetched with one paginated query.

    Attributes:
        start: First instant covered (aware, GMT, whole second).
        end: First instant not covered (aware, GMT, whole second).

    .. versionadded:: 0.1.0
    """

    start: dt.datetime
    end: dt.datetime

    @property
    def key(self) -> str:
        """A stable name for checkpoints, e.g. `2026-10-01T00:00:00Z`."""
        return self.start.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def date_start(self) -> str:
        """The API's `date_start`: the first second, `YYYY-MM-DD hh:mm:ss`."""
        return format_wire_datetime(self.start, GMT)

    @property
    def date_end(self) -> str:
        """The API's `date_end`, which is inclusive: the last second of the window."""
        return format_wire_datetime(self.end - _SECOND, GMT)


def _ceil_second(value: dt.datetime) -> dt.datetime:
    # Rows have whole-second times, so `t >= 10:00:00.5` means `t >= 10:00:01`.
    if value.microsecond:
        return value.replace(microsecond=0) + _SECOND
    return value


def _instant(value: object, *, name: str, is_end: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInputError(
                f"{name} is a naive datetime; CDR times are GMT, so pass an aware one, "
                f"e.g. {name}=datetime(..., tzinfo=timezone.utc)"
            )
        return _ceil_second(value.astimezone(GMT))
    if isinstance(value, dt.date):
        midnight = dt.datetime(value.year, value.month, value.day, tzinfo=GMT)
        # A date covers its whole day: as an end it means "through the end of that day".
        return midnight + _DAY if is_end else midnight
    raise InvalidInputError(
        f"{name} must be an aware datetime or a date; got {type(value).__name__}"
    )


def _shown(given: object, instant: dt.datetime) -> str:
    # A date is shown as given (an end date means "through that day"), a time as GMT.
    if isinstance(given, dt.date) and not isinstance(given, dt.datetime):
        return given.isoformat()
    return f"{instant:%Y-%m-%d %H:%M:%S} GMT"


def plan_range(
    start: dt.datetime | dt.date,
    end: dt.datetime | dt.date | None,
    *,
    now: dt.datetime,
    enforce_age: bool = True,
) -> tuple[dt.datetime, dt.datetime]:
    """Validate a pull's range and clamp it to `now`.

    Args:
        start: The first instant (aware datetime) or day (date, from its midnight GMT).
        end: The end, exclusive (aware datetime), or the last day included (date);
            None for "now".
        now: The current time (aware).
        enforce_age: Check the 90-day limit here (a resumed pull checks only what is left).

    Returns:
        `(start, until)`: aware GMT datetimes on whole seconds, `until` = min(end, now).

    Raises:
        InvalidInputError: Naive datetimes, an end not after the start, a start in the
            future, or a start before midnight GMT 90 days before today.
    """
    if not isinstance(now, dt.datetime) or now.utcoffset() is None:  # type: ignore[redundant-expr]
        raise InvalidInputError("now must be an aware datetime")
    now = now.astimezone(GMT).replace(microsecond=0)
    first = _instant(start, name="start", is_end=False)
    last = now if end is None else _instant(end, name="end", is_end=True)
    if first >= now:
        raise InvalidInputError(f"start ({first:%Y-%m-%d %H:%M:%S} GMT) is in the future")
    if last <= first:
        raise InvalidInputError(
            f"end ({_shown(end, last)}) must be after start ({_shown(start, first)})"
        )
    if enforce_age:
        check_age(first, now=now)
    return first, min(last, now)


def earliest(now: dt.datetime) -> dt.datetime:
    """The oldest instant the inline CDR endpoint serves: midnight GMT, 90 days before today."""
    today = now.astimezone(GMT).date() - MAX_AGE
    return dt.datetime(today.year, today.month, today.day, tzinfo=GMT)


def check_age(first: dt.datetime, *, now: dt.datetime) -> None:
    """Refuse a start the inline CDR endpoint cannot reach (before `earliest(now)`).

    Raises:
        InvalidInputError: `first` is more than 90 calendar days ago.
    """
    oldest = earliest(now)
    if first < oldest:
        raise InvalidInputError(
            f"start ({first:%Y-%m-%d %H:%M:%S} GMT) is more than 90 days ago; the CDR "
            f"endpoint reaches back to {oldest:%Y-%m-%d %H:%M:%S} GMT (use the CDR "
            "reports for older days)"
        )


def split_windows(
    start: dt.datetime, until: dt.datetime, *, window: dt.timedelta | None = None
) -> list[Window]:
    """Split `[start, until)` at GMT midnights, and each day into `window`-sized pieces.

    Args:
        start: The first instant (aware, whole second).
        until: The end, exclusive.
        window: Sub-day window length (a whole number of seconds that divides a day);
            None for whole days.

    Returns:
        The windows in time order.

    Raises:
        InvalidInputError: `window` is not a whole number of seconds dividing a day.
    """
    step = _DAY if window is None else window
    seconds = step.total_seconds()
    if not seconds.is_integer() or seconds < 1 or 86400 % int(seconds):
        raise InvalidInputError(
            f"window must be a whole number of seconds that divides a day (e.g. 1 h); got {step}"
        )
    windows: list[Window] = []
    day = dt.datetime(start.year, start.month, start.day, tzinfo=GMT)
    while day < until:
        edge = day
        while edge < day + _DAY and edge < until:
            nxt = edge + step
            lo, hi = max(edge, start), min(nxt, until)
            if lo < hi:
                windows.append(Window(lo, hi))
            edge = nxt
        day += _DAY
    return windows
