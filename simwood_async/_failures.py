"""Translating transport failures (httpx, aiohttp) into the SDK's errors: where, why, no secrets.

Every error from the HTTP libraries becomes a `SimwoodError` naming the server
(`scheme://host:port`, never credentials) and the cause a human can act on (connection refused,
DNS lookup failed, TLS error, timed out, ...). The library's own exception is *not* chained:
httpx and aiohttp exceptions hold the request, headers included (the `Authorization` value),
and aiohttp's show them in their `repr`. The chained `__cause__` is a `TransportCause` that
keeps only the library's exception type and message, and the SDK error is raised outside the
`except` block, so no `__context__` leads back to the original either.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
from typing import Final, Literal
from urllib.parse import urlsplit

import httpx

from simwood_async.exceptions import (
    ConnectError,
    IncompleteBodyError,
    RequestInfo,
    RequestTimeoutError,
    TransportError,
)

__all__ = ["TransportCause", "describe", "library_error", "origin", "translate"]

Phase = Literal["connect", "body"]

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_HTTPX_TIMEOUTS: Final = {
    httpx.ConnectTimeout: "connect timeout",
    httpx.ReadTimeout: "read timeout",
    httpx.WriteTimeout: "write timeout",
    httpx.PoolTimeout: "no free connection in the pool in time (pool timeout)",
}


class TransportCause(Exception):  # noqa: N818 - a cause, not an error the SDK raises
    """What the HTTP library raised, reduced to its type and message (no request, no headers).

    Attributes:
        kind: The library exception's qualified type name, e.g. `httpx.ConnectError`.
        detail: Its message.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


def library_error(err: BaseException) -> bool:
    """Whether `err` is a failure of the HTTP stack (httpx, aiohttp, sockets, TLS, timeouts)."""
    if isinstance(err, (httpx.HTTPError, OSError, TimeoutError)):
        return True
    return type(err).__module__.split(".", 1)[0] == "aiohttp"


def origin(url: object) -> str:
    """`scheme://host:port` of a URL (str, httpx.URL or yarl.URL), without credentials."""
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or "?"
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return "?"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port}" if port else f"{parts.scheme}://{host}"


def _chain(err: BaseException) -> list[BaseException]:
    """`err` and everything it leads to: causes, contexts, group members, aiohttp's os_error."""
    found: list[BaseException] = []
    stack: list[BaseException | None] = [err]
    seen: set[int] = set()
    while stack and len(found) < 32:  # noqa: PLR2004 - a bound against pathological chains
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        stack += [current.__context__, current.__cause__]
        stack += list(getattr(current, "exceptions", None) or ())
        nested = getattr(current, "os_error", None)
        if isinstance(nested, BaseException):
            stack.append(nested)
    return found


def _os_reason(err: OSError) -> str | None:
    if isinstance(err, socket.gaierror):
        return f"DNS lookup failed ({err.strerror or err})"
    if isinstance(err, ssl.SSLCertVerificationError):
        why = getattr(err, "verify_message", None) or getattr(err, "reason", None) or err
        return f"TLS certificate verification failed ({why})"
    if isinstance(err, ssl.SSLError):
        return f"TLS error ({getattr(err, 'reason', None) or err})"
    if isinstance(err, ConnectionRefusedError) or err.errno == errno.ECONNREFUSED:
        return "connection refused"
    if isinstance(err, ConnectionResetError) or err.errno == errno.ECONNRESET:
        return "connection reset by peer"
    if isinstance(err, TimeoutError):
        return "timed out"
    if err.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return os.strerror(err.errno).lower()
    return None


def describe(err: BaseException) -> str:
    """The cause of a transport failure, in words (the most specific one in its chain)."""
    chain = _chain(err)
    # The operating system's verdict is the most telling (refused, DNS, TLS, unreachable).
    for rank in (socket.gaierror, ssl.SSLError, OSError):
        for item in chain:
            if isinstance(item, rank):
                reason = _os_reason(item)
                if reason is not None:
                    return reason
    for item in chain:
        for kind, text in _HTTPX_TIMEOUTS.items():
            if isinstance(item, kind):
                return text
        if isinstance(item, TimeoutError):
            return "timed out"
    name = type(err).__name__
    text = str(err).strip()
    if name in ("ServerDisconnectedError", "RemoteProtocolError") and not text:
        return "the server closed the connection without a response"
    return f"{name}: {text}" if text else name


def translate(
    err: BaseException, info: RequestInfo, url: object, phase: Phase, status_code: int | None = None
) -> TransportError:
    """The SDK error for a failure of the HTTP library (call it, then raise it from `cause`).

    Args:
        err: What httpx or aiohttp raised.
        info: The request (method and path).
        url: The request URL, for the server's origin.
        phase: `connect` (before the response headers) or `body` (while reading the body).
        status_code: The response status, once the headers have arrived.
    """
    where = origin(url)
    why = describe(err)
    timeout = isinstance(err, (TimeoutError, httpx.TimeoutException)) or why.endswith(
        ("timeout", "timed out")
    )
    # Names only: matched by type name so aiohttp stays an optional import.
    names = {type(item).__name__ for item in _chain(err)}
    error: TransportError
    if phase == "body":
        if timeout:
            error = RequestTimeoutError(
                f"timed out while reading the body from {where}: {why}",
                request=info,
                status_code=status_code,
            )
        else:
            error = IncompleteBodyError(
                f"the connection to {where} broke mid-body: {why}",
                request=info,
                status_code=status_code,
            )
    elif timeout:
        error = RequestTimeoutError(f"timed out: {where}: {why}", request=info)
    elif isinstance(err, httpx.UnsupportedProtocol | httpx.LocalProtocolError) or (
        "InvalidURL" in names
    ):
        error = TransportError(f"the request to {where} could not be sent: {why}", request=info)
    else:
        error = ConnectError(f"connection failed: {where}: {why}", request=info)
    error.__cause__ = TransportCause(_qualified(err), str(err).strip())
    return error


def _qualified(err: BaseException) -> str:
    module = type(err).__module__.split(".", 1)[0]
    return f"{module}.{type(err).__name__}" if module != "builtins" else type(err).__name__
