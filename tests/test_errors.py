"""The error tree: every failure becomes a typed error that names its request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from simwood_async import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConfigurationError,
    ConnectError,
    DeadlineExceededError,
    DecodeError,
    IncompleteBodyError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ReportDownloadError,
    ReportError,
    ReportExpiredError,
    ReportTimeoutError,
    RequestInfo,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    SimwoodError,
    StatusError,
    TransportError,
)
from simwood_async._failures import TransportCause
from simwood_async.exceptions import MAX_BODY_CHARS
from tests.conftest import ACCOUNT, PASSWORD

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

BALANCE_PATH = f"accounts/{ACCOUNT}/prepay/balance"
REQUEST = f"GET /v3/{BALANCE_PATH}"


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (InvalidInputError, ValueError),
        (ConfigurationError, InvalidInputError),
        (ConnectError, TransportError),
        (RequestTimeoutError, TransportError),
        (DeadlineExceededError, RequestTimeoutError),
        (IncompleteBodyError, TransportError),
        (StatusError, ResponseError),
        (BadRequestError, StatusError),
        (AuthenticationError, StatusError),
        (PermissionDeniedError, StatusError),
        (NotFoundError, StatusError),
        (RateLimitedError, StatusError),
        (ClientError, StatusError),
        (ServerError, StatusError),
        (ApiError, ResponseError),
        (DecodeError, ResponseError),
        (ReportExpiredError, ReportError),
        (ReportTimeoutError, ReportError),
        (ReportDownloadError, ReportError),
        (TransportError, SimwoodError),
        (ResponseError, SimwoodError),
        (ReportError, SimwoodError),
    ],
    ids=lambda cls: cls.__name__,
)
def test_error_tree(child: type[Exception], parent: type[Exception]) -> None:
    """The tree drawn in the `exceptions` docstring is the real class hierarchy."""
    assert issubclass(child, parent)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, ClientError),
        (409, ClientError),
        (422, ClientError),
        (500, ServerError),
        (501, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
    ],
    ids=str,
)
async def test_status_classes(client, router, status, error):
    """Each HTTP error status maps to its class, carrying status, body and the request."""
    router.get(BALANCE_PATH).respond(status, text="nope")
    with pytest.raises(error) as info:
        await client.accounts.prepay_balance()
    err = info.value
    assert type(err) is error
    assert err.status_code == status
    assert err.body == "nope"
    assert err.request == RequestInfo("GET", f"/v3/{BALANCE_PATH}")
    assert str(err).startswith(f"HTTP {status}: ")
    assert str(err).endswith(f"({REQUEST})")


async def test_429_carries_retry_after(client, router):
    """A 429 is a RateLimitedError with the server's Retry-After in seconds."""
    router.get(BALANCE_PATH).respond(429, headers={"Retry-After": "90"})
    with pytest.raises(RateLimitedError) as info:
        await client.accounts.prepay_balance()
    assert info.value.retry_after == 90.0
    assert info.value.status_code == 429


async def test_429_without_retry_after(client, router, fake_time):
    """A 429 without Retry-After is retried with backoff, then raised with retry_after None."""
    route = router.get(BALANCE_PATH).respond(429)
    with pytest.raises(RateLimitedError) as info:
        await client.accounts.prepay_balance()
    assert info.value.retry_after is None
    assert route.call_count == 4


@pytest.mark.parametrize(
    "body",
    [
        b'{"success":false,"errors":["Invalid number","Too many"]}',
        b'\n  {\n  "success": false,\n  "errors": ["Invalid number", "Too many"]\n}',
    ],
    ids=["compact", "pretty-with-leading-space"],
)
async def test_success_false_with_200_is_an_api_error(client, router, body):
    """`{"success": false, "errors": [...]}` with a 200 raises ApiError listing the errors."""
    router.get(BALANCE_PATH).respond(200, content=body, content_type="application/json")
    with pytest.raises(ApiError) as info:
        await client.accounts.prepay_balance()
    err = info.value
    assert err.errors == ("Invalid number", "Too many")
    assert err.status_code == 200
    assert "Invalid number; Too many" in str(err)
    assert REQUEST in str(err)


