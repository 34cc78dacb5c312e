"""Porting in the sandbox: GNP orders and MNP ports whose status advances over sandbox time.

An order's history is a function of its submission time and the sandbox clock (no background
task): received at once, submitted to the losing provider after an hour, accepted (or, for a
billing postcode starting `ZZ`, which no provider has on record, rejected) after a day, and
complete on its port date. Resubmitting a rejected order with `orig_ref` starts a new order.
Bodies follow the docs' examples (the GNP list's `ref` is a string, the submission's a number).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import TYPE_CHECKING, Any, Final

import attrs

from simwood_async._types import UK
from simwood_async.sandbox._http import Ctx, error, reply

if TYPE_CHECKING:
    from starlette.responses import Response

    from simwood_async.sandbox._core import SandboxCore

__all__ = ["ROUTES", "PortingState"]

_LCPS: Final = (
    ("BT", "1"),
    ("Telephony Services", "93"),
    ("Gamma Telecom", "31"),
    ("Virgin Media", "12"),
    ("TalkTalk", "52"),
)
_LEAD_DAYS: Final = {"single": 4, "multi": 7, "sub_single": 7, "sub_multi": 10}
_STATUS: Final = {
    "rcvd": "Porting Request Received",
    "submitted_lcp": "Submitted to LCP",
    "accepted_lcp": "Accepted by LCP",
    "rejected_lcp": "Rejected by LCP",
    "accepted": "Porting Request Accepted",
    "complete": "Port Complete",
    "pending": "Pending",
}
_HOUR: Final = 3600.0
_DAY: Final = 86400.0
_GEOGRAPHIC: Final = re.compile(r"0[12][0-9]{8,9}")
_POSTCODE: Final = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")
_CUSTOMER_LIMITS: Final = {
    "title": 20,
    "forename": 20,
    "name": 50,
    "company": 50,
    "bussuffix": 50,
    "premises": 60,
    "thoroughfare": 55,
    "locality": 30,
    "postcode": 12,
}
_MANDATORY: Final = (
    "mbn",
    "lcp",
    "lcp_cupid",
    "contact_email",
    "account_number",
    "billing_postcode",
    "type",
    "lines",
    "channels",
    "customer",
    "numbers",
)


@attrs.define
class GnpRecord:
    """A submitted GNP order."""

    ref: int
    body: dict[str, Any]
    submitted_at: float
    crd: dt.date


@attrs.define
class MnpRecord:
    """A submitted MNP port."""

    ref: int
    pac: str
    msisdn: str
    added: dt.date
    port: dt.date


class PortingState:
    """The account's port orders."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.gnp: dict[str, GnpRecord] = {}
        self.mnp: dict[str, MnpRecord] = {}
        self._next_ref = 54721

    def next_ref(self) -> int:
        """A new order reference."""
        with self.lock:
            self._next_ref += 1
            return self._next_ref


def _stamp(at: float) -> str:
    return dt.datetime.fromtimestamp(at, UK).strftime("%Y-%m-%d %H:%M:%S")


def _events(record: GnpRecord, now: float) -> list[dict[str, str]]:
    """The order's history up to `now` (sandbox time)."""
    t0 = record.submitted_at
    rejected = str(record.body.get("billing_postcode", "")).upper().startswith("ZZ")
    crd_at = dt.datetime.combine(record.crd, dt.time(9), UK).timestamp()
    steps = [(t0, "rcvd", "Order Submitted by API"), (t0 + _HOUR, "submitted_lcp", None)]
    if rejected:
        steps.append((t0 + _DAY, "rejected_lcp", "Billing postcode does not match LCP records"))
    else:
        steps += [
            (t0 + _DAY, "accepted_lcp", None),
            (t0 + 2 * _DAY, "accepted", None),
            (max(crd_at, t0 + 2 * _DAY), "complete", None),
        ]
    out = []
    for at, code, info in steps:
        if at <= now:
            event = {"date": _stamp(at), "status_code": code, "status": _STATUS[code]}
            if info:
                event["info"] = info
            out.append(event)
    return out


