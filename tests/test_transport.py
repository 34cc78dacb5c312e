"""The transport: request encodings, authentication, retries, deadlines, pooling, logging."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from simwood_async import (
    NOT_GIVEN,
    AuthenticationError,
    ConnectError,
    DeadlineExceededError,
    InvalidInputError,
    RateLimitedError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    SimwoodClient,
    set_testing,
)
from simwood_async._failures import TransportCause
from simwood_async._retry import is_testing, parse_retry_after
from simwood_async._transport import encode_params, path
from simwood_async.accounts import Balance
from tests.conftest import ACCOUNT, PASSWORD, USERNAME, example, make_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

BALANCE_PATH = f"accounts/{ACCOUNT}/prepay/balance"
BALANCE = example("GET", "/v3/accounts/{ACCOUNT}/prepay/balance")
BASIC = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()


@pytest.fixture
def testing_mode() -> Iterator[None]:
    """Turn on `set_testing(True)` for one test and always turn it off again."""
    set_testing(True)
    try:
        yield
    finally:
        set_testing(False)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"a": "x"}, [("a", "x")]),
        ({"n": ["1", "2"]}, [("n[]", "1"), ("n[]", "2")]),
        ({"n": ("1",)}, [("n[]", "1")]),
        ({"n[]": ["1"]}, [("n[]", "1")]),
        ({"a": None, "b": 0}, [("b", "0")]),
        ({"on": True, "off": False}, [("on", "1"), ("off", "0")]),
        ({"flags": [True, False]}, [("flags[]", "1"), ("flags[]", "0")]),
        ({"amount": Decimal("1E+2")}, [("amount", "100")]),
        ({"amount": Decimal("0.00001")}, [("amount", "0.00001")]),
        ({"date": dt.date(2024, 2, 29)}, [("date", "2024-02-29")]),
    ],
    ids=[
        "scalar",
        "list-gets-brackets",
        "tuple-of-one-keeps-brackets",
        "already-bracketed",
        "none-dropped-zero-kept",
        "bools-as-digits",
        "bools-in-list",
        "decimal-without-exponent",
        "small-decimal-plain",
        "date-iso",
    ],
)
def test_encode_params(params: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    """Query and form fields use `key[]` for arrays, digits for booleans, plain decimals."""
    assert encode_params(params) == expected


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        (("accounts", 930000, "type"), "accounts/930000/type"),
        (("a/b",), "a%2Fb"),
        (("../etc",), "..%2Fetc"),
        (("a b?c#d",), "a%20b%3Fc%23d"),
        (("%2e%2e",), "%252e%252e"),
        (("café",), "caf%C3%A9"),
        (("I301.pdf", "a-b_c~d"), "I301.pdf/a-b_c~d"),
    ],
    ids=["plain", "slash", "dotdot-slash", "query-fragment", "pre-encoded", "unicode", "safe"],
)
def test_path_encodes_each_segment(segments: tuple[str | int, ...], expected: str) -> None:
    """Every segment is percent-encoded so nothing in it can leave its place in the path."""
    assert path(*segments) == expected


@pytest.mark.parametrize(
    "segment",
    ["", ".", "..", "a\nb", "a\rb", "\x00", "a\x7f", "tab\there"],
    ids=["empty", "dot", "dotdot", "newline", "cr", "nul", "del", "tab"],
)
def test_path_refuses_segments_that_cannot_be_encoded_safely(segment: str) -> None:
    """Empty, dot and control-character segments raise InvalidInputError."""
    with pytest.raises(InvalidInputError, match="invalid path segment"):
        path("accounts", segment)


async def test_query_arrays_are_sent_with_brackets(client, router):
    """List query parameters reach the server as repeated `key[]` fields."""
    route = router.get("tools/explain").respond(text="ok")
    await client._transport.request(
        "GET", "tools/explain", params={"n": ["1", "2"], "x": "y"}, retry=False
    )
    request = route.calls.last.request
    assert request.url.query == b"n%5B%5D=1&n%5B%5D=2&x=y"
    assert request.content == b""


async def test_form_body_is_url_encoded(client, router):
    """Form fields are sent url-encoded with the form content type, arrays bracketed."""
    route = router.post("tools/explain").respond(text="ok")
    await client._transport.request(
        "POST", "tools/explain", data={"a": "1 2", "n": ["x", "y"]}, retry=False
    )
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == b"a=1+2&n%5B%5D=x&n%5B%5D=y"


async def test_json_body(client, router):
    """A JSON body is compact JSON with the JSON content type; Decimals become strings."""
    route = router.put("tools/explain").respond(text="ok")
    body = {"allow": ["44"], "deny": [], "max": Decimal("1.50")}
    await client._transport.request("PUT", "tools/explain", json=body, retry=False)
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"allow": ["44"], "deny": [], "max": "1.50"}


async def test_payload_wrapped_json_is_a_form_variable(client, router):
    """`payload=` sends JSON as the form variable `payload`, alongside other fields."""
    route = router.put("tools/explain").respond(text="ok")
    await client._transport.request(
        "PUT", "tools/explain", data={"x": "1"}, payload={"allow": ["44"]}, retry=False
    )
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    fields = httpx.QueryParams(request.content.decode())
    assert fields["x"] == "1"
    assert json.loads(fields["payload"]) == {"allow": ["44"]}


async def test_multipart_body_carries_fields_and_files(client, router):
    """With files, fields and files share one multipart body, array names bracketed."""
    route = router.post("tools/explain").respond(text="ok")
    await client._transport.request(
        "POST",
        "tools/explain",
        data={"to": ["447700900123", "447700900124"], "from": "443301220000"},
        files={"file[]": ("fax.pdf", b"%PDF-1.4 test", "application/pdf")},
        retry=False,
    )
    request = route.calls.last.request
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    body = request.content
    assert body.count(b'name="to[]"') == 2
    assert b"447700900124" in body
    assert b'name="from"' in body
    assert b'name="file[]"; filename="fax.pdf"' in body
    assert b"Content-Type: application/pdf" in body
    assert b"%PDF-1.4 test" in body


async def test_json_and_form_together_is_a_programming_error(client, router):
    """A request cannot have both a JSON body and form fields; nothing is sent."""
    with pytest.raises(TypeError, match="either a JSON body or form fields"):
        await client._transport.request(
            "POST", "tools/explain", json={"a": 1}, data={"b": 2}, retry=False
        )
    assert router.calls.call_count == 0


async def test_basic_auth_is_preemptive(client, router):
    """Authenticated calls carry the Basic header on the first request (no challenge round)."""
    route = router.get(BALANCE_PATH).respond(json=BALANCE)
    await client.accounts.prepay_balance()
    assert route.call_count == 1
    assert route.calls.last.request.headers["authorization"] == BASIC


async def test_tools_are_sent_without_credentials(client, router):
    """The tools endpoints need no authentication, so no Authorization header is sent."""
    route = router.get("tools/myip").respond(json={"ip": "192.0.2.1"})
    await client.tools.myip()
    assert "authorization" not in route.calls.last.request.headers


async def test_401_challenge_is_answered_once_with_credentials(client, router):
    """A Basic challenge to an unauthenticated request is answered once, with credentials."""
    route = router.get("tools/myip").mock(
        side_effect=[
            httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="api"'}),
            httpx.Response(200, json={"ip": "192.0.2.1"}),
        ]
    )
    result = await client.tools.myip()
    assert result.ip == "192.0.2.1"
    assert route.call_count == 2
    assert "authorization" not in route.calls[0].request.headers
    assert route.calls[1].request.headers["authorization"] == BASIC


async def test_a_second_challenge_raises_without_looping(client, router):
    """If the answered challenge is refused too, AuthenticationError is raised after two calls."""
    route = router.get("tools/myip").respond(401, headers={"WWW-Authenticate": 'Basic realm="api"'})
    with pytest.raises(AuthenticationError):
        await client.tools.myip()
    assert route.call_count == 2


async def test_401_to_authenticated_request_raises_at_once(client, router):
    """A 401 to a request that carried credentials raises AuthenticationError, no loop."""
    route = router.get(BALANCE_PATH).respond(401, headers={"WWW-Authenticate": "Basic"})
    with pytest.raises(AuthenticationError) as info:
        await client.accounts.prepay_balance()
    assert route.call_count == 1
    assert info.value.status_code == 401


async def test_401_without_basic_challenge_is_not_answered(client, router):
    """A 401 without a Basic challenge is an AuthenticationError; credentials are not sent."""
    route = router.get("tools/myip").respond(401)
    with pytest.raises(AuthenticationError):
        await client.tools.myip()
    assert route.call_count == 1


async def test_challenge_without_credentials_raises(router, fake_time):
    """With no credentials configured, a challenge cannot be answered and raises."""
    route = router.get("tools/myip").respond(401, headers={"WWW-Authenticate": "Basic"})
    async with make_client(router, fake_time, username=None, password=None) as anonymous:
        with pytest.raises(AuthenticationError):
            await anonymous.tools.myip()
    assert route.call_count == 1


async def test_retry_waits_grow_exponentially(client, router, fake_time):
    """Retried 503s wait initial_wait * 2**n times the jitter, then succeed."""
    route = router.get(BALANCE_PATH).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(502),
            httpx.Response(504),
            httpx.Response(200, json=BALANCE),
        ]
    )
    balance = await client.accounts.prepay_balance()
    assert balance.balance == Decimal("12.32")
    assert route.call_count == 4
    assert fake_time.waits == [0.25, 0.5, 1.0]


async def test_retry_gives_up_after_the_attempts(client, router, fake_time):
    """After `attempts` tries the last error is raised; there is no wait after the last."""
    route = router.get(BALANCE_PATH).respond(503)
    with pytest.raises(ServerError) as info:
        await client.accounts.prepay_balance()
    assert info.value.status_code == 503
    assert route.call_count == 4
    assert len(fake_time.waits) == 3


@pytest.mark.parametrize(
    ("jitter", "expected"),
    [(0.0, [0.0, 0.0]), (0.5, [0.125, 0.25]), (0.999, [0.24975, 0.4995])],
    ids=["zero", "half", "almost-one"],
)
async def test_backoff_uses_injected_jitter(router, fake_time, jitter, expected):
    """Full jitter: each wait is the injected jitter times the exponential bound."""
    policy = RetryPolicy(
        attempts=3, jitter=lambda: jitter, sleep=fake_time.sleep, clock=fake_time.clock
    )
    router.get(BALANCE_PATH).respond(503)
    async with make_client(router, fake_time, retry=policy) as c:
        with pytest.raises(ServerError):
            await c.accounts.prepay_balance()
    assert fake_time.waits == pytest.approx(expected)


def test_backoff_is_capped_by_max_wait() -> None:
    """The exponential bound never exceeds `max_wait`."""
    policy = RetryPolicy(jitter=lambda: 1.0, initial_wait=1.0, max_wait=3.0)
    assert [policy.backoff(n) for n in range(4)] == [1.0, 2.0, 3.0, 3.0]


def test_retry_policy_needs_at_least_one_attempt() -> None:
    """`attempts=0` is refused when the policy is built."""
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, ServerError), (404, Exception), (400, Exception)],
    ids=["500", "404", "400"],
)
async def test_statuses_outside_the_policy_are_not_retried(
    client, router, fake_time, status, error
):
    """Only 429/502/503/504 (by default) are retried; 500 and 4xx are raised at once."""
    route = router.get(BALANCE_PATH).respond(status)
    with pytest.raises(error):
        await client.accounts.prepay_balance()
    assert route.call_count == 1
    assert fake_time.waits == []


@pytest.mark.parametrize(
    ("effect", "error"),
    [
        (httpx.ConnectError("refused"), ConnectError),
        (httpx.ReadError("reset"), ConnectError),
        (httpx.RemoteProtocolError("bad"), ConnectError),
        (httpx.ConnectTimeout("slow"), RequestTimeoutError),
        (httpx.ReadTimeout("slow"), RequestTimeoutError),
        (httpx.PoolTimeout("busy"), RequestTimeoutError),
    ],
    ids=["connect", "read", "protocol", "connect-timeout", "read-timeout", "pool-timeout"],
)
async def test_transport_failures_are_retried_then_translated(
    client, router, fake_time, effect, error
):
    """Connection errors and timeouts are retried on reads and raised as the SDK's errors."""
    route = router.get(BALANCE_PATH).mock(side_effect=effect)
    with pytest.raises(error) as info:
        await client.accounts.prepay_balance()
    assert route.call_count == 4
    assert fake_time.waits == [0.25, 0.5, 1.0]
    assert str(info.value.request) == f"GET /v3/{BALANCE_PATH}"
    assert isinstance(info.value.__cause__, TransportCause)
    assert info.value.__cause__.kind.startswith("httpx.")


