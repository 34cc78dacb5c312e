"""Report callbacks with the token in a Basic Authorization header instead of the URL path."""

from __future__ import annotations

import base64

import httpx

from simwood_async.reports import CallbackReceiver, ReportOptions
from simwood_async.sandbox import ManualClock, Sandbox

TOKEN = "header-token-0123456789abcdef"
BASE = "https://hooks.example.com/simwood/callbacks"


def basic(user: str, password: str) -> dict[str, str]:
    """A Basic Authorization header."""
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def test_the_token_can_travel_as_basic_auth_not_in_the_path():
    """With in_path=False the callback URL carries the token as userinfo, never in its path."""
    receiver = CallbackReceiver(TOKEN, in_path=False)
    sandbox = Sandbox(
        seed=2,
        clock=ManualClock(),
        report_delay=20.0,
        callback_transport=httpx.ASGITransport(receiver),
    )
    options = ReportOptions(callback_url=BASE, callback_receiver=receiver)
    assert (
        options.effective_callback_url
        == f"https://simwood:{TOKEN}@hooks.example.com/simwood/callbacks"
    )
    async with sandbox, sandbox.client(reports=options) as client:
        rows = await client.reports.voice_cdr_latest(10)
        stats = client.reports.stats
    assert rows
    assert stats.callbacks_matched == 1
    assert stats.timings[-1].detected_by == "callback"
    assert TOKEN not in httpx.URL(sandbox.reports.callbacks[0].url).path


async def test_a_wrong_or_missing_basic_password_is_refused():
    """Without the token as the Basic password (or with it only in the path), a callback is 404."""
    receiver = CallbackReceiver(TOKEN, in_path=False)
    payload = {"payload": '{"app": "reports", "id": "abc", "data": null}'}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(receiver), base_url="http://hooks"
    ) as http:
        missing = await http.post(f"/{TOKEN}", data=payload)
        wrong = await http.post("/", data=payload, headers=basic("simwood", "not-the-token"))
        garbled = await http.post("/", data=payload, headers={"authorization": "Basic %%%"})
        right = await http.post("/", data=payload, headers=basic("simwood", TOKEN))
    assert [r.status_code for r in (missing, wrong, garbled, right)] == [404, 404, 404, 200]