def _gnp_errors(body: Any, state: PortingState) -> list[str]:
    if not isinstance(body, dict):
        return ["The order must be a JSON object."]
    errors = [f"Field '{name}' is mandatory" for name in _MANDATORY if body.get(name) in (None, "")]
    if errors:
        return errors
    if not _GEOGRAPHIC.fullmatch(str(body["mbn"])):
        errors.append("Field 'mbn' must be a UK geographic number (01... or 02...)")
    if body["type"] not in _LEAD_DAYS:
        errors.append("Field 'type' must be single, multi, sub_single or sub_multi")
    if not _POSTCODE.fullmatch(str(body["billing_postcode"])):
        errors.append("Field 'billing_postcode' must be a full postcode")
    customer = body["customer"]
    if not isinstance(customer, dict):
        return [*errors, "Field 'customer' must be an object"]
    for name, limit in _CUSTOMER_LIMITS.items():
        value = str(customer.get(name) or "")
        if not value and name in ("premises", "thoroughfare", "locality", "postcode"):
            errors.append(f"Customer field '{name}' is mandatory")
        elif len(value) > limit:
            errors.append(f"Customer field '{name}' must be at most {limit} characters")
    numbers = body["numbers"]
    if not isinstance(numbers, list):
        return [*errors, "Field 'numbers' must be an array"]
    mbns = [n for n in numbers if isinstance(n, dict) and n.get("type") == "mbn"]
    if len(mbns) != 1 or mbns[0].get("number") != body["mbn"]:
        errors.append("The numbers must include the MBN exactly once")
    for n, number in enumerate(numbers):
        if not isinstance(number, dict) or not _GEOGRAPHIC.fullmatch(str(number.get("number"))):
            errors.append(f"Number {n} must be a UK geographic number")
        elif number.get("type") not in ("mbn", "associated", "other") or number.get(
            "action"
        ) not in ("port", "retain", "drop"):
            errors.append(f"Number {n} has an invalid type or action")
        elif number["action"] == "retain" and number["type"] != "other":
            errors.append(f"Number {n}: only 'other' numbers can be retained")
    port_date = body.get("port_date")
    if port_date is not None and not re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", str(port_date)
    ):
        errors.append("Field 'port_date' must be in the form YYYY-MM-DD HH:mm:ss")
    orig = body.get("orig_ref")
    if orig is not None and str(orig) not in state.gnp:
        errors.append(f"Original order {orig} not found")
    return errors