@pytest.mark.parametrize(
    "response",
    [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "1"})],
    ids=["503", "429"],
)
async def test_hang_up_is_never_retried(client, router, fake_time, response):
    """Hanging up is not safe to repeat: one attempt, no wait, whatever the failure."""
    route = router.delete(f"voice/{ACCOUNT}/inprogress/abc").mock(return_value=response)
    with pytest.raises(ServerError if response.status_code == 503 else RateLimitedError):
        await client.voice.hang_up("abc")
    assert route.call_count == 1
    assert fake_time.waits == []


async def test_hang_up_connection_error_is_not_retried(client, router, fake_time):
    """A connection error on hang-up is raised after one attempt."""
    route = router.delete(f"voice/{ACCOUNT}/inprogress/abc").mock(
        side_effect=httpx.ConnectError("refused")
    )
    with pytest.raises(ConnectError):
        await client.voice.hang_up("abc")
    assert route.call_count == 1


async def test_retry_after_seconds_is_honoured(client, router, fake_time):
    """A 429's Retry-After (seconds) replaces a shorter backoff wait."""
    route = router.get(BALANCE_PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=BALANCE),
        ]
    )
    await client.accounts.prepay_balance()
    assert route.call_count == 2
    assert fake_time.waits == [7.0]


async def test_retry_after_http_date_is_honoured(client, router, fake_time):
    """A 429's Retry-After as an HTTP date is turned into seconds from now."""
    when = dt.datetime.now(tz=dt.timezone.utc) + dt.timedelta(seconds=30)
    header = email.utils.format_datetime(when, usegmt=True)
    router.get(BALANCE_PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": header}),
            httpx.Response(200, json=BALANCE),
        ]
    )
    await client.accounts.prepay_balance()
    (wait,) = fake_time.waits
    assert 20.0 < wait <= 30.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 60.0),
        ("Wed, 21 Oct 2015 07:20:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
    ids=["seconds", "fraction", "negative", "date", "no-zone", "past", "junk", "empty", "none"],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Retry-After is read as delta-seconds or an HTTP date relative to the injected now."""
    now = dt.datetime(2015, 10, 21, 7, 27, tzinfo=dt.timezone.utc)
    assert parse_retry_after(value, now=lambda: now) == expected


async def test_retry_after_beyond_the_maximum_fails_at_once(client, router, fake_time):
    """A Retry-After longer than `max_retry_after` is not waited for: RateLimitedError now."""
    route = router.get(BALANCE_PATH).respond(429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError) as info:
        await client.accounts.prepay_balance()
    assert info.value.retry_after == 3600.0
    assert route.call_count == 1
    assert fake_time.waits == []


async def test_deadline_is_never_slept_past(client, router, fake_time):
    """With a deadline, a wait that would end past it is not taken: the last error is raised."""
    route = router.get(BALANCE_PATH).respond(503)
    with pytest.raises(ServerError):
        await client.with_options(deadline=1.0).accounts.prepay_balance()
    assert fake_time.waits == [0.25, 0.5]
    assert sum(fake_time.waits) < 1.0
    assert route.call_count == 3


async def test_deadline_covers_retry_after_waits(client, router, fake_time):
    """A Retry-After that would outlast the deadline ends the call instead of sleeping."""
    route = router.get(BALANCE_PATH).respond(429, headers={"Retry-After": "5"})
    with pytest.raises(RateLimitedError):
        await client.with_options(deadline=4.0).accounts.prepay_balance()
    assert fake_time.waits == []
    assert route.call_count == 1


async def test_deadline_cuts_a_hanging_attempt(client, router, fake_time):
    """An attempt still running at the deadline is cancelled with DeadlineExceededError."""
    never = anyio.Event()
    started: list[httpx.Request] = []

    async def hang(request: httpx.Request) -> httpx.Response:
        """Record the attempt, then wait forever."""
        started.append(request)
        await never.wait()
        return httpx.Response(200, json=BALANCE)  # pragma: no cover - never reached

    router.get(BALANCE_PATH).mock(side_effect=hang)
    with pytest.raises(DeadlineExceededError) as info:
        await client.with_options(deadline=0.05).accounts.prepay_balance()
    assert isinstance(info.value, RequestTimeoutError)
    assert str(info.value.request) == f"GET /v3/{BALANCE_PATH}"
    assert "attempt 1" in str(info.value)
    assert len(started) == 1  # cut once, and not retried after the deadline
    assert fake_time.waits == []


async def test_deadline_already_passed_sends_nothing(client, router, fake_time):
    """A deadline of zero fails before anything is sent."""
    route = router.get(BALANCE_PATH).respond(json=BALANCE)
    with pytest.raises(DeadlineExceededError):
        await client.with_options(deadline=0).accounts.prepay_balance()
    assert route.call_count == 0


class _TrackedStream(httpx.AsyncByteStream):
    """A response body that records whether it was closed."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content

    async def aclose(self) -> None:
        """Record that the body was closed."""
        self.closed = True


async def test_failed_response_is_closed_before_the_backoff_sleep(router, fake_time):
    """The failed response's stream is closed by the time the retry sleep begins."""
    streams: list[_TrackedStream] = []
    closed_at_sleep: list[bool] = []

    def respond(request: httpx.Request) -> httpx.Response:
        """Answer 503 first, then the balance, each with a tracked body."""
        stream = _TrackedStream(b"busy" if not streams else json.dumps(BALANCE).encode())
        streams.append(stream)
        status = 503 if len(streams) == 1 else 200
        return httpx.Response(status, stream=stream, headers={"content-type": "application/json"})

    async def sleep(seconds: float) -> None:
        """Note whether the last body was closed, then sleep on the fake clock."""
        closed_at_sleep.append(streams[-1].closed)
        await fake_time.sleep(seconds)

    policy = RetryPolicy(jitter=lambda: 1.0, sleep=sleep, clock=fake_time.clock)
    router.get(BALANCE_PATH).mock(side_effect=respond)
    async with make_client(router, fake_time, retry=policy) as c:
        await c.accounts.prepay_balance()
    assert closed_at_sleep == [True]
    assert all(s.closed for s in streams)


async def test_set_testing_removes_waits(client, router, fake_time, testing_mode):
    """While `set_testing(True)` is on, retries still happen but every wait is zero."""
    route = router.get(BALANCE_PATH).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "30"}),
            httpx.Response(200, json=BALANCE),
        ]
    )
    await client.accounts.prepay_balance()
    assert route.call_count == 3
    assert fake_time.waits == [0.0, 0.0]


