"""Report callbacks: the documented payload, in-process, over HTTP and in the background."""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from simwood_async.sandbox import ScaledClock
from simwood_async.sandbox._server import serve_in_thread
from tests.sandbox.conftest import START, make_sandbox

A = "930000"
HOOK = "http://receiver.local/hooks/simwood?token=abc"


class Receiver:
    """An ASGI app that records every callback POST (thread-safe)."""

    def __init__(self, status: int = 200) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.status = status
        self.event: anyio.Event | None = None  # set from the test's own event loop only
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Record the POST's path, content type and `payload` field."""
        request = Request(scope, receive)
        form = await request.form()
        with self._lock:
            self.calls.append(
                (request.url.path, request.headers["content-type"], str(form["payload"]))
            )
        if self.event is not None:
            self.event.set()
        await Response("ok", status_code=self.status)(scope, receive, send)


async def request_report(client: Any, callback: str, date: str = "2026-03-14") -> str:
    """Request a daily voice CDR report with a callback; returns the hash."""
    response = await client._transport.request(
        "POST",
        f"accounts/{A}/reports/voice/cdr/day",
        data={"date": date, "callback": callback},
        retry=False,
    )
    return str(response.json()["hash"])


async def test_callback_posts_the_documented_payload_when_ready():
    """When the report is ready the sandbox POSTs form field `payload` to the callback URL."""
    receiver = Receiver()
    sandbox = make_sandbox(callback_transport=httpx.ASGITransport(receiver))
    async with sandbox.client() as client:
        hash_ = await request_report(client, HOOK)
        await sandbox.advance(1.5)
        assert receiver.calls == []
        await sandbox.advance(0.5)
    assert len(receiver.calls) == 1
    path, content_type, payload = receiver.calls[0]
    assert path == "/hooks/simwood"
    assert content_type == "application/x-www-form-urlencoded"
    assert json.loads(payload) == {"app": "reports", "id": hash_, "data": None}
    record = sandbox.reports.callbacks[0]
    assert (record.hash, record.url, record.outcome, record.status) == (
        hash_,
        HOOK,
        "delivered",
        200,
    )


async def test_deduplicated_request_does_not_add_a_callback():
    """A second identical request (with another callback) is ignored, as the API ignores it."""
    receiver = Receiver()
    sandbox = make_sandbox(callback_transport=httpx.ASGITransport(receiver))
    async with sandbox.client() as client:
        await request_report(client, HOOK)
        await request_report(client, "http://receiver.local/other")
        await sandbox.advance(2)
    assert [c[0] for c in receiver.calls] == ["/hooks/simwood"]


async def test_failed_callback_is_recorded():
    """A receiver answering 500 is recorded as a failed callback, not retried."""
    receiver = Receiver(status=500)
    sandbox = make_sandbox(callback_transport=httpx.ASGITransport(receiver))
    async with sandbox.client() as client:
        await request_report(client, HOOK)
        await sandbox.advance(2)
        await sandbox.advance(60)
    assert [(r.outcome, r.status) for r in sandbox.reports.callbacks] == [("failed", 500)]
    assert len(receiver.calls) == 1


async def test_callback_over_loopback_http():
    """Over loopback, the sandbox POSTs the callback to a real HTTP receiver."""
    receiver = Receiver()
    sandbox = make_sandbox()
    async with (
        serve_in_thread(receiver) as receiver_root,
        sandbox.serve() as base_url,
        httpx.AsyncClient(base_url=base_url, auth=(sandbox.username, sandbox.password)) as http,
    ):
        response = await http.post(
            f"accounts/{A}/reports/voice/cdr/day",
            data={"callback": f"{receiver_root}/hook"},
        )
        hash_ = response.json()["hash"]
        await sandbox.advance(2)
        assert (await http.get(f"files/{A}/{hash_}")).status_code == 200
    assert [(c[0], json.loads(c[2])["id"]) for c in receiver.calls] == [("/hook", hash_)]


async def test_background_delivery_on_a_scaled_clock():
    """Inside `async with sandbox:`, callbacks arrive by themselves on a scaled clock."""
    receiver = Receiver()
    sandbox = make_sandbox(
        clock=ScaledClock(1000.0, start=START),
        report_delay=5.0,
        callback_transport=httpx.ASGITransport(receiver),
    )
    receiver.event = anyio.Event()
    async with sandbox, sandbox.client() as client:
        hash_ = await request_report(client, HOOK)
        with anyio.fail_after(10):
            await receiver.event.wait()
    assert json.loads(receiver.calls[0][2])["id"] == hash_


async def test_advance_needs_a_manual_clock():
    """`advance()` refuses real and scaled clocks."""
    sandbox = make_sandbox(clock=ScaledClock(10.0))
    with pytest.raises(TypeError):
        await sandbox.advance(1)


@pytest.mark.parametrize(
    ("fault", "options", "outcomes", "on_time"),
    [
        ("callback_lost", {}, ["lost"], 0),
        ("callback_delay", {"seconds": 100.0}, ["delivered"], 0),
        ("callback_duplicate", {"copies": 2}, ["delivered", "delivered"], 2),
    ],
    ids=["lost", "delayed", "duplicated"],
)
async def test_number_report_callbacks_are_subject_to_callback_faults(
    fault, options, outcomes, on_time
):
    """A number report's callback is lost, delayed or duplicated like any report's callback."""
    receiver = Receiver()
    sandbox = make_sandbox(callback_transport=httpx.ASGITransport(receiver))
    sandbox.faults.add(fault, **options)
    async with sandbox.client() as client:
        response = await client._transport.request(
            "POST", f"numbers/{A}/allocated/all", data={"callback": HOOK}, retry=False
        )
        hash_ = str(response.json()["hash"])
        await sandbox.advance(2.0)
        assert len(receiver.calls) == on_time
        await sandbox.advance(100.0)
    assert [r.outcome for r in sandbox.reports.callbacks] == outcomes
    assert {r.hash for r in sandbox.reports.callbacks} == {hash_}
    assert len(receiver.calls) == outcomes.count("delivered")