async def gnp(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|POST porting/{account}/gnp (and the legacy `ports`)."""
    state = core.porting
    if ctx.method == "GET":
        rows = []
        for ref, record in sorted(state.gnp.items()):
            events = _events(record, core.now())
            rows.append(
                {
                    "ref": ref,
                    "mbn": record.body["mbn"],
                    "date": dt.datetime.fromtimestamp(record.submitted_at, UK).date().isoformat(),
                    "crd": record.crd.isoformat(),
                    "status_code": events[-1]["status_code"],
                    "status": events[-1]["status"],
                }
            )
        return reply(ctx, {"success": True, "data": rows})
    body = ctx.body_json
    errors = _gnp_errors(body, state)
    if errors:
        return error(400, *errors, pretty=ctx.pretty)
    assert isinstance(body, dict)  # noqa: S101 - checked above
    submitted = dt.datetime.fromtimestamp(core.now(), UK).date()
    port_date = str(body.get("port_date") or "")
    crd = (
        dt.date.fromisoformat(port_date[:10])
        if port_date
        else submitted + dt.timedelta(days=_LEAD_DAYS[body["type"]])
    )
    new = state.next_ref()
    state.gnp[str(new)] = GnpRecord(ref=new, body=dict(body), submitted_at=core.now(), crd=crd)
    return reply(
        ctx, {"success": True, "ref": new, "url": f"/v3/porting/{core.account}/ports/{new}"}
    )


async def gnp_order(core: SandboxCore, ctx: Ctx) -> Response:
    """GET porting/{account}/gnp/{REF}: as submitted, with status and events."""
    record = core.porting.gnp.get(ctx.params["ref"])
    if record is None:
        return error(404, f"Order {ctx.params['ref']} not found", pretty=ctx.pretty)
    events = _events(record, core.now())
    body = record.body
    lcp = str(body["lcp"])
    data = {
        "mbn": body["mbn"],
        "status": events[-1]["status"],
        "status_code": events[-1]["status_code"],
        "contact_email": body["contact_email"],
        "lcp": lcp,
        "rh": lcp,
        "account_number": body["account_number"],
        "billing_postcode": body["billing_postcode"],
        "type": body["type"],
        "lines": str(body["lines"]),
        "channels": str(body["channels"]),
        "customer": body["customer"],
        "numbers": body["numbers"],
        "events": events,
    }
    return reply(ctx, {"success": True, "data": data})


async def lcps(core: SandboxCore, ctx: Ctx) -> Response:  # noqa: ARG001
    """GET porting/{account}/lcps: note the `cps` key."""
    return reply(ctx, {"success": True, "cps": [{"cpName": n, "cupid": c} for n, c in _LCPS]})


def _mnp_row(record: MnpRecord, today: dt.date) -> dict[str, Any]:
    code = "complete" if today >= record.port else "pending"
    updated = min(today, record.port)
    return {
        "pac": record.pac,
        "msisdn": record.msisdn,
        "date_added": record.added.isoformat(),
        "date_updated": updated.isoformat(),
        "date_port": record.port.isoformat(),
        "status_code": code,
        "status": _STATUS[code],
        "ref": record.ref,
    }


async def mnp(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|POST porting/{account}/mnp."""
    state = core.porting
    today = dt.datetime.fromtimestamp(core.now(), UK).date()
    if ctx.method == "GET":
        rows = [_mnp_row(r, today) for _, r in sorted(state.mnp.items())]
        return reply(ctx, {"success": True, "data": rows})
    msisdn, pac = ctx.field("msisdn") or "", (ctx.field("pac") or "").upper()
    errors = []
    if not re.fullmatch(r"447[1-9][0-9]{8}", msisdn):
        errors.append("Field 'msisdn' must be a UK mobile number in E.164 format")
    if not re.fullmatch(r"[A-Z]{3}[0-9]{6,7}", pac):
        errors.append("Field 'pac' is not a valid PAC")
    elif pac in state.mnp:
        errors.append(f"PAC {pac} has already been used")
    if not ctx.field("contact_email"):
        errors.append("Field 'contact_email' is mandatory")
    port_text = ctx.field("port_date") or ""
    try:
        port = dt.date.fromisoformat(port_text) if port_text else today + dt.timedelta(days=2)
    except ValueError:
        errors.append("Field 'port_date' must be YYYY-MM-DD")
        port = today
    if errors:
        return error(400, *errors, pretty=ctx.pretty)
    record = MnpRecord(ref=state.next_ref(), pac=pac, msisdn=msisdn, added=today, port=port)
    state.mnp[pac] = record
    return reply(
        ctx,
        {
            "success": True,
            "data": {
                "pac": pac,
                "msisdn": msisdn,
                "date_port": port.isoformat(),
                "ref": record.ref,
            },
        },
    )


async def mnp_port(core: SandboxCore, ctx: Ctx) -> Response:
    """GET porting/{account}/mnp/{PAC}."""
    record = core.porting.mnp.get(ctx.params["pac"].upper())
    if record is None:
        return error(404, f"No port with PAC {ctx.params['pac']}", pretty=ctx.pretty)
    today = dt.datetime.fromtimestamp(core.now(), UK).date()
    return reply(ctx, {"success": True, "data": _mnp_row(record, today)})


_P: Final = "/v3/porting/{account}"
ROUTES: Final = [
    (f"{_P}/gnp", {"GET": gnp, "POST": gnp}),
    (f"{_P}/ports", {"GET": gnp, "POST": gnp}),  # the legacy alias of gnp
    (f"{_P}/gnp/{{ref}}", {"GET": gnp_order}),
    (f"{_P}/ports/{{ref}}", {"GET": gnp_order}),
    (f"{_P}/lcps", {"GET": lcps}),
    (f"{_P}/mnp", {"GET": mnp, "POST": mnp}),
    (f"{_P}/mnp/{{pac}}", {"GET": mnp_port}),
]
