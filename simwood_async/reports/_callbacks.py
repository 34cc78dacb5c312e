"""`CallbackReceiver`: a tiny ASGI app for Simwood's "your report is ready" callbacks.

Simwood POSTs `application/x-www-form-urlencoded` with one field, `payload`, holding
`{"app": "reports", "id": "<hash>", "data": null}`. The receiver checks the secret token in its
URL (in constant time), parses the payload with the standard library, and tells every attached
engine that the hash is ready. The body is only a hint: the engine still fetches the file with
its authenticated GET, ignores hashes it is not waiting for, and keeps a slow safety poll.

It needs no web framework: serve it alone (`uvicorn module:receiver`) or mount it
(`app.mount("/simwood/callbacks", receiver)` in FastAPI or Starlette).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlsplit, urlunsplit

from simwood_async import _json
from simwood_async.exceptions import ConfigurationError
from simwood_async.reports._fleet import share_hint

if TYPE_CHECKING:
    from simwood_async.reports._engine import ReportEngine

__all__ = ["CallbackReceiver"]

logger = logging.getLogger("simwood_async")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{16,128}")
_HASH: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
_DRAIN_LIMIT: Final = 1 << 20


class CallbackReceiver:
    """An ASGI app that turns report callbacks into immediate downloads.

    ```python
    receiver = CallbackReceiver()  # a random secret token
    options = ReportOptions(
        callback_url="https://example.com/simwood/callbacks", callback_receiver=receiver
    )
    app.mount("/simwood/callbacks", receiver)  # FastAPI / Starlette
    ```

    Requests are answered 200 `OK` when accepted (known hash or not, so Simwood stops
    retrying), 404 for a wrong token, 405 for a method other than POST, 413 for a body over
    `max_body` bytes and 400 for a body that is not a report callback.

    The token is the URL's last path segment, so an access log of your server or proxy shows
    it. With `in_path=False` it goes in the URL's userinfo instead
    (`https://simwood:TOKEN@example.com/...`), which HTTP clients send as a Basic
    `Authorization` header that access logs do not show; check that your account's callbacks
    arrive with it (they are refused with 404 otherwise, and polling still finds the report).

    Refusals are logged as one WARNING per `log_interval` seconds at most (with the number
    refused since the last one); the others at DEBUG, so a flood of bad requests cannot flood
    the logs.

    Args:
        token: The secret (16-128 URL-safe characters); random if omitted.
        max_body: The largest body accepted, in bytes.
        log_interval: The shortest time between two refusal warnings, in seconds.
        clock: Monotonic seconds (injectable for tests).
        in_path: True: the token is the last path segment; False: the Basic password.

    Attributes:
        accepted: Callbacks accepted.
        refused: Requests refused (wrong token, method, size or body).

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        max_body: int = 16384,
        log_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        in_path: bool = True,
    ) -> None:
        token = token if token is not None else secrets.token_urlsafe(32)
        if not _TOKEN.fullmatch(token):
            raise ConfigurationError("token must be 16-128 characters of [A-Za-z0-9_-]")
        self._token = token.encode()
        self._max_body = max_body
        self._log_interval = log_interval
        self._clock = clock
        self._next_warning = -math.inf
        self._unlogged = 0
        self._in_path = in_path
        self._engines: list[ReportEngine] = []
        self.accepted = 0
        self.refused = 0

    def __repr__(self) -> str:
        return f"<CallbackReceiver token='***' engines={len(self._engines)}>"

    @property
    def token(self) -> str:
        """The secret path segment (keep it out of logs)."""
        return self._token.decode()

    def url(self, base_url: str) -> str:
        """The callback URL to give Simwood: `base_url` with the token (path or userinfo)."""
        if self._in_path:
            return base_url.rstrip("/") + "/" + self.token
        parts = urlsplit(base_url)
        netloc = f"simwood:{self.token}@{parts.netloc.rpartition('@')[2]}"
        return urlunsplit(parts._replace(netloc=netloc))

    def attach(self, engine: ReportEngine) -> None:
        """Deliver callbacks to `engine` (done by the client while it is open)."""
        if engine not in self._engines:
            self._engines.append(engine)

    def detach(self, engine: ReportEngine) -> None:
        """Stop delivering callbacks to `engine`."""
        if engine in self._engines:
            self._engines.remove(engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        status, text = await self._handle(scope, receive)
        if status >= 400:  # noqa: PLR2004
            self.refused += 1
            self._log_refusal(status, text)
        body = text.encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        headers.append((b"content-length", str(len(body)).encode()))
        if status == 405:  # noqa: PLR2004
            headers.append((b"allow", b"POST"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _log_refusal(self, status: int, text: str) -> None:
        now = self._clock()
        if now < self._next_warning:
            self._unlogged += 1
            logger.debug("refused a report callback: %d %s", status, text)
            return
        since = f" ({self._unlogged} more refused since the last warning)" if self._unlogged else ""
        self._next_warning = now + self._log_interval
        self._unlogged = 0
        logger.warning("refused a report callback: %d %s%s", status, text, since)

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[int, str]:
        if self._in_path:
            path = str(scope.get("path", ""))
            token = path.rstrip("/").rsplit("/", 1)[-1].encode("utf-8", "replace")
        else:
            token = _basic_password(scope)
        if not hmac.compare_digest(token, self._token):
            return 404, "Not Found"
        if scope.get("method") != "POST":
            return 405, "Method Not Allowed"
        body = await _read(receive, self._max_body)
        if body is None:
            return 413, "Payload Too Large"
        report_hash = _parse(body, _content_type(scope))
        if report_hash is None:
            return 400, "Bad Request: expected a report callback payload"
        self.accepted += 1
        known = [engine.notify_ready(report_hash) for engine in list(self._engines)]
        await share_hint(report_hash, self._engines)
        logger.info(
            "report callback for %s (%s)", report_hash, "pending" if any(known) else "ignored"
        )
        return 200, "OK"


def _basic_password(scope: Scope) -> bytes:
    """The password of a Basic `Authorization` header (b"" if there is none)."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            scheme, _, encoded = bytes(value).partition(b" ")
            if scheme.lower() != b"basic":
                return b""
            try:
                return base64.b64decode(encoded.strip(), validate=True).partition(b":")[2]
            except (binascii.Error, ValueError):
                return b""
    return b""


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-type":
            return bytes(value).decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The body, or None if it is over `limit` bytes.

    The excess is read and dropped (up to a bound), so the client sees a clean 413.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body", False) or size > _DRAIN_LIMIT:
            break
    return b"".join(chunks) if size <= limit else None


def _parse(body: bytes, content_type: str) -> str | None:
    """The hash named by a callback body, or None if it is not a report callback."""
    try:
        text = body.decode("utf-8")
        if content_type == "application/json":
            payload = text
        else:
            fields = parse_qs(text, strict_parsing=True, max_num_fields=8)
            values = fields.get("payload", [])
            if len(values) != 1:
                return None
            payload = values[0]
        data = _json.loads(payload)
    except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError in both codecs
        return None
    if not isinstance(data, dict) or data.get("app", "reports") != "reports":
        return None
    report_hash = data.get("id")
    if not isinstance(report_hash, str) or not _HASH.fullmatch(report_hash):
        return None
    return report_hash


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
