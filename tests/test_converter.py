"""The converter: wire formats, money, ids, time zones, aliases, strict vs tolerant decoding."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError

from simwood_async import GMT, UK, InvalidInputError, UkDateTime, UtcDateTime
from simwood_async._converter import (
    format_wire_datetime,
    is_model,
    make_converter,
    parse_wire_datetime,
)
from simwood_async._validate import day
from simwood_async.accounts import Balance, Invoice, InvoiceList
from simwood_async.voice import DynamicLimits, VoiceLimits

STRICT = make_converter(strict=True)
TOLERANT = make_converter()


@attrs.frozen(kw_only=True)
class _Sample:
    """A model exercising the converter's scalar hooks."""

    amount: Decimal
    ident: str
    count: int
    flag: bool
    day: dt.date
    utc: UtcDateTime
    uk: UkDateTime


SAMPLE = {
    "amount": "168.06100",
    "ident": "930000",
    "count": 3,
    "flag": True,
    "day": "2023-03-10",
    "utc": "2023-07-01 12:00:00",
    "uk": "2023-07-01 12:00:00",
}


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("2023-07-01 12:00:00", GMT, dt.datetime(2023, 7, 1, 12, tzinfo=GMT)),
        ("2023-07-01 12:00:00", UK, dt.datetime(2023, 7, 1, 11, tzinfo=GMT)),
        ("2023-01-01 12:00:00", UK, dt.datetime(2023, 1, 1, 12, tzinfo=GMT)),
        ("2019-09-30T09:06:34Z", UK, dt.datetime(2019, 9, 30, 9, 6, 34, tzinfo=GMT)),
        ("2019-09-30T09:06:34", GMT, dt.datetime(2019, 9, 30, 9, 6, 34, tzinfo=GMT)),
        (dt.datetime(2020, 1, 1, 0, 0), GMT, dt.datetime(2020, 1, 1, tzinfo=GMT)),  # noqa: DTZ001
    ],
    ids=["gmt", "uk-summer", "uk-winter", "iso-z", "iso-naive", "datetime-passthrough"],
)
def test_parse_wire_datetime(value, zone, expected):
    """Naive wire times are read in the documented zone; explicit zones are kept."""
    parsed = parse_wire_datetime(value, zone)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("value", ["0000-00-00", "0000-00-00 00:00:00"], ids=["date", "datetime"])
def test_zero_date_is_none(value):
    """MySQL's zero date decodes to None."""
    assert parse_wire_datetime(value, GMT) is None


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("2014-02-30 12:34:35", ValueError, "invalid date and time '2014-02-30 12:34:35'"),
        ("yesterday", ValueError, "invalid date and time 'yesterday'"),
        (1388748052, TypeError, "expected a 'YYYY-MM-DD hh:mm:ss' string"),
    ],
    ids=["impossible-day", "words", "number"],
)
def test_bad_wire_datetime_names_the_value(value, error, message):
    """An unreadable time raises an error that quotes the offending value."""
    with pytest.raises(error, match=message):
        parse_wire_datetime(value, GMT)


def test_format_wire_datetime_converts_to_the_zone():
    """Aware datetimes are converted to the zone; naive ones are taken as already in it."""
    summer = dt.datetime(2023, 7, 1, 12, tzinfo=GMT)
    assert format_wire_datetime(summer) == "2023-07-01 12:00:00"
    assert format_wire_datetime(summer, UK) == "2023-07-01 13:00:00"
    naive = dt.datetime(2023, 7, 1, 12)  # noqa: DTZ001 - naive on purpose
    assert format_wire_datetime(naive, UK) == "2023-07-01 12:00:00"


@pytest.mark.parametrize("converter", [STRICT, TOLERANT], ids=["strict", "tolerant"])
def test_scalar_hooks(converter):
    """Money is Decimal, ids are str, and each time type carries its own zone."""
    sample = converter.structure(SAMPLE, _Sample)
    assert sample.amount == Decimal("168.06100")
    assert str(sample.amount) == "168.06100"
    assert sample.ident == "930000"
    assert sample.day == dt.date(2023, 3, 10)
    assert sample.utc.tzinfo is GMT
    assert sample.uk.tzinfo is UK
    assert sample.utc - sample.uk == dt.timedelta(hours=1)  # BST: same wall time, other instant


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("amount", 0.013, Decimal("0.013")),
        ("amount", 50, Decimal(50)),
        ("ident", 930000, "930000"),
        ("count", "7", 7),
        ("count", 7.0, 7),
        ("flag", 0, False),
        ("flag", "1", True),
        ("flag", "true", True),
        ("day", "2023-03-10 00:00:00", dt.date(2023, 3, 10)),
    ],
    ids=[
        "float-money-via-repr",
        "int-money",
        "numeric-id",
        "numeric-string",
        "integral-float",
        "zero-flag",
        "string-flag",
        "word-flag",
        "datetime-as-date",
    ],
)
def test_tolerated_wire_variants(field, value, expected):
    """Values the API sends in another JSON type decode to the model's type."""
    sample = STRICT.structure({**SAMPLE, field: value}, _Sample)
    assert getattr(sample, field) == expected
    assert type(getattr(sample, field)) is type(expected)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", True),
        ("amount", "12,50"),
        ("ident", True),
        ("ident", None),
        ("count", True),
        ("count", 1.5),
        ("flag", 2),
        ("flag", "yes"),
        ("day", 20230310),
        ("day", "2014-02-30"),
    ],
    ids=[
        "bool-money",
        "comma-money",
        "bool-id",
        "null-id",
        "bool-count",
        "fractional-count",
        "flag-2",
        "flag-yes",
        "numeric-date",
        "impossible-date",
    ],
)
@pytest.mark.parametrize("converter", [STRICT, TOLERANT], ids=["strict", "tolerant"])
def test_refused_wire_values(converter, field, value):
    """Values that cannot mean the model's type are refused in both modes."""
    with pytest.raises((ClassValidationError, ValueError, TypeError)):
        converter.structure({**SAMPLE, field: value}, _Sample)