async def test_with_options_shares_the_pool_and_never_closes_it(client, router):
    """A view shares the connection pool; closing the view leaves the client usable."""
    router.get(BALANCE_PATH).respond(json=BALANCE)
    async with client.with_options(deadline=5.0, timeout=3.0) as view:
        assert view._transport.http is client._transport.http
        await view.accounts.prepay_balance()
    assert not client._transport.http.is_closed
    await client.accounts.prepay_balance()


async def test_with_options_timeout_reaches_the_request(client, router):
    """A per-call timeout from `with_options` is set on the request it sends."""
    route = router.get(BALANCE_PATH).respond(json=BALANCE)
    await client.with_options(timeout=3.0).accounts.prepay_balance()
    assert route.calls.last.request.extensions["timeout"] == {
        "connect": 3.0,
        "read": 3.0,
        "write": 3.0,
        "pool": 3.0,
    }


async def test_default_timeout_reaches_the_request(client, router):
    """Without a per-call timeout, the client's own (connect 10 s, read 30 s) applies."""
    route = router.get(BALANCE_PATH).respond(json=BALANCE)
    await client.accounts.prepay_balance()
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout["connect"] == 10.0
    assert timeout["read"] == 30.0


async def test_with_options_account_targets_another_account(client, router):
    """A view for another account sends its calls to that account's paths."""
    route = router.get("accounts/930001/prepay/balance").respond(json=BALANCE)
    view = client.with_options(account=930001)
    await view.accounts.prepay_balance()
    assert view.account == "930001"
    assert client.account == ACCOUNT
    assert route.call_count == 1


