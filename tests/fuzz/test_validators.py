"""Every input validator, with generated good and bad values.

Good values pass (normalised) and reach the request; bad values raise `InvalidInputError`
naming the parameter, before any request is sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simwood_async import InvalidInputError, ServerError
from simwood_async._validate import amount, day, e164, one_of, plain_id
from simwood_async.cdrs._api import MAX_PAGE_SIZE
from simwood_async.reports import ReportRequest
from tests.conftest import BASE_URL
from tests.fuzz.clients import fuzz_client

pytestmark = pytest.mark.anyio
QUICK = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
E164 = re.compile(r"[1-9][0-9]{6,14}")
PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}")

good_numbers = st.from_regex(E164, fullmatch=True)
bad_numbers = st.one_of(
    st.text(max_size=20).filter(lambda t: not E164.fullmatch(t)),
    good_numbers.map(lambda n: "+" + n),
    st.integers(max_value=999_999),
)
good_ids = st.from_regex(PLAIN, fullmatch=True)
bad_ids = st.text(max_size=140).filter(lambda t: not PLAIN.fullmatch(t))
good_days = st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2100, 12, 31))
bad_days = st.one_of(
    st.text(max_size=12).filter(lambda t: not _is_day(t)),
    st.datetimes(),
    st.integers(),
    st.none(),
)
good_amounts = st.one_of(
    st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False, places=2),
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False).map(str),
)
bad_amounts = st.one_of(
    st.floats(),
    st.booleans(),
    st.text(max_size=10).filter(lambda t: not _is_amount(t)),
    st.integers(max_value=-1),
    st.sampled_from([Decimal("NaN"), Decimal("Infinity"), "-0.01", "1e400x", None, [], {}]),
)


def _is_day(text: str) -> bool:
    """Whether `text` is an ISO date."""
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_amount(text: str) -> bool:
    """Whether `text` is a finite, non-negative amount."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        return False
    return value.is_finite() and value >= 0


@QUICK
@given(number=good_numbers)
def test_e164_accepts_every_e164_number(number: str) -> None:
    """Digits 1-9 then 6-14 digits pass unchanged (as str or int)."""
    assert e164(number) == number
    assert e164(int(number)) == number


@QUICK
@given(number=bad_numbers)
def test_e164_refuses_everything_else_naming_the_parameter(number: Any) -> None:
    """Anything else is an InvalidInputError that names the parameter."""
    with pytest.raises(InvalidInputError, match=r"^to must be E\.164"):
        e164(number, name="to")


@QUICK
@given(value=good_ids)
def test_plain_id_accepts_identifiers(value: str) -> None:
    """One-segment identifiers pass unchanged."""
    assert plain_id(value, name="call_id") == value


@QUICK
@given(value=bad_ids)
def test_plain_id_refuses_what_could_escape_a_path_segment(value: str) -> None:
    """Slashes, dots first, spaces, control characters, empty and overlong are refused."""
    with pytest.raises(InvalidInputError, match=r"^call_id must be a plain identifier"):
        plain_id(value, name="call_id")


@QUICK
@given(value=good_days)
def test_day_accepts_dates_and_iso_strings(value: dt.date) -> None:
    """A date and its ISO string give the same `YYYY-MM-DD`."""
    assert day(value) == day(value.isoformat()) == value.isoformat()


@QUICK
@given(value=bad_days)
def test_day_refuses_non_dates(value: Any) -> None:
    """Datetimes, garbage strings and other types are refused, naming the parameter."""
    with pytest.raises(InvalidInputError, match=r"^from_date must be a date"):
        day(value, name="from_date")


@QUICK
@given(value=good_amounts)
def test_amount_accepts_exact_amounts(value: Any) -> None:
    """Decimals, ints and numeric strings are exact Decimals."""
    assert amount(value, name="balance", minimum=Decimal(0)) == Decimal(value)


@QUICK
@given(value=bad_amounts)
def test_amount_refuses_floats_bools_garbage_and_negatives(value: Any) -> None:
    """Floats, booleans, garbage, non-finite and negative amounts are refused."""
    with pytest.raises(InvalidInputError, match=r"^balance must"):
        amount(value, name="balance", minimum=Decimal(0))


