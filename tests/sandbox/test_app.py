"""The API's conventions in the sandbox: auth, pretty, `_method`, escaping, errors and stats."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from simwood_async import AuthenticationError, NotFoundError, PermissionDeniedError
from simwood_async.sandbox._app import NOT_EMULATED_HEADER
from tests.sandbox.conftest import PASSWORD, make_sandbox

A = "930000"
STATS = "http://sandbox.local/_sandbox/stats"


@pytest.fixture
async def http(sandbox: Any) -> Any:
    """A raw httpx client into the sandbox, with its credentials."""
    async with httpx.AsyncClient(
        transport=sandbox.transport(),
        base_url="http://sandbox.local/v3/",
        auth=(sandbox.username, PASSWORD),
    ) as client:
        yield client


@pytest.mark.parametrize(
    "auth", [None, ("sandbox", "wrong"), ("someone", PASSWORD)], ids=["none", "password", "user"]
)
async def test_missing_or_wrong_credentials_get_the_basic_challenge(sandbox, auth):
    """Without the right credentials: 401, `WWW-Authenticate: Basic`, the error shape."""
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox.local/v3/", auth=auth
    ) as raw:
        response = await raw.get(f"accounts/{A}/prepay/balance")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Simwood API"'
    assert response.json() == {"success": False, "errors": ["Authentication required"]}


async def test_tools_need_no_credentials(sandbox):
    """`/v3/tools/*` answers without credentials."""
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox.local/v3/"
    ) as raw:
        assert (await raw.get("tools/time")).status_code == 200


async def test_client_with_a_wrong_password_gets_authentication_error(sandbox):
    """The SDK maps the sandbox's 401 to AuthenticationError, with no password in the text."""
    async with sandbox.client(password="not-it") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.accounts.prepay_balance()
    assert "not-it" not in str(caught.value)
    assert PASSWORD not in repr(sandbox)


async def test_json_escapes_slashes_and_pretty_indents(http):
    r"""Compact JSON escapes `/` as `\/`; `?pretty=true` indents (still escaped)."""
    compact = await http.post(f"accounts/{A}/reports/voice/cdr/latest/10")
    assert b'"link":"\\/v3\\/files\\/930000\\/' in compact.content
    assert b"\n" not in compact.content
    pretty = await http.post(f"accounts/{A}/reports/voice/cdr/latest/10?pretty=true")
    assert b'\n    "link": "\\/v3\\/files\\/' in pretty.content
    assert json.loads(pretty.content) == json.loads(compact.content)


async def test_method_override_and_post_for_put(http):
    """`_method=put` on GET or POST acts as PUT; POST is accepted for PUT."""
    override = {"_method": "put", "alert_balance": "12"}
    got = await http.get(f"accounts/{A}/prepay/balance/alert", params=override)
    assert got.json()["alert_balance"] == 12
    posted = await http.post(
        f"accounts/{A}/prepay/balance/alert", data={"_method": "PUT", "alert_balance": "13"}
    )
    assert posted.json()["alert_balance"] == 13
    lenient = await http.post(f"accounts/{A}/prepay/balance/alert", data={"alert_balance": "14"})
    assert lenient.json()["alert_balance"] == 14


async def test_method_override_never_makes_a_delete(http):
    """`_method=delete` is ignored: DELETE has no alternative."""
    await http.put(f"accounts/{A}/prepay/balance/locked", data={"balance": "5"})
    response = await http.get(f"accounts/{A}/prepay/balance/locked", params={"_method": "delete"})
    assert response.json()["locked"] == 5


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "nowhere/at/all", 404),
        ("GET", f"accounts/{A}/unknown", 404),
        ("DELETE", f"accounts/{A}/prepay/balance", 405),
        ("GET", "accounts/123456/prepay/balance", 403),
        ("GET", f"accounts/{A}/credit/invoices/I999", 404),
        ("GET", f"voice/{A}/inprogress/nope", 404),
        ("GET", f"accounts/{A}/rates/csv/bronze", 404),
    ],
    ids=["unknown-root", "unknown-leaf", "method", "other-account", "invoice", "call", "deck"],
)
async def test_errors_have_the_documented_shape(http, method, path, status):
    """Unknown resources, wrong methods and other accounts give `{success: false, errors}`."""
    response = await http.request(method, path)
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False
    assert body["errors"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"voice/{A}/trunks"),
        ("POST", f"messaging/{A}/sms"),
        ("GET", "nowhere/at/all"),
        ("GET", f"accounts/{A}/prepay/refunds/all"),
    ],
    ids=["trunks", "sms", "unknown-root", "unknown-leaf"],
)
async def test_not_emulated_path_says_so(http, method, path):
    """A path the sandbox does not emulate is the API's 404, but its body says "not emulated"."""
    response = await http.request(method, path)
    assert response.status_code == 404
    assert response.headers[NOT_EMULATED_HEADER] == "1"
    assert response.json() == {
        "success": False,
        "errors": [f"Not emulated by the sandbox: {method} /v3/{path}"],
    }


@pytest.mark.parametrize(
    "path",
    [
        f"accounts/{A}/credit/invoices/I999",
        f"voice/{A}/inprogress/nope",
        f"accounts/{A}/rates/csv/bronze",
        f"accounts/{A}/rate/999999999",
    ],
    ids=["invoice", "call", "deck", "rate"],
)
async def test_missing_resource_is_not_called_not_emulated(http, path):
    """A missing resource on an emulated route is a plain 404 that does not claim "not emulated"."""
    response = await http.get(path)
    assert response.status_code == 404
    assert NOT_EMULATED_HEADER not in response.headers
    assert "emulated" not in response.text


