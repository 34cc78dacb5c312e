"""Porting against the sandbox: orders advance over sandbox time; the answers' shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import httpx
import pytest

from simwood_async import BadRequestError, NotFoundError, RetryPolicy
from simwood_async.sandbox import ManualClock, Sandbox
from tests.conftest import EXAMPLES
from tests.porting.test_wire import documented_order

START = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def sandbox() -> Sandbox:
    """A sandbox on a manual clock (a Monday morning)."""
    return Sandbox(seed=5, clock=ManualClock(START))


@pytest.fixture
async def local(sandbox: Sandbox) -> Any:
    """A strict, non-retrying client on the sandbox."""
    async with sandbox.client(strict=True, retry=RetryPolicy(attempts=1)) as client:
        yield client


async def test_a_gnp_order_advances_over_sandbox_time(local, sandbox):
    """Submitted, the order is listed; its status and events move on as sandbox time passes."""
    submitted = await local.porting.submit_gnp(documented_order())
    listed = await local.porting.gnp_orders()
    assert [o.ref for o in listed] == [submitted.ref]
    assert listed[0].status_code == "rcvd"
    assert listed[0].crd == dt.date(2026, 3, 23)  # a multi-line port: seven days' lead
    detail = await local.porting.gnp_order(submitted.ref)
    assert [e.status_code for e in detail.events] == ["rcvd"]
    assert detail.events[0].info == "Order Submitted by API"
    await sandbox.advance(2 * 86400 + 60)
    detail = await local.porting.gnp_order(submitted.ref)
    assert [e.status_code for e in detail.events] == [
        "rcvd",
        "submitted_lcp",
        "accepted_lcp",
        "accepted",
    ]
    await sandbox.advance(7 * 86400)
    assert (await local.porting.gnp_order(submitted.ref)).status_code == "complete"
    assert (await local.porting.gnp_orders())[0].status == "Port Complete"


async def test_a_rejected_order_is_resubmitted_with_orig_ref(local, sandbox):
    """A rejection (a postcode the LCP has no record of) and a resubmission under orig_ref."""
    bad = attrs.evolve(documented_order(), billing_postcode="ZZ1 1ZZ")
    first = await local.porting.submit_gnp(bad)
    await sandbox.advance(86400 + 1)
    assert (await local.porting.gnp_order(first.ref)).status_code == "rejected_lcp"
    again = await local.porting.resubmit_gnp(first.ref, documented_order())
    assert again.ref != first.ref
    with pytest.raises(BadRequestError, match="Original order 999 not found"):
        await local.porting.resubmit_gnp(999, documented_order())


async def test_the_detail_returns_the_order_as_submitted(local):
    """Customer and numbers come back as submitted; lines and channels as strings decode."""
    order = documented_order()
    detail = await local.porting.gnp_order((await local.porting.submit_gnp(order)).ref)
    assert detail.customer == order.customer
    assert detail.numbers == order.numbers
    assert (detail.lines, detail.channels, detail.mbn) == (1, 30, "01632960100")


async def test_losing_providers(local):
    """The LCP list has BT with CUPID 1."""
    providers = await local.porting.losing_providers()
    assert ("BT", "1") in {(p.name, p.cupid) for p in providers}


async def test_mnp_round_trip(local, sandbox):
    """An MNP port: submitted, listed and found by PAC; complete after its port date."""
    port = await local.porting.submit_mnp("447700900123", "ABC123456", contact_email="a@b.co")
    assert port.date_port == dt.date(2026, 3, 18)
    assert [p.pac for p in await local.porting.mnp_ports()] == ["ABC123456"]
    assert (await local.porting.mnp_port("ABC123456")).status_code == "pending"
    await sandbox.advance(3 * 86400)
    assert (await local.porting.mnp_port("abc123456")).status_code == "complete"
    with pytest.raises(BadRequestError, match="already been used"):
        await local.porting.submit_mnp("447700900123", "ABC123456", contact_email="a@b.co")
    with pytest.raises(NotFoundError):
        await local.porting.mnp_port("XYZ999999")


@pytest.fixture
async def raw(sandbox: Sandbox) -> Any:
    """A raw httpx client into the sandbox's porting area."""
    async with httpx.AsyncClient(
        transport=sandbox.transport(),
        base_url=f"http://sandbox.local/v3/porting/{sandbox.account}/",
        auth=(sandbox.username, sandbox.password),
    ) as client:
        yield client


