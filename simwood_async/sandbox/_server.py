"""The loopback server: uvicorn on 127.0.0.1, in a thread or as the main program.

uvicorn gives the app no handle on the connection, so this module adds one (the
`simwood.connection` scope extension) for the reset and truncation faults, reaching the
asyncio transport through the `send` callable uvicorn passes to the app.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.to_thread
import uvicorn

from simwood_async.sandbox._http import CONNECTION_EXTENSION, ConnectionControl

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HOST", "bind", "serve_in_thread", "uvicorn_server"]

#: The only address the sandbox ever binds.
HOST: Final = "127.0.0.1"


class _UvicornControl(ConnectionControl):
    def __init__(self, send: Send) -> None:
        # uvicorn's `send` is a bound method of its per-request cycle, which holds the
        # asyncio transport. Absent (another server), the fault falls back to an exception.
        self._transport = getattr(getattr(send, "__self__", None), "transport", None)

    def reset(self) -> None:
        if self._transport is None:
            raise ConnectionResetError("connection reset (sandbox fault)")
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                # Linger 0: close sends RST, as a crashed peer or a middlebox would.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._transport.abort()

    def close(self) -> None:
        if self._transport is None:
            raise ConnectionResetError("connection closed mid-body (sandbox fault)")
        self._transport.close()


def with_connection_control(app: ASGIApp) -> ASGIApp:
    """Wrap an app so fault responses can break uvicorn connections."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "extensions": {**(scope.get("extensions") or {})}}
            scope["extensions"][CONNECTION_EXTENSION] = _UvicornControl(send)
        await app(scope, receive, send)

    return wrapped


def bind(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (port 0: any free port)."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only if the
    # protocol says TCP, and without it every small response waits ~40 ms (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, telling us once it is listening."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()


def uvicorn_server(app: ASGIApp, on_ready: Callable[[], None]) -> Any:
    """A quiet uvicorn server for the app (no access log; lifespan off)."""
    config = uvicorn.Config(
        with_connection_control(app),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        limit_concurrency=None,
        backlog=2048,
    )
    return _Server(config, on_ready)


@asynccontextmanager
async def serve_in_thread(app: ASGIApp, *, port: int = 0) -> AsyncIterator[str]:
    """Serve an ASGI app on 127.0.0.1 from a thread with its own event loop.

    Yields:
        The root URL, e.g. `http://127.0.0.1:54321`.
    """
    sock = bind(port)
    ready = threading.Event()
    server = uvicorn_server(app, ready.set)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported to the waiting task
            failure.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="simwood-sandbox-server", daemon=True)
    thread.start()
    try:
        await anyio.to_thread.run_sync(ready.wait)
        if failure or not server.started:
            raise RuntimeError("the sandbox server failed to start") from (
                failure[0] if failure else None
            )
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await anyio.to_thread.run_sync(thread.join)
        sock.close()
