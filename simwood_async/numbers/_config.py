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


#: Any one leg of a routing plan.
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
        from simwood_async.numbers._config_check import problems as find  # noqa: PLC0415

        problems = list(find(self))
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
