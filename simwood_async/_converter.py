"""The one cattrs converter: it owns every wire detail the models do not know about.

Wire names, the `YYYY-MM-DD hh:mm:ss` format and its time zones, money as `Decimal`, opaque
string ids, and tolerance (unknown keys, numbers sent as strings and vice versa, the docs'
key typos) all live here. `strict=True` forbids unknown keys: the tests decode with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from simwood_async._types import GMT, UK, UkDateTime, UtcDateTime

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["format_wire_datetime", "make_converter", "parse_wire_datetime"]

_WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"
_ZERO_DATES = ("0000-00-00", "0000-00-00 00:00:00")

# Field name -> accepted wire keys (the first is written back), per model, where the wire is
# not simply the field name. Filled by `_wire_names()` so the models stay plain.
_Aliases = dict[str, tuple[str, ...]]


def _wire_names() -> dict[type[Any], _Aliases]:
    # Imported here: models import nothing from this module, so there is no cycle.
    from simwood_async.accounts import _models as acc  # noqa: PLC0415
    from simwood_async.cdrs import _models as cdrs  # noqa: PLC0415
    from simwood_async.numbers import _models as num  # noqa: PLC0415
    from simwood_async.porting import _models as porting  # noqa: PLC0415
    from simwood_async.rates import _models as rates  # noqa: PLC0415
    from simwood_async.reports import _models as reports  # noqa: PLC0415
    from simwood_async.voice import _models as voice  # noqa: PLC0415

    pascal: _Aliases = {
        "invoice_number": ("InvoiceNumber",),
        "date": ("Date",),
        "due_date": ("DueDate",),
        "currency": ("Currency",),
        "net": ("Net",),
        "vat": ("VAT",),
        "total": ("Total",),
        "amount_paid": ("AmountPaid",),
        "amount_credited": ("AmountCredited",),
        "amount_due": ("AmountDue",),
    }
    return {
        acc.Invoice: pascal,
        acc.InvoiceList: {
            "invoices": ("Invoices",),
            "total_due": ("TotalDue",),
            "total_overdue": ("TotalOverDue", "TotalOverdue"),
        },
        rates.DestinationRates: {"description": ("desc",)},
        cdrs.VoiceCdr: {"from_": ("from",), "to_iso": ("toISO",)},
        cdrs.SmsCdr: {"from_": ("from",), "to_iso": ("toISO",)},
        cdrs.CdrFilter: {"from_": ("from",), "to_iso": ("toISO",)},
        reports.ReportEnvelope: {"from_": ("from",)},
        rates.DestinationRate: {
            "peak": ("p",),
            "offpeak": ("o",),
            "weekend": ("w",),
            "connection": ("c",),
        },
        # The docs' sample spells this key `limit/_rate_out`.
        voice.DynamicLimits: {"limit_rate_out": ("limit_rate_out", "limit/_rate_out")},
        num.AvailableNumber: {"sms": ("SMS",)},
        num.AllocatedNumberRow: {"sms": ("SMS",)},
        num.NumberBasic: {"sms": ("SMS",)},
        num.AllocatedNumber: {"emergency": ("999",)},
        num.EmergencyAddress: {"valid_from": ("from",), "valid_to": ("to",)},
        porting.LosingProvider: {"name": ("cpName",)},
        # Numbers and porting models keep what they do not name, too.
        **{
            model: {}
            for model in (
                num.NumberRange,
                num.ServiceLink,
                num.LastCall,
                num.SmsConfig,
                num.FormattedNumber,
                num.OfcomInfo,
                num.NumberValidation,
                num.NumberLookup,
                porting.GnpCustomer,
                porting.GnpNumber,
                porting.GnpOrderSummary,
                porting.PortEvent,
                porting.GnpOrderDetail,
                porting.MnpPort,
            )
        },
        # Models with an `extra` field keep the keys they do not name (see `_register_aliases`).
        acc.AccountType: {},
        voice.VoiceLimits: {},
        voice.InProgressSummary: {},
        voice.InProgressCall: {},
        voice.CallInProgress: {},
    }


def parse_wire_datetime(value: object, zone: dt.tzinfo) -> dt.datetime | None:
    """Parse the API's naive `YYYY-MM-DD hh:mm:ss` (or ISO 8601) into an aware datetime.

    Args:
        value: The wire value.
        zone: The zone the API documents for this field.

    Returns:
        An aware datetime, or None for MySQL's zero date.

    Raises:
        TypeError: The value is not a string.
        ValueError: The string is not a date and time.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if not isinstance(value, str):
        raise TypeError(f"expected a 'YYYY-MM-DD hh:mm:ss' string, got {value!r}")
    if value in _ZERO_DATES:
        return None
    if len(value) == 19 and value[10] == " ":  # noqa: PLR2004 - `YYYY-MM-DD hh:mm:ss`
        # The wire form, parsed 40x faster than by strptime, with the same result: the
        # offset is part of the text so no `replace()` (itself slow) is needed for GMT.
        try:
            if zone is GMT:
                return dt.datetime.fromisoformat(value + "+00:00")
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass  # not the wire form after all: the general path below decides
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    try:
        parsed = dt.datetime.strptime(value, _WIRE_FORMAT)  # noqa: DTZ007 - zone set below
    except ValueError:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as err:
            # Name the value: the docs' own samples contain dates such as 2014-02-30.
            raise ValueError(f"invalid date and time {value!r}: {err}") from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def format_wire_datetime(value: dt.datetime, zone: dt.tzinfo = GMT) -> str:
    """Format a datetime the way the API wants it: naive `YYYY-MM-DD hh:mm:ss` in `zone`.

    A naive datetime is taken to be in `zone` already.
    """
    if value.tzinfo is not None:
        value = value.astimezone(zone)
    return value.strftime(_WIRE_FORMAT)


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, bool):
        raise TypeError(f"expected an amount, got {value!r}")
    if isinstance(value, float):
        value = repr(value)  # the shortest text that round-trips, not the binary expansion
    try:
        return Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError) as err:
        raise ValueError(f"expected an amount, got {value!r}") from err


