"""The callback receiver, fed arbitrary requests: a clean status every time, never a crash.

Whatever the method, path, headers and body (in any number of chunks), the receiver answers
200, 400, 404, 405 or 413, tells its engines only about well-formed hashes, and only when the
token is right.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simwood_async.reports import CallbackReceiver

pytestmark = pytest.mark.anyio
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TOKEN = "fuzz-token-" + "k" * 16
HASH = re.compile(r"[A-Za-z0-9_-]{1,128}")
ALLOWED = {200, 400, 404, 405, 413}


class Engine:
    """Records the hashes the receiver reports."""

    def __init__(self) -> None:
        self.hashes: list[str] = []

    def notify_ready(self, report_hash: str) -> bool:
        """Record; nothing is pending."""
        self.hashes.append(report_hash)
        return False


payloads = st.one_of(
    st.builds(
        lambda h, app: {"app": app, "id": h, "data": None},
        st.one_of(st.from_regex(HASH, fullmatch=True), st.text(max_size=20), st.integers()),
        st.sampled_from(["reports", "other", None]),
    ),
    st.recursive(st.none() | st.text(max_size=8) | st.integers(), st.lists),
)
bodies = st.one_of(
    payloads.map(lambda p: "payload=" + json.dumps(p)).map(str.encode),
    payloads.map(lambda p: json.dumps(p).encode()),
    st.binary(max_size=200),
    st.just(b"payload=" + b"x" * 20_000),
)
headers = st.lists(
    st.tuples(
        st.sampled_from([b"content-type", b"Content-Type", b"x-junk", b"\xff\x00"]),
        st.one_of(
            st.sampled_from([b"application/json", b"application/x-www-form-urlencoded"]),
            st.binary(max_size=30),
        ),
    ),
    max_size=4,
)
paths = st.one_of(
    st.just(f"/{TOKEN}"),
    st.just(f"/cb/{TOKEN}/"),
    st.text(max_size=40).map(lambda t: "/" + t),
)


async def call(receiver: CallbackReceiver, scope: dict[str, Any], chunks: list[bytes]) -> Any:
    """Run one ASGI request through the receiver; the messages it sent."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks or [b""])
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        """The next ASGI message of the request."""
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        """Record what the app sends."""
        sent.append(message)

    await receiver(scope, receive, send)
    return sent


@FUZZ
@given(
    method=st.sampled_from(["POST", "POST", "GET", "PUT", "DELETE", "post", ""]),
    path=paths,
    headers=headers,
    body=bodies,
    splits=st.integers(min_value=1, max_value=4),
)
async def test_any_request_gets_a_clean_answer(method, path, headers, body, splits):
    """Arbitrary method, path, headers and body: one response, an allowed status."""
    receiver = CallbackReceiver(TOKEN, max_body=16384)
    engine = Engine()
    receiver.attach(engine)  # type: ignore[arg-type]
    size = max(1, len(body) // splits)
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    sent = await call(receiver, scope, chunks)
    start = [m for m in sent if m["type"] == "http.response.start"]
    assert len(start) == 1
    assert start[0]["status"] in ALLOWED
    assert all(HASH.fullmatch(h) for h in engine.hashes)
    if start[0]["status"] != 200:
        assert engine.hashes == []
    if engine.hashes:
        assert path.rstrip("/").endswith(TOKEN)
        assert method == "POST"


@FUZZ
@given(report_hash=st.from_regex(HASH, fullmatch=True))
async def test_every_well_formed_callback_is_passed_on(report_hash):
    """A documented callback with the right token always reaches the engine."""
    receiver = CallbackReceiver(TOKEN)
    engine = Engine()
    receiver.attach(engine)  # type: ignore[arg-type]
    payload = json.dumps({"app": "reports", "id": report_hash, "data": None})
    from urllib.parse import urlencode  # noqa: PLC0415

    body = urlencode({"payload": payload}).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/{TOKEN}",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
    }
    sent = await call(receiver, scope, [body])
    assert sent[0]["status"] == 200
    assert engine.hashes == [report_hash]
