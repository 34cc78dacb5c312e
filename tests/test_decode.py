"""The compiled row decoders give exactly the converter's results, errors included."""

from __future__ import annotations

import datetime as dt
import functools
import json
import linecache
import re
from decimal import Decimal
from typing import Any

import attrs
import pytest
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, override
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simwood_async import GMT, UK
from simwood_async._converter import make_converter, parse_wire_datetime
from simwood_async.cdrs._decode import RowDecoder, compile_structure_fn, install_fast_structure
from simwood_async.reports import PrepaySummaryRow, VoiceSummaryRow

# The report rows use the generic compiler; the CDR rows have their own (tests/cdrs).
RENAMES: dict[type, dict[str, str]] = {
    VoiceSummaryRow: {},
    PrepaySummaryRow: {},
}
ROW_MODELS = list(RENAMES)
WIRE_ROW = {
    "destid": "4420",
    "location": "United Kingdom - Fixed",
    "calls": 3,
    "seconds": 61,
    "charges": "0.01234",
    "currency": "GBP",
}


CONVERTERS = {False: make_converter(), True: make_converter(strict=True)}


@functools.cache
def reference_hook(cls: type, strict: bool) -> Any:
    """Cattrs' own generated function for `cls`, on a converter with the same hooks."""
    conv = CONVERTERS[strict]
    overrides = {name: override(rename=key) for name, key in RENAMES[cls].items()}
    return make_dict_structure_fn(cls, conv, **overrides)


def outcome(fn: Any, row: Any, cls: type) -> tuple[str, Any]:
    """What structuring gives: every field's type and repr, or the error's type and text."""
    try:
        obj = fn(row, cls)
    except Exception as err:  # noqa: BLE001 - comparing whatever is raised
        return "error", (type(err), str(err))
    values = [(type(v), repr(v)) for v in attrs.astuple(obj, recurse=False)]
    zones = [v.tzinfo for v in attrs.astuple(obj, recurse=False) if isinstance(v, dt.datetime)]
    return "ok", (type(obj), values, zones)


def _wire_datetimes() -> st.SearchStrategy[str]:
    """Wire-form date and time strings (`YYYY-MM-DD hh:mm:ss`)."""
    return st.datetimes(min_value=dt.datetime(1900, 1, 1)).map(  # noqa: DTZ001
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    )


ODD_STRINGS = [
    "0000-00-00 00:00:00",
    "2014-02-30 10:00:00",
    "2024-5-1 1:2:3",
    "2024-05-01T10:00:00Z",
    "2024-05-01 10:00+01",
    "12.5",
    "1e3",
    "NaN",
    "-0",
    "1",
    "0",
    "true",
    "false",
    "in",
    "2024-05-01",
    "2024-W18-3 12:34:56",
    "2024-05-01 12:34:56.5",
]
# Values a row field may carry: plausible wire values and junk of every JSON type.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=False),
    st.text(max_size=25),
    st.sampled_from(ODD_STRINGS),
    _wire_datetimes(),
    st.lists(st.integers(), max_size=2),
)


@st.composite
def wire_rows(draw: st.DrawFn, cls: type) -> dict[str, Any]:
    """A row of `cls` in wire form, usually valid, with missing, extra and odd values."""
    renames = RENAMES[cls]
    valid: dict[str, Any] = {}
    for field in attrs.fields(cls):
        key = renames.get(field.name, field.name)
        if key in WIRE_ROW:
            valid[key] = WIRE_ROW[key]
        elif field.name == "date":
            valid[key] = "2024-05-01"
        elif field.type in (int, "int"):
            valid[key] = draw(st.integers(0, 10**6))
        elif field.type in (Decimal, "Decimal"):
            valid[key] = f"{draw(st.integers(-(10**6), 10**6)) / 1000:.3f}"
        else:
            valid[key] = draw(st.text(max_size=8))
    # Whole rows valid, rows with odd values but every key, and rows missing keys.
    mode = draw(
        st.sampled_from([["keep"], ["keep"] * 4 + ["junk"], ["keep"] * 5 + ["junk", "drop"]])
    )
    row: dict[str, Any] = {}
    for key, value in valid.items():
        choice = draw(st.sampled_from(mode))
        if choice == "keep":
            row[key] = value
        elif choice == "junk":
            row[key] = draw(JUNK)
    if draw(st.booleans()) and draw(st.booleans()):
        row[draw(st.text(max_size=6))] = draw(JUNK)
    return row


