"""Bad input to the porting area: a typed error naming the parameter, and no request at all."""

from __future__ import annotations

import datetime as dt
import re

import attrs
import pytest

from simwood_async import InvalidInputError
from simwood_async.porting import GnpNumber
from tests.porting.test_wire import documented_order

ORDER = documented_order()


def _order(**changes: object) -> object:
    """The documented order with some fields changed."""
    return attrs.evolve(ORDER, **changes)


def _customer(**changes: object) -> object:
    """The documented order with some customer fields changed."""
    return attrs.evolve(ORDER, customer=attrs.evolve(ORDER.customer, **changes))


GNP_CASES = [
    (_order(mbn="447700900123"), "order.mbn must be a UK geographic number"),
    (_order(type="huge"), "order.type must be one of"),
    (_order(lines=0), "order.lines must be a positive integer"),
    (_order(channels="30"), "order.channels must be a positive integer"),
    (_order(lcp_cupid="0001"), "order.lcp_cupid must be a CUPID"),
    (_order(contact_email="nobody"), "order.contact_email must be an email address"),
    (_order(billing_postcode="A123BC"), "order.billing_postcode must be a full UK postcode"),
    (_customer(premises=""), "order.customer.premises is mandatory"),
    (_customer(locality="x" * 31), "order.customer.locality must be at most 30"),
    (_order(numbers=ORDER.numbers[1:]), "must hold the mbn exactly once"),
    (
        _order(
            numbers=(
                *ORDER.numbers,
                GnpNumber(number="01632960107", type="associated", action="retain"),
            )
        ),
        "only 'other' numbers can be retained",
    ),
    (
        _order(numbers=(*ORDER.numbers, GnpNumber(number="1632960107", type="other"))),
        "must be UK national",
    ),
    (_order(port_date=dt.date(2026, 7, 1)), "order.port_date must be a datetime"),
    ({"mbn": "01632960100"}, "order must be a GnpOrder"),
]


@pytest.mark.parametrize("case", GNP_CASES, ids=[f"gnp-{n}" for n in range(len(GNP_CASES))])
async def test_bad_gnp_orders_are_refused_before_any_request(client, router, case):
    """Each broken rule of a GNP order is a typed error naming the field; nothing is sent."""
    order, message = case
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        await client.porting.submit_gnp(order)
    assert router.calls.call_count == 0


MNP_CASES = [
    (("07700900123", "ABC123456"), {"contact_email": "a@b.co"}, "msisdn must be a UK mobile"),
    (("441632960100", "ABC123456"), {"contact_email": "a@b.co"}, "msisdn must be a UK mobile"),
    (("447700900123", "AB123456"), {"contact_email": "a@b.co"}, "pac must be three letters"),
    (("447700900123", "ABC123456"), {"contact_email": "a.b.co"}, "contact_email must be"),
    (
        ("447700900123", "ABC123456"),
        {"contact_email": "a@b.co", "port_date": "16/12/2026"},
        "port_date must be a date",
    ),
]


@pytest.mark.parametrize("case", MNP_CASES, ids=[f"mnp-{n}" for n in range(len(MNP_CASES))])
async def test_bad_mnp_submissions_are_refused_before_any_request(client, router, case):
    """Each bad MNP argument is a typed error naming it; nothing is sent."""
    args, kwargs, message = case
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        await client.porting.submit_mnp(*args, **kwargs)
    assert router.calls.call_count == 0


@pytest.mark.parametrize(
    ("method", "arg", "message"),
    [
        ("gnp_order", "12/34", "ref must be a plain identifier"),
        ("mnp_port", "not a pac", "pac must be three letters"),
        ("resubmit_gnp", "a/b", "orig_ref must be a plain identifier"),
    ],
    ids=["gnp-order", "mnp-port", "resubmit"],
)
async def test_bad_references_are_refused_before_any_request(client, router, method, arg, message):
    """Order references and PACs must fit one path segment; nothing is sent otherwise."""
    args = (arg, ORDER) if method == "resubmit_gnp" else (arg,)
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        await getattr(client.porting, method)(*args)
    assert router.calls.call_count == 0
