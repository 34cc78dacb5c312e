"""Wire names, aliases and formats of the CDR rows, and their fast structure functions.

A CDR row is decoded tolerantly: every field is optional, each may arrive under any of its
spellings (the CDR pages' and the `cdr` push event's), values may be strings or numbers, an
empty string means "none" for numbers and times, and every key the model does not know is
kept in the row's `extra`. The start time is the row's `date` (a day) and `time`, or its
`calldate`, as an aware GMT datetime.

Rows in the shape a real account sends (exactly the observed keys, values of the usual
types) take a compiled fast path: one `itemgetter` call, exact-type shortcuts, and the
frozen instance filled through its slots (a frozen attrs `__init__` costs several times
more). Every other row, and any row the fast path cannot take as it is, goes through the
general path, which gives the same result.
"""

from __future__ import annotations

import datetime as dt
import operator
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from simwood_async._converter import format_wire_datetime, parse_wire_datetime
from simwood_async._types import GMT
from simwood_async.cdrs._models import NO_EXTRA, SmsCdr, VoiceCdr

if TYPE_CHECKING:
    from collections.abc import Callable

    from cattrs import Converter

__all__ = ["SMS_SPEC", "VOICE_KEYS", "VOICE_SPEC", "RowSpec", "register_cdr_hooks"]

#: The keys of a voice CDR row as a real account sends them, in its order.
VOICE_KEYS: Final = (
    "_id", "time", "date", "account", "fromdesc", "from", "to", "toid", "toISO", "todesc",
    "calldate", "secs_call", "secs_peak", "secs_offpeak", "secs_weekend", "secs_billed",
    "rate_peak", "rate_offpeak", "rate_weekend", "rate_connection", "chg_total", "currency",
    "trunk", "tag", "reference",
)  # fmt: skip


def _text(value: Any) -> str | None:
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {value!r}")


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            number = Decimal(value)  # "60.0"; anything else raises
            if number != number.to_integral_value():
                raise
            return int(number)
    raise TypeError(f"expected an integer, got {value!r}")


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError(f"expected an amount, got {value!r}")
    if isinstance(value, float):
        value = repr(value)  # the shortest text that round-trips
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError) as err:
        raise ValueError(f"expected an amount, got {value!r}") from err