@pytest.mark.parametrize("cls", ROW_MODELS, ids=[c.__name__ for c in ROW_MODELS])
@pytest.mark.parametrize("strict", [False, True], ids=["tolerant", "strict"])
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_compiled_structure_matches_cattrs(cls, strict, data):
    """For any row, the installed fast hook gives cattrs' objects, or cattrs' exact error."""
    fast = RowDecoder(cls, CONVERTERS[strict])._row
    reference = reference_hook(cls, strict)
    row = data.draw(wire_rows(cls))
    assert outcome(fast, row, cls) == outcome(reference, row, cls)


@pytest.mark.parametrize("cls", ROW_MODELS, ids=[c.__name__ for c in ROW_MODELS])
def test_make_converter_compiles_the_hook_on_first_use(cls):
    """A client's converter compiles the bulk row models' function when first needed."""
    conv = make_converter()
    placeholder = conv.get_structure_hook(cls)
    assert not getattr(placeholder, "__name__", "").startswith("structure_")
    decoder = RowDecoder(cls, conv)
    assert decoder._row.__name__ == f"structure_{cls.__name__}_fast"
    assert conv.get_structure_hook(cls) is decoder._row


def test_placeholder_hook_structures_and_then_steps_aside():
    """Structuring through the placeholder works and installs the compiled function."""
    conv = make_converter()
    placeholder = conv.get_structure_hook(VoiceSummaryRow)
    first = placeholder(WIRE_ROW, VoiceSummaryRow)
    compiled = conv.get_structure_hook(VoiceSummaryRow)
    assert compiled is not placeholder
    assert compiled(WIRE_ROW, VoiceSummaryRow) == first == conv.structure(WIRE_ROW, VoiceSummaryRow)


def test_valid_summary_row_decodes_to_the_documented_types():
    """A wire summary row becomes a VoiceSummaryRow with Decimal money and int counts."""
    (row,) = RowDecoder(VoiceSummaryRow, make_converter())(json.dumps([WIRE_ROW]).encode())
    assert row == VoiceSummaryRow(
        destid="4420",
        location="United Kingdom - Fixed",
        calls=3,
        seconds=61,
        charges=Decimal("0.01234"),
        currency="GBP",
    )


def test_missing_optional_keys_take_the_defaults():
    """A row without its optional keys gets the model's defaults, as through __init__."""
    row = {k: v for k, v in WIRE_ROW.items() if k != "currency"}
    (summary,) = RowDecoder(VoiceSummaryRow, make_converter()).structure([row])
    assert summary.currency == "GBP"


@pytest.mark.parametrize(
    "body",
    [json.dumps([WIRE_ROW] * 3), json.dumps({"success": True, "data": [WIRE_ROW] * 3})],
    ids=["array", "envelope"],
)
def test_row_decoder_reads_arrays_and_envelopes(body):
    """The decoder takes a bare array or the success envelope, from bytes or text."""
    decode = RowDecoder(VoiceSummaryRow, make_converter())
    assert decode(body) == decode(body.encode())
    assert [c.destid for c in decode(body)] == [WIRE_ROW["destid"]] * 3


@pytest.mark.parametrize(
    ("body", "error"),
    [(b"[{", ValueError), (b'{"destid": "x"}', TypeError), (b"<html>", ValueError)],
    ids=["truncated", "object", "html"],
)
def test_row_decoder_rejects_bodies_that_are_not_arrays(body, error):
    """A body that is not a JSON array raises a ValueError or TypeError the caller translates."""
    with pytest.raises(error):
        RowDecoder(VoiceSummaryRow, make_converter())(body)


