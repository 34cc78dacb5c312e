"""Routes of the inline CDR endpoints: `/v3/voice/{ACCOUNT}/cdr[/{YYYY-MM-DD}]`.

Rows come newest first with `limit`/`start` offset pagination, so calls that arrive during
a pull shift the offsets (clients must de-duplicate by `reference`, as with the real API).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Final

from simwood_async._types import GMT
from simwood_async.sandbox._core import CDR_WINDOW_DAYS
from simwood_async.sandbox._data import FILTER_KEYS, Segment, day_bounds
from simwood_async.sandbox._http import Ctx, reply
from simwood_async.sandbox._reports import BadInputError, parse_day

if TYPE_CHECKING:
    from starlette.responses import Response

    from simwood_async.sandbox._core import SandboxCore

__all__ = ["ROUTES"]

_MOMENT: Final = re.compile(r"\d{4}-\d\d-\d\d( \d\d:\d\d:\d\d)?", re.ASCII)
DEFAULT_LIMIT: Final = 500


def _moment(text: str, name: str) -> int:
    # `fromisoformat` is ~20x faster than `strptime` but lenient: the pattern keeps it exact.
    if _MOMENT.fullmatch(text) is None:
        raise BadInputError(f"{name} must be in YYYY-MM-DD HH:ii:ss format (GMT)")
    try:
        parsed = dt.datetime.fromisoformat(text)  # a bare YYYY-MM-DD means its midnight
    except ValueError as err:
        raise BadInputError(f"{name} must be in YYYY-MM-DD HH:ii:ss format (GMT)") from err
    return int(parsed.replace(tzinfo=GMT).timestamp())


def _int(ctx: Ctx, name: str, default: int, minimum: int) -> int:
    text = ctx.field(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as err:
        raise BadInputError(f"{name} must be an integer") from err
    if value < minimum:
        raise BadInputError(f"{name} must be at least {minimum}")
    return value


def _filter(ctx: Ctx) -> dict[str, str | None] | None:
    # `filter` is honoured only in a JSON POST body, as the docs say.
    if not isinstance(ctx.body_json, dict) or ctx.body_json.get("filter") in (None, {}, []):
        return None
    raw = ctx.body_json["filter"]
    if not isinstance(raw, dict):
        raise BadInputError("filter must be an object of search_key => value")
    unknown = set(raw) - set(FILTER_KEYS)
    if unknown:
        raise BadInputError(f"filter keys must be among {', '.join(FILTER_KEYS)}")
    return {k: None if v is None else str(v) for k, v in raw.items()}


def _earliest(core: SandboxCore) -> int:
    first = core.today() - dt.timedelta(days=CDR_WINDOW_DAYS)
    return day_bounds(first)[0]


def _page(core: SandboxCore, ctx: Ctx, segments: list[Segment]) -> Response:
    limit = _int(ctx, "limit", DEFAULT_LIMIT, 1)
    start = _int(ctx, "start", 0, 0)
    body = core.cdrs.page(segments, start=start, limit=limit, where=_filter(ctx))
    return reply(ctx, raw=body)


async def cdr_range(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|POST voice/{account}/cdr: `date_start`..`date_end` (GMT), newest first."""
    now = core.now()
    today_start = day_bounds(core.today())[0]
    start_text, end_text = ctx.field("date_start"), ctx.field("date_end")
    start = _moment(start_text, "date_start") if start_text else today_start
    end = _moment(end_text, "date_end") if end_text else int(now)
    if start < _earliest(core):
        raise BadInputError(f"date_start must be within the last {CDR_WINDOW_DAYS} days")
    if end < start:
        raise BadInputError("date_end must not be before date_start")
    segments: list[Segment] = []
    day = dt.datetime.fromtimestamp(min(end, int(now)), GMT).date()
    first_day = dt.datetime.fromtimestamp(start, GMT).date()
    while day >= first_day:
        segments.extend(core.cdrs.segments(day, start, end + 1, now))
        day -= dt.timedelta(days=1)
    return _page(core, ctx, segments)


async def cdr_day(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|POST voice/{account}/cdr/{YYYY-MM-DD}: one GMT day, newest first."""
    day = parse_day(ctx.params["date"], "the date")
    today = core.today()
    if not today - dt.timedelta(days=CDR_WINDOW_DAYS) <= day <= today:
        raise BadInputError(f"the date must be within the last {CDR_WINDOW_DAYS} calendar days")
    segments = core.cdrs.segments(day, 0, 1 << 40, core.now())
    return _page(core, ctx, segments)


_BOTH: Final[dict[str, Any]] = {"GET": cdr_range, "POST": cdr_range}
ROUTES: Final = [
    ("/v3/voice/{account}/cdr", _BOTH),
    ("/v3/voice/{account}/cdr/{date}", {"GET": cdr_day, "POST": cdr_day}),
]
