"""The fast transport: choice by backend, the direct path, proxies, errors, pool hygiene."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import httpx
import pytest

from simwood_async import (
    ConnectError,
    IncompleteBodyError,
    RetryPolicy,
    ServerError,
    SimwoodClient,
)
from simwood_async._fast import ENV_FAST, AutoTransport, DirectRequest, fast_requested
from tests.conftest import ACCOUNT, PASSWORD, USERNAME

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

BALANCE = json.dumps([{"balance": "12.32", "currency": "GBP"}]).encode()
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class LoopbackServer:
    """A tiny keep-alive HTTP/1.1 server on 127.0.0.1 that records what it receives.

    Every request gets the JSON echo of its method, target, headers and body, except the
    balance path, which answers the documented balance payload. `script` lists actions to
    take first, in order: a status code, `reset` (drop the connection) or `truncate`.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[int | str] = []
        self.base_url = ""
        #: When set, requests wait for it before being answered.
        self.hold: anyio.Event | None = None
        self.in_flight = self.peak = 0
        #: Set once `expected` requests have arrived.
        self.arrived = anyio.Event()
        self.expected = 0

    async def handle(self, stream: anyio.abc.SocketStream) -> None:
        """Serve one connection until the client closes it."""
        buffer = b""
        async with stream:
            try:
                while True:
                    while b"\r\n\r\n" not in buffer:
                        buffer += await stream.receive()
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    request_line, *lines = head.decode("latin-1").split("\r\n")
                    method, target, _ = request_line.split(" ", 2)
                    headers = {}
                    for line in lines:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                    size = int(headers.get("content-length", "0"))
                    while len(buffer) < size:
                        buffer += await stream.receive()
                    body, buffer = buffer[:size], buffer[size:]
                    record = {"method": method, "target": target, "headers": headers}
                    record["body"] = body.decode("utf-8")
                    self.requests.append(record)
                    if len(self.requests) >= self.expected:
                        self.arrived.set()
                    self.in_flight += 1
                    self.peak = max(self.peak, self.in_flight)
                    try:
                        if self.hold is not None:
                            await self.hold.wait()
                        if not await self._answer(stream, record):
                            return
                    finally:
                        self.in_flight -= 1
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return

    async def _answer(self, stream: anyio.abc.SocketStream, record: dict[str, Any]) -> bool:
        """Reply per the script; False when the connection must end."""
        action = self.script.pop(0) if self.script else 200
        if action == "reset":
            return False
        status = action if isinstance(action, int) else 200
        if record["target"].endswith("/prepay/balance") and status == 200:
            payload = BALANCE
        else:
            payload = json.dumps(record).encode()
        head = (
            f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
            f"content-length: {len(payload)}\r\n\r\n"
        ).encode()
        if action == "truncate":
            await stream.send(head + payload[: len(payload) // 2])
            return False
        await stream.send(head + payload)
        return True


@pytest.fixture
async def loopback_server() -> AsyncIterator[LoopbackServer]:
    """A `LoopbackServer` on a free port, serving from the test's own event loop."""
    server = LoopbackServer()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - not Django
    server.base_url = f"http://127.0.0.1:{port}/v3/"
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server.handle)
        yield server
        tg.cancel_scope.cancel()


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variables in the environment (tests set the ones they need)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def make(base_url: str, **options: Any) -> SimwoodClient:
    """A strict client for `base_url` that never retries unless told to."""
    options.setdefault("retry", RetryPolicy(attempts=1))
    return SimwoodClient(
        ACCOUNT,
        username=USERNAME,
        password=PASSWORD,
        base_url=base_url,
        strict=True,
        env={},
        **options,
    )


def on_asyncio() -> bool:
    """Whether the test runs on asyncio (the fast transport's only backend)."""
    import sniffio  # noqa: PLC0415

    return sniffio.current_async_library() == "asyncio"


def build(client: SimwoodClient) -> Any:
    """What the transport prepares for a GET on its retrying path."""
    return client._transport._build(
        "GET",
        "tools/time",
        params=None,
        data=None,
        json=None,
        payload=None,
        files=None,
        auth=True,
        direct=True,
    )


@pytest.mark.parametrize(
    ("fast", "env", "expected"),
    [
        (None, {}, False),
        (None, {ENV_FAST: "1"}, True),
        (None, {ENV_FAST: "true"}, True),
        (None, {ENV_FAST: " On "}, True),
        (None, {ENV_FAST: "0"}, False),
        (None, {ENV_FAST: "no"}, False),
        (False, {ENV_FAST: "1"}, False),
        (True, {}, True),
    ],
    ids=["unset", "one", "true", "on", "zero", "no", "argument-off", "argument-on"],
)
def test_fast_is_opted_in_by_argument_or_environment(fast, env, expected, monkeypatch):
    """`fast=` wins; without it `SIMWOOD_FAST_TRANSPORT` decides, and only a true value opts in."""
    monkeypatch.setattr("simwood_async._fast._default", None)
    assert fast_requested(fast, env) is expected


async def test_the_default_client_is_plain_httpx(no_proxies):
    """Without `fast`, the client we create is a plain `httpx.AsyncClient` with no direct path."""
    async with make("http://127.0.0.1:9/v3/", fast=False) as client:
        assert type(client._transport.http) is httpx.AsyncClient
        assert client._transport._shared.direct is None
        assert isinstance(build(client), httpx.Request)


async def test_environment_variable_turns_the_fast_transport_on(no_proxies):
    """`SIMWOOD_FAST_TRANSPORT=1` in the client's environment means `fast=True`."""
    options = {"username": USERNAME, "password": PASSWORD, "env": {ENV_FAST: "1"}}
    async with SimwoodClient(ACCOUNT, base_url="http://127.0.0.1:9/v3/", **options) as client:
        assert client._transport._shared.direct is not None


async def test_fast_client_picks_aiohttp_on_asyncio_and_httpx_on_trio(loopback_server, no_proxies):
    """The transport is chosen inside the event loop: aiohttp on asyncio, httpx's on trio."""
    from httpx_aiohttp import AiohttpTransport  # noqa: PLC0415

    async with make(loopback_server.base_url, fast=True) as client:
        balance = await client.accounts.prepay_balance()
        auto = client._transport._shared.direct._auto
        assert isinstance(auto, AutoTransport)
        if on_asyncio():
            assert isinstance(auto.chosen, AiohttpTransport)
            assert isinstance(build(client), DirectRequest)
        else:
            assert type(auto.chosen) is httpx.AsyncHTTPTransport
            assert isinstance(build(client), httpx.Request)
    assert str(balance.balance) == "12.32"
    assert auto.session is None or auto.session.closed


async def test_fast_client_keeps_the_httpx_api(loopback_server, no_proxies):
    """The client under the fast transport is still an `httpx.AsyncClient` that works."""
    async with make(loopback_server.base_url, fast=True) as client:
        http = client._transport.http
        assert isinstance(http, httpx.AsyncClient)
        response = await http.get(loopback_server.base_url + "tools/echo?q=1")
        assert response.json()["target"] == "/v3/tools/echo?q=1"


REQUESTS = [
    ("GET", {"params": {"q": "a b/c&d=é", "ids": ["1", "2"], "flag": True}}),
    ("POST", {"data": {"name": "Zoë & co", "numbers": ["447700900123"]}}),
    ("POST", {"json": {"filter": {"to": "4420", "n": 3}}}),
    ("PUT", {"payload": {"x": [1, 2]}, "data": {"a": "b"}}),
]


@pytest.mark.parametrize(("method", "options"), REQUESTS, ids=["query", "form", "json", "payload"])
async def test_direct_path_sends_what_httpx_sends(loopback_server, no_proxies, method, options):
    """The same call reaches the server identically through httpx and the direct path."""
    seen = []
    for fast in (False, True):
        async with make(loopback_server.base_url, fast=fast) as client:
            response = await client._transport.request(method, "tools/echo", retry=False, **options)
        echo = response.json()
        headers = echo["headers"]
        keep = ("authorization", "content-type", "user-agent", "accept", "content-length")
        seen.append((echo["method"], echo["target"], echo["body"], [headers.get(k) for k in keep]))
    assert seen[0] == seen[1]
    assert seen[0][3][0].startswith("Basic ")


async def test_retry_releases_the_connection_before_backing_off(loopback_server, no_proxies):
    """During a retry's backoff the failed response holds neither a pool slot nor the limiter."""
    loopback_server.script = [503]
    nested = []

    async def sleep(_: float) -> None:
        """The backoff: one nested call through the same client."""
        # With one connection and one slot, this only completes if both were released.
        with anyio.fail_after(5):
            nested.append(await client.accounts.prepay_balance())

    retry = RetryPolicy(attempts=2, jitter=lambda: 0.0, sleep=sleep)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with make(loopback_server.base_url, retry=retry, limits=limits) as client:
        balance = await client.accounts.prepay_balance()
    assert balance == nested[0]
    assert len(loopback_server.requests) == 3


async def test_the_sdk_limiter_bounds_requests_in_flight(loopback_server, no_proxies):
    """No more than `max_concurrency` requests reach the server at once; the rest wait."""
    loopback_server.hold = anyio.Event()
    loopback_server.expected = 2
    results = []
    async with make(loopback_server.base_url, max_concurrency=2) as client:

        async def call() -> None:
            """One balance call."""
            results.append(await client.accounts.prepay_balance())

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(call)
            with anyio.fail_after(5):
                await loopback_server.arrived.wait()
            await anyio.wait_all_tasks_blocked()
            limiter = client._transport._shared.limiter
            assert limiter is not None
            assert limiter.statistics().tasks_waiting == 3
            assert len(loopback_server.requests) == 2
            loopback_server.hold.set()
    assert len(results) == 5
    assert loopback_server.peak == 2


@pytest.mark.parametrize(
    ("action", "error"),
    [("reset", ConnectError), ("truncate", IncompleteBodyError), (503, ServerError)],
    ids=["reset", "truncate", "503"],
)
async def test_failures_become_sdk_errors_and_are_never_resent(
    loopback_server, no_proxies, action, error
):
    """A dropped connection, a cut body or a 5xx surfaces once: no hidden retry underneath."""
    loopback_server.script = [action]
    async with make(loopback_server.base_url) as client:
        with pytest.raises(error):
            await client.accounts.prepay_balance()
        assert len(loopback_server.requests) == 1
        assert (await client.accounts.prepay_balance()).currency == "GBP"


async def test_connection_refused_is_a_connect_error(no_proxies):
    """Nothing listening on the port is a ConnectError on every transport."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - not Django
    await listener.aclose()
    async with make(f"http://127.0.0.1:{port}/v3/") as client:
        with pytest.raises(ConnectError):
            await client.accounts.prepay_balance()


async def test_environment_proxy_is_used_with_the_fast_transport(loopback_server, no_proxies):
    """`HTTP_PROXY` applies with `fast=True`: the request goes to the proxy, in absolute form."""
    no_proxies.setenv("HTTP_PROXY", loopback_server.base_url.removesuffix("v3/"))
    target = "http://127.0.0.1:9/v3/"  # nothing listens there: only the proxy can answer
    async with make(target, fast=True) as client:
        assert client._transport._shared.direct is None
        response = await client._transport.request("GET", "tools/echo", retry=False)
    assert response.json()["target"] == target + "tools/echo"


@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"], ids=["upper", "lower"])
async def test_no_proxy_keeps_the_direct_path(loopback_server, no_proxies, variable):
    """A host in `NO_PROXY` bypasses the proxy, and the direct path stays in use."""
    no_proxies.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # would fail if it were used
    no_proxies.setenv(variable, "127.0.0.1")
    async with make(loopback_server.base_url, fast=True) as client:
        assert client._transport._shared.direct is not None
        response = await client._transport.request("GET", "tools/echo", retry=False)
    assert response.json()["target"] == "/v3/tools/echo"


async def test_injected_transport_ignores_fast(no_proxies):
    """`fast=True` with your own transport uses your transport, untouched."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=BALANCE))
    async with make("https://api.simwood.com/v3/", fast=True, transport=transport) as client:
        assert client._transport._shared.direct is None
        assert (await client.accounts.prepay_balance()).currency == "GBP"


async def test_auto_transport_without_fast_is_httpx(loopback_server, no_proxies):
    """An `AutoTransport(fast=False)` always creates httpx's default transport."""
    auto = AutoTransport(fast=False, limits=httpx.Limits(max_connections=2))
    async with httpx.AsyncClient(transport=auto) as http:
        response = await http.get(loopback_server.base_url + "tools/echo")
    assert response.json()["method"] == "GET"
    assert type(auto.chosen) is httpx.AsyncHTTPTransport
    assert auto.session is None
