r"""HTTP helpers of the sandbox app: the API's JSON conventions and the fault responses.

JSON bodies are compact with escaped slashes (`\/`), as the API sends them, or indented
with `?pretty=true`. Errors are `{"success": false, "errors": [...]}`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.lowlevel
import attrs
from starlette.requests import Request
from starlette.responses import Response

from simwood_async import _json

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.types import Message, Receive, Scope, Send

__all__ = [
    "CONNECTION_EXTENSION",
    "ConnectionControl",
    "Ctx",
    "SandboxConnectionResetError",
    "error",
    "json_bytes",
    "reply",
    "reset_response",
    "slow_response",
    "truncated_response",
]

#: The ASGI scope extension through which fault responses break the connection.
CONNECTION_EXTENSION: Final = "simwood.connection"
JSON: Final = "application/json"


class SandboxConnectionResetError(ConnectionResetError):
    """Raised by a reset fault when the server offers no way to drop the connection."""


class ConnectionControl:
    """What a server offers the app to break a connection (a scope extension)."""

    def reset(self) -> None:
        """Drop the connection at once, before any response."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection after what has been sent so far."""
        raise NotImplementedError


@attrs.define
class Ctx:
    """One request as a route handler sees it."""

    request: Request
    params: dict[str, str]
    route: str
    method: str
    pretty: bool
    fields: dict[str, Any] = attrs.field(factory=dict)
    body_json: Any = None

    def field(self, name: str, default: str | None = None) -> str | None:
        """A parameter from the query string, the form body or the JSON body."""
        value = self.fields.get(name)
        if value is None:
            value = self.request.query_params.get(name)
        return default if value is None else str(value)


def json_bytes(data: Any, *, pretty: bool = False) -> bytes:
    """Encode as the API does: compact, slashes escaped; indented when `pretty`."""
    if pretty:
        text = json.dumps(json.loads(_json.dumps(data)), indent=4, ensure_ascii=False)
        return text.replace("/", "\\/").encode()
    return _json.dumps(data).replace(b"/", b"\\/")


def reply(ctx: Ctx, data: Any = None, *, status: int = 200, raw: bytes | None = None) -> Response:
    """A JSON response (`raw` is already-encoded compact JSON)."""
    if raw is not None:
        body = json_bytes(json.loads(raw), pretty=True) if ctx.pretty else raw
    else:
        body = json_bytes(data, pretty=ctx.pretty)
    return Response(body, status_code=status, media_type=JSON)


def error(
    status: int, *messages: str, headers: dict[str, str] | None = None, pretty: bool = False
) -> Response:
    """The API's error shape."""
    body = json_bytes({"success": False, "errors": list(messages)}, pretty=pretty)
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def _control(scope: Scope) -> ConnectionControl | None:
    control: ConnectionControl | None = scope.get("extensions", {}).get(CONNECTION_EXTENSION)
    return control


async def reset_response(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
    """Drop the connection before any response."""
    control = _control(scope)
    if control is None:
        raise SandboxConnectionResetError("connection reset (sandbox fault)")
    control.reset()
    # Let the server notice the disconnect before the app returns.
    for _ in range(3):
        await anyio.lowlevel.checkpoint()


async def _body_of(response: Response, scope: Scope) -> tuple[Message, bytes]:
    messages: list[Message] = []

    async def collect(message: Message) -> None:
        messages.append(message)

    async def no_body() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    await response(scope, no_body, collect)
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return start, body


def truncated_response(response: Response, fraction: float) -> Any:
    """Send the headers (full Content-Length) and part of the body, then drop the connection."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        start, body = await _body_of(response, scope)
        cut = min(len(body) - 1, int(len(body) * fraction)) if body else 0
        await send(start)
        await send({"type": "http.response.body", "body": body[: max(cut, 0)], "more_body": True})
        control = _control(scope)
        if control is None:
            raise SandboxConnectionResetError("body truncated (sandbox fault)")
        control.close()
        for _ in range(3):
            await anyio.lowlevel.checkpoint()

    return app


def slow_response(
    response: Response, seconds: float, chunks: int, sleep: Callable[[float], Awaitable[Any]]
) -> Any:
    """Send the body in `chunks` pieces spread over `seconds` (real time, via `sleep`)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        start, body = await _body_of(response, scope)
        await send(start)
        pieces = max(1, chunks)
        size = max(1, -(-len(body) // pieces))
        for n in range(pieces):
            await sleep(seconds / pieces)
            piece = body[n * size : (n + 1) * size]
            await send({"type": "http.response.body", "body": piece, "more_body": n < pieces - 1})

    return app