def _moment(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    return parse_wire_datetime(value, GMT)


def _start(day: Any, time: Any) -> dt.datetime | None:
    """`date` + `time`: a day and a time of day, or `date` already a date and time."""
    if day.__class__ is str and len(day) == 10 and time.__class__ is str and time:  # noqa: PLR2004
        return parse_wire_datetime(f"{day} {time}", GMT)
    if day.__class__ is str and len(day) > 10:  # noqa: PLR2004 - a full date and time
        return _moment(day)
    return None


_CONVERT: Final[dict[str, Callable[[Any], Any]]] = {
    "str": _text,
    "int": _int,
    "money": _money,
    "time": _moment,
}


class RowSpec(NamedTuple):
    """How one CDR model reads its wire row."""

    cls: type
    fields: tuple[tuple[str, tuple[str, ...], str], ...]  # (field, wire keys, kind)
    start: tuple[str, ...]  # where `date` comes from after date + time: fallback keys


VOICE_SPEC: Final = RowSpec(
    VoiceCdr,
    (
        ("reference", ("reference", "_id", "cdr_id"), "str"),
        ("call_id", ("call_id",), "str"),
        ("calldate", ("calldate",), "time"),
        ("account", ("account",), "str"),
        ("direction", ("direction",), "str"),
        ("from_", ("from",), "str"),
        ("fromdesc", ("fromdesc",), "str"),
        ("to", ("to",), "str"),
        ("destid", ("toid", "dest_id"), "str"),
        ("to_iso", ("toISO", "iso"), "str"),
        ("todesc", ("todesc",), "str"),
        ("trunk", ("trunk",), "str"),
        ("tag", ("tag",), "str"),
        ("secs_call", ("secs_call",), "int"),
        ("secs_peak", ("secs_peak",), "int"),
        ("secs_offpeak", ("secs_offpeak",), "int"),
        ("secs_weekend", ("secs_weekend",), "int"),
        ("secs_billed", ("secs_billed",), "int"),
        ("rate_peak", ("rate_peak",), "money"),
        ("rate_offpeak", ("rate_offpeak",), "money"),
        ("rate_weekend", ("rate_weekend",), "money"),
        ("rate_connection", ("rate_connection",), "money"),
        ("chg_total", ("chg_total",), "money"),
        ("currency", ("currency",), "str"),
    ),
    ("calldate",),
)

SMS_SPEC: Final = RowSpec(
    SmsCdr,
    (
        ("reference", ("reference", "_id", "id"), "str"),
        ("account", ("account",), "str"),
        ("direction", ("direction",), "str"),
        ("from_", ("from", "originator"), "str"),
        ("to", ("to", "destination"), "str"),
        ("to_iso", ("toISO", "iso"), "str"),
        ("todesc", ("todesc",), "str"),
        ("parts", ("parts",), "int"),
        ("status", ("status",), "str"),
        ("chg_total", ("chg_total", "charge"), "money"),
        ("currency", ("currency",), "str"),
    ),
    ("calldate", "datetime"),
)


def _setters(cls: type) -> dict[str, Callable[[Any, Any], None]]:
    # The slots' own descriptors: they set a frozen instance's field without the
    # `__setattr__` that refuses it, exactly what attrs' `__init__` does, at a third of
    # its cost.
    return {f.name: getattr(cls, f.name).__set__ for f in attrs.fields(cls)}


def _build(
    cls: type, setters: dict[str, Callable[[Any, Any], None]], values: dict[str, Any]
) -> Any:
    obj: Any = object.__new__(cls)
    for name, setter in setters.items():
        setter(obj, values.get(name))
    return obj


def structure_general(spec: RowSpec, row: Any) -> Any:
    """Any row into `spec.cls` (the general path; the fast one gives the same result).

    Raises:
        TypeError: The row is not an object, or a value has a type its field cannot take.
        ValueError: A value that cannot be read (not a number, not a date).
    """
    if not isinstance(row, dict):
        raise TypeError(f"expected a CDR row (a JSON object), got {type(row).__name__}")
    values: dict[str, Any] = {}
    used: set[str] = set()
    for name, keys, kind in spec.fields:
        chosen: Any = None
        for key in keys:
            if key in row and row[key] is not None and row[key] != "":
                chosen = row[key]
                break
        if chosen is None:
            # An empty string is kept as such for text ("tag": ""), None for the rest.
            chosen = next((row[k] for k in keys if k in row and row[k] is not None), None)
        values[name] = _CONVERT[kind](chosen)
        # Spellings that said the same thing are read; one that differs stays in `extra`.
        used.update(k for k in keys if k in row and (row[k] == chosen or row[k] in (None, "")))
    day, time = row.get("date"), row.get("time")
    start = _start(day, time)
    if start is not None:
        used.add("date")
        if day.__class__ is str and len(day) == 10:  # noqa: PLR2004 - a day: `time` was read
            used.add("time")
    else:
        for key in spec.start:
            start = _moment(row.get(key))
            if start is not None:
                used.add(key)
                break
        used.update(k for k in ("date", "time") if k in row and row[k] in (None, ""))
    values["date"] = start
    extra = {key: value for key, value in row.items() if key not in used}
    values["extra"] = MappingProxyType(extra) if extra else NO_EXTRA
    return _build(spec.cls, _SETTERS[spec.cls], values)


_SETTERS: Final = {VoiceCdr: _setters(VoiceCdr), SmsCdr: _setters(SmsCdr)}


def _compile_voice() -> Callable[..., VoiceCdr]:
    """The fast path for rows with exactly `VOICE_KEYS` (any order)."""
    wire_to_field = {keys[0]: (name, kind) for name, keys, kind in VOICE_SPEC.fields}
    # `_id` is read only as a check that it names the same call as `reference`.
    names: dict[str, Any] = {
        "_get": operator.itemgetter(*VOICE_KEYS),
        "_new": object.__new__,
        "_cls": VoiceCdr,
        "_str": str,
        "_int": int,
        "_dec": Decimal,
        "_iso": dt.datetime.fromisoformat,
        "_text": _text,
        "_toint": _int,
        "_money": _money,
        "_general": structure_general,
        "_spec": VOICE_SPEC,
        "_none": NO_EXTRA,
    }
    variables = {key: f"v{i}" for i, key in enumerate(VOICE_KEYS)}
    lines = [
        "def structure_voice_cdr(o, cl=None):",
        f"    if o.__class__ is not dict or len(o) != {len(VOICE_KEYS)}:",
        "        return _general(_spec, o)",
        "    try:",
        f"        {', '.join(variables.values())}, = _get(o)",
        "    except KeyError:",
        "        return _general(_spec, o)",
        "    try:",
        (
            f"        if {variables['_id']} != {variables['reference']} or not"
            f" {variables['reference']}:"
        ),
        "            raise ValueError",
        (
            f"        if {variables['date']}.__class__ is not str or len({variables['date']}) != 10"
            f" or {variables['time']}.__class__ is not str:"
        ),
        "            raise ValueError",
        f"        start = _iso({variables['date']} + ' ' + {variables['time']} + '+00:00')",
    ]
    assigned: dict[str, str] = {"date": "start", "extra": "_none"}
    for key, var in variables.items():
        if key not in wire_to_field:
            continue
        name, kind = wire_to_field[key]
        assigned[name] = var
        if kind == "str":
            lines.append(f"        if {var}.__class__ is not _str: {var} = _text({var})")
        elif kind == "int":
            lines.append(f"        if {var}.__class__ is not _int: {var} = _toint({var})")
        elif kind == "money":
            lines.append(
                f"        {var} = _dec({var}) if {var}.__class__ is _str else _money({var})"
            )
        else:  # a time: the wire form, else the general path decides (zero dates, blanks)
            lines.append(
                f"        if {var}.__class__ is not _str or len({var}) != 19: raise ValueError"
            )
            lines.append(f"        {var} = _iso({var} + '+00:00')")
    lines.append("    except Exception:")
    lines.append("        return _general(_spec, o)")
    lines.append("    obj = _new(_cls)")
    for field in attrs.fields(VoiceCdr):
        setter = f"_set_{field.name}"
        names[setter] = getattr(VoiceCdr, field.name).__set__
        lines.append(f"    {setter}(obj, {assigned.get(field.name, 'None')})")
    lines.append("    return obj")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<simwood_async voice CDR row>", "exec"), names)  # noqa: S102 - ours
    fn: Callable[..., VoiceCdr] = names["structure_voice_cdr"]
    return fn


structure_voice: Final = _compile_voice()


def structure_sms(row: Any, _: Any = None) -> SmsCdr:
    """An SMS CDR row into `SmsCdr` (small volumes: the general path)."""
    result: SmsCdr = structure_general(SMS_SPEC, row)
    return result


def _unstructurer(spec: RowSpec) -> Callable[[Any], dict[str, Any]]:
    def unstructure(row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if row.date is not None:
            out["date"] = row.date.astimezone(GMT).strftime("%Y-%m-%d")
            out["time"] = row.date.astimezone(GMT).strftime("%H:%M:%S")
        for name, keys, kind in spec.fields:
            value = getattr(row, name)
            if value is None:
                continue
            if kind == "time":
                value = format_wire_datetime(value, GMT)
            elif kind == "money":
                value = str(value)
            out[keys[0]] = value
        out.update(row.extra)
        return out

    return unstructure


def register_cdr_hooks(converter: Converter) -> None:
    """Register the CDR rows' structure (fast and general) and unstructure hooks."""
    converter.register_structure_hook(VoiceCdr, structure_voice)
    converter.register_structure_hook(SmsCdr, structure_sms)
    converter.register_unstructure_hook(VoiceCdr, _unstructurer(VOICE_SPEC))
    converter.register_unstructure_hook(SmsCdr, _unstructurer(SMS_SPEC))
