"""The rates area: tariffs, CSV ratecards with their `Effective:` date, destination lookup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from simwood_async import DecodeError, InvalidInputError
from simwood_async.rates import DestinationRate, DestinationRates, RateCardRow, Tariff
from tests.conftest import ACCOUNT, example

BASE = f"accounts/{ACCOUNT}"
RATECARD = example("GET", "/v3/accounts/{ACCOUNT}/rates/csv/[default|silver|platinum|gold|{name}]")
HEADER = '"prefix","location","day","evening","weekend","connection","minimum_sec","increment_sec"'


async def test_tariffs(client, router):
    """`tariffs` GETs rates/tariffs and decodes the documented envelope, ids as strings."""
    route = router.get(f"{BASE}/rates/tariffs").respond(
        json=example("GET", "/v3/accounts/{ACCOUNT}/rates/tariffs")
    )
    result = await client.rates.tariffs()
    assert route.calls.last.request.method == "GET"
    assert result == (
        Tariff(
            description="Legacy GBP Platinum",
            servicelevel=1,
            quality="Platinum",
            prefix="999001",
            url="/v3/accounts/929999/rates/csv/Simwood_Platinum.csv",
        ),
        Tariff(
            description="Legacy GBP Gold",
            servicelevel=2,
            quality="Gold",
            prefix="999002",
            default=True,
            url="/v3/accounts/929999/rates/csv/Simwood_Gold.csv",
        ),
    )


@pytest.mark.parametrize(
    "deck", ["default", "platinum", "gold", "silver", "Simwood_Gold.csv"], ids=str
)
async def test_ratecard_parses_the_documented_csv(client, router, deck):
    """The ratecard is fetched per deck and parsed into typed rows with its effective date."""
    route = router.get(f"{BASE}/rates/csv/{deck}").respond(
        text=RATECARD, headers={"content-type": "text/csv"}
    )
    card = await client.rates.ratecard(deck)
    assert route.call_count == 1
    assert card.effective == dt.date(2023, 3, 10)
    assert card.rows == (
        RateCardRow(
            prefix="44113403",
            location="UK - Fixed - Simwood",
            day=Decimal("0.000310"),
            evening=Decimal("0.000310"),
            weekend=Decimal("0.000310"),
            connection=Decimal("0.0000"),
            minimum_sec=1,
            increment_sec=1,
        ),
        RateCardRow(
            prefix="44113454",
            location="UK - Fixed - Simwood",
            day=Decimal("0.000310"),
            evening=Decimal("0.000310"),
            weekend=Decimal("0.000310"),
            connection=Decimal("0.0000"),
            minimum_sec=1,
            increment_sec=1,
        ),
    )


async def test_ratecard_tolerates_crlf_bom_and_blank_lines(client, router):
    """Windows line ends, a byte-order mark and blank lines do not upset the parser."""
    body = "\ufeff" + RATECARD.replace("\n", "\r\n") + "\r\n\r\n"
    router.get(f"{BASE}/rates/csv/default").respond(content=body.encode())
    card = await client.rates.ratecard()
    assert card.effective == dt.date(2023, 3, 10)
    assert len(card.rows) == 2


async def test_ratecard_with_only_a_header(client, router):
    """A ratecard with no rows parses to an empty tuple."""
    router.get(f"{BASE}/rates/csv/default").respond(text=f"Effective: 2024-01-01\n{HEADER}\n")
    card = await client.rates.ratecard()
    assert card.rows == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{HEADER}\n44,UK,1,1,1,0,1,1\n", "Effective"),
        (f"Effective: 2023-02-30\n{HEADER}\n", "day is out of range"),
        ("Effective: 2023-03-10\n", "StopIteration"),
        ('Effective: 2023-03-10\n"prefix","location"\n44,UK\n', "unexpected header"),
        (f"Effective: 2023-03-10\n{HEADER}\n44,UK,cheap,1,1,0,1,1\n", "InvalidOperation"),
        (f"Effective: 2023-03-10\n{HEADER}\n44,UK,1,1,1,0,1\n", "IndexError"),
        (f"Effective: 2023-03-10\n{HEADER}\n44,UK,1,1,1,0,1,1.5\n", "invalid literal"),
        ("<html>Server error</html>", "Effective"),
    ],
    ids=[
        "no-effective-line",
        "impossible-effective-date",
        "no-header",
        "wrong-header",
        "bad-price",
        "missing-column",
        "fractional-seconds",
        "html",
    ],
)
async def test_malformed_ratecard_is_a_decode_error(client, router, body, message):
    """A CSV that is not a ratecard raises DecodeError saying what was wrong."""
    router.get(f"{BASE}/rates/csv/default").respond(text=body)
    with pytest.raises(DecodeError, match="unreadable ratecard CSV") as info:
        await client.rates.ratecard()
    assert message in str(info.value)
    assert str(info.value.request) == f"GET /v3/{BASE}/rates/csv/default"


@pytest.mark.parametrize(
    "deck",
    ["../tariffs", "gold/../x", "", "gold?x=1", "a b"],
    ids=["dotdot", "slash", "empty", "query", "space"],
)
async def test_ratecard_deck_cannot_escape_its_segment(client, router, deck):
    """A deck that is not a plain name raises InvalidInputError and sends nothing."""
    with pytest.raises(InvalidInputError, match="deck"):
        await client.rates.ratecard(deck)
    assert router.calls.call_count == 0


async def test_destination(client, router):
    """`destination` GETs the singular `rate/{NUMBER}` path and decodes rates by deck."""
    route = router.get(f"{BASE}/rate/447700900123").respond(
        json=example("GET", "/v3/accounts/{ACCOUNT}/rate/{NUMBER}")
    )
    result = await client.rates.destination("447700900123")
    assert route.calls.last.request.method == "GET"
    platinum = DestinationRate(
        peak=Decimal("0.01200"),
        offpeak=Decimal("0.01200"),
        weekend=Decimal("0.01200"),
        connection=Decimal("0.0000"),
    )
    gold = DestinationRate(
        peak=Decimal("0.01100"),
        offpeak=Decimal("0.01100"),
        weekend=Decimal("0.01100"),
        connection=Decimal("0.0000"),
    )
    assert result == DestinationRates(
        description="UK - fm3 - Mobile (T-Mobile)", rates={"1": platinum, "2": gold}
    )
    assert result.by_quality() == {"platinum": platinum, "gold": gold}


async def test_destination_accepts_an_int(client, router):
    """A number given as an int is sent as its digits."""
    route = router.get(f"{BASE}/rate/447700900123").respond(json={"desc": "UK", "rates": {}})
    await client.rates.destination(447700900123)
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("number", "hint"),
    [
        ("+447700900123", "drop the leading '+'"),
        ("07700900123", "E.164"),
        ("447700", "E.164"),
        ("44770090012345678", "E.164"),
        ("44 7700 900123", "E.164"),
        ("447700900123/../x", "E.164"),
    ],
    ids=["plus", "national", "too-short", "too-long", "spaces", "path"],
)
async def test_destination_needs_e164(client, router, number, hint):
    """A number that is not E.164 digits without '+' sends nothing."""
    with pytest.raises(InvalidInputError, match=r"E\.164") as info:
        await client.rates.destination(number)
    assert hint in str(info.value)
    assert router.calls.call_count == 0


async def test_destination_observed_keys(client, router):
    """The `account_type` and `currency` real answers carry decode; other keys are kept."""
    documented = example("GET", "/v3/accounts/{ACCOUNT}/rate/{NUMBER}")
    router.get(f"{BASE}/rate/447700900123").respond(
        json={**documented, "account_type": "virtual_interconnect", "currency": "GBP", "x": 1}
    )
    result = await client.rates.destination("447700900123")
    assert (result.account_type, result.currency) == ("virtual_interconnect", "GBP")
    assert result.extra == {"x": 1}
    assert result.rates["2"].peak == Decimal("0.01100")


async def test_destination_prices_as_numbers(client, router):
    """Prices sent as JSON numbers decode to the same Decimals as the documented strings."""
    router.get(f"{BASE}/rate/447700900123").respond(
        json={"desc": "UK", "rates": {"1": {"p": 0.012, "o": 0.012, "w": 0.0115, "c": 0}}}
    )
    rate = (await client.rates.destination("447700900123")).rates["1"]
    assert (rate.peak, rate.weekend, rate.connection) == (
        Decimal("0.012"),
        Decimal("0.0115"),
        Decimal(0),
    )


@pytest.mark.parametrize("prefix", [999001, "999001"], ids=["number", "string"])
async def test_tariff_prefix_number_or_string(client, router, prefix):
    """A tariff's `prefix` (a number in the docs) decodes to the same string either way."""
    row = {"description": "d", "servicelevel": "1", "quality": "Gold", "prefix": prefix, "url": "u"}
    router.get(f"{BASE}/rates/tariffs").respond(json={"success": True, "data": [row]})
    (tariff,) = await client.rates.tariffs()
    assert (tariff.prefix, tariff.servicelevel, tariff.default) == ("999001", 1, False)