async def test_injected_http_client_is_never_closed(router):
    """An `http_client` passed in is used and left open when the SDK client closes."""
    route = router.get(BALANCE_PATH).respond(json=BALANCE)
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as http:
        async with SimwoodClient(
            ACCOUNT, username=USERNAME, password=PASSWORD, http_client=http, env={}
        ) as c:
            await c.accounts.prepay_balance()
        assert not http.is_closed
        assert route.call_count == 1


async def test_async_with_closes_the_owned_http_client(router):
    """Leaving `async with` closes the httpx client the SDK created."""
    async with SimwoodClient(
        ACCOUNT,
        username=USERNAME,
        password=PASSWORD,
        transport=httpx.MockTransport(router.async_handler),
        env={},
    ) as c:
        http = c._transport.http
        assert not http.is_closed
    assert http.is_closed


async def test_one_info_line_per_request(client, router, caplog):
    """Each request logs exactly one INFO line on `simwood_async` naming method, path, status."""
    router.get(BALANCE_PATH).respond(json=BALANCE)
    with caplog.at_level(logging.INFO, logger="simwood_async"):
        await client.accounts.prepay_balance()
    records = [r for r in caplog.records if r.name == "simwood_async"]
    assert [r.levelno for r in records] == [logging.INFO]
    assert records[0].getMessage().startswith(f"GET /v3/{BALANCE_PATH} -> 200 (")


