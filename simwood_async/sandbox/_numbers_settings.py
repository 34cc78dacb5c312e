"""Per-number settings in the sandbox: routing configs, trunk, SMS, 999; validate and lookup."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Final

from starlette.responses import Response

from simwood_async.sandbox._config_rules import config_errors
from simwood_async.sandbox._http import Ctx, error, reply

if TYPE_CHECKING:
    from simwood_async.sandbox._core import SandboxCore
    from simwood_async.sandbox._numbers_state import AvailableEntry

__all__ = [
    "allocated_or_404",
    "default_config",
    "emergency",
    "lookup",
    "number_config",
    "ok",
    "sms",
    "trunk",
    "validate",
]

_EMERGENCY_LIMITS: Final = {
    "title": 20,
    "forename": 20,
    "name": 50,
    "bussuffix": 50,
    "premises": 60,
    "thoroughfare": 55,
    "locality": 30,
    "postcode": 12,
}
_EMERGENCY_MANDATORY: Final = ("name", "premises", "thoroughfare", "locality", "postcode")
_POSTCODE: Final = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")
_E164: Final = re.compile(r"[1-9][0-9]{6,14}")


def ok(ctx: Ctx, data: Any = None) -> Response:
    """`{"success": true}`, with `data` when given."""
    body: dict[str, Any] = {"success": True}
    if data is not None:
        body["data"] = data
    return reply(ctx, body)


def _failed(ctx: Ctx, errors: list[str]) -> Response:
    return error(400, *errors, pretty=ctx.pretty)


def allocated_or_404(core: SandboxCore, ctx: Ctx) -> tuple[str, AvailableEntry] | Response:
    """The allocated number of the path, or the API's 404."""
    number = ctx.params["number"]
    entry = core.numbers.allocated.get(number)
    if entry is None:
        return error(404, f"Number {number} is not allocated to this account", pretty=ctx.pretty)
    return number, entry


def _body_config(ctx: Ctx) -> tuple[Any, list[str]]:
    """The PUT configuration: a JSON body, or JSON in the form variable `payload`."""
    if ctx.body_json is not None:
        return ctx.body_json, []
    payload = ctx.field("payload")
    if payload is None:
        return None, ["No configuration given (send JSON, or the form variable 'payload')."]
    try:
        return json.loads(payload), []
    except ValueError:
        return None, ["The configuration in 'payload' is not valid JSON."]


def _config(ctx: Ctx, get: Any, put: Any, delete: Any) -> Response:
    if ctx.method == "GET":
        current = get()
        return reply(ctx, current if current is not None else [])
    if ctx.method == "DELETE":
        delete()
        return ok(ctx)
    config, problems = _body_config(ctx)
    problems = problems or config_errors(config)
    if problems:
        return _failed(ctx, problems)  # the extant configuration stays in place
    put(config)
    return ok(ctx)