async def test_success_false_without_errors(client, router):
    """A bare `{"success": false}` still raises ApiError, saying no reason was given."""
    router.get(BALANCE_PATH).respond(200, json={"success": False})
    with pytest.raises(ApiError, match="no reason given"):
        await client.accounts.prepay_balance()


async def test_success_false_with_4xx_is_a_status_error_with_errors(client, router):
    """With an error status, the status class wins and carries the API's error messages."""
    router.get(BALANCE_PATH).respond(400, json={"success": False, "errors": ["Bad date"]})
    with pytest.raises(BadRequestError) as info:
        await client.accounts.prepay_balance()
    assert info.value.errors == ("Bad date",)
    assert str(info.value).startswith("HTTP 400: Bad date")


async def test_single_error_string_is_listed(client, router):
    """An `error` string instead of an `errors` list is still reported."""
    router.get(BALANCE_PATH).respond(422, json={"success": False, "error": "Locked"})
    with pytest.raises(ClientError) as info:
        await client.accounts.prepay_balance()
    assert info.value.errors == ("Locked",)


@pytest.mark.parametrize(
    ("status", "error"),
    [(200, DecodeError), (502, ServerError)],
    ids=["200", "502"],
)
async def test_html_error_page(client, router, status, error):
    """An HTML page is a DecodeError (with a success status) or its status class."""
    page = "<!DOCTYPE html><html><body><h1>Bad Gateway</h1></body></html>"
    router.get(BALANCE_PATH).respond(status, html=page)
    with pytest.raises(error) as info:
        await client.accounts.prepay_balance()
    assert info.value.body == page
    if error is DecodeError:
        assert "HTML page instead of JSON" in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"balance": "12.32", "curr', "invalid JSON"),
        (b"", "empty body"),
        (b"\xff\xfe", "invalid JSON"),
    ],
    ids=["truncated-json", "empty", "not-utf8"],
)
async def test_undecodable_json(client, router, content, message):
    """A body that is not JSON raises DecodeError saying what was wrong, naming the request."""
    router.get(BALANCE_PATH).respond(200, content=content, content_type="application/json")
    with pytest.raises(DecodeError, match=message) as info:
        await client.accounts.prepay_balance()
    assert info.value.request == RequestInfo("GET", f"/v3/{BALANCE_PATH}")


async def test_unexpected_shape_names_the_model(client, router):
    """JSON of the wrong shape raises DecodeError naming the model it was meant for."""
    router.get(BALANCE_PATH).respond(json={"balance": "abc", "currency": "GBP"})
    with pytest.raises(DecodeError, match=r"Balance: .*'abc'") as info:
        await client.accounts.prepay_balance()
    assert REQUEST in str(info.value)


