"""The in-process transport: httpx requests straight into the ASGI app, no sockets.

Like `httpx.ASGITransport`, plus the connection faults: the app can drop the "connection"
before answering (a `ReadError`, as a reset socket gives) or after part of the body (the
body stream then fails with `RemoteProtocolError`, as a cut-off HTTP/1.1 body does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from simwood_async.sandbox._http import CONNECTION_EXTENSION, ConnectionControl

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import ASGIApp, Message

__all__ = ["InProcessTransport"]


class _Control(ConnectionControl):
    def __init__(self) -> None:
        self.was_reset = False
        self.was_closed = False

    def reset(self) -> None:
        self.was_reset = True

    def close(self) -> None:
        self.was_closed = True


class _CutStream(httpx.AsyncByteStream):
    """A body that ends early: the bytes sent, then a protocol error."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._body:
            yield self._body
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body (sandbox fault)"
        )


class InProcessTransport(httpx.AsyncBaseTransport):
    """An httpx transport that calls an ASGI app in the same event loop.

    Args:
        app: The ASGI application.
        client: The (host, port) the app sees as the client.

    .. versionadded:: 0.1.0
    """

    def __init__(self, app: ASGIApp, *, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        self._app = app
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the app on the request and return its response."""
        body = await request.aread()
        control = _Control()
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port or 80),
            "client": self._client,
            "root_path": "",
            "extensions": {CONNECTION_EXTENSION: control},
        }
        sent_request = False
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        complete = False

        async def receive() -> Message:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)

        await self._app(scope, receive, send)
        if control.was_reset:
            raise httpx.ReadError("connection reset by peer (sandbox fault)", request=request)
        content = b"".join(chunks)
        if not complete:
            return httpx.Response(
                status, headers=headers, stream=_CutStream(content), request=request
            )
        return httpx.Response(status, headers=headers, content=content, request=request)