def test_strict_decoder_keeps_cattrs_detailed_errors():
    """On a strict converter a bad row raises cattrs' detailed error naming the row and field."""
    rows = [WIRE_ROW, {**WIRE_ROW, "seconds": "many"}]
    with pytest.raises(IterableValidationError) as info:
        RowDecoder(VoiceSummaryRow, make_converter(strict=True)).structure(rows)
    (inner,) = info.value.exceptions
    assert isinstance(inner, ClassValidationError)
    assert "@ index 1" in str(getattr(inner, "__notes__", [])) or "index 1" in repr(info.value)


def test_tolerant_decoder_raises_the_converters_plain_error():
    """On a tolerant converter a bad row raises what cattrs raises without detailed validation."""
    bad = {**WIRE_ROW, "seconds": "many"}
    with pytest.raises(ValueError, match="many"):
        RowDecoder(VoiceSummaryRow, make_converter()).structure([WIRE_ROW, bad])


@attrs.define(kw_only=True)
class _Validated:
    """A row with a validator: its __init__ must run."""

    name: str
    count: int = attrs.field(validator=attrs.validators.ge(0))


@attrs.define(kw_only=True)
class _WithFactory:
    """A row with a factory default."""

    name: str
    tags: list[str] = attrs.Factory(list)


@attrs.define(kw_only=True)
class _SelfDefault:
    """A row whose default needs `self`: left to cattrs."""

    name: str
    label: str = attrs.Factory(lambda self: self.name.upper(), takes_self=True)


def test_validators_still_run_in_compiled_functions():
    """A model with validators is built through __init__, so invalid values still fail."""
    conv = make_converter()
    assert install_fast_structure(conv, _Validated)
    hook = conv.get_structure_hook(_Validated)
    assert hook({"name": "a", "count": 2}, _Validated) == _Validated(name="a", count=2)
    with pytest.raises(ValueError, match="count"):
        hook({"name": "a", "count": -1}, _Validated)


def test_factory_defaults_are_fresh_per_row():
    """A missing key with a factory default gets a new value for every row."""
    conv = make_converter()
    assert install_fast_structure(conv, _WithFactory)
    first, second = RowDecoder(_WithFactory, conv).structure([{"name": "a"}, {"name": "b"}])
    assert first.tags == second.tags == []
    assert first.tags is not second.tags


def test_classes_the_compiler_cannot_specialise_keep_cattrs():
    """A default computed from `self` is left to cattrs' own function."""
    conv = make_converter()
    assert compile_structure_fn(_SelfDefault, conv) is None
    assert not install_fast_structure(conv, _SelfDefault)
    assert conv.structure({"name": "ab"}, _SelfDefault) == _SelfDefault(name="ab", label="AB")


def test_compiled_source_is_visible_in_tracebacks():
    """The generated source is registered with linecache, so tracebacks can show it."""
    hook = RowDecoder(VoiceSummaryRow, make_converter())._row
    source = "".join(linecache.getlines(hook.__code__.co_filename))
    assert re.search(r"def structure_VoiceSummaryRow_fast\(o, cl=None\):", source)


# The parser before the fast path: strptime first, then ISO 8601.
def _slow_parse(value: str, zone: dt.tzinfo) -> dt.datetime:
    """The reference parser: strptime, then ISO 8601."""
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        _wire_datetimes(), st.text(max_size=22), JUNK.filter(lambda v: isinstance(v, str))
    ),
    zone=st.sampled_from([GMT, UK]),
)
def test_fast_datetime_parsing_matches_strptime(value, zone):
    """The fromisoformat fast path parses every string exactly as strptime-then-ISO did."""
    if value in ("0000-00-00", "0000-00-00 00:00:00"):
        assert parse_wire_datetime(value, zone) is None
        return
    try:
        expected: Any = _slow_parse(value, zone)
    except ValueError:
        expected = ValueError
    try:
        got: Any = parse_wire_datetime(value, zone)
    except ValueError:
        got = ValueError
    assert got == expected
    if isinstance(got, dt.datetime):
        assert (got.tzinfo, got.fold) == (expected.tzinfo, expected.fold)