async def test_retry_decisions_are_logged_at_debug(client, router, caplog):
    """A retried request logs one INFO line per attempt and its retry decision at DEBUG."""
    router.get(BALANCE_PATH).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=BALANCE)]
    )
    with caplog.at_level(logging.DEBUG, logger="simwood_async"):
        await client.accounts.prepay_balance()
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "simwood_async"]
    assert [level for level, _ in records] == [logging.INFO, logging.DEBUG, logging.INFO]
    assert "-> ConnectError" in records[0][1]
    assert records[1][1].startswith(f"retrying GET /v3/{BALANCE_PATH} in 0.25 s (attempt 2 of 4)")
    assert "-> 200" in records[2][1]


async def test_streamed_request_logs_one_line(client, router, caplog):
    """A streamed download logs one INFO line too."""
    router.get(f"accounts/{ACCOUNT}/credit/invoices/I1.pdf").respond(content=b"%PDF-1.4")
    with caplog.at_level(logging.INFO, logger="simwood_async"):
        await client.accounts.invoice_pdf("I1")
    records = [r.getMessage() for r in caplog.records if r.name == "simwood_async"]
    assert len(records) == 1
    assert records[0].startswith(f"GET /v3/accounts/{ACCOUNT}/credit/invoices/I1.pdf -> 200")


