"""The sandbox's wire format: one function per operation, each following the documented example.

Every non-CDR answer of the sandbox is rendered here (report answers in `_wire_reports.py`), field
by field, in the shape the API documentation shows for that operation (`tests/data/examples.json`):
its keys and nesting, its value types (money as a string where the docs print `"12.32"`, as a number
where they print `90`), arrays where the docs show arrays and bare objects where they show bare
objects, and the `{success, data}` envelope only where the docs show one. Nothing goes through the
SDK's converter: the sandbox must be able to catch the SDK's mistakes, not copy them.

Where the docs (or real answers, see `OBSERVED.md`) show two forms for one operation, the
documented default is served unless `Sandbox(wire_forms={...})` picks the other (`WIRE_FORMS`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from simwood_async._types import GMT, UK

if TYPE_CHECKING:
    from collections.abc import Mapping

    from simwood_async.accounts._models import (
        AccountType,
        Balance,
        BalanceAlert,
        InvoiceList,
        LockedBalance,
    )
    from simwood_async.rates._models import DestinationRates, Tariff
    from simwood_async.voice._models import (
        CallInProgress,
        ChannelCount,
        InProgressSummary,
        VoiceLimits,
    )

__all__ = [
    "WIRE_FORMS",
    "account_type",
    "balance",
    "balance_alert",
    "call_in_progress",
    "channels",
    "check_forms",
    "in_progress",
    "invoices",
    "limits",
    "limits_update",
    "locked_balance",
    "rate",
    "server_time",
    "tariffs",
]

#: Operations with more than one wire form: name -> (documented default, alternatives...).
#:
#: - `prepay/balance`: the Prepay section shows a bare object, the docs' introduction a
#:   one-element array (`array`).
#: - `prepay/balance/alert`, `prepay/balance/locked`: documented as bare objects; `array` wraps
#:   them like the balance's other form.
#: - `voice/inprogress/current`, `rate`: `observed` adds the keys real answers carry beyond the
#:   docs (a `channels` array of calls; `account_type` and `currency`).
WIRE_FORMS: Final[Mapping[str, tuple[str, ...]]] = {
    "prepay/balance": ("object", "array"),
    "prepay/balance/alert": ("object", "array"),
    "prepay/balance/locked": ("object", "array"),
    "voice/inprogress/current": ("documented", "observed"),
    "rate": ("documented", "observed"),
}

_WIRE_TIME: Final = "%Y-%m-%d %H:%M:%S"
_RATE_OUT_TYPO: Final = "limit/_rate_out"  # the docs' spelling of `limit_rate_out` in `dynamic`


def check_forms(forms: Mapping[str, str] | None) -> dict[str, str]:
    """Every operation's chosen form: the defaults, overridden by `forms`.

    Raises:
        ValueError: An unknown operation or form (naming what is allowed).
    """
    chosen = {name: options[0] for name, options in WIRE_FORMS.items()}
    for name, form in (forms or {}).items():
        options = WIRE_FORMS.get(name)
        if options is None:
            raise ValueError(f"wire_forms: unknown operation {name!r}; one of {sorted(WIRE_FORMS)}")
        if form not in options:
            raise ValueError(f"wire_forms[{name!r}] must be one of {options}, got {form!r}")
        chosen[name] = form
    return chosen


def _number(value: Decimal | int) -> int | float:
    """A JSON number, as the docs print it (`50`, `10.4688`)."""
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


def _money(value: Decimal, places: int) -> str:
    """Money as the docs print it in strings: fixed places (`"168.06100"`)."""
    return str(value.quantize(Decimal(1).scaleb(-places)))


def _uk(value: dt.datetime) -> str:
    return value.astimezone(UK).strftime(_WIRE_TIME)


def _one(form: str, data: dict[str, Any]) -> Any:
    return [data] if form == "array" else data


# --- tools --------------------------------------------------------------------------------


def server_time(now: int) -> dict[str, Any]:
    """GET tools/time: `{timestamp, rfc}`."""
    rfc = dt.datetime.fromtimestamp(now, GMT).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return {"timestamp": now, "rfc": rfc}


# --- accounts -----------------------------------------------------------------------------


def account_type(value: AccountType) -> dict[str, Any]:
    """GET accounts/{A}/type: in the envelope, limits and `min_prepay` as numbers."""
    data = {
        "account_type": value.account_type,
        "number_limit": value.number_limit,
        "channel_limit": value.channel_limit,
        "min_prepay": None if value.min_prepay is None else _number(value.min_prepay),
    }
    return {"success": True, "data": data}


def invoices(value: InvoiceList) -> dict[str, Any]:
    """GET credit/invoices/{status}: PascalCase rows with string money; totals as numbers.

    `TotalOverDue` is null when nothing is overdue (as the docs show), else per currency.
    """
    rows = [
        {
            "InvoiceNumber": i.invoice_number,
            "Date": i.date.isoformat(),
            "DueDate": i.due_date.isoformat(),
            "Currency": i.currency,
            "Net": _money(i.net, 2),
            "VAT": _money(i.vat, 2),
            "Total": _money(i.total, 2),
            "AmountPaid": _money(i.amount_paid, 2),
            "AmountCredited": _money(i.amount_credited, 2),
            "AmountDue": _money(i.amount_due, 2),
        }
        for i in value.invoices
    ]
    overdue = value.total_overdue
    return {
        "Invoices": rows,
        "TotalDue": {k: _number(v) for k, v in value.total_due.items()},
        "TotalOverDue": {k: _number(v) for k, v in overdue.items()} if overdue else None,
    }


def balance(value: Balance, form: str) -> Any:
    """GET prepay/balance: `{balance: "168.06100", currency}` (or in a one-element array)."""
    return _one(form, {"balance": _money(value.balance, 5), "currency": value.currency})


def balance_alert(value: BalanceAlert, form: str) -> Any:
    """GET|PUT prepay/balance/alert: `{account, alert_balance: 90}`."""
    alert = value.alert_balance
    data = {"account": value.account, "alert_balance": None if alert is None else _number(alert)}
    return _one(form, data)


def locked_balance(value: LockedBalance, form: str) -> Any:
    """GET|PUT prepay/balance/locked: `{account, balance, locked, available}` as numbers."""
    data = {
        "account": value.account,
        "balance": _number(value.balance),
        "locked": _number(value.locked),
        "available": _number(value.available),
    }
    return _one(form, data)


# --- rates --------------------------------------------------------------------------------


def tariffs(values: list[Tariff]) -> dict[str, Any]:
    """GET rates/tariffs: in the envelope; `prefix` a number; `default` only on the default."""
    rows = []
    for t in values:
        row: dict[str, Any] = {
            "description": t.description,
            "servicelevel": t.servicelevel,
            "quality": t.quality,
            "prefix": int(t.prefix),
        }
        if t.default:
            row["default"] = True
        row["url"] = t.url
        rows.append(row)
    return {"success": True, "data": rows}


def rate(value: DestinationRates, form: str, *, account_type: str, currency: str) -> Any:
    """GET rate/{NUMBER}: `{desc, rates: {deck: {p, o, w, c}}}`, prices as strings.

    The `observed` form adds `account_type` and `currency`, as real answers carry them.
    """
    data: dict[str, Any] = {
        "desc": value.description,
        "rates": {
            deck: {
                "p": _money(r.peak, 5),
                "o": _money(r.offpeak, 5),
                "w": _money(r.weekend, 5),
                "c": _money(r.connection, 4),
            }
            for deck, r in value.rates.items()
        },
    }
    if form == "observed":
        data.update(account_type=account_type, currency=currency)
    return data


# --- voice --------------------------------------------------------------------------------


def limits(value: VoiceLimits, *, balance: Decimal) -> dict[str, Any]:
    """GET voice/{A}/limits: bare; `dynamic` as the docs show it (their key typo included)."""
    data: dict[str, Any] = {
        "channel_allocation": value.channel_allocation,
        "channel_allocation_global_numbers": value.channel_allocation_global_numbers,
        "channel_allocation_adjustable": value.channel_allocation_adjustable,
        "limit_concurrent_in": value.limit_concurrent_in,
        "limit_concurrent_out": value.limit_concurrent_out,
        "limit_concurrent_out_per_number": value.limit_concurrent_out_per_number,
        "limit_concurrent_out_international": value.limit_concurrent_out_international,
        "limit_concurrent_out_hotspot": value.limit_concurrent_out_hotspot,
        "limit_rate_out": value.limit_rate_out,
        "limit_rate_out_international": value.limit_rate_out_international,
        "limit_rate_out_hotspot": value.limit_rate_out_hotspot,
    }
    dynamic = value.dynamic
    if dynamic is not None:
        data["dynamic"] = {
            "balance": _money(balance if dynamic.balance is None else dynamic.balance, 5),
            "limit_concurrent_out": dynamic.limit_concurrent_out,
            _RATE_OUT_TYPO: dynamic.limit_rate_out,
        }
    return data


def limits_update(inbound: int, outbound: int) -> dict[str, Any]:
    """PUT voice/{A}/limits: the bare new split."""
    return {"limit_concurrent_in": inbound, "limit_concurrent_out": outbound}


def channels(values: list[ChannelCount]) -> list[dict[str, Any]]:
    """GET channels/current (one element) and channels/history: UK local times, numbers."""
    return [
        {
            "datetime": _uk(c.datetime),
            "channels": c.channels,
            "channels_in": c.channels_in,
            "channels_out": c.channels_out,
        }
        for c in values
    ]


def in_progress(
    value: InProgressSummary, form: str, calls: Mapping[str, CallInProgress], trunk: str
) -> dict[str, Any]:
    """GET inprogress/current: numbers as numbers; `calls`/`countries` keyed by id.

    The `observed` form adds a `channels` array (`call_id`, `trunk`, `to`, ...).
    """
    data: dict[str, Any] = {
        "datetime": _uk(value.datetime),
        "total": _number(value.total),
        "callcount": value.callcount,
        "balance": None if value.balance is None else _number(value.balance),
        "percent_available": (
            None if value.percent_available is None else _number(value.percent_available)
        ),
        "approx_seconds_remaining": value.approx_seconds_remaining,
        "calls": {
            destid: {
                "location": d.location,
                "country": d.country,
                "total": _number(d.total),
                "callcount": d.callcount,
            }
            for destid, d in value.calls.items()
        },
        "countries": {
            iso: {"total": _number(c.total), "callcount": c.callcount}
            for iso, c in value.countries.items()
        },
    }
    if form == "observed":
        data["channels"] = [
            {"call_id": call_id, "trunk": trunk, "to": call.to, "start": _uk(call.start)}
            for call_id, call in calls.items()
        ]
    return data


def call_in_progress(value: CallInProgress) -> dict[str, Any]:
    """GET inprogress/{CALL_ID}: in the envelope; UK local times."""
    data = {
        "to": value.to,
        "start": _uk(value.start),
        "progress": None if value.progress is None else _uk(value.progress),
        "answered": None if value.answered is None else _uk(value.answered),
        "destid": value.destid,
        "sip_call_id": value.sip_call_id,
    }
    return {"success": True, "data": data}