class _BrokenStream(httpx.AsyncByteStream):
    """A body that yields some bytes, then breaks like a dropped connection."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'[{"balance": "12.'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


async def test_truncated_body_is_incomplete_body_error(client, router, fake_time):
    """A connection broken mid-body raises IncompleteBodyError (after the read's retries)."""
    route = router.get(BALANCE_PATH).mock(
        side_effect=lambda _: httpx.Response(200, stream=_BrokenStream())
    )
    with pytest.raises(IncompleteBodyError) as info:
        await client.accounts.prepay_balance()
    assert isinstance(info.value.__cause__, TransportCause)
    assert info.value.__cause__.kind == "httpx.RemoteProtocolError"
    assert str(info.value.request) == REQUEST
    assert route.call_count == 4


async def test_truncated_body_then_success(client, router, fake_time):
    """A truncated body on a read is retried, and the complete retry is decoded."""
    router.get(BALANCE_PATH).mock(
        side_effect=[
            httpx.Response(200, stream=_BrokenStream()),
            httpx.Response(200, json=[{"balance": "12.32", "currency": "GBP"}]),
        ]
    )
    balance = await client.accounts.prepay_balance()
    assert str(balance.balance) == "12.32"
    assert fake_time.waits == [0.25]


async def test_read_timeout_mid_body(client, router, fake_time):
    """A timeout while the body is read is a RequestTimeoutError."""

    class _SlowStream(httpx.AsyncByteStream):
        """A body that times out after its first byte."""

        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"["
            raise httpx.ReadTimeout("slow body")

    router.get(BALANCE_PATH).mock(side_effect=lambda _: httpx.Response(200, stream=_SlowStream()))
    with pytest.raises(RequestTimeoutError, match="while reading the body"):
        await client.accounts.prepay_balance()


@pytest.mark.parametrize(
    ("effect", "error"),
    [
        (httpx.ConnectError("refused"), ConnectError),
        (httpx.ConnectTimeout("slow"), RequestTimeoutError),
    ],
    ids=["connect", "timeout"],
)
async def test_transport_errors_name_the_request(client, router, effect, error):
    """Connection errors and timeouts name the method and path, never the credentials."""
    router.get(BALANCE_PATH).mock(side_effect=effect)
    with pytest.raises(error) as info:
        await client.accounts.prepay_balance()
    text = str(info.value)
    assert text.endswith(f"({REQUEST})")
    assert PASSWORD not in text


def test_error_body_is_size_limited() -> None:
    """Bodies quoted in errors are cut to MAX_BODY_CHARS characters."""
    err = ServerError("HTTP 500", status_code=500, body="x" * (MAX_BODY_CHARS * 3))
    assert len(err.body) == MAX_BODY_CHARS


def test_error_without_request_is_just_its_message() -> None:
    """An error not tied to a request prints only its message."""
    assert str(InvalidInputError("bad")) == "bad"
    assert str(ReportTimeoutError("late", report_hash="abc")) == "late"
    assert ReportTimeoutError("late", report_hash="abc").report_hash == "abc"


@pytest.mark.parametrize(
    ("status", "error"), [(499, ClientError), (599, ServerError)], ids=["499", "599"]
)
async def test_unregistered_status_codes(client, router, status, error):
    """Statuses without a standard phrase still map to their class, reason "error"."""
    router.get(BALANCE_PATH).respond(status)
    with pytest.raises(error, match=f"HTTP {status}: error"):
        await client.accounts.prepay_balance()


async def test_error_status_with_broken_success_json(client, router):
    """A 4xx body that starts like the API's error JSON but is cut off is still its status."""
    cut = b'{"success": false, "errors": ["Bad'
    router.get(BALANCE_PATH).respond(400, content=cut, content_type="application/json")
    with pytest.raises(BadRequestError) as info:
        await client.accounts.prepay_balance()
    assert info.value.errors == ()
    assert str(info.value).startswith("HTTP 400: Bad Request")


async def test_csv_body_is_not_taken_for_api_json(client, router):
    """A text/csv body is never inspected for `success: false`."""
    router.get(f"accounts/{ACCOUNT}/rates/csv/default").respond(
        content=b'{"success": false}', content_type="text/csv"
    )
    with pytest.raises(DecodeError, match="unreadable ratecard CSV"):
        await client.rates.ratecard()


@pytest.mark.parametrize(
    ("effect", "error"),
    [
        (httpx.ConnectError("refused"), ConnectError),
        (httpx.ConnectTimeout("slow"), RequestTimeoutError),
    ],
    ids=["connect", "timeout"],
)
async def test_streamed_download_transport_errors(client, router, effect, error):
    """A streamed download that cannot start raises the SDK's error naming the request."""
    router.get(f"accounts/{ACCOUNT}/credit/invoices/I1.pdf").mock(side_effect=effect)
    with pytest.raises(error) as info:
        await client.accounts.invoice_pdf("I1")
    assert str(info.value.request) == f"GET /v3/accounts/{ACCOUNT}/credit/invoices/I1.pdf"


async def test_streamed_download_timeout_mid_body(client, router):
    """A streamed download that stalls mid-body raises RequestTimeoutError."""

    class _StalledPdf(httpx.AsyncByteStream):
        """A PDF body that times out after its first chunk."""

        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"%PDF-1.4"
            raise httpx.ReadTimeout("stalled")

    router.get(f"accounts/{ACCOUNT}/credit/invoices/I1.pdf").mock(
        side_effect=lambda _: httpx.Response(200, stream=_StalledPdf())
    )
    with pytest.raises(RequestTimeoutError, match="while reading the body"):
        await client.accounts.invoice_pdf("I1")