def _structure_str(value: object, _: type) -> str:
    # Ids are opaque strings, but the API sends some as numbers (`"account": 930000`).
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {value!r}")


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r}")


def _structure_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1"):
        return value in (1, "1")
    if value in ("true", "false"):
        return value == "true"
    raise TypeError(f"expected a boolean, got {value!r}")


def _structure_date(value: object, _: type) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a 'YYYY-MM-DD' string, got {value!r}")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as err:
        raise ValueError(f"invalid date {value!r}: {err}") from err


def _zoned(zone: dt.tzinfo) -> Callable[[object, type], dt.datetime]:
    def structure(value: object, _: type) -> dt.datetime:
        parsed = parse_wire_datetime(value, zone)
        if parsed is None:
            raise ValueError(f"expected a date and time, got {value!r}")
        return parsed

    return structure


# Module-level so the compiled row functions (`cdrs/_decode.py`) can recognise it.
_structure_gmt = _zoned(GMT)


def make_converter(*, strict: bool = False) -> Converter:
    """Build the converter the client (and the sandbox) use.

    Args:
        strict: Forbid unknown keys and keep detailed validation errors (the tests use this).

    Returns:
        A new converter; nothing is shared between calls.
    """
    conv = Converter(forbid_extra_keys=strict, detailed_validation=strict)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_structure_hook(UtcDateTime, _structure_gmt)
    conv.register_structure_hook(UkDateTime, _zoned(UK))
    conv.register_unstructure_hook(UtcDateTime, lambda v: format_wire_datetime(v, GMT))
    conv.register_unstructure_hook(UkDateTime, lambda v: format_wire_datetime(v, UK))
    names = _wire_names()
    for cls, aliases in names.items():
        _register_aliases(conv, cls, aliases)
    from simwood_async.numbers._wire import install as install_routing_config  # noqa: PLC0415

    install_routing_config(conv)
    # Bulk rows get a compiled structure function (cattrs' stays as its fallback).
    from simwood_async.cdrs._decode import install_fast_structure  # noqa: PLC0415 - no cycle
    from simwood_async.cdrs._models import SmsCdr, VoiceCdr  # noqa: PLC0415
    from simwood_async.reports._models import PrepaySummaryRow, VoiceSummaryRow  # noqa: PLC0415

    for cls in (VoiceCdr, SmsCdr, VoiceSummaryRow, PrepaySummaryRow):
        renames = {k: v[0] for k, v in names.get(cls, {}).items()}
        install_fast_structure(conv, cls, renames, lazy=True)
    return conv


_EXTRA = "extra"


def _register_aliases(conv: Converter, cls: type, aliases: Mapping[str, tuple[str, ...]]) -> None:
    """Wire names for `cls`; a model with an `extra` field also keeps the keys it does not name.

    Kept keys are never an error, not even in strict mode: nothing is lost, so there is
    nothing to flag. They are written back at the top level when unstructuring.
    """
    overrides: dict[str, Any] = {name: override(rename=keys[0]) for name, keys in aliases.items()}
    extra = {alt: keys[0] for keys in aliases.values() for alt in keys[1:]}
    names = [f.name for f in attrs.fields(cls)]
    keeps_extra = _EXTRA in names
    known = {key for name in names for key in aliases.get(name, (name,)) if name != _EXTRA}
    # Generated on first use, not now: a generated function captures the hooks of its
    # fields' types, and a nested aliased model (DestinationRate inside DestinationRates)
    # may not be registered yet.
    generated: dict[str, Any] = {}

    def structure_aliased(value: Any, target: type) -> Any:
        structure = generated.get("structure")
        if structure is None:
            structure = generated["structure"] = make_dict_structure_fn(cls, conv, **overrides)
        if keeps_extra and isinstance(value, dict):
            kept = {key: item for key, item in value.items() if key not in known}
            value = {extra.get(key, key): item for key, item in value.items() if key in known}
            value[_EXTRA] = kept
        elif extra and isinstance(value, dict):
            value = {extra.get(key, key): item for key, item in value.items()}
        return structure(value, target)

    def unstructure_aliased(value: Any) -> Any:
        unstructure = generated.get("unstructure")
        if unstructure is None:
            unstructure = generated["unstructure"] = make_dict_unstructure_fn(
                cls, conv, **overrides
            )
        data = unstructure(value)
        if keeps_extra:
            for key, item in data.pop(_EXTRA).items():
                data.setdefault(key, item)
        return data

    conv.register_structure_hook(cls, structure_aliased)
    conv.register_unstructure_hook(cls, unstructure_aliased)


def is_model(value: object) -> bool:
    """Whether `value` is an attrs model instance (used by the sandbox to serialise)."""
    return attrs.has(type(value))
