"""Bad input to the numbers area: a typed error naming the parameter, and no request at all."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest

from simwood_async import InvalidInputError
from simwood_async.numbers import EmergencyAddress, RoutingConfig, busy, fax

GOOD = EmergencyAddress(
    name="Doe", premises="104", thoroughfare="King Street", locality="Leeds", postcode="LS11 5DF"
)


def _address(**changes: Any) -> EmergencyAddress:
    """The good address with some fields changed."""
    return attrs.evolve(GOOD, **changes)


CASES = [
    ("available", ("platinum",), {}, "tier must be one of"),
    ("available", ("all", 25), {}, "count must be one of"),
    ("available", (), {"country_code": 33}, "country_code must be one of"),
    ("available", (), {"pattern": "020*"}, "UK national digits without the leading 0 or 44"),
    ("available", (), {"pattern": "4420*"}, "UK national digits without the leading 0 or 44"),
    ("available", (), {"pattern": "1212*", "country_code": 1}, "NANP digits without"),
    ("available", (), {"pattern": "20%"}, "pattern must be digits with"),
    ("consecutive", (25,), {}, "count must be one of"),
    ("consecutive", (10,), {"pattern": "abc"}, "pattern must be digits"),
    ("consecutive", (True,), {}, "count must be one of"),
    ("allocated", (25,), {}, "count must be 'all'"),
    ("allocated", (), {"key": "x" * 41}, "key must be 1 to 40 characters"),
    ("allocated", (), {"key": "cust*"}, "without wildcards"),
    ("allocated", (), {"pattern": "20 7*"}, "pattern must be digits"),
    ("get", ("+447700900123",), {}, "drop the leading '+'"),
    ("allocate", ("07700900123",), {}, "number must be E.164"),
    ("release", ("44-7700",), {}, "number must be E.164"),
    ("last_call", ("abc",), {}, "number must be E.164"),
    ("config", ("0",), {}, "number must be E.164"),
    ("delete_config", ("+1",), {}, "number must be E.164"),
    ("set_default_config", ({"routing": {}},), {}, "config: routing is mandatory"),
    ("trunk", ("x",), {}, "number must be E.164"),
    ("set_trunk", ("447700900123", "930000/ACME"), {}, "trunk must be a plain identifier"),
    ("remove_trunk", ("x",), {}, "number must be E.164"),
    ("set_sms_config", ("447700900123", "ftp://x"), {}, "endpoint must be an http"),
    ("set_sms_config", ("447700900123", "https://x.example"), {"mode": "http"},
     "legacy 'http' mode cannot deliver to TLS"),
    ("set_sms_config", ("447700900123", "https://x.example"), {"mode": "smpp"}, "mode must be"),
    ("delete_sms_config", ("x",), {}, "number must be E.164"),
    ("emergency_address", ("x",), {}, "number must be E.164"),
    ("set_emergency_address", ("447700900123", _address(name="")), {},
     "address.name is mandatory"),
    ("set_emergency_address", ("447700900123", _address(locality="x" * 31)), {},
     "address.locality must be at most 30 characters"),
    ("set_emergency_address", ("447700900123", _address(title="x" * 21)), {},
     "address.title must be at most 20"),
    ("set_emergency_address", ("447700900123", _address(postcode="LS115DF")), {},
     "address.postcode must be a full UK postcode"),
    ("set_emergency_address", ("447700900123", {"name": "Doe"}), {},
     "address must be an EmergencyAddress"),
    ("validate", ("hello",), {}, "number must be E.164"),
    ("lookup", ("+443301223000",), {}, "drop the leading '+'"),
    ("provision", (busy(),), {"attempts": 0}, "attempts must be 1..10"),
    ("provision", ({"routing": {"default": [[{"type": "x"}]]}},), {}, "unknown leg type 'x'"),
    ("provision", (busy(),), {"emergency": _address(postcode="")}, "postcode is mandatory"),
    ("provision", (busy(),), {"tier": "bronze"}, "tier must be one of"),
    ("provision", (busy(),), {"pattern": "0113*"}, "without the leading 0"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)])
async def test_bad_input_is_refused_before_any_request(client, router, case):
    """Each bad argument raises InvalidInputError saying what is allowed; nothing is sent."""
    method, args, kwargs, message = case
    with pytest.raises(InvalidInputError, match=re.escape(message)) as caught:
        await getattr(client.numbers, method)(*args, **kwargs)
    assert isinstance(caught.value, ValueError)
    assert router.calls.call_count == 0


async def test_fax_beside_another_leg_names_the_parameter(client, router):
    """A fax leg beside a busy leg is refused as `config: ...` before any request."""
    with pytest.raises(InvalidInputError, match=r"^config: a 'fax' leg cannot be used"):
        await client.numbers.set_config("447700900123", RoutingConfig.to(fax("a@b.c") | busy()))
    assert router.calls.call_count == 0
