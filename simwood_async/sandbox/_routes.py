"""Routes of the foundation areas: tools, account, credit, prepay, rates and voice.

Every answer is rendered by `_wire` in the documented shape of its operation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

import attrs
from starlette.responses import Response

from simwood_async._types import GMT
from simwood_async.sandbox import _wire
from simwood_async.sandbox._account import minimal_pdf
from simwood_async.sandbox._http import Ctx, error, reply
from simwood_async.sandbox._reports import BadInputError

if TYPE_CHECKING:
    from simwood_async.sandbox._core import SandboxCore

__all__ = ["ROUTES"]


# --- tools (no authentication) -------------------------------------------------------------


async def myip(core: SandboxCore, ctx: Ctx) -> Response:  # noqa: ARG001 - the route signature
    """GET tools/myip."""
    client = ctx.request.client
    return reply(ctx, {"ip": client.host if client else "127.0.0.1"})


async def server_time(core: SandboxCore, ctx: Ctx) -> Response:
    """GET tools/time."""
    return reply(ctx, _wire.server_time(int(core.now())))


async def explain(core: SandboxCore, ctx: Ctx) -> Response:
    """ANY tools/explain: a plain-text echo of the request."""
    stamp = dt.datetime.fromtimestamp(core.now(), GMT).strftime("%Y-%m-%d %H:%M:%S")
    query = list(ctx.request.query_params.multi_items())
    lines = [
        "Simwood API - Explain Tool (sandbox)",
        "=" * 56,
        f"Timestamp: {stamp}",
        f"HTTP Request Method: {ctx.request.method}",
        f"API Request Method: {ctx.method}",
        "== Query String " + "=" * 40,
        f"Your query string contained {len(query)} elements:",
        *(f"  {k} => {v}" for k, v in query),
        "== HTTP Post Vars " + "=" * 38,
        *(f"  {k} => {v}" for k, v in ctx.fields.items()),
        "== JSON Request " + "=" * 40,
        "No JSON Request body" if ctx.body_json is None else repr(ctx.body_json),
    ]
    return Response("\n".join(lines) + "\n", media_type="text/plain")


# --- accounts -------------------------------------------------------------------------------


async def account_type(core: SandboxCore, ctx: Ctx) -> Response:
    """GET accounts/{account}/type."""
    return reply(ctx, _wire.account_type(core.account_state.account_type()))


async def invoices(core: SandboxCore, ctx: Ctx) -> Response:
    """GET credit/invoices/{all|paid|unpaid} and credit/invoices/{NUMBER}[.pdf]."""
    name = ctx.params["name"]
    state = core.account_state
    if name in ("all", "paid", "unpaid"):
        return reply(ctx, _wire.invoices(state.invoice_list(name, core.today())))
    number = name.removesuffix(".pdf")
    for invoice in state.invoices(core.today()):
        if invoice.invoice_number == number:
            text = f"Simwood sandbox invoice {number}: {invoice.currency} {invoice.total}"
            return Response(minimal_pdf(text), media_type="application/pdf")
    return error(404, f"Invoice {number} not found", pretty=ctx.pretty)


async def balance(core: SandboxCore, ctx: Ctx) -> Response:
    """GET prepay/balance."""
    form = core.wire_forms["prepay/balance"]
    return reply(ctx, _wire.balance(core.account_state.balance_row(), form))


def _amount(ctx: Ctx, name: str) -> Decimal:
    text = ctx.field(name)
    try:
        value = Decimal(text or "")
    except InvalidOperation as err:
        raise BadInputError(f"{name} must be an amount") from err
    if not value.is_finite() or value < 0:
        raise BadInputError(f"{name} must be a non-negative amount")
    return value


async def balance_alert(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT prepay/balance/alert."""
    state = core.account_state
    if ctx.method == "PUT":
        value = _amount(ctx, "alert_balance")
        with state.lock:
            state.alert_balance = value
    return reply(ctx, _wire.balance_alert(state.alert(), core.wire_forms["prepay/balance/alert"]))


