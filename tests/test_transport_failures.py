"""Regression tests (issue 10 defects 1, 7, 9, 14; issue 12 item 6): transport failures.

Every httpx and aiohttp failure becomes a `SimwoodError` that names the server and the cause,
carries no secret anywhere in its chain, streamed calls honour the call deadline, and a 503's
`Retry-After` is honoured.
"""

from __future__ import annotations

import socket
import ssl
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import httpx
import pytest

from simwood_async import (
    ConnectError,
    DeadlineExceededError,
    IncompleteBodyError,
    RequestTimeoutError,
    ServerError,
    SimwoodClient,
    SimwoodError,
    TransportError,
)
from simwood_async._failures import TransportCause, describe, origin
from tests.conftest import ACCOUNT, PASSWORD, USERNAME, make_client
from tests.leaks import assert_clean

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

BALANCE_PATH = f"accounts/{ACCOUNT}/prepay/balance"
BALANCE = [{"balance": "12.32", "currency": "GBP"}]


@pytest.mark.parametrize(
    "effect",
    [
        httpx.DecodingError("bad gzip"),
        httpx.ProxyError("proxy said no"),
        httpx.UnsupportedProtocol("ftp?"),
        httpx.LocalProtocolError("bad header"),
        httpx.TooManyRedirects("loop"),
        httpx.WriteError("pipe"),
        httpx.CloseError("close"),
        OSError("raw socket failure"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_every_httpx_error_becomes_a_simwood_error(router, fake_time, effect):
    """Defect 1: httpx errors other than timeouts/network/protocol no longer escape raw."""
    router.get(BALANCE_PATH).mock(side_effect=effect)
    async with make_client(router, fake_time) as client:
        with pytest.raises(SimwoodError) as info:
            await client.accounts.prepay_balance()
        assert isinstance(info.value, TransportError)
        assert "https://api.simwood.com:443" in str(info.value)
        assert isinstance(info.value.__cause__, TransportCause)
        assert info.value.__context__ is None
        assert_clean(info.value, "the translated error")
        # The client is still usable after the failure.
        router.get(BALANCE_PATH).respond(json=BALANCE)
        assert (await client.accounts.prepay_balance()).currency == "GBP"


class _BadEncoding(httpx.AsyncByteStream):
    """A body whose content encoding cannot be decoded."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"x"
        raise httpx.DecodingError("incorrect header check")


async def test_a_body_that_does_not_decode_is_a_simwood_error(router, fake_time):
    """Defect 1: a DecodingError while reading the body becomes IncompleteBodyError."""
    router.get(BALANCE_PATH).mock(side_effect=lambda _: httpx.Response(200, stream=_BadEncoding()))
    async with make_client(router, fake_time) as client:
        with pytest.raises(IncompleteBodyError) as info:
            await client.accounts.prepay_balance()
    assert info.value.status_code == 200


class RawServer:
    """A loopback server that answers every request with fixed raw bytes."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.base_url = ""

    async def handle(self, stream: anyio.abc.SocketStream) -> None:
        """Read a request head, send the raw answer, hold the connection a moment."""
        async with stream:
            try:
                buffer = b""
                while b"\r\n\r\n" not in buffer:
                    buffer += await stream.receive()
                await stream.send(self.answer)
                await anyio.sleep(0.2)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return


@pytest.fixture
async def raw_server(request: pytest.FixtureRequest) -> AsyncIterator[RawServer]:
    """A `RawServer` on a free port (its answer is the test's `answer` parameter)."""
    server = RawServer(request.param)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - not Django
    server.base_url = f"http://127.0.0.1:{port}/v3/"
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server.handle)
        yield server
        tg.cancel_scope.cancel()


def loopback_client(base_url: str) -> SimwoodClient:
    """A client on a loopback URL (fast or not per the backend variant), one attempt per call."""
    from simwood_async import RetryPolicy  # noqa: PLC0415

    return SimwoodClient(
        ACCOUNT,
        username=USERNAME,
        password=PASSWORD,
        base_url=base_url,
        retry=RetryPolicy(attempts=1),
        env={},
    )


@pytest.mark.fast_transport
@pytest.mark.parametrize(
    "raw_server",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        b"GARBAGE\r\n\r\n",
    ],
    ids=["bad-header", "bad-status-line"],
    indirect=True,
)
async def test_malformed_responses_are_typed_and_carry_no_secret(raw_server, no_proxies):
    """Defects 1 and 9: a malformed response is a TransportError with no credential in its chain.

    aiohttp's own exception carries the request headers in its repr.
    """
    async with loopback_client(raw_server.base_url) as client:
        with pytest.raises(TransportError) as info:
            await client.accounts.prepay_balance()
    assert raw_server.base_url.removesuffix("/v3/") in str(info.value)
    assert_clean(info.value, "a malformed response's error")


@pytest.mark.fast_transport
@pytest.mark.parametrize("raw_server", [b"GARBAGE\r\n\r\n"], ids=["bad-status"], indirect=True)
async def test_no_credential_anywhere_in_a_transport_errors_chain(raw_server, no_proxies):
    """Defect 9: with fast=True, aiohttp's chained exception showed the Authorization header."""
    async with loopback_client(raw_server.base_url) as client:
        with pytest.raises(SimwoodError) as info:
            await client.accounts.prepay_balance()
    assert_clean(info.value, "a transport error's chain")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy from the environment (they would route loopback requests away)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.fast_transport
async def test_connection_refused_names_the_host_and_the_cause(no_proxies):
    """Issue 12.6: a refused connection says where (scheme://host:port) and why, everywhere.

    The fast path used to say only `ClientConnectorError`.
    """
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - not Django
    await listener.aclose()
    async with loopback_client(f"http://127.0.0.1:{port}/v3/") as client:
        with pytest.raises(ConnectError) as info:
            await client.accounts.prepay_balance()
    text = str(info.value)
    assert f"http://127.0.0.1:{port}" in text
    assert "connection refused" in text
    assert "ClientConnectorError" not in text
    assert_clean(info.value, "a refused connection's error")


def _chained(outer: BaseException, inner: BaseException) -> BaseException:
    """`outer` with `inner` as its cause."""
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (_chained(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known")),
         "DNS lookup failed (Name or service not known)"),
        (_chained(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused")),
         "connection refused"),
        (_chained(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "bad cert")),
         "TLS certificate verification failed"),
        (_chained(httpx.ConnectError("x"), ssl.SSLError(1, "WRONG_VERSION")), "TLS error"),
        (httpx.ConnectTimeout("slow"), "connect timeout"),
        (httpx.PoolTimeout("busy"), "pool timeout"),
        (_chained(httpx.ReadError("x"), ConnectionResetError(104, "reset")),
         "connection reset by peer"),
        (httpx.RemoteProtocolError("Server disconnected"), "RemoteProtocolError: Server"),
    ],
    ids=["dns", "refused", "tls-verify", "tls", "connect-timeout", "pool", "reset", "protocol"],
)  # fmt: skip
def test_causes_are_described_in_words(err: BaseException, expected: str) -> None:
    """Issue 12.6: the cause of a failure is found in its chain and said in words."""
    assert expected in describe(err)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.simwood.com/v3/x", "https://api.simwood.com:443"),
        ("http://127.0.0.1:8080/v3/", "http://127.0.0.1:8080"),
        ("http://user:secret@host/v3/", "http://host:80"),
        ("http://[::1]:9/", "http://[::1]:9"),
    ],
)
def test_origin_never_shows_credentials(url: str, expected: str) -> None:
    """The server is named as scheme://host:port, without any user info."""
    assert origin(url) == expected


