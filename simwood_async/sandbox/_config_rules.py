"""The API's validation of number, trunk and default routing configurations (from the docs).

Independent of the SDK's models on purpose: the sandbox judges the JSON a client sends as the
API would, with the docs' error wording, and the whole configuration is rejected on any error.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["config_errors"]

_SECTIONS: Final = ("rules", "routing", "options", "meta")
_BOOL_OPTIONS: Final = ("enabled", "block_payphone", "acr", "icr", "beta_in")
# The text says a-z and "_" only; the docs' own example names a rule `mon__fri_0700__1700`.
_RULE_NAME: Final = re.compile(r"[a-z0-9_]+")
_RULE_RANGES: Final = {"dow": (1, 7), "day": (1, 31), "month": (1, 12)}
_LEG_FIELDS: Final = {
    "sip": {"endpoint", "sdes", "opus", "zone"},
    "reg": {"user", "sdes", "opus"},
    "pstn": {"number", "maxcpm", "maxcpc", "cli", "trunk"},
    "teams": set(),
    "fax": {"method", "endpoint"},
    "busy": set(),
}
_CHOICES: Final = {
    "sdes": ("optional", "required", "none"),
    "opus": ("never", "always", "only", "default"),
    "zone": ("slo", "lon", "ny", "sj"),
    "method": ("http", "mail"),
}
_MANDATORY: Final = {"sip": "endpoint", "reg": "user", "pstn": "number", "fax": "endpoint"}
_META_BYTES: Final = 512
_HHMM: Final = re.compile(r"[0-9]{1,4}")
_MINUTES_PER_HOUR: Final = 60
_END_OF_DAY: Final = (24, 0)


def config_errors(config: Any) -> list[str]:
    """Every problem of a configuration, in the docs' wording (empty when it is valid)."""
    if not isinstance(config, dict):
        return ["Configuration must be a JSON object."]
    errors = [
        f"Unknown section '{name}' in configuration." for name in config if name not in _SECTIONS
    ]
    errors += _options(config.get("options"))
    rules = config.get("rules", {})
    if not isinstance(rules, dict):
        errors.append("Rule must be an array.")
        rules = {}
    for name, entries in rules.items():
        errors += _rule(name, entries)
    routing = config.get("routing")
    if not isinstance(routing, dict) or not routing:
        errors.append("Section 'routing' is mandatory.")
        return errors
    legs = 0
    faxes = 0
    for name, block in routing.items():
        if name != "default" and name not in rules:
            errors.append(f"Routing block '{name}' does not match any specified rules (or default)")
        if not isinstance(block, list) or not all(isinstance(ring, list) for ring in block):
            errors.append(f"Routing block '{name}' must be an array.")
            continue
        for ring in block:
            for n, leg in enumerate(ring):
                legs += 1
                faxes += isinstance(leg, dict) and leg.get("type") == "fax"
                errors += _leg(name, n, leg)
    if faxes and legs > 1:
        errors.append("A fax endpoint cannot be used in conjunction with any other endpoint.")
    meta = config.get("meta")
    if meta is not None and len(str(meta).encode()) > _META_BYTES * 2:
        errors.append("Section 'meta' is too large.")
    if isinstance(meta, dict) and "key" in meta and len(str(meta["key"])) > 40:  # noqa: PLR2004
        errors.append("Setting 'key' in 'meta' must be at most 40 characters.")
    return errors


def _options(options: Any) -> list[str]:
    if options is None:
        return []
    if not isinstance(options, dict):
        return ["Section 'options' must be an object."]
    errors = []
    for name, value in options.items():
        if name in _BOOL_OPTIONS:
            if not isinstance(value, bool):
                errors.append(f"Setting '{name}' must be true or false")
        elif name == "trunk":
            if not isinstance(value, str) or not value:
                errors.append("Setting 'trunk' must be a trunk name")
        else:
            errors.append(f"Invalid parameter '{name}' in settings")
    return errors


def _rule(name: str, entries: Any) -> list[str]:
    errors = []
    if not _RULE_NAME.fullmatch(name):
        errors.append(f"Rule name '{name}' is invalid.")
    if not isinstance(entries, list):
        return [*errors, "Rule must be an array."]
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            errors.append(f"Rule '{name}' entry {n} is invalid.")
            continue
        for param, value in entry.items():
            if not _rule_value_ok(param, value):
                errors.append(f"Rule '{name}' entry {n} parameter '{param}' is invalid.")
    return errors


def _hhmm(value: Any) -> bool:
    """A time such as `0900`, `"1700"` or `900` (the leading 0 may be omitted)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return False
    if not _HHMM.fullmatch(str(value)):
        return False
    hours, minutes = divmod(int(str(value)), 100)
    return minutes < _MINUTES_PER_HOUR and (hours, minutes) <= _END_OF_DAY


def _rule_value_ok(param: str, value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False  # values are arrays, even for one day: [3] not 3
    if param == "time":
        return len(value) == 2 and all(_hhmm(v) for v in value)  # noqa: PLR2004
    bounds = _RULE_RANGES.get(param)
    if bounds is None:
        return False
    low, high = bounds
    return all(isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in value)


def _leg(block: str, n: int, leg: Any) -> list[str]:
    where = f"Routing block '{block}' entry {n}"
    if not isinstance(leg, dict):
        return [f"{where} must be an object."]
    kind = leg.get("type")
    fields = _LEG_FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        return [f"{where} has an invalid type '{kind}'."]
    errors = []
    for name, value in leg.items():
        if name == "type":
            continue
        if name == "timeout" and kind in ("busy", "fax"):
            errors.append(f"{where} parameter 'timeout' is not supported by type '{kind}'.")
        elif name in ("delay", "timeout"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                errors.append(f"{where} parameter '{name}' is invalid.")
        elif name not in fields:
            errors.append(f"{where} parameter '{name}' is not valid for type '{kind}'.")
        elif name in _CHOICES and value not in _CHOICES[name]:
            choices = ", ".join(_CHOICES[name])
            errors.append(f"{where} setting '{name}' must be {choices}")
    mandatory = _MANDATORY.get(str(kind))
    if mandatory is not None and not leg.get(mandatory):
        errors.append(f"{where} requires '{mandatory}'.")
    return errors
