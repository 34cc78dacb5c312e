"""Routes of `/v3/numbers/{ACCOUNT}/...`, answering in the documented (or observed) wire shape.

State lives in `_numbers_state.NumberInventory`; configurations are judged by
`_config_rules.config_errors` as the API does (all or nothing). Bodies are built here from the
docs' examples, never through the SDK's converter.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import re
from typing import TYPE_CHECKING, Any, Final

from starlette.responses import Response

from simwood_async._types import UK
from simwood_async.sandbox import _numbers_settings as s
from simwood_async.sandbox._http import Ctx, error, json_bytes, reply
from simwood_async.sandbox._numbers_settings import allocated_or_404, ok
from simwood_async.sandbox._reports import BadInputError, start_report
from simwood_async.sandbox._wire_reports import report_ref

if TYPE_CHECKING:
    from simwood_async.sandbox._core import SandboxCore
    from simwood_async.sandbox._numbers_state import AvailableEntry
    from simwood_async.sandbox._state import Report

__all__ = ["ROUTES"]

_PATTERN: Final = re.compile(r"[0-9*]{1,20}")
_ALLOCATED_SIZES: Final = ("10", "100", "1000", "10000")
_CONSECUTIVE_SIZES: Final = tuple(str(n) for n in range(10, 101, 10))
_FIRST_CALL_AFTER: Final = 3600.0


def _amount(value: Any) -> int | float:
    # The observed rows print money as bare numbers (`gold_price: 0`).
    return int(value) if value == int(value) else float(value)


def _available_row(entry: AvailableEntry) -> dict[str, Any]:
    return {
        "country_code": int(entry.country_code),
        "number": entry.number,
        "recommended_gold_premium": f"{entry.fee * 2:.2f}" if entry.gold else "",
        "wholesale_gold_premium": f"{entry.fee:.4f}",
        "block": entry.block,
        "bill_class": "DDI",
        "SMS": int(entry.sms),
    }


def _pattern(ctx: Ctx) -> str | None:
    pattern = ctx.field("pattern") or None
    if pattern is not None and not _PATTERN.fullmatch(pattern):
        raise BadInputError("pattern may only contain digits and '*'")
    return pattern


# --- finding numbers -----------------------------------------------------------------------


async def ranges(core: SandboxCore, ctx: Ctx) -> Response:
    """GET numbers/{account}/ranges (UK only)."""
    seen: dict[str, dict[str, str]] = {}
    for entry in [*core.numbers.available.values(), *core.numbers.allocated.values()]:
        if entry.country_code != "44":
            continue
        prefix = entry.number[:6]
        seen.setdefault(
            prefix,
            {
                "id": hashlib.sha1(
                    f"{core.seed}:{prefix}".encode(), usedforsecurity=False
                ).hexdigest(),
                "prefix": prefix,
                "sabc": prefix[:4],
                "description": entry.description,
                "chargeband": entry.chargeband,
            },
        )
    return ok(ctx, [seen[k] for k in sorted(seen)])


async def available(core: SandboxCore, ctx: Ctx) -> Response:
    """GET numbers/{account}/available/{all|gold|standard}/{1|10|100}: cheapest first."""
    tier, count = ctx.params["tier"], ctx.params["count"]
    if tier not in ("all", "gold", "standard") or count not in ("1", "10", "100"):
        return error(404, "Not found", pretty=ctx.pretty)
    country = ctx.field("country_code") or "44"
    if country not in ("44", "1"):
        raise BadInputError("country_code must be 44 or 1")
    pattern = _pattern(ctx)
    if pattern is not None and country == "44" and ctx.field("country_code") is None:
        # Without country_code, `4420*` and `20*` are the same UK search.
        pattern = pattern.removeprefix("44") or None
    found = core.numbers.search(tier, country, pattern)[: int(count)]
    return reply(ctx, [_available_row(e) for e in found])


def _start_report(  # noqa: PLR0917 - private, called three times
    core: SandboxCore,
    ctx: Ctx,
    kind: str,
    envelope: dict[str, Any],
    params: dict[str, str],
    rows: Any,
) -> Response:
    """Request a number report through the shared report start (de-duplicated by hash)."""

    def body(_: Report) -> bytes:
        return json_bytes(rows())

    hash_ = start_report(core, ctx, kind=kind, params=params, body=body)
    return reply(ctx, {**envelope, **report_ref(core.account, hash_)})


async def consecutive(core: SandboxCore, ctx: Ctx) -> Response:
    """POST numbers/{account}/available/consecutive/{10..100}: a report (UK only)."""
    count = ctx.params["count"]
    if count not in _CONSECUTIVE_SIZES:
        raise BadInputError("the block size must be one of 10, 20, ... 100")
    pattern = _pattern(ctx)
    params = {"pattern": pattern or ""}
    # Undocumented envelope: modelled on the allocated-numbers report's (observed).
    envelope: dict[str, Any] = {
        "quantity": int(count),
        "mode": "ncons",
        "pattern": pattern,
        "type": "nconsecutive",
    }

    def rows() -> list[dict[str, Any]]:
        return [_available_row(e) for e in core.numbers.consecutive(int(count), pattern)]

    return _start_report(core, ctx, f"numbers_consecutive_{count}", envelope, params, rows)


async def allocated_report(core: SandboxCore, ctx: Ctx) -> Response:
    """POST numbers/{account}/allocated/{all|10|100|1000|10000}: a report, observed rows."""
    which = ctx.params["number"]
    if which != "all" and which not in _ALLOCATED_SIZES:
        return error(404, "Not found", pretty=ctx.pretty)
    pattern, key = _pattern(ctx), (ctx.field("key") or "").lower() or None
    only_configured = (ctx.field("filter_config") or "0") not in ("0", "false", "")
    params = {"pattern": pattern or "", "key": key or "", "filter_config": str(only_configured)}
    if which == "all":
        envelope: dict[str, Any] = {"mode": "nlsn", "include_mobile_ott": 0, "type": "nlist"}
    else:
        envelope = {"quantity": int(which), "mode": "nlsn", "type": "nlist"}
    if pattern is not None:
        envelope["pattern"] = pattern
    inventory = core.numbers

    def rows() -> list[dict[str, Any]]:
        out = []
        for e164 in sorted(inventory.allocated):
            entry = inventory.allocated[e164]
            config = inventory.configs.get(e164)
            meta = config.get("meta") if isinstance(config, dict) else None
            meta_key = str(meta.get("key", "")).lower() if isinstance(meta, dict) else ""
            if pattern is not None and not _wild(pattern, entry.number):
                continue
            if (key is not None and meta_key != key) or (only_configured and config is None):
                continue
            out.append(
                {
                    "country_code": int(entry.country_code),
                    "number": entry.number,
                    "gold_price": _amount(entry.fee),
                    "block": entry.block,
                    "type": "DDI",
                    "SMS": int(entry.sms),
                }
            )
        return out if which == "all" else out[: int(which)]

    return _start_report(core, ctx, f"numbers_allocated_{which}", envelope, params, rows)


def _wild(pattern: str, number: str) -> bool:
    return fnmatch.fnmatchcase(number, pattern if "*" in pattern else pattern + "*")


# --- one number ----------------------------------------------------------------------------


def _number_view(core: SandboxCore, e164: str, entry: AvailableEntry) -> dict[str, Any]:
    base = f"/v3/numbers/{core.account}/allocated/{e164}"
    has_config = e164 in core.numbers.configs
    voice: dict[str, Any] = {"link": f"{base}/voice"}
    if has_config:
        voice.update(app="Custom", appdata="Advanced Routing")
    return {
        "basic": {
            "link": f"{base}/basic",
            "country_code": entry.country_code,
            "number": entry.number,
            "block": entry.block,
            "bill_class": "DDI",
            "SMS": int(entry.sms),
            "recommended_gold_premium": f"{entry.fee * 2:.2f}" if entry.gold else "",
            "wholesale_gold_premium": f"{entry.fee:.4f}",
        },
        "voice": voice,
        "fax": {"link": f"{base}/fax"},
        "sms": {"link": f"{base}/sms"},
        "999": {"link": f"{base}/999"},
    }


async def number(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT|DELETE numbers/{account}/allocated/{NUMBER}; POST is the report."""
    e164 = ctx.params["number"]
    inventory = core.numbers
    if ctx.method == "POST":
        return await allocated_report(core, ctx)
    if ctx.method == "PUT":
        if not inventory.allocate(e164, core.now(), core.account_state.charge):
            return error(404, f"Number {e164} is not available", pretty=ctx.pretty)
        return reply(ctx, _number_view(core, e164, inventory.allocated[e164]))
    found = allocated_or_404(core, ctx)
    if isinstance(found, Response):
        return found
    if ctx.method == "DELETE":
        inventory.release(e164)
        return ok(ctx)
    return reply(ctx, _number_view(core, *found))


