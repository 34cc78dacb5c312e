"""The porting area on the wire (respx): exact requests, and decoding the documented examples."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from simwood_async import ApiError, BadRequestError, DecodeError, ServerError
from simwood_async._types import UK
from simwood_async.porting import (
    GnpCustomer,
    GnpNumber,
    GnpOrder,
    GnpOrderSummary,
    GnpSubmission,
    LosingProvider,
    MnpPort,
    PortEvent,
)
from tests.conftest import ACCOUNT, example

P = f"porting/{ACCOUNT}"
DOCS = "/v3/porting/{ACCOUNT}"
ORDER_JSON = example("POST", f"{DOCS}/gnp", kind="request")


def documented_order() -> GnpOrder:
    """The docs' full example order, as a typed `GnpOrder`."""
    data = ORDER_JSON
    return GnpOrder(
        mbn=data["mbn"],
        lcp=data["lcp"],
        lcp_cupid=data["lcp_cupid"],
        contact_email=data["contact_email"],
        account_number=data["account_number"],
        billing_postcode=data["billing_postcode"],
        type=data["type"],
        lines=data["lines"],
        channels=data["channels"],
        customer=GnpCustomer(**data["customer"]),
        numbers=tuple(GnpNumber(**n) for n in data["numbers"]),
    )


def _repaired(value: object) -> object:
    """A documented example with its impossible `2015-02-29` dates made real."""
    return json.loads(json.dumps(value).replace("2015-02-29", "2015-02-28"))


async def test_submit_gnp_sends_the_documented_body(client, router):
    """The docs' example order is sent as exactly the docs' JSON, once, and its ref decoded."""
    route = router.post(f"{P}/gnp").respond(json=example("POST", f"{DOCS}/gnp"))
    submitted = await client.porting.submit_gnp(documented_order())
    assert submitted == GnpSubmission(ref="12345", url="/v3/porting/{ACCOUNT}/ports/12345")
    assert route.calls.last.request.headers["content-type"] == "application/json"
    assert json.loads(route.calls.last.request.content) == ORDER_JSON


async def test_resubmission_carries_orig_ref_and_port_date(client, router):
    """`resubmit_gnp` adds `orig_ref`; a port date is sent as `YYYY-MM-DD HH:mm:ss` (UK)."""
    route = router.post(f"{P}/gnp").respond(json=example("POST", f"{DOCS}/gnp"))
    order = documented_order()
    import attrs  # noqa: PLC0415

    order = attrs.evolve(order, port_date=dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.timezone.utc))
    await client.porting.resubmit_gnp(54721, order)
    sent = json.loads(route.calls.last.request.content)
    assert sent == {**ORDER_JSON, "orig_ref": "54721", "port_date": "2026-07-01 10:00:00"}


async def test_submission_errors_are_raised_and_never_retried(client, router):
    """The documented error body raises with its messages; a 503 is not retried."""
    route = router.post(f"{P}/gnp").respond(json=example("POST", f"{DOCS}/gnp", index=1))
    with pytest.raises(ApiError) as caught:
        await client.porting.submit_gnp(documented_order())
    assert caught.value.errors == ("Message #1", "Message #2")
    route.respond(503)
    with pytest.raises(ServerError):
        await client.porting.submit_gnp(documented_order())
    assert route.call_count == 2


async def test_a_submission_without_ref_is_a_decode_error(client, router):
    """A success without `ref` cannot be tracked: DecodeError."""
    router.post(f"{P}/gnp").respond(json={"success": True})
    with pytest.raises(DecodeError, match="ref"):
        await client.porting.submit_gnp(documented_order())