async def test_the_sandbox_rejects_a_bad_order_whole(raw):
    """An order breaking documented rules: 400 with every reason, and nothing is listed."""
    body = {**documented_order_json(), "type": "huge"}
    body["numbers"] = [{"number": "01632960100", "type": "associated", "action": "retain"}]
    response = await raw.post("gnp", json=body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "Field 'type' must be single, multi, sub_single or sub_multi",
        "The numbers must include the MBN exactly once",
        "Number 0: only 'other' numbers can be retained",
    ]
    assert (await raw.get("gnp")).json() == {"success": True, "data": []}


async def test_the_legacy_ports_alias(raw):
    """`/ports` lists and shows the same orders as `/gnp`."""
    ref = (await raw.post("ports", json=documented_order_json())).json()["ref"]
    assert (await raw.get("gnp")).json() == (await raw.get("ports")).json()
    assert (await raw.get(f"ports/{ref}")).json() == (await raw.get(f"gnp/{ref}")).json()


def documented_order_json() -> dict[str, Any]:
    """The docs' example order JSON."""
    return next(
        e["json"]
        for e in EXAMPLES
        if e["method"] == "POST"
        and e["path"] == "/v3/porting/{ACCOUNT}/gnp"
        and e["kind"] == "request"
    )


def _same_shape(answer: Any, documented: Any) -> bool:
    """Whether `answer` has the documented example's keys and value types.

    An elided `{}` or `[]` in the docs ("as submitted, omitted for clarity") matches any.
    """
    if documented in ({}, []):
        return isinstance(answer, type(documented))
    if isinstance(documented, dict):
        return (
            isinstance(answer, dict)
            and answer.keys() == documented.keys()
            and all(_same_shape(answer[k], v) for k, v in documented.items())
        )
    if isinstance(documented, list):
        return (
            isinstance(answer, list)
            and bool(answer)
            # Each item looks like one of the documented ones (events vary: `info` or not).
            and all(any(_same_shape(a, d) for d in documented) for a in answer)
        )
    return type(answer) is type(documented)


DOCUMENTED = [
    e
    for e in EXAMPLES
    if e["kind"] == "response"
    and e["json"] is not None
    and (e["path"] or "").startswith("/v3/porting/")
]


@pytest.mark.parametrize(
    "entry", DOCUMENTED, ids=[f"{e['method']}-{e['line']}" for e in DOCUMENTED]
)
async def test_sandbox_answers_take_the_documented_shape(raw, sandbox, entry):
    """Each porting answer with a documented example has its keys and value types."""
    ref = (await raw.post("gnp", json=documented_order_json())).json()["ref"]
    await raw.post(
        "mnp", json={"msisdn": "447700900123", "pac": "ABC1234567", "contact_email": "a@b.co"}
    )
    await sandbox.advance(2 * 86400)  # a few events
    path = entry["path"].split("{ACCOUNT}/", 1)[1]
    path = path.replace("{ORDER_REFERENCE}", str(ref)).replace("{PAC}", "ABC1234567")
    documented = entry["json"]
    if documented.get("success") is False:
        answer = await raw.post(path, json={"mbn": "x"})
        assert answer.status_code == 400
    elif entry["method"] == "POST":
        body: dict[str, Any] = (
            documented_order_json()
            if path == "gnp"
            else {"msisdn": "447700900124", "pac": "DEF123456", "contact_email": "a@b.co"}
        )
        answer = await raw.post(path, json=body)
    else:
        answer = await raw.get(path)
    assert _same_shape(answer.json(), documented), (answer.json(), documented)
