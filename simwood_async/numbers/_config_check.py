"""What the API rejects in a routing configuration, checked before any request."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from simwood_async.numbers._config import (
    LEG_TYPES,
    BusyLeg,
    FaxLeg,
    OtherLeg,
    Plan,
    PstnLeg,
    RegLeg,
    Rule,
    SipLeg,
    TeamsLeg,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from simwood_async.numbers._config import RoutingConfig

__all__ = ["problems"]

_KNOWN_LEGS: Final = (SipLeg, RegLeg, PstnLeg, TeamsLeg, FaxLeg, BusyLeg, OtherLeg)
_SDES: Final = ("optional", "required", "none")
# The docs list never/always/only; their own annotated example uses "default".
_OPUS: Final = ("never", "always", "only", "default")
_ZONES: Final = ("slo", "lon", "ny", "sj")
_FAX_METHODS: Final = ("http", "mail")
# The text says a-z and "_" only; the docs' own example names a rule `mon__fri_0700__1700`.
_RULE_NAME: Final = re.compile(r"[a-z0-9_]+")
_META_KEY_MAX: Final = 40
_MINUTES_PER_HOUR: Final = 60
_END_OF_DAY: Final = (24, 0)  # "2400" ends a day; "2430" is no time


def problems(config: RoutingConfig) -> Iterable[str]:
    """Every problem of `config`, each saying where it is."""
    for section in config.extra:
        yield f"unknown section {section!r} (keep your own data in 'meta')"
    rules = config.rules or {}
    for rule_name, entries in rules.items():
        where = f"rules[{rule_name!r}]"
        if not _RULE_NAME.fullmatch(rule_name):
            yield f"{where}: rule names may only use a-z, 0-9 and '_'"
        given: object = entries  # built by hand, it may be anything
        if not isinstance(given, (tuple, list)):
            yield f"{where} must be an array of rules"
            continue
        for n, rule in enumerate(given):
            yield from _rule_problems(f"{where}[{n}]", rule)
    if not config.routing:
        yield "routing is mandatory: give at least the 'default' block"
    for block, plan in config.routing.items():
        where = f"routing[{block!r}]"
        if block != "default" and block not in rules:
            yield f"{where} matches no rule (nor 'default'), so it would never be used"
        built: object = plan
        if not isinstance(built, Plan) or not built.steps:
            yield f"{where} must be a non-empty sequence of rings"
            continue
        for s, ring in enumerate(built.steps):
            if not ring.legs:
                yield f"{where}[{s}] is an empty ring"
            for n, leg in enumerate(ring.legs):
                yield from _leg_problems(f"{where}[{s}][{n}]", leg)
    faxes = [
        leg
        for plan in config.routing.values()
        for r in plan.steps
        for leg in r.legs
        if isinstance(leg, FaxLeg)
    ]
    legs = sum(len(r.legs) for plan in config.routing.values() for r in plan.steps)
    if faxes and legs > 1:
        yield "a 'fax' leg cannot be used with any other leg (a number is voice or fax)"
    if config.options is not None:
        for option in config.options.extra:
            yield f"options: invalid parameter {option!r}"
    meta = config.meta
    if isinstance(meta, dict) and "key" in meta:
        key = meta["key"]
        if not isinstance(key, str) or len(key) > _META_KEY_MAX:
            yield f"meta.key must be a string of at most {_META_KEY_MAX} characters"


def _rule_problems(where: str, rule: object) -> Iterable[str]:
    if not isinstance(rule, Rule):
        yield f"{where} must be a Rule"
        return
    for field, low, high in (("dow", 1, 7), ("day", 1, 31), ("month", 1, 12)):
        values = getattr(rule, field)
        if values is None:
            continue
        if not isinstance(values, (tuple, list)):
            yield f"{where}.{field} must be an array, e.g. [{values!r}] not {values!r}"
            continue
        bad = [
            v
            for v in values
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high
        ]
        if bad or not values:
            yield f"{where}.{field} must hold integers {low}..{high}; got {list(values)!r}"
    time: object = rule.time
    if time is not None:
        if not isinstance(time, (tuple, list)) or len(time) != 2:  # noqa: PLR2004
            yield f"{where}.time must be an array [start, end], e.g. ['0900', '1700']"
        elif not all(_hhmm(v) for v in time):
            yield f"{where}.time values must be HHMM times such as '0900' or 1700"
    for field in rule.extra:
        yield f"{where}: parameter {field!r} is invalid"


def _hhmm(value: object) -> bool:
    """A time such as `0900`, `"1700"` or `900` (the leading 0 may be omitted)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return False
    text = str(value)
    if not text.isdigit() or len(text) > 4:  # noqa: PLR2004
        return False
    hours, minutes = divmod(int(text), 100)
    return minutes < _MINUTES_PER_HOUR and (hours, minutes) <= _END_OF_DAY


def _leg_problems(where: str, leg: object) -> Iterable[str]:
    if isinstance(leg, OtherLeg) or not isinstance(leg, _KNOWN_LEGS):
        kind = leg.type if isinstance(leg, OtherLeg) else type(leg).__name__
        yield f"{where}: unknown leg type {kind!r} (one of {', '.join(LEG_TYPES)})"
        return
    for field in ("delay", "timeout"):
        value = getattr(leg, field, None)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            yield f"{where}.{field} must be a whole number of seconds >= 1"
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if isinstance(leg, SipLeg):
        choices = (("sdes", _SDES), ("opus", _OPUS), ("zone", _ZONES))
        if not leg.endpoint:
            yield f"{where}.endpoint is mandatory for a sip leg"
    elif isinstance(leg, RegLeg):
        choices = (("sdes", _SDES), ("opus", _OPUS))
        if not leg.user:
            yield f"{where}.user is mandatory for a reg leg"
    elif isinstance(leg, PstnLeg):
        if not re.fullmatch(r"[1-9][0-9]{6,14}", leg.number):
            yield f"{where}.number must be E.164 digits without '+'; got {leg.number!r}"
    elif isinstance(leg, FaxLeg):
        choices = (("method", _FAX_METHODS),)
        if not leg.endpoint:
            yield f"{where}.endpoint is mandatory for a fax leg"
    for field in getattr(leg, "extra", {}):
        yield f"{where}: parameter {field!r} is not valid for a {leg.type} leg"
    for field, allowed in choices:
        value = getattr(leg, field)
        if value is not None and value not in allowed:
            yield f"{where}.{field} must be one of {', '.join(allowed)}; got {value!r}"