async def last_call(core: SandboxCore, ctx: Ctx) -> Response:
    """GET numbers/{account}/allocated/{NUMBER}/lastcall (numbers string-encoded)."""
    found = allocated_or_404(core, ctx)
    if isinstance(found, Response):
        return found
    e164 = found[0]
    # Calls start to arrive an hour after allocation (numbers held from the start had some).
    held = core.now() - core.numbers.allocated_at.get(e164, 0.0)
    if held < _FIRST_CALL_AFTER:
        return ok(ctx, [])
    h = core.numbers.digest(e164)
    window = int(min(held, 86400.0)) - 60
    when = dt.datetime.fromtimestamp(int(core.now()) - 60 - h % window, UK)
    billsec = h % 300
    return ok(
        ctx,
        {
            "calldate": when.strftime("%Y-%m-%d %H:%M:%S"),
            "cli": f"0{7700900000 + h % 1000}",
            "disposition": "NORMAL_CLEARING",
            "billsec": str(billsec),
            "duration": str(billsec + 4),
        },
    )


_N: Final = "/v3/numbers/{account}"
_ONE: Final = f"{_N}/allocated/{{number}}"
_ALL: Final = ("GET", "PUT", "DELETE")


ROUTES: Final = [
    (f"{_N}/ranges", {"GET": ranges}),
    # Before `available/{tier}/{count}`, which would shadow it (first match wins).
    (f"{_N}/available/consecutive/{{count}}", {"POST": consecutive}),
    (f"{_N}/available/{{tier}}/{{count}}", {"GET": available}),
    (_ONE, dict.fromkeys(("GET", "PUT", "DELETE", "POST"), number)),
    (f"{_ONE}/lastcall", {"GET": last_call}),
    (f"{_ONE}/config", dict.fromkeys(_ALL, s.number_config)),
    (f"{_N}/default/config", dict.fromkeys(_ALL, s.default_config)),
    (f"{_ONE}/trunk", dict.fromkeys(_ALL, s.trunk)),
    (f"{_ONE}/sms", dict.fromkeys(_ALL, s.sms)),
    (f"{_ONE}/999", dict.fromkeys(("GET", "PUT"), s.emergency)),
    (f"{_N}/validate/{{number}}", {"GET": s.validate}),
    (f"{_N}/lookup/{{number}}", {"GET": s.lookup}),
]