@QUICK
@given(value=st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none()))
def test_one_of_accepts_only_the_listed_values(value: Any) -> None:
    """Only a listed value passes (True is not 1)."""
    allowed = (10, 100, 1000, 10000)
    if value in allowed and not isinstance(value, bool):
        assert one_of("count", value, allowed) == value
    else:
        with pytest.raises(InvalidInputError, match=r"^count must be one of"):
            one_of("count", value, allowed)


@QUICK
@given(count=st.one_of(st.integers(), st.booleans(), st.text(max_size=5), st.floats()))
def test_latest_report_sizes(count: Any) -> None:
    """`voice_cdr_latest` takes exactly 10, 100, 1000 or 10000."""
    if count in (10, 100, 1000, 10000) and type(count) is int:
        assert ReportRequest.voice_cdr_latest(count).endpoint[-1] == str(count)
    else:
        with pytest.raises(InvalidInputError, match="count"):
            ReportRequest.voice_cdr_latest(count)


@QUICK
@given(first=good_days, last=good_days)
def test_prepay_summary_dates_are_ordered(first: dt.date, last: dt.date) -> None:
    """`from_date` after `to_date` is refused; otherwise both are sent as given."""
    if first > last:
        with pytest.raises(InvalidInputError, match="after"):
            ReportRequest.prepay_summary(from_date=first, to_date=last)
    else:
        request = ReportRequest.prepay_summary(from_date=first, to_date=last)
        assert dict(request.fields) == {"from_date": str(first), "to_date": str(last)}


async def send(call: Any) -> respx.Router:
    """Make `call(client)` against a router answering 500; the router, to see what was sent."""
    router = respx.Router(base_url=BASE_URL, assert_all_called=False)
    router.route().respond(500)
    async with fuzz_client(router) as client:
        # A ServerError means the request was sent: that is what the good cases check.
        with contextlib.suppress(ServerError):
            await call(client)
    return router


@QUICK
@given(number=st.one_of(good_numbers, bad_numbers))
async def test_destination_rates_validate_before_any_request(number: Any) -> None:
    """`rates.destination` sends good numbers in the path and refuses bad ones unsent."""
    if isinstance(number, str) and E164.fullmatch(number):
        router = await send(lambda c: c.rates.destination(number))
        assert router.calls.last.request.url.path.endswith(f"/rate/{number}")
    else:
        with pytest.raises(InvalidInputError, match="number"):
            await send(lambda c: c.rates.destination(number))


@QUICK
@given(value=st.one_of(good_amounts, bad_amounts))
async def test_balance_alert_validates_before_any_request(value: Any) -> None:
    """`set_balance_alert` sends exact amounts and refuses the rest unsent."""
    if not isinstance(value, (float, bool)) and _is_amount(str(value)):
        router = await send(lambda c: c.accounts.set_balance_alert(value))
        assert len(router.calls) == 1
    else:
        with pytest.raises(InvalidInputError, match="alert_balance"):
            await send(lambda c: c.accounts.set_balance_alert(value))


@QUICK
@given(value=st.one_of(good_ids, bad_ids))
async def test_call_ids_validate_before_any_request(value: str) -> None:
    """`voice.call` sends plain identifiers (percent-encoded) and refuses the rest unsent."""
    if PLAIN.fullmatch(value):
        router = await send(lambda c: c.voice.call(value))
        assert len(router.calls) == 1
    else:
        with pytest.raises(InvalidInputError, match="call_id"):
            await send(lambda c: c.voice.call(value))


@QUICK
@given(limit=st.integers(min_value=-5, max_value=10**7), offset=st.integers(-5, 2**32))
async def test_cdr_page_numbers_are_checked(limit: int, offset: int) -> None:
    """A CDR page's limit and offset are range-checked before any request."""
    try:
        router = await send(lambda c: c.cdrs.page("2026-03-14", limit=limit, offset=offset))
    except InvalidInputError as err:
        assert "limit" in str(err) or "offset" in str(err)  # noqa: PT017 - either may be named
        assert limit < 1 or offset < 0 or offset > 2**31 or limit > MAX_PAGE_SIZE
    else:
        assert len(router.calls) == 1
