"""The routing configuration's wire form, both ways (registered in the one converter).

The schema is dynamic (legs by `type`, blocks and rules by name, free `meta`), so these two
functions do what cattrs hooks would, keeping unknown keys in each model's `extra` so that a
configuration read from the API is written back unchanged.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from simwood_async.numbers._config import (
    BusyLeg,
    ConfigOptions,
    FaxLeg,
    OtherLeg,
    Plan,
    PstnLeg,
    RegLeg,
    Ring,
    RoutingConfig,
    Rule,
    SipLeg,
    TeamsLeg,
)

if TYPE_CHECKING:
    from cattrs import Converter

__all__ = ["config_from_wire", "config_to_wire", "install"]

_LEGS: Final[dict[str, tuple[type[Any], tuple[str, ...]]]] = {
    "sip": (SipLeg, ("endpoint", "sdes", "opus", "zone", "delay", "timeout")),
    "reg": (RegLeg, ("user", "sdes", "opus", "delay", "timeout")),
    "pstn": (PstnLeg, ("number", "maxcpm", "maxcpc", "cli", "trunk", "delay", "timeout")),
    "teams": (TeamsLeg, ("delay", "timeout")),
    "fax": (FaxLeg, ("method", "endpoint", "delay")),
    "busy": (BusyLeg, ("delay",)),
}
_INTS: Final = frozenset({"delay", "timeout"})
_MONEY: Final = frozenset({"maxcpm", "maxcpc"})
_OPTIONS: Final = ("enabled", "block_payphone", "acr", "icr", "beta_in", "trunk")
_RULE_ARRAYS: Final = ("dow", "day", "month")
_SECTIONS: Final = ("rules", "routing", "options", "meta")


def config_from_wire(data: Any) -> RoutingConfig:
    """Structure a configuration; ValueError says where the shape is wrong."""
    if not isinstance(data, dict):
        raise TypeError(f"a configuration is a JSON object, not {type(data).__name__}")
    routing = data.get("routing")
    if not isinstance(routing, dict):
        raise TypeError("routing must be an object of routing blocks by name")
    rules = data.get("rules")
    if rules is not None and not isinstance(rules, dict):
        raise ValueError("rules must be an object of rules by name")
    options = data.get("options")
    if options is not None and not isinstance(options, dict):
        raise ValueError("options must be an object")
    return RoutingConfig(
        routing={name: _plan(f"routing[{name!r}]", block) for name, block in routing.items()},
        rules=None
        if rules is None
        else {name: _rules(f"rules[{name!r}]", entries) for name, entries in rules.items()},
        options=None
        if options is None
        else ConfigOptions(
            **{k: _option(k, options[k]) for k in _OPTIONS if options.get(k) is not None},
            extra={k: v for k, v in options.items() if k not in _OPTIONS},
        ),
        meta=data.get("meta"),
        extra={k: v for k, v in data.items() if k not in _SECTIONS},
    )


def _array(where: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{where} must be an array, e.g. [{value!r}] not {value!r}")
    return value


def _plan(where: str, block: Any) -> Plan:
    steps = []
    for s, ring in enumerate(_array(where, block)):
        legs = tuple(
            _leg(f"{where}[{s}][{n}]", leg) for n, leg in enumerate(_array(f"{where}[{s}]", ring))
        )
        steps.append(Ring(legs=legs))
    return Plan(steps=tuple(steps))


def _leg(where: str, data: Any) -> Any:
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise TypeError(f"{where} must be an object with a 'type'")
    known = _LEGS.get(data["type"])
    if known is None:
        return OtherLeg(type=data["type"], fields={k: v for k, v in data.items() if k != "type"})
    cls, fields = known
    values: dict[str, Any] = {}
    for field in fields:
        value = data.get(field)
        if value is None:
            continue
        try:
            if field in _INTS:
                value = int(value)
            elif field in _MONEY:
                value = Decimal(repr(value) if isinstance(value, float) else str(value))
            else:
                value = str(value)
        except (ValueError, TypeError, InvalidOperation) as err:
            raise ValueError(f"{where}.{field}: unexpected value {value!r}") from err
        values[field] = value
    extra = {k: v for k, v in data.items() if k != "type" and k not in fields}
    return cls(**values, extra=extra)


def _rules(where: str, entries: Any) -> tuple[Rule, ...]:
    out = []
    for n, entry in enumerate(_array(where, entries)):
        here = f"{where}[{n}]"
        if not isinstance(entry, dict):
            raise TypeError(f"{here} must be an object")
        values: dict[str, Any] = {}
        for field in _RULE_ARRAYS:
            if field in entry:
                values[field] = tuple(_array(f"{here}.{field}", entry[field]))
        if "time" in entry:
            values["time"] = tuple(_array(f"{here}.time", entry["time"]))
        extra = {k: v for k, v in entry.items() if k not in (*_RULE_ARRAYS, "time")}
        out.append(Rule(**values, extra=extra))
    return tuple(out)


def _option(name: str, value: Any) -> Any:
    if name == "trunk":
        return str(value)
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise ValueError(f"options.{name} must be true or false; got {value!r}")


def config_to_wire(config: RoutingConfig) -> dict[str, Any]:
    """The JSON object of a configuration (only what is set; unknown keys kept)."""
    out: dict[str, Any] = {}
    if config.rules is not None:
        out["rules"] = {
            name: [_rule_to_wire(r) for r in rules] for name, rules in config.rules.items()
        }
    out["routing"] = {
        name: [[_leg_to_wire(leg) for leg in ring.legs] for ring in plan.steps]
        for name, plan in config.routing.items()
    }
    if config.options is not None:
        options = {k: getattr(config.options, k) for k in _OPTIONS}
        out["options"] = {k: v for k, v in options.items() if v is not None}
        out["options"].update(config.options.extra)
    if config.meta is not None:
        out["meta"] = config.meta
    out.update(config.extra)
    return out


def _rule_to_wire(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in ("dow", "time", "day", "month"):
        value = getattr(rule, field)
        if value is not None:
            out[field] = list(value)
    out.update(rule.extra)
    return out


def _leg_to_wire(leg: Any) -> dict[str, Any]:
    if isinstance(leg, OtherLeg):
        return {"type": leg.type, **leg.fields}
    out: dict[str, Any] = {"type": leg.type}
    for field in _LEGS[leg.type][1]:
        value = getattr(leg, field)
        if value is None:
            continue
        if isinstance(value, Decimal):
            # A JSON number, as the docs write it (`"maxcpm": 0.02`).
            value = int(value) if value == value.to_integral_value() else float(value)
        out[field] = value
    out.update(leg.extra)
    return out


def install(conv: Converter) -> None:
    """Register the configuration hooks on `conv` (called by `make_converter`)."""
    conv.register_structure_hook(RoutingConfig, lambda value, _: config_from_wire(value))
    # Number rows print an unset premium as "" (observed): no amount, not a bad one.
    decimal = conv.get_structure_hook(Decimal)
    conv.register_structure_hook_func(
        lambda t: t == (Decimal | None),
        lambda value, _: None if value is None or value == "" else decimal(value, Decimal),
    )
    conv.register_unstructure_hook(RoutingConfig, config_to_wire)