def test_money_is_exact():
    """A float on the wire becomes the Decimal of its shortest repr, not its binary value."""
    assert TOLERANT.structure(0.1, Decimal) == Decimal("0.1")


def test_strict_mode_forbids_unknown_keys():
    """Strict decoding (used in tests) fails on a key the model does not know."""
    data = {"balance": "1.00", "currency": "GBP", "surprise": 1}
    with pytest.raises(ClassValidationError) as info:
        STRICT.structure(data, Balance)
    assert any(isinstance(e, ForbiddenExtraKeysError) for e in info.value.exceptions)


def test_tolerant_mode_ignores_unknown_keys():
    """The default decoding ignores keys the model does not know."""
    data = {"balance": "1.00", "currency": "GBP", "surprise": 1}
    assert TOLERANT.structure(data, Balance) == Balance(balance=Decimal("1.00"), currency="GBP")


def test_pascal_case_invoice_round_trip():
    """Invoice fields have their PascalCase wire names in both directions."""
    wire = {
        "InvoiceNumber": "I1",
        "Date": "2014-02-28",
        "DueDate": "2014-03-28",
        "Currency": "GBP",
        "Net": "200.00",
        "VAT": "40.00",
        "Total": "240.00",
        "AmountPaid": "240.00",
        "AmountCredited": "0.00",
        "AmountDue": "0.00",
    }
    invoice = STRICT.structure(wire, Invoice)
    assert invoice.vat == Decimal("40.00")
    assert STRICT.unstructure(invoice) == wire


def test_total_overdue_alias():
    """Both spellings of the overdue total are accepted."""
    for key in ("TotalOverDue", "TotalOverdue"):
        data = {"Invoices": [], "TotalDue": {"GBP": 0}, key: {"GBP": "5.00"}}
        assert STRICT.structure(data, InvoiceList).total_overdue == {"GBP": Decimal("5.00")}


def test_documented_key_typo_is_accepted():
    """The docs' `limit/_rate_out` key decodes as `limit_rate_out` (and so does the real key)."""
    for key in ("limit/_rate_out", "limit_rate_out"):
        assert STRICT.structure({key: "30/10s"}, DynamicLimits).limit_rate_out == "30/10s"


def test_missing_required_field_fails():
    """A required field that is absent is an error, not a silent default."""
    with pytest.raises(ClassValidationError):
        STRICT.structure({"channel_allocation_adjustable": True}, VoiceLimits)


def test_converters_are_independent():
    """Each call builds a new converter; nothing is shared between clients."""
    assert make_converter() is not make_converter()


def test_required_time_refuses_the_zero_date():
    """MySQL's zero date cannot fill a required time field."""
    with pytest.raises(ClassValidationError):
        STRICT.structure({**SAMPLE, "utc": "0000-00-00 00:00:00"}, _Sample)
    with pytest.raises(ValueError, match="expected a date and time"):
        TOLERANT.structure({**SAMPLE, "uk": "0000-00-00 00:00:00"}, _Sample)


def test_date_objects_pass_through():
    """An already-parsed date is kept as it is."""
    day = dt.date(2024, 2, 29)
    assert STRICT.structure({**SAMPLE, "day": day}, _Sample).day is day


def test_is_model():
    """`is_model` tells attrs model instances from plain values."""
    assert is_model(Balance(balance=Decimal(1), currency="GBP"))
    assert not is_model({"balance": "1"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(dt.date(2024, 2, 29), "2024-02-29"), ("2024-02-29", "2024-02-29")],
    ids=["date", "text"],
)
def test_day_accepts_dates_and_iso_text(value, expected):
    """Calendar-day inputs become `YYYY-MM-DD`."""
    assert day(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (dt.datetime(2024, 2, 29, 12, tzinfo=GMT), "not a datetime"),
        ("2023-02-29", "must be a date"),
        ("29/02/2024", "must be a date"),
        (20240229, "must be a date"),
    ],
    ids=["datetime", "impossible", "british", "number"],
)
def test_day_refuses_anything_else(value, message):
    """Datetimes, impossible days and other formats raise InvalidInputError."""
    with pytest.raises(InvalidInputError, match=message):
        day(value)
