"""Routes of the report lifecycle (`reports/...`, `prepay/summary`, `files/...`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from starlette.responses import Response

from simwood_async._types import GMT
from simwood_async.sandbox import _wire_reports
from simwood_async.sandbox._faults import CALLBACK_FAULTS, REPORT_FAULTS
from simwood_async.sandbox._http import Ctx, error, json_bytes, reply
from simwood_async.sandbox._state import EXPIRY_SECONDS, CallbackRecord, Report, report_hash

if TYPE_CHECKING:
    from collections.abc import Callable

    from simwood_async.sandbox._core import SandboxCore

__all__ = ["ROUTES", "callback_payload", "start_report"]

_QUANTITIES: Final = ("10", "100", "1000", "10000")
_LATEST_LOOKBACK_DAYS: Final = 400
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def callback_payload(hash_: str) -> str:
    """The documented callback payload for a ready report."""
    return json.dumps({"app": "reports", "id": hash_, "data": None}, separators=(",", ":"))


class BadInputError(ValueError):
    """A parameter the API would reject (answered with 400)."""


def _quantity(ctx: Ctx) -> tuple[str, int]:
    """The `latest/{N}` path segment, checked against the documented sizes."""
    quantity = ctx.params["quantity"]
    if quantity not in _QUANTITIES:
        raise BadInputError(f"quantity must be one of {', '.join(_QUANTITIES)}")
    return quantity, int(quantity)


def _date(ctx: Ctx, name: str, default: dt.date) -> dt.date:
    text = ctx.field(name)
    if text is None or text == "":
        return default
    return parse_day(text, name)


def parse_day(text: str, name: str) -> dt.date:
    """A strict `YYYY-MM-DD`.

    Raises:
        BadInputError: Any other format.
    """
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise BadInputError(f"{name} must be a date in YYYY-MM-DD format") from err


def _callback(ctx: Ctx) -> str | None:
    url = ctx.field("callback")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInputError("callback must be an http(s) URL")
    return url


def start_report(
    core: SandboxCore,
    ctx: Ctx,
    *,
    kind: str,
    params: dict[str, str],
    body: Callable[[Report], bytes],
) -> str:
    """Request a report: de-duplicate by hash, schedule readiness and the callback.

    Every report route (the `reports/...` family and the number reports) starts its report
    here, so report and callback faults apply to all of them alike. Returns the hash.
    """
    callback = _callback(ctx)
    hash_ = report_hash(core.account, kind, params, core.today().isoformat())
    path = ctx.request.url.path

    def timing() -> tuple[float, float]:
        delay = core.delay_for(kind, params)
        expiry = EXPIRY_SECONDS
        for fault in core.faults.draw(REPORT_FAULTS, route=ctx.route, path=path):
            if fault.kind == "slow_report":
                delay = delay * fault.params["factor"] + fault.params["extra"]
            else:
                expiry = fault.params["after"]
        return delay, expiry

    report, new = core.store.request(
        hash_=hash_,
        kind=kind,
        route=ctx.route,
        params=params,
        timing=timing,
        callback=callback,
        body=body,
    )
    if new and callback is not None:
        _schedule_callback(core, report, callback, path)
    return hash_


def _start(
    core: SandboxCore,
    ctx: Ctx,
    *,
    kind: str,
    envelope: dict[str, Any],
    params: dict[str, str],
    body: Callable[[Report], bytes],
) -> Response:
    """Request a report and answer with its documented envelope."""
    hash_ = start_report(core, ctx, kind=kind, params=params, body=body)
    return reply(ctx, _wire_reports.envelope(account=core.account, hash_=hash_, **envelope))


def _schedule_callback(core: SandboxCore, report: Report, url: str, path: str) -> None:
    at, copies = report.ready_at, 1
    for fault in core.faults.draw(CALLBACK_FAULTS, route=report.route, path=path):
        if fault.kind == "callback_lost":
            core.store.record_callback(
                CallbackRecord(report.hash, url, at, "lost", None, callback_payload(report.hash))
            )
            return
        if fault.kind == "callback_delay":
            at += fault.params["seconds"]
        else:
            copies = max(1, int(fault.params["copies"]))
    core.store.schedule_callback(report.hash, url, at, copies)


def _sms_rows(core: SandboxCore, rows: list[Any]) -> bytes:
    # SMS CDR rows are rendered by the CDR source (owned with the CDR generators).
    return json_bytes([core.cdrs.wire(row) for row in rows])


def _voice_day(core: SandboxCore, day: dt.date, as_of: float) -> list[Any]:
    return core.cdrs.segments(day, 0, 1 << 40, as_of)


async def voice_summary(core: SandboxCore, ctx: Ctx) -> Response:
    """POST reports/voice/summary/day/{in|out}."""
    direction = ctx.params["direction"]
    if direction not in ("in", "out"):
        return error(404, "Not found", pretty=ctx.pretty)
    day = _date(ctx, "date", core.today())

    def body(report: Report) -> bytes:
        totals: dict[str, list[Any]] = defaultdict(lambda: [0, 0, Decimal("0.00000"), ""])
        for row in core.cdrs.iter_voice(_voice_day(core, day, report.ready_at)):
            if row.direction != direction:
                continue
            acc = totals[row.destid or ""]
            acc[0] += 1
            acc[1] += row.seconds
            acc[2] += row.charge
            acc[3] = row.location or ""
        rows = [
            (destid, v[3], v[0], v[1], v[2])
            for destid, v in sorted(totals.items(), key=lambda kv: int(kv[0] or 0))
        ]
        return json_bytes(_wire_reports.voice_summary_rows(rows))

    mode = "vsind" if direction == "in" else "vsoutd"
    return _start(
        core,
        ctx,
        kind=f"voice_summary_{direction}",
        envelope={"mode": mode, "date": day, "type_": "voice_summary"},
        params={"date": day.isoformat()},
        body=body,
    )


async def voice_cdr_day(core: SandboxCore, ctx: Ctx) -> Response:
    """POST reports/voice/cdr/day."""
    day = _date(ctx, "date", core.today())

    def body(report: Report) -> bytes:
        encoded = core.cdrs.iter_encoded(_voice_day(core, day, report.ready_at))
        return b"[" + b",".join(encoded) + b"]"

    return _start(
        core,
        ctx,
        kind="voice_cdr_day",
        envelope={"mode": "vcdrd", "date": day, "type_": "voice_cdr"},
        params={"date": day.isoformat()},
        body=body,
    )


def _latest_days(as_of: float) -> list[dt.date]:
    today = dt.datetime.fromtimestamp(as_of, GMT).date()
    return [today - dt.timedelta(days=n) for n in range(_LATEST_LOOKBACK_DAYS)]


async def voice_cdr_latest(core: SandboxCore, ctx: Ctx) -> Response:
    """POST reports/voice/cdr/latest/{10|100|1000|10000}."""
    quantity, wanted = _quantity(ctx)

    def body(report: Report) -> bytes:
        out: list[bytes] = []
        for day in _latest_days(report.ready_at):
            for encoded in core.cdrs.iter_encoded(_voice_day(core, day, report.ready_at)):
                out.append(encoded)
                if len(out) >= wanted:
                    return b"[" + b",".join(out) + b"]"
        return b"[" + b",".join(out) + b"]"

    return _start(
        core,
        ctx,
        kind="voice_cdr_latest",
        envelope={"mode": "vcdrl", "quantity": wanted, "type_": "voice_cdr"},
        params={"quantity": quantity},
        body=body,
    )


async def sms_cdr_day(core: SandboxCore, ctx: Ctx) -> Response:
    """POST reports/sms/cdr/day."""
    day = _date(ctx, "date", core.today())

    def body(report: Report) -> bytes:
        return _sms_rows(core, core.cdrs.sms_rows(day, report.ready_at))

    return _start(
        core,
        ctx,
        kind="sms_cdr_day",
        envelope={"mode": "scdrd", "date": day, "type_": "sms_cdr"},
        params={"date": day.isoformat()},
        body=body,
    )


async def sms_cdr_latest(core: SandboxCore, ctx: Ctx) -> Response:
    """POST reports/sms/cdr/latest/{10|100|1000|10000}."""
    quantity, wanted = _quantity(ctx)

    def body(report: Report) -> bytes:
        rows: list[Any] = []
        for day in _latest_days(report.ready_at):
            rows.extend(core.cdrs.sms_rows(day, report.ready_at)[: wanted - len(rows)])
            if len(rows) >= wanted:
                break
        return _sms_rows(core, rows)

    return _start(
        core,
        ctx,
        kind="sms_cdr_latest",
        envelope={"mode": "scdrl", "quantity": wanted, "type_": "sms_cdr"},
        params={"quantity": quantity},
        body=body,
    )


async def prepay_summary(core: SandboxCore, ctx: Ctx) -> Response:
    """POST prepay/summary."""
    today = core.today()
    first = _date(ctx, "from_date", today)
    last = _date(ctx, "to_date", today)
    if last < first:
        raise BadInputError("to_date must not be before from_date")

    def body(report: Report) -> bytes:  # noqa: ARG001
        return json_bytes(
            _wire_reports.prepay_summary_rows(core.account_state.prepay_summary(first, last))
        )

    start = dt.datetime.combine(first, dt.time(0, 0, 0), GMT)
    end = dt.datetime.combine(last, dt.time(23, 59, 59), GMT)
    return _start(
        core,
        ctx,
        kind="balance_summary",
        envelope={"mode": None, "start": start, "end": end, "type_": "balance_summary"},
        params={"from_date": first.isoformat(), "to_date": last.isoformat()},
        body=body,
    )


async def list_files(core: SandboxCore, ctx: Ctx) -> Response:
    """GET files/{account}: uncollected ready files, keyed by hash."""
    files = [(report.hash, len(report.render())) for report in core.store.ready()]
    return reply(ctx, _wire_reports.file_listing(core.account, files))


async def get_file(core: SandboxCore, ctx: Ctx) -> Response:
    """GET files/{account}/{hash}: 204 pending, 200 once, then 404."""
    found = core.store.fetch(ctx.params["hash"])
    if found is None:
        return error(404, "File not found or expired", pretty=ctx.pretty)
    if found is True:
        return Response(status_code=204)
    assert isinstance(found, Report)  # noqa: S101 - narrowing for mypy
    return reply(ctx, raw=found.render())


_A = "/v3/accounts/{account}"
ROUTES: Final = [
    (f"{_A}/reports/voice/summary/day/{{direction}}", {"POST": voice_summary}),
    (f"{_A}/reports/voice/cdr/day", {"POST": voice_cdr_day}),
    (f"{_A}/reports/voice/cdr/latest/{{quantity}}", {"POST": voice_cdr_latest}),
    (f"{_A}/reports/sms/cdr/day", {"POST": sms_cdr_day}),
    (f"{_A}/reports/sms/cdr/latest/{{quantity}}", {"POST": sms_cdr_latest}),
    (f"{_A}/prepay/summary", {"POST": prepay_summary}),
    ("/v3/files/{account}", {"GET": list_files}),
    ("/v3/files/{account}/{hash}", {"GET": get_file}),
]
