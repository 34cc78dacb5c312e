"""The tools area: myip, time and explain, sent without credentials."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from simwood_async import InvalidInputError, ServerError
from simwood_async.tools import MyIp, ServerTime
from tests.conftest import example

EXPLAIN_TEXT = example("GET", "/v3/tools/explain")


async def test_myip(client, router):
    """`myip` GETs /v3/tools/myip without credentials and decodes the address."""
    route = router.get("tools/myip").respond(json={"ip": "192.0.2.10"})
    result = await client.tools.myip()
    assert result == MyIp(ip="192.0.2.10")
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url.path == "/v3/tools/myip"
    assert "authorization" not in request.headers


@pytest.mark.parametrize("index", [0, 1], ids=["compact", "pretty"])
async def test_time_decodes_the_documented_examples(client, router, index):
    """`time` decodes both documented samples, with the instant as an aware datetime."""
    route = router.get("tools/time").respond(json=example("GET", "/v3/tools/time", index))
    result = await client.tools.time()
    assert result.timestamp == 1388748052
    assert result.rfc.endswith("03 Jan 2014 11:20:52 +0000")
    assert result.api is None
    assert result.datetime == dt.datetime(2014, 1, 3, 11, 20, 52, tzinfo=dt.timezone.utc)
    assert "authorization" not in route.calls.last.request.headers


async def test_time_with_api_version(client, router):
    """The `api` field some servers send is decoded too."""
    router.get("tools/time").respond(json={"timestamp": 1, "rfc": "x", "api": "3.10.5"})
    assert await client.tools.time() == ServerTime(timestamp=1, rfc="x", api="3.10.5")


async def test_explain_get_sends_query_and_returns_text(client, router):
    """`explain()` GETs with the parameters as the query and returns the plain-text report."""
    route = router.get("tools/explain").respond(text=EXPLAIN_TEXT)
    text = await client.tools.explain(test=1, pretty="true")
    assert text == EXPLAIN_TEXT
    request = route.calls.last.request
    assert request.url.query == b"test=1&pretty=true"
    assert "authorization" not in request.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "post"], ids=["post", "put", "lower-case"])
async def test_explain_with_a_body_sends_form_fields(client, router, method):
    """For POST and PUT, `explain` sends the parameters as form fields."""
    route = router.route(method=method.upper(), path="tools/explain").respond(text="ok")
    await client.tools.explain(method, numbers=["1", "2"], method="x")
    request = route.calls.last.request
    assert request.content == b"numbers%5B%5D=1&numbers%5B%5D=2&method=x"
    assert request.url.query == b""


async def test_explain_delete_uses_the_query(client, router):
    """A DELETE explain sends its parameters in the query string."""
    route = router.delete("tools/explain").respond(text="ok")
    await client.tools.explain("DELETE", a="b")
    assert route.calls.last.request.url.query == b"a=b"


@pytest.mark.parametrize("method", ["PATCH", "HEAD", "GET /x"], ids=["patch", "head", "junk"])
async def test_explain_refuses_other_methods(client, router, method):
    """Only GET, POST, PUT and DELETE are allowed; anything else sends nothing."""
    with pytest.raises(InvalidInputError, match="method must be one of"):
        await client.tools.explain(method)
    assert router.calls.call_count == 0


async def test_explain_post_is_not_retried(client, router, fake_time):
    """Only the GET form of explain is retried."""
    route = router.post("tools/explain").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, text="ok")]
    )
    with pytest.raises(ServerError):
        await client.tools.explain("POST")
    assert route.call_count == 1