async def test_stream_honours_the_call_deadline_while_waiting_for_headers(router, fake_time):
    """Defect 7: a streamed call whose headers never come ends at the call's deadline."""

    async def hang(request: httpx.Request) -> httpx.Response:
        """Never answer."""
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    router.get("files/x.pdf").mock(side_effect=hang)
    async with make_client(router, fake_time) as client:
        transport = client._transport.with_options(deadline=0.2)
        with anyio.fail_after(5), pytest.raises(DeadlineExceededError):
            async with transport.stream("GET", "files/x.pdf"):
                pass  # pragma: no cover


class _Stalling(httpx.AsyncByteStream):
    """A body that sends one chunk and then stalls forever."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"%PDF-"
        await anyio.sleep_forever()


async def test_stream_honours_the_call_deadline_mid_body(router, fake_time):
    """Defect 7: a streamed body that stalls ends at the call's deadline, not never."""
    mock = httpx.MockTransport(lambda _: httpx.Response(200, stream=_Stalling()))
    chunks: list[bytes] = []

    async def read(transport: Any) -> None:
        """Read the streamed body chunk by chunk."""
        async with transport.stream("GET", "files/x.pdf") as body:
            async for chunk in body.iter_bytes(1):
                chunks.append(chunk)  # noqa: PERF401 - kept as they come: the body never ends

    async with make_client(router, fake_time, transport=mock) as client:
        transport = client._transport.with_options(deadline=0.3)
        with anyio.fail_after(5), pytest.raises(DeadlineExceededError, match="mid-body"):
            await read(transport)
    assert b"".join(chunks) == b"%PDF-"


async def test_a_503_retry_after_is_honoured(router, fake_time):
    """Defect 14: the transport waits the 503's Retry-After before retrying."""
    router.get(BALANCE_PATH).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "7"}),
            httpx.Response(200, json=BALANCE),
        ]
    )
    async with make_client(router, fake_time) as client:
        await client.accounts.prepay_balance()
    assert fake_time.waits == [7.0]


async def test_a_503_retry_after_beyond_the_maximum_fails_at_once(router, fake_time):
    """Defect 14: a 503 asking for longer than max_retry_after is raised, not waited for."""
    route = router.get(BALANCE_PATH).respond(503, headers={"Retry-After": "3600"})
    async with make_client(router, fake_time) as client:
        with pytest.raises(ServerError) as info:
            await client.accounts.prepay_balance()
    assert info.value.retry_after == 3600.0
    assert route.call_count == 1
    assert fake_time.waits == []


async def test_a_read_timeout_before_headers_has_no_status(router, fake_time):
    """A timeout before any response carries no status (the engine relies on it)."""
    router.get(BALANCE_PATH).mock(side_effect=httpx.ConnectTimeout("slow"))
    async with make_client(router, fake_time, retry=_one_attempt(fake_time)) as client:
        with pytest.raises(RequestTimeoutError) as info:
            await client.accounts.prepay_balance()
    assert info.value.status_code is None


def _one_attempt(fake_time: Any) -> Any:
    """A retry policy of one attempt on the fake clock."""
    from simwood_async import RetryPolicy  # noqa: PLC0415

    return RetryPolicy(attempts=1, sleep=fake_time.sleep, clock=fake_time.clock)