async def test_unserialisable_json_body_sends_nothing(client, router):
    """A JSON body the codec cannot encode raises TypeError before anything is sent."""
    with pytest.raises(TypeError, match=r"not JSON seriali[sz]able"):
        await client._transport.request("PUT", "tools/explain", json={"x": object()}, retry=False)
    assert router.calls.call_count == 0


def test_set_testing_is_a_switch(testing_mode):
    """`set_testing(True)` is visible through `is_testing()` and zeroes every backoff."""
    assert is_testing()
    assert RetryPolicy(jitter=lambda: 1.0).backoff(3, retry_after=30.0) == 0.0


def test_not_given_sentinel():
    """`NOT_GIVEN` is a distinct sentinel with a readable repr."""
    assert repr(NOT_GIVEN) == "NOT_GIVEN"
    assert NOT_GIVEN is not None


async def test_client_exposes_its_converter(client):
    """`client.converter` structures the user's own payloads with the SDK's wire rules."""
    balance = client.converter.structure({"balance": "2.50", "currency": "GBP"}, Balance)
    assert balance == Balance(balance=Decimal("2.50"), currency="GBP")


async def test_requests_carry_the_client_default_headers(client, router):
    """Requests name the SDK in User-Agent and accept compressed bodies."""
    route = router.get(BALANCE_PATH).respond(json=BALANCE)
    await client.accounts.prepay_balance()
    headers = route.calls.last.request.headers
    assert headers["user-agent"].startswith("simwood-async/")
    assert "python-httpx/" in headers["user-agent"]
    assert "gzip" in headers["accept-encoding"]


async def test_injected_client_headers_are_sent(router):
    """Headers configured on an injected `http_client` (its User-Agent too) are sent."""
    route = router.get(BALANCE_PATH).respond(json=BALANCE)
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(router.async_handler),
        headers={"User-Agent": "my-app/2", "X-Trace": "abc", "Authorization": "Bearer x"},
    ) as http:
        c = SimwoodClient(ACCOUNT, username=USERNAME, password=PASSWORD, http_client=http, env={})
        await c.accounts.prepay_balance()
    headers = route.calls.last.request.headers
    assert headers["user-agent"] == "my-app/2"
    assert headers["x-trace"] == "abc"
    assert headers.get_list("authorization") == [BASIC]


async def test_repeated_calls_with_other_queries(client, router):
    """The same path with different query parameters sends each call's own query."""
    route = router.get(f"voice/{ACCOUNT}/channels/history").respond(json=[])
    await client.voice.channel_history("1m")
    await client.voice.channel_history("1h")
    await client.voice.channel_history("1m")
    assert [c.request.url.query for c in route.calls] == [
        b"interval=1m",
        b"interval=1h",
        b"interval=1m",
    ]