async def balance_locked(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT|DELETE prepay/balance/locked."""
    state = core.account_state
    if ctx.method == "PUT":
        value = _amount(ctx, "balance")
        if value > state.balance:
            raise BadInputError("cannot lock more than the balance")
        with state.lock:
            state.locked = value
    elif ctx.method == "DELETE":
        with state.lock:
            state.locked = Decimal(0)
        return reply(ctx, {"success": True})
    form = core.wire_forms["prepay/balance/locked"]
    return reply(ctx, _wire.locked_balance(state.locked_row(), form))


async def movements(core: SandboxCore, ctx: Ctx) -> Response:
    """GET prepay/{prepayments|transfers}/{all|latest/1|latest/10}."""
    which = ctx.params["which"]
    kind = "prepayments" if ctx.route.endswith("/prepayments/{which:path}") else "transfers"
    rows = core.account_state.movements(kind, core.today())
    if which == "all":
        return reply(ctx, rows)
    if which in ("latest/1", "latest/10"):
        return reply(ctx, rows[: int(which.rpartition("/")[2])])
    return error(404, "Not found", pretty=ctx.pretty)


# --- rates ----------------------------------------------------------------------------------


async def tariffs(core: SandboxCore, ctx: Ctx) -> Response:
    """GET rates/tariffs."""
    return reply(ctx, _wire.tariffs(core.account_state.tariffs()))


async def ratecard(core: SandboxCore, ctx: Ctx) -> Response:
    """GET rates/csv/{deck|name}: text/csv with an `Effective:` line."""
    text = core.account_state.ratecard_csv(ctx.params["name"], core.today())
    if text is None:
        return error(404, "Ratecard not found", pretty=ctx.pretty)
    return Response(text, media_type="text/csv")


async def rate(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|POST rate/{NUMBER}."""
    number = ctx.params["number"]
    found = core.account_state.rate_for(number) if number.isdigit() else None
    if found is None:
        return error(404, f"No rate for {number}", pretty=ctx.pretty)
    state = core.account_state
    kind = state.account_type().account_type
    data = _wire.rate(found, core.wire_forms["rate"], account_type=kind, currency="GBP")
    return reply(ctx, data)


# --- voice ----------------------------------------------------------------------------------


async def limits(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT voice/{account}/limits."""
    state = core.account_state
    if ctx.method == "GET":
        return reply(ctx, _wire.limits(state.limits, balance=state.balance))
    try:
        inbound = int(ctx.field("limit_concurrent_in") or "")
        outbound = int(ctx.field("limit_concurrent_out") or "")
    except ValueError as err:
        raise BadInputError("limit_concurrent_in and limit_concurrent_out are required") from err
    current = state.limits
    if not current.channel_allocation_adjustable:
        raise BadInputError("the channel allocation is not adjustable")
    if inbound < 0 or outbound < 0 or inbound + outbound != current.channel_allocation:
        raise BadInputError(f"the limits must sum to {current.channel_allocation}")
    with state.lock:
        state.limits = attrs.evolve(
            current, limit_concurrent_in=inbound, limit_concurrent_out=outbound
        )
    return reply(ctx, _wire.limits_update(inbound, outbound))


async def channels_current(core: SandboxCore, ctx: Ctx) -> Response:
    """GET voice/{account}/channels/current (a one-element array)."""
    now = dt.datetime.fromtimestamp(core.now(), GMT)
    return reply(ctx, _wire.channels([core.account_state.channels_at(now)]))


async def channels_history(core: SandboxCore, ctx: Ctx) -> Response:
    """GET voice/{account}/channels/history?interval=1m|5m|1h."""
    interval = ctx.field("interval", "5m") or "5m"
    if interval not in ("1m", "5m", "1h"):
        raise BadInputError("interval must be 1m, 5m or 1h")
    rows = core.account_state.channel_history(core.now(), interval)
    return reply(ctx, _wire.channels(rows))


async def inprogress_current(core: SandboxCore, ctx: Ctx) -> Response:
    """GET voice/{account}/inprogress/current."""
    state, now = core.account_state, core.now()
    form = core.wire_forms["voice/inprogress/current"]
    trunk = f"{core.account}-L001"
    return reply(ctx, _wire.in_progress(state.in_progress(now), form, state.calls(now), trunk))


async def inprogress_call(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|DELETE voice/{account}/inprogress/{CALL_ID}."""
    state = core.account_state
    call_id = ctx.params["call_id"]
    call = state.calls(core.now()).get(call_id)
    if call is None:
        return error(404, f"Call {call_id} not found", pretty=ctx.pretty)
    if ctx.method == "DELETE":
        with state.lock:
            state.hung_up.add(call_id)
        return reply(ctx, {"success": True})
    return reply(ctx, _wire.call_in_progress(call))


_A: Final = "/v3/accounts/{account}"
_V: Final = "/v3/voice/{account}"
_GET: Final = ("GET",)
ROUTES: Final[list[tuple[str, dict[str, Any]]]] = [
    ("/v3/tools/myip", {"GET": myip}),
    ("/v3/tools/time", {"GET": server_time}),
    ("/v3/tools/explain", dict.fromkeys(("GET", "POST", "PUT", "DELETE"), explain)),
    (f"{_A}/type", {"GET": account_type}),
    (f"{_A}/credit/invoices/{{name}}", {"GET": invoices}),
    (f"{_A}/prepay/balance", {"GET": balance}),
    (f"{_A}/prepay/balance/alert", {"GET": balance_alert, "PUT": balance_alert}),
    (f"{_A}/prepay/balance/locked", dict.fromkeys(("GET", "PUT", "DELETE"), balance_locked)),
    (f"{_A}/prepay/prepayments/{{which:path}}", {"GET": movements}),
    (f"{_A}/prepay/transfers/{{which:path}}", {"GET": movements}),
    (f"{_A}/rates/tariffs", {"GET": tariffs}),
    (f"{_A}/rates/csv/{{name}}", {"GET": ratecard}),
    (f"{_A}/rate/{{number}}", {"GET": rate, "POST": rate}),
    (f"{_V}/limits", {"GET": limits, "PUT": limits}),
    (f"{_V}/channels/current", {"GET": channels_current}),
    (f"{_V}/channels/history", {"GET": channels_history}),
    (f"{_V}/inprogress/current", {"GET": inprogress_current}),
    (f"{_V}/inprogress/{{call_id}}", {"GET": inprogress_call, "DELETE": inprogress_call}),
]