async def number_config(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT|DELETE numbers/{account}/allocated/{NUMBER}/config (all or nothing)."""
    found = allocated_or_404(core, ctx)
    if isinstance(found, Response):
        return found
    e164 = found[0]
    configs = core.numbers.configs
    return _config(
        ctx,
        lambda: configs.get(e164),
        lambda config: configs.__setitem__(e164, config),
        lambda: configs.pop(e164, None),
    )


async def default_config(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT|DELETE numbers/{account}/default/config."""
    inventory = core.numbers
    return _config(
        ctx,
        lambda: inventory.default_config,
        lambda config: setattr(inventory, "default_config", config),
        lambda: setattr(inventory, "default_config", None),
    )


async def trunk(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT|DELETE numbers/{account}/allocated/{NUMBER}/trunk (billing association)."""
    found = allocated_or_404(core, ctx)
    if isinstance(found, Response):
        return found
    e164 = found[0]
    trunks = core.numbers.trunks
    if ctx.method == "PUT":
        name = ctx.field("trunk") or ""
        if not re.fullmatch(rf"{core.account}-[A-Za-z0-9_]{{1,32}}", name):
            return _failed(ctx, [f"Trunk must be named {core.account}-NAME"])
        trunks[e164] = name
    elif ctx.method == "DELETE":
        trunks.pop(e164, None)
        return ok(ctx)
    # Without an association the account's default inbound trunk applies.
    return ok(ctx, {"trunk": trunks.get(e164, f"{core.account}-L001")})


async def sms(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT|DELETE numbers/{account}/allocated/{NUMBER}/sms (mobile and OTT numbers)."""
    found = allocated_or_404(core, ctx)
    if isinstance(found, Response):
        return found
    e164, entry = found
    settings = core.numbers.sms
    if ctx.method == "GET":
        current = settings.get(e164)
        return ok(ctx, dict(current) if current else [])
    if ctx.method == "DELETE":
        settings.pop(e164, None)
        return ok(ctx)
    if not entry.sms:
        return _failed(ctx, ["Only mobile or OTT numbers can be configured for inbound SMS"])
    mode, endpoint = ctx.field("mode") or "", ctx.field("endpoint") or ""
    problems = []
    if mode not in ("http", "http_json"):
        problems.append("Setting 'mode' must be http or http_json")
    if not re.fullmatch(r"https?://[^\s/]+\S*", endpoint):
        problems.append("Setting 'endpoint' must be an HTTP(S) URL")
    elif mode == "http" and endpoint.startswith("https:"):
        problems.append("Only the http_json mode supports TLS endpoints")
    if problems:
        return _failed(ctx, problems)
    settings[e164] = {"mode": mode, "endpoint": endpoint}
    return ok(ctx)


async def emergency(core: SandboxCore, ctx: Ctx) -> Response:
    """GET|PUT numbers/{account}/allocated/{NUMBER}/999: an array of one record."""
    found = allocated_or_404(core, ctx)
    if isinstance(found, Response):
        return found
    e164 = found[0]
    records = core.numbers.emergency
    if ctx.method == "PUT":
        record: dict[str, str] = {}
        problems = []
        for name, limit in _EMERGENCY_LIMITS.items():
            value = (ctx.field(name) or "").strip()
            if not value and name in _EMERGENCY_MANDATORY:
                problems.append(f"Field '{name}' is mandatory")
            elif len(value) > limit:
                problems.append(f"Field '{name}' must be at most {limit} characters")
            record[name] = value
        if record["postcode"] and not _POSTCODE.fullmatch(record["postcode"]):
            problems.append("Field 'postcode' must be a full postcode in the form 'LS11 5DF'")
        if problems:
            return _failed(ctx, problems)
        stamp = core.today().isoformat()
        records[e164] = {"status": "submitted", **record, "from": stamp, "to": ""}
    current = records.get(e164)
    return reply(ctx, [dict(current)] if current else [])


def _kind(national: str) -> tuple[str, str]:
    if national.startswith("7"):
        return "mobile", "mobile"
    if national.startswith(("1", "2")):
        return "geographic", "geographic"
    if national.startswith("3"):
        return "uan", "national non-geographic"
    if national.startswith("9"):
        return "premium_rate", "premium rate"
    return "other", "other"


def _spaced(national: str) -> str:
    digits = "0" + national
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}" if len(digits) == 11 else digits  # noqa: PLR2004


async def validate(core: SandboxCore, ctx: Ctx) -> Response:  # noqa: ARG001
    """GET numbers/{account}/validate/{NUMBER} (a format check, not a live lookup)."""
    number = ctx.params["number"]
    uk = number.startswith("44") and len(number) == 12  # noqa: PLR2004
    nanp = number.startswith("1") and len(number) == 11  # noqa: PLR2004
    valid = bool(_E164.fullmatch(number)) and (uk or nanp)
    cc = "44" if number.startswith("44") else "1" if number.startswith("1") else ""
    national = number[len(cc) :]
    kind, use = _kind(national) if uk else ("fixed_line_or_mobile", "")
    data = {
        "valid": valid,
        "country_code": cc,
        "iso": "gb" if cc == "44" else "us" if cc == "1" else "",
        "national_number": national,
        "type": kind,
        "carrier": "Simwood" if uk else "",
        "timezones": ["Europe/London"] if uk else ["America/New_York"],
        "formatted": {
            "e164": f"+{number}",
            "national": _spaced(national) if uk else national,
            "international": f"+{cc} {national}",
        },
        "ofcom": {
            "status": "allocated" if valid and uk else "",
            "use": use,
            "rh": "Simwood eSMS Limited" if uk else "",
            "date": "2010-07-20",
            "valid_cli": valid and uk and not national.startswith("9"),
        },
    }
    return ok(ctx, data)


async def lookup(core: SandboxCore, ctx: Ctx) -> Response:  # noqa: ARG001
    """GET numbers/{account}/lookup/{NUMBER}: the range holder."""
    number = ctx.params["number"]
    if not number.startswith("44") or not _E164.fullmatch(number):
        return error(404, f"No range found for {number}", pretty=ctx.pretty)
    national = number[2:]
    body = {
        "success": True,
        "formatted": f"+44(0){national[:3]} {national[3:]}",
        "data": {"code": national[:4], "prefix": national[:6], "rh": "Simwood eSMS Limited"},
    }
    return reply(ctx, body)
