"""Routing configuration (number, trunk or account default): typed legs, rules and builders.

One schema serves `numbers/.../allocated/{NUMBER}/config`, `numbers/.../default/config` and
`voice/.../trunks/{TRUNK}/config`. A configuration routes calls through *plans*: a plan is a
sequence of *rings*, and a ring calls its legs in parallel. Build them with operators:

```python
from simwood_async.numbers import RoutingConfig, pstn, sip

# Ring the SIP URI for 20 s, then the mobile.
config = RoutingConfig.to(sip("office@pbx.example.com", timeout=20) >> pstn("447700900123"))
# Ring both at once, the mobile joining after 20 s.
config = RoutingConfig.to(sip("office@pbx.example.com") | pstn("447700900123", delay=20))
```

`RoutingConfig.check()` raises `InvalidInputError` for what the API would reject (the SDK
calls it before any request): a leg of unknown type, a `fax` leg beside another leg, rule
values that are not arrays, bad rule names, routing blocks without a rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import attrs

from simwood_async.exceptions import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from typing_extensions import Self

__all__ = [
    "LEG_TYPES",
    "BusyLeg",
    "ConfigOptions",
    "FaxLeg",
    "OtherLeg",
    "Plan",
    "PstnLeg",
    "RegLeg",
    "Ring",
    "RoutingConfig",
    "Rule",
    "SipLeg",
    "TeamsLeg",
    "busy",
    "fax",
    "pstn",
    "reg",
    "sip",
    "teams",
]

#: The leg types the docs define.
LEG_TYPES: Final = ("sip", "reg", "pstn", "teams", "fax", "busy")
_SDES: Final = ("optional", "required", "none")
# The docs list never/always/only; their own annotated example uses "default".
_OPUS: Final = ("never", "always", "only", "default")
_ZONES: Final = ("slo", "lon", "ny", "sj")
_FAX_METHODS: Final = ("http", "mail")
_RULE_NAME: Final = re.compile(r"[a-z_]+")
_SECTIONS: Final = ("rules", "routing", "options", "meta")
_META_KEY_MAX: Final = 40


class _Chain:
    """`a | b` rings legs together; `a >> b` tries `b` after `a`."""

    __slots__ = ()

    def __or__(self, other: Leg | Ring) -> Ring:
        return Ring(legs=(*_legs(self), *_legs(other)))

    def __rshift__(self, other: Leg | Ring | Plan) -> Plan:
        return Plan(steps=(*_steps(self), *_steps(other)))


@attrs.frozen(kw_only=True)
class SipLeg(_Chain):
    """Call a SIP URI (`%e164` / `%ukn` are replaced by the number).

    .. versionadded:: 0.1.0
    """

    endpoint: str
    sdes: str | None = None
    opus: str | None = None
    zone: str | None = None
    delay: int | None = None
    timeout: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    type: str = attrs.field(default="sip", init=False)


@attrs.frozen(kw_only=True)
class RegLeg(_Chain):
    """Call a user registered on Simwood's registration proxy (skipped when unregistered).

    .. versionadded:: 0.1.0
    """

    user: str
    sdes: str | None = None
    opus: str | None = None
    delay: int | None = None
    timeout: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    type: str = attrs.field(default="reg", init=False)


@attrs.frozen(kw_only=True)
class PstnLeg(_Chain):
    """Forward to a phone number (E.164 without `+`), optionally capping the cost.

    .. versionadded:: 0.1.0
    """

    number: str
    maxcpm: Decimal | None = None
    maxcpc: Decimal | None = None
    cli: str | None = None
    trunk: str | None = None
    delay: int | None = None
    timeout: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    type: str = attrs.field(default="pstn", init=False)


@attrs.frozen(kw_only=True)
class TeamsLeg(_Chain):
    """Send to Microsoft Teams (Operator Connect routes by the number).

    .. versionadded:: 0.1.0
    """

    delay: int | None = None
    timeout: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    type: str = attrs.field(default="teams", init=False)


@attrs.frozen(kw_only=True)
class FaxLeg(_Chain):
    """Receive faxes by `mail` or `http` POST; it must be the only leg of the configuration.

    .. versionadded:: 0.1.0
    """

    method: str
    endpoint: str
    delay: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    type: str = attrs.field(default="fax", init=False)


@attrs.frozen(kw_only=True)
class BusyLeg(_Chain):
    """Play busy tone.

    .. versionadded:: 0.1.0
    """

    delay: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    type: str = attrs.field(default="busy", init=False)


@attrs.frozen(kw_only=True)
class OtherLeg(_Chain):
    """A leg of a type the docs do not define, kept as read (`check()` rejects it).

    .. versionadded:: 0.1.0
    """

    type: str
    fields: Mapping[str, Any] = attrs.field(factory=dict)


Leg: TypeAlias = SipLeg | RegLeg | PstnLeg | TeamsLeg | FaxLeg | BusyLeg | OtherLeg
_KNOWN_LEGS: Final = (SipLeg, RegLeg, PstnLeg, TeamsLeg, FaxLeg, BusyLeg, OtherLeg)


@attrs.frozen(kw_only=True)
class Ring(_Chain):
    """Legs called in parallel.

    .. versionadded:: 0.1.0
    """

    legs: tuple[Leg, ...]


@attrs.frozen(kw_only=True)
class Plan:
    """Rings tried in sequence (the next when the previous times out or fails).

    .. versionadded:: 0.1.0
    """

    steps: tuple[Ring, ...]

    def __rshift__(self, other: Leg | Ring | Plan) -> Plan:
        return Plan(steps=(*self.steps, *_steps(other)))


def _legs(item: object) -> tuple[Leg, ...]:
    if isinstance(item, Ring):
        return item.legs
    if isinstance(item, _KNOWN_LEGS):
        return (item,)
    raise InvalidInputError(f"can only ring legs together, not {type(item).__name__}")


def _steps(item: object) -> tuple[Ring, ...]:
    if isinstance(item, Plan):
        return item.steps
    return (Ring(legs=_legs(item)),)


def _plan(item: Leg | Ring | Plan) -> Plan:
    return item if isinstance(item, Plan) else Plan(steps=_steps(item))


@attrs.frozen(kw_only=True)
class Rule:
    """A time period: days of week (1 = Monday), a `(start, end)` time, days, months.

    Every given value is an array on the wire (`dow=(3,)`, never `dow=3`); times are `HHMM`
    as text (`"0900"`) or as a number (`900`), as the docs allow.

    .. versionadded:: 0.1.0
    """

    dow: tuple[int, ...] | None = None
    time: tuple[str | int, str | int] | None = None
    day: tuple[int, ...] | None = None
    month: tuple[int, ...] | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ConfigOptions:
    """Options applying to the whole configuration (`trunk` only at number level).

    .. versionadded:: 0.1.0
    """

    enabled: bool | None = None
    block_payphone: bool | None = None
    acr: bool | None = None
    icr: bool | None = None
    beta_in: bool | None = None
    trunk: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class RoutingConfig:
    """A routing configuration: `routing` plans by rule name (`default` outside every rule).

    Attributes:
        routing: The plan per rule name; `default` applies outside the rules.
        rules: Named time periods (names of `a-z` and `_`), each a list of `Rule`.
        options: Options for the whole configuration.
        meta: Your own JSON (about 512 bytes); its `key` is searchable in number reports.
        extra: Sections the docs do not define, kept as read (`check()` rejects them).

    .. versionadded:: 0.1.0
    """

    routing: Mapping[str, Plan]
    rules: Mapping[str, tuple[Rule, ...]] | None = None
    options: ConfigOptions | None = None
    meta: Any = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def to(
        cls,
        plan: Leg | Ring | Plan,
        *,
        options: ConfigOptions | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> RoutingConfig:
        """A configuration routing every call through `plan` (the `default` block)."""
        return cls(routing={"default": _plan(plan)}, options=options, meta=meta)

    def when(self, name: str, rules: Rule | Iterable[Rule], plan: Leg | Ring | Plan) -> Self:
        """A copy that routes through `plan` during the named `rules` (e.g. office hours)."""
        given = (rules,) if isinstance(rules, Rule) else tuple(rules)
        return attrs.evolve(
            self,
            rules={**(self.rules or {}), name: given},
            routing={**self.routing, name: _plan(plan)},
        )

    def check(self, *, name: str = "config") -> Self:
        """Raise `InvalidInputError` (naming where) for anything the API would reject."""
        problems = list(_problems(self))
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise InvalidInputError(f"{name}: {problems[0]}{more}")
        return self


def sip(endpoint: str, **options: Any) -> SipLeg:
    """A `sip` leg: `sip("%e164@pbx.example.com", timeout=20)`."""
    return SipLeg(endpoint=endpoint, **options)


def reg(user: str, **options: Any) -> RegLeg:
    """A `reg` leg to a registered user, e.g. `reg("930000-ALICE")`."""
    return RegLeg(user=user, **options)


def pstn(number: str, **options: Any) -> PstnLeg:
    """A `pstn` leg: `pstn("447700900123", delay=20, maxcpm=Decimal("0.05"))`."""
    return PstnLeg(number=number, **options)


def teams(**options: Any) -> TeamsLeg:
    """A `teams` leg."""
    return TeamsLeg(**options)


def fax(endpoint: str, *, method: str = "mail", **options: Any) -> FaxLeg:
    """A `fax` leg delivering by `mail` (default) or `http` to `endpoint`."""
    return FaxLeg(method=method, endpoint=endpoint, **options)


def busy(**options: Any) -> BusyLeg:
    """A `busy` leg."""
    return BusyLeg(**options)


# --- validation: the API's rules, with where each problem is -------------------------------


def _problems(config: RoutingConfig) -> Iterable[str]:
    for section in config.extra:
        yield f"unknown section {section!r} (keep your own data in 'meta')"
    rules = config.rules or {}
    for rule_name, entries in rules.items():
        where = f"rules[{rule_name!r}]"
        if not _RULE_NAME.fullmatch(rule_name):
            yield f"{where}: rule names may only use a-z and '_'"
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
    faxes = [leg for plan in config.routing.values() for r in plan.steps for leg in r.legs
             if isinstance(leg, FaxLeg)]  # fmt: skip
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
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int)
               or not low <= v <= high]  # fmt: skip
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
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return False
    text = str(value)
    if not text.isdigit() or len(text) > 4:  # noqa: PLR2004
        return False
    number = int(text)
    return number // 100 <= 24 and number % 100 < 60  # noqa: PLR2004


def _leg_problems(where: str, leg: object) -> Iterable[str]:
    if isinstance(leg, OtherLeg) or not isinstance(leg, _KNOWN_LEGS):
        kind = leg.type if isinstance(leg, OtherLeg) else type(leg).__name__
        yield f"{where}: unknown leg type {kind!r} (one of {', '.join(LEG_TYPES)})"
        return
    for field in ("delay", "timeout"):
        value = getattr(leg, field, None)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):  # fmt: skip
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
    for field, allowed in choices:
        value = getattr(leg, field)
        if value is not None and value not in allowed:
            yield f"{where}.{field} must be one of {', '.join(allowed)}; got {value!r}"
