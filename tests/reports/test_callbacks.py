"""The callback receiver (ASGI) and the callback path through the engine."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from simwood_async import ConfigurationError
from simwood_async.reports import CallbackReceiver, ReportOptions
from tests.reports.conftest import CALLBACK_BASE, VirtualTime, make_sandbox, sandbox_client

DAY = "2026-03-14"
TOKEN = "s3cret-token-" + "y" * 16
HASH = "4e591630fedf4aa149db9874fb33fe23"
FORM = "application/x-www-form-urlencoded"


class FakeEngine:
    """Records what the receiver tells an engine."""

    def __init__(self) -> None:
        self.hashes: list[str] = []

    def notify_ready(self, report_hash: str) -> bool:
        """Record the hash; only HASH is pending."""
        self.hashes.append(report_hash)
        return report_hash == HASH


def form(payload: object) -> dict[str, str]:
    """A callback body as Simwood sends it."""
    return {"payload": payload if isinstance(payload, str) else json.dumps(payload)}


async def post(app: object, path: str, **kwargs: object) -> httpx.Response:
    """POST to an ASGI app in-process."""
    transport = httpx.ASGITransport(app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://hooks.test") as http:
        return await http.post(path, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def receiver() -> tuple[CallbackReceiver, FakeEngine]:
    """A receiver with a known token and a fake engine attached."""
    receiver = CallbackReceiver(TOKEN)
    engine = FakeEngine()
    receiver.attach(engine)  # type: ignore[arg-type]
    return receiver, engine


async def test_a_valid_callback_wakes_the_engine(receiver):
    """A documented callback body with the right token is accepted and passed on."""
    app, engine = receiver
    body = form({"app": "reports", "id": HASH, "data": None})
    response = await post(app, f"/{TOKEN}", data=body)
    assert response.status_code == 200
    assert response.text == "OK"
    assert engine.hashes == [HASH]
    assert app.accepted == 1


async def test_an_unknown_hash_is_accepted_and_ignored(receiver):
    """A well-formed callback for a hash nobody waits for still gets 200 (so it is not resent)."""
    app, engine = receiver
    response = await post(
        app, f"/{TOKEN}", data=form({"app": "reports", "id": "ab12", "data": None})
    )
    assert response.status_code == 200
    assert engine.hashes == ["ab12"]


@pytest.mark.parametrize(
    "path",
    [f"/{TOKEN[:-1]}x", "/", f"/{TOKEN}x", "/other"],
    ids=["one-char-off", "no-token", "longer", "other"],
)
async def test_a_wrong_token_is_refused(receiver, path):
    """Requests without the exact secret token get 404 and reach no engine."""
    app, engine = receiver
    response = await post(app, path, data=form({"app": "reports", "id": HASH, "data": None}))
    assert response.status_code == 404
    assert not engine.hashes
    assert app.refused == 1


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", FORM),
        (b"other=1", FORM),
        (urlencode(form("not json")).encode(), FORM),
        (urlencode(form([HASH])).encode(), FORM),
        (urlencode(form({"app": "sms", "id": HASH})).encode(), FORM),
        (
            urlencode(form({"app": "reports", "id": "../x"})).encode(),
            FORM,
        ),
        (
            urlencode(form({"app": "reports", "id": 42})).encode(),
            FORM,
        ),
        (b"payload=a&payload=b", FORM),
        (b"\xff\xfe", FORM),
        (b"{not json", "application/json"),
    ],
    ids=[
        "empty",
        "no-payload",
        "payload-not-json",
        "payload-a-list",
        "other-app",
        "hash-with-slash",
        "hash-not-a-string",
        "two-payloads",
        "not-utf8",
        "json-body-broken",
    ],
)
async def test_a_bad_body_is_refused(receiver, content, content_type):
    """Bodies that are not a report callback get 400 and reach no engine."""
    app, engine = receiver
    response = await post(app, f"/{TOKEN}", content=content, headers={"content-type": content_type})
    assert response.status_code == 400
    assert not engine.hashes


async def test_a_json_body_is_accepted_too(receiver):
    """The payload object sent as a JSON body is understood."""
    app, engine = receiver
    response = await post(app, f"/{TOKEN}", json={"app": "reports", "id": HASH, "data": None})
    assert response.status_code == 200
    assert engine.hashes == [HASH]


async def test_other_methods_and_huge_bodies_are_refused(receiver):
    """GET gets 405 (with Allow), a body over the limit gets 413."""
    app, engine = receiver
    transport = httpx.ASGITransport(app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://hooks.test") as http:
        got = await http.get(f"/{TOKEN}")
        huge = await http.post(f"/{TOKEN}", content=b"payload=" + b"x" * 20_000)
    assert got.status_code == 405
    assert got.headers["allow"] == "POST"
    assert huge.status_code == 413
    assert not engine.hashes


async def test_it_mounts_in_fastapi(receiver):
    """Mounted in a FastAPI app, the receiver answers under the mount path."""
    app, engine = receiver
    api = FastAPI()
    api.mount("/simwood/callbacks", app)
    ok = await post(api, f"/simwood/callbacks/{TOKEN}", data=form({"id": HASH}))
    bad = await post(api, "/simwood/callbacks/wrong-token-xxxxxxxxxxxx", data=form({"id": HASH}))
    assert ok.status_code == 200
    assert bad.status_code == 404
    assert engine.hashes == [HASH]


def test_the_token_never_shows_and_must_be_strong():
    """The token is hidden from repr and must be long, URL-safe text."""
    receiver = CallbackReceiver(TOKEN)
    assert TOKEN not in repr(receiver)
    assert receiver.url("https://example.com/hooks/") == f"https://example.com/hooks/{TOKEN}"
    assert len(CallbackReceiver().token) >= 32
    with pytest.raises(ConfigurationError):
        CallbackReceiver("short")
    with pytest.raises(ConfigurationError):
        ReportOptions(callback_receiver=receiver)


def make_callback_sandbox(receiver: CallbackReceiver, **kwargs: object):
    """A sandbox whose report callbacks go to `receiver` in-process."""
    return make_sandbox(callback_transport=httpx.ASGITransport(receiver), **kwargs)


async def test_a_callback_downloads_the_report_without_waiting_for_a_poll():
    """With callbacks, the report is fetched the moment the callback arrives, no poll first."""
    receiver = CallbackReceiver(TOKEN)
    sandbox = make_callback_sandbox(receiver, report_delay=7.0)
    vtime = VirtualTime(sandbox)
    options = {"callback_url": CALLBACK_BASE, "callback_receiver": receiver}
    async with sandbox_client(sandbox, vtime, **options) as client, vtime.running():
        started = vtime.clock()
        rows = await client.reports.voice_cdr_day(date=DAY)
        took = vtime.clock() - started
    assert rows
    assert took == 7.0
    stats = client.reports.stats
    assert stats.polls == 0
    assert stats.listings == 0
    assert stats.callbacks_matched == 1
    assert stats.timings[-1].detected_by == "callback"
    assert sandbox.stats.total == 2
    callback = sandbox.reports.callbacks[0]
    assert callback.url == f"{CALLBACK_BASE}/{TOKEN}"
    assert callback.outcome == "delivered"


async def test_a_lost_callback_is_covered_by_safety_polling():
    """When the callback never comes, slow safety polling still delivers the report."""
    receiver = CallbackReceiver(TOKEN)
    sandbox = make_callback_sandbox(receiver, report_delay=7.0)
    sandbox.faults.add("callback_lost")
    vtime = VirtualTime(sandbox)
    options = {"callback_url": CALLBACK_BASE, "callback_receiver": receiver}
    async with sandbox_client(sandbox, vtime, **options) as client, vtime.running():
        started = vtime.clock()
        rows = await client.reports.voice_cdr_day(date=DAY)
        took = vtime.clock() - started
    assert rows
    assert 7.0 < took <= 7.0 + 30.0 * 1.1
    assert client.reports.stats.callbacks == 0
    assert client.reports.stats.timings[-1].detected_by == "poll"