async def test_sdk_sees_not_emulated_in_its_not_found_error(sandbox):
    """Through the SDK, a not-emulated path is a NotFoundError whose body says so."""
    async with sandbox.client() as client:
        with pytest.raises(NotFoundError) as caught:
            await client._transport.request("GET", f"fax/{A}/inbound", retry=False)
    assert "Not emulated by the sandbox" in (caught.value.body or "")


async def test_unparseable_json_body_is_400(http):
    """A JSON body that does not parse gives 400."""
    response = await http.post(
        f"voice/{A}/cdr", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_other_account_through_the_client(sandbox):
    """The SDK sees another account's resources as PermissionDeniedError."""
    async with sandbox.client(account="123456") as client:
        with pytest.raises(PermissionDeniedError):
            await client.accounts.prepay_balance()


async def test_stats_count_requests_by_method_route_and_status(sandbox, http):
    """Stats count every API request by method, route template and status, and reset."""
    await http.get(f"accounts/{A}/prepay/balance")
    await http.get(f"accounts/{A}/prepay/balance")
    await http.get(f"files/{A}/{'0' * 32}")
    await http.get("nowhere")
    stats = sandbox.stats
    assert stats.count(route="/v3/accounts/{account}/prepay/balance", status=200) == 2
    assert stats.count(route="/v3/files/{account}/{hash}", status=404) == 1
    assert stats.count(method="GET", status=404) == 2
    assert stats.total == 4
    over_http = (await http.get(STATS)).json()
    assert over_http["total"] == 4
    assert {"method": "GET", "route": "<unmatched>", "status": 404, "count": 1} in over_http[
        "requests"
    ]
    assert (await http.delete(STATS)).json()["total"] == 0
    assert stats.total == 0


async def test_foundation_endpoints_decode_strictly(local, sandbox):
    """Every endpoint the SDK's foundation areas call decodes with the strict converter."""
    c = local
    assert (await c.accounts.account_type()).account_type == "virtual_interconnect"
    assert (await c.accounts.prepay_balance()).currency == "GBP"
    assert str((await c.accounts.set_balance_alert(25)).alert_balance) == "25"
    assert str((await c.accounts.lock_balance(3)).locked) == "3"
    await c.accounts.unlock_balance()
    assert str((await c.accounts.locked_balance()).locked) == "0"
    assert len(await c.accounts.prepayments(latest=1)) == 1
    assert len(await c.accounts.transfers()) == 15
    every = await c.accounts.invoices()
    paid = await c.accounts.invoices("paid")
    unpaid = await c.accounts.invoices("unpaid")
    assert len(paid.invoices) + len(unpaid.invoices) == len(every.invoices) == 12
    assert every.total_due["GBP"] == sum(i.amount_due for i in unpaid.invoices)
    tariffs = await c.rates.tariffs()
    assert [t.default for t in tariffs].count(True) == 1
    for tariff in tariffs:
        card = await c.rates.ratecard(tariff.url.rpartition("/")[2])
        assert card.rows
    rates = await c.rates.destination("447700900123")
    assert set(rates.by_quality()) == {"platinum", "gold", "silver"}
    limits = await c.voice.limits()
    update = await c.voice.set_limits(inbound=5, outbound=limits.channel_allocation - 5)
    assert update.limit_concurrent_in == 5
    assert (await c.voice.channels()).channels >= 0
    assert len(await c.voice.channel_history("1h")) == 24
    assert len(await c.voice.channel_history("1m")) == 1440
    summary = await c.voice.calls_in_progress()
    assert summary.callcount == sum(d.callcount for d in summary.calls.values())
    assert (await c.tools.myip()).ip == "127.0.0.1"
    assert (await c.tools.time()).timestamp == int(sandbox.now().timestamp())
    assert "Simwood API - Explain Tool" in await c.tools.explain("GET", x=1)


async def test_hang_up_removes_the_call(local, sandbox):
    """A call can be read until it is hung up, then it is 404."""
    call_id = next(iter(sandbox._core.account_state.calls(sandbox._core.now())))
    call = await local.voice.call(call_id)
    assert call.destid
    await local.voice.hang_up(call_id)
    with pytest.raises(Exception, match="404"):
        await local.voice.call(call_id)
    assert (await local.voice.calls_in_progress()).callcount == 4


async def test_invoice_pdf_is_a_valid_pdf(local):
    """The invoice PDF has a header, a cross-reference table that points at its objects, an EOF."""
    number = (await local.accounts.invoices()).invoices[0].invoice_number
    pdf = await local.accounts.invoice_pdf(number)
    assert isinstance(pdf, bytes)
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.rstrip().endswith(b"%%EOF")
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref_at:].startswith(b"xref\n")
    offsets = [int(line[:10]) for line in pdf[xref_at:].split(b"\n")[3:8]]
    for number_, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number_)


async def test_limits_that_do_not_sum_are_refused_by_the_server(http):
    """A PUT whose split does not sum to the allocation is 400 (the SDK checks first too)."""
    response = await http.put(
        f"voice/{A}/limits", data={"limit_concurrent_in": "1", "limit_concurrent_out": "1"}
    )
    assert response.status_code == 400


def test_sandbox_validates_its_arguments():
    """A non-alphanumeric account or a negative volume is refused."""
    with pytest.raises(ValueError, match="account"):
        make_sandbox(account="93/0000")
    with pytest.raises(ValueError, match="volumes"):
        make_sandbox(cdr_rows_per_day=-1)
    with pytest.raises(ValueError, match="cdr_cache_bytes"):
        make_sandbox(cdr_cache_bytes=-1)