async def test_gnp_list_and_detail(client, router):
    """The GNP list and one order decode the documented examples (dates repaired)."""
    router.get(f"{P}/gnp").respond(json=_repaired(example("GET", f"{DOCS}/gnp")))
    detail = copy.deepcopy(_repaired(example("GET", f"{DOCS}/gnp/{{ORDER_REFERENCE}}")))
    route = router.get(f"{P}/gnp/54721").respond(json=detail)
    assert await client.porting.gnp_orders() == (
        GnpOrderSummary(
            ref="54721",
            mbn="01632960100",
            date=dt.date(2015, 2, 28),
            crd=dt.date(2015, 3, 14),
            status_code="submitted_rh",
            status="Submitted to RH",
        ),
    )
    order = await client.porting.gnp_order(54721)
    assert (order.status_code, order.lines, order.channels, order.rh) == ("rcvd", 1, 1, "BT")
    assert order.events[2] == PortEvent(
        date=dt.datetime(2015, 2, 28, 13, 33, 51, tzinfo=UK),  # type: ignore[arg-type]
        status_code="rcvd",
        status="Porting Request Received",
        info="Order Submitted by API",
    )
    assert route.call_count == 1


async def test_the_documented_impossible_date_is_a_decode_error(client, router):
    """The docs' own GNP list (dated 2015-02-29) fails with a DecodeError naming the date."""
    router.get(f"{P}/gnp").respond(json=example("GET", f"{DOCS}/gnp"))
    with pytest.raises(DecodeError, match="2015-02-29"):
        await client.porting.gnp_orders()


async def test_losing_providers_read_the_cps_key(client, router):
    """The LCP list is under `cps`, with `cpName`."""
    router.get(f"{P}/lcps").respond(json=example("GET", f"{DOCS}/lcps"))
    providers = await client.porting.losing_providers()
    assert providers[0] == LosingProvider(name="BT", cupid="1")
    assert len(providers) == 3


async def test_mnp(client, router):
    """MNP: submit sends JSON and decodes; list and one port decode the documented examples."""
    post = router.post(f"{P}/mnp").respond(json=example("POST", f"{DOCS}/mnp"))
    router.get(f"{P}/mnp").respond(json=example("GET", f"{DOCS}/mnp"))
    router.get(f"{P}/mnp/ABC1234567").respond(json=example("GET", f"{DOCS}/mnp/{{PAC}}"))
    submitted = await client.porting.submit_mnp(
        "447700900123", "abc1234567", contact_email="me@example.com", port_date="2016-12-16"
    )
    assert json.loads(post.calls.last.request.content) == {
        "msisdn": "447700900123",
        "pac": "ABC1234567",
        "contact_email": "me@example.com",
        "port_date": "2016-12-16",
    }
    assert submitted == MnpPort(
        pac="ABC1234567", msisdn="447700900123", ref="43001", date_port=dt.date(2016, 12, 16)
    )
    expected = MnpPort(
        pac="ABC1234567",
        msisdn="447700900123",
        ref="43001",
        date_port=dt.date(2016, 12, 8),
        date_added=dt.date(2016, 12, 6),
        date_updated=dt.date(2016, 12, 6),
        status_code="pending",
        status="Pending",
    )
    assert await client.porting.mnp_ports() == (expected,)
    assert await client.porting.mnp_port("ABC1234567") == expected


async def test_mnp_submission_is_never_retried(client, router):
    """A failed MNP submission (chargeable) is raised after one request."""
    route = router.post(f"{P}/mnp").respond(400, json={"success": False, "errors": ["bad"]})
    with pytest.raises(BadRequestError):
        await client.porting.submit_mnp("447700900123", "ABC123456", contact_email="a@b.co")
    assert route.call_count == 1


async def test_unmodelled_port_keys_are_kept(client, router):
    """An MNP port's unknown key is kept in `extra` (strict decoding)."""
    body = example("GET", f"{DOCS}/mnp/{{PAC}}")
    router.get(f"{P}/mnp/ABC1234567").respond(
        json={**body, "data": {**body["data"], "network": "EE"}}
    )
    assert (await client.porting.mnp_port("ABC1234567")).extra == {"network": "EE"}
