"""Edge paths: transient check failures, refused credentials, bad envelopes, ASGI lifespan."""

from __future__ import annotations

import itertools

import httpx
import pytest

from simwood_async import AuthenticationError, DecodeError
from simwood_async.reports import CallbackReceiver, InMemoryReportStore, ReportRequest
from tests.conftest import ACCOUNT
from tests.reports.conftest import VirtualTime, respx_client
from tests.reports.test_sequences import HASHES, POST_PATH, envelope, sequence, wire_rows

DAY = "2026-03-14"


@pytest.fixture
def vtime() -> VirtualTime:
    """Virtual time on a plain number."""
    return VirtualTime()


@pytest.mark.parametrize("status", [503, 500], ids=["503", "500"])
async def test_a_failed_check_is_simply_repeated(router, vtime, status):
    """A 5xx on a check says nothing about the file: look again later, no re-request."""
    router.post(POST_PATH).respond(json=envelope(HASHES[0]))
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json=wire_rows())]
    )
    async with respx_client(router, vtime) as client, vtime.running():
        rows = await client.reports.voice_cdr_day(date=DAY)
    assert len(rows) == 3
    assert sequence(router) == [f"POST {POST_PATH}"] + [f"GET files/{ACCOUNT}/a"] * 2
    assert client.reports.stats.re_requests == 0


async def test_refused_credentials_reach_the_caller(router, vtime):
    """A 401 on the file is not retried forever: the fresh POST's 401 is raised to the caller."""
    router.post(POST_PATH).mock(
        side_effect=[httpx.Response(200, json=envelope(HASHES[0])), httpx.Response(401)]
    )
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").respond(401)
    async with respx_client(router, vtime) as client, vtime.running():
        with pytest.raises(AuthenticationError):
            await client.reports.voice_cdr_day(date=DAY)
    assert client.reports.stats.failures == 1


@pytest.mark.parametrize(
    "body",
    [{"link": "/v3/files/x"}, {"hash": "../etc", "link": "/v3/files/x"}, ["not", "an", "object"]],
    ids=["no-hash", "unsafe-hash", "array"],
)
async def test_a_bad_envelope_is_a_decode_error(router, vtime, body):
    """A report request answered with something other than the envelope raises DecodeError."""
    router.post(POST_PATH).respond(json=body)
    async with respx_client(router, vtime) as client, vtime.running():
        with pytest.raises(DecodeError, match="envelope"):
            await client.reports.voice_cdr_day(date=DAY)
    assert len(router.calls) == 1


async def test_a_failed_listing_is_tried_again_and_lists_may_be_arrays(router, vtime):
    """A listing that fails is repeated next round; a listing in array form is understood."""
    counter = itertools.count()
    router.post(POST_PATH).mock(
        side_effect=lambda _request: httpx.Response(200, json=envelope(HASHES[next(counter)]))
    )
    answers = iter(
        [
            httpx.Response(500),
            httpx.Response(500),
            httpx.Response(200, json=[]),
            httpx.Response(200, json=[{"name": h} for h in HASHES]),
        ]
    )
    router.get(f"files/{ACCOUNT}").mock(side_effect=lambda _request: next(answers))
    for h in HASHES:
        router.get(f"files/{ACCOUNT}/{h}").mock(
            side_effect=[httpx.Response(204), httpx.Response(200, json=wire_rows())]
        )
    days = ["2026-03-12", "2026-03-13", DAY]
    async with respx_client(router, vtime) as client, vtime.running():
        tickets = [await client.reports.submit(ReportRequest.voice_cdr_day(date=d)) for d in days]
        results = [await t.result() for t in tickets]
    assert all(len(rows) == 3 for rows in results)
    assert client.reports.stats.downloads == 3


async def test_the_receiver_speaks_lifespan_and_ignores_other_scopes():
    """Served alone, the receiver completes ASGI lifespan and ignores websocket scopes."""
    receiver = CallbackReceiver("k" * 20)
    sent: list[dict[str, object]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, object]:
        """The server's side of the lifespan conversation."""
        return next(messages)

    async def send(message: dict[str, object]) -> None:
        """Record what the app says."""
        sent.append(message)

    await receiver({"type": "lifespan"}, receive, send)
    await receiver({"type": "websocket", "path": "/x"}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


async def test_reprs_hide_secrets_and_show_state(router, vtime):
    """Engine, store and receiver reprs are informative and never show the token."""
    receiver = CallbackReceiver("secret-" + "q" * 20)
    store = InMemoryReportStore()
    options = {"callback_url": "https://example.com/cb", "callback_receiver": receiver}
    async with respx_client(router, vtime, store=store, **options) as client:
        engine = client.reports._engine
        assert "open=True" in repr(engine)
        assert "claimed=0" in repr(store)
        assert receiver.token not in repr(receiver)
        assert "engines=1" in repr(receiver)
    assert "engines=0" in repr(receiver)
