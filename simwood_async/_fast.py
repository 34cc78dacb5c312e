"""The optional fast transport (`[fast]` extra): aiohttp's connection handling under httpx.

httpx's own pool (httpcore) spends CPU rescanning every connection on every pool event, so
its cost per request grows with concurrency. With `SimwoodClient(fast=True)` (or
`SIMWOOD_FAST_TRANSPORT=1`) the client we create gets an `AutoTransport`, which picks the real
transport on its first request, inside the running event loop, because only then is the
backend known:

- on asyncio, with `httpx-aiohttp` installed: its `AiohttpTransport`, over an aiohttp session
  we create (keep-alive and limits from the client's `httpx.Limits`);
- otherwise (trio, or the extra not installed): httpx's default transport, as without `fast`.

Environment proxies (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) keep working:
httpx mounts its own proxy transports for them exactly as it does for a default client, and
only URLs that no proxy applies to reach the `AutoTransport`.

The SDK's own requests then skip httpx's client layer (request and URL objects, auth and
redirect machinery, cookie extraction, the response conversion): `DirectSender` hands them
straight to the same aiohttp session. That client is private to `SimwoodClient`, so nobody
can attach hooks or cookies to it that this would bypass; an `http_client` you inject is
always used through `AsyncClient.send`. Both paths send the same method, URL, body and
headers (aiohttp chooses `Accept-Encoding`, for the encodings it can decode), and aiohttp's
silent resend of idempotent requests is switched off: retrying is the SDK's decision.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

import httpx
import sniffio

from simwood_async._failures import translate
from simwood_async._http import ApiResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

    import aiohttp

    from simwood_async.exceptions import RequestInfo, TransportError

__all__ = [
    "ENV_FAST",
    "AutoTransport",
    "DirectRequest",
    "DirectSender",
    "fast_available",
    "fast_requested",
    "open_http_client",
    "set_default_fast",
]

#: Set to `1` to opt in to the fast transport for clients created without `fast=`.
ENV_FAST: Final = "SIMWOOD_FAST_TRANSPORT"
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
# aiohttp decodes the encodings it supports and advertises exactly those itself.
_DIRECT_SKIP: Final = frozenset({"accept-encoding", "host", "content-length"})


def fast_available() -> bool:
    """Whether the `[fast]` extra's transport (httpx-aiohttp, aiohttp) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("httpx_aiohttp", "aiohttp"))


_default: bool | None = None


def set_default_fast(on: bool | None) -> None:
    """Decide what `fast=None` means for clients created from now on (a test-suite switch).

    The SDK's own test suite uses it to run every loopback test on the fast transport too.

    Args:
        on: True or False to override `SIMWOOD_FAST_TRANSPORT`; None to read it again.
    """
    global _default  # noqa: PLW0603 - a deliberate process-wide test switch, like set_testing
    _default = on


def fast_requested(fast: bool | None, env: Mapping[str, str]) -> bool:
    """The effective opt-in: the argument, else `set_default_fast`, else the environment."""
    if fast is not None:
        return fast
    if _default is not None:
        return _default
    return env.get(ENV_FAST, "").strip().lower() in _TRUE


class AutoTransport(httpx.AsyncBaseTransport):
    """Creates the real transport on its first request: aiohttp's on asyncio, httpx's otherwise.

    Args:
        fast: Use aiohttp when possible; False always gives httpx's default transport.
        options: What httpx passes to a default transport (`verify`, `cert`, `trust_env`,
            `http1`, `http2`, `limits`).
    """

    def __init__(self, *, fast: bool, **options: Any) -> None:
        self._fast = fast
        self._options = {k: v for k, v in options.items() if k in _TRANSPORT_OPTIONS}
        self._inner: httpx.AsyncBaseTransport | None = None
        #: The aiohttp session, once the aiohttp transport has been chosen.
        self.session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        chosen = type(self._inner).__name__ if self._inner is not None else "undecided"
        return f"<AutoTransport fast={self._fast} {chosen}>"

    @property
    def chosen(self) -> httpx.AsyncBaseTransport | None:
        """The transport picked on the first request (None before it)."""
        return self._inner

    def pick(self) -> httpx.AsyncBaseTransport:
        """The real transport, created now if needed (call inside the running event loop)."""
        if self._inner is None:
            # The one backend check in the SDK: aiohttp runs on asyncio only.
            if self._fast and sniffio.current_async_library() == "asyncio" and fast_available():
                self._inner = self._aiohttp_transport()
            else:
                self._inner = httpx.AsyncHTTPTransport(**self._options)
        return self._inner

    def _aiohttp_transport(self) -> httpx.AsyncBaseTransport:
        import aiohttp  # noqa: PLC0415 - optional dependency, asyncio only
        from httpx_aiohttp import AiohttpTransport  # noqa: PLC0415

        limits: httpx.Limits = self._options.get("limits", httpx.Limits())
        ssl_context = httpx.create_ssl_context(
            verify=self._options.get("verify", True),
            cert=self._options.get("cert"),
            trust_env=self._options.get("trust_env", True),
        )
        connector_options: dict[str, Any] = {"limit": limits.max_connections or 0}
        if limits.keepalive_expiry is not None:
            connector_options["keepalive_timeout"] = limits.keepalive_expiry
        # httpx mounts the environment's proxies itself: aiohttp must not apply them again.
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=ssl_context, **connector_options),
            trust_env=False,
        )
        # aiohttp silently resends an idempotent request (GET, PUT, DELETE) once when the
        # connection drops before the response: retries are the SDK's decision (a DELETE may
        # release a number), so switch it off, as aiohttp's own test client does.
        if hasattr(self.session, "_retry_connection"):
            self.session._retry_connection = False  # noqa: SLF001
        transport: httpx.AsyncBaseTransport = AiohttpTransport(
            verify=ssl_context, limits=limits, client=self.session
        )
        return transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the chosen transport."""
        return await self.pick().handle_async_request(request)

    async def aclose(self) -> None:
        """Close the chosen transport (and its aiohttp session)."""
        if self._inner is not None:
            await self._inner.aclose()


_TRANSPORT_OPTIONS: Final = frozenset({"verify", "cert", "trust_env", "http1", "http2", "limits"})


class _FastClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` whose default transport is an `AutoTransport`.

    Overriding `_init_transport` (as httpx-aiohttp's own client does) instead of passing
    `transport=` keeps httpx's handling of environment proxies, which it skips for an
    explicit transport.
    """

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        del args  # httpx passes everything by keyword
        transport = kwargs.get("transport")
        if transport is not None:
            return transport  # type: ignore[no-any-return]
        return AutoTransport(fast=True, **kwargs)


def open_http_client(
    *, fast: bool, base_url: str, timeout: httpx.Timeout, limits: httpx.Limits
) -> tuple[httpx.AsyncClient, DirectSender | None]:
    """The httpx client `SimwoodClient` owns, and the direct path to it, if there is one.

    Args:
        fast: Use the `AutoTransport` (aiohttp on asyncio when installed).
        base_url: The API root: the direct path is offered only if no proxy applies to it.
        timeout: The client's timeouts.
        limits: The client's pool limits.

    Returns:
        The client, and a `DirectSender` when `fast` is on and requests to `base_url` go to
        the `AutoTransport` (not to a proxy).
    """
    if not fast:
        return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False), None
    client = _FastClient(timeout=timeout, limits=limits, follow_redirects=False)
    # httpx's own routing (mounts for proxies and NO_PROXY) decides; private but stable
    # since httpx 0.18. Without it, no direct path: everything goes through `send`.
    route = getattr(client, "_transport_for_url", None)
    chosen = route(httpx.URL(base_url)) if route is not None else None
    if isinstance(chosen, AutoTransport):
        return client, DirectSender(chosen, client)
    return client, None


class DirectSender:
    """Sends the SDK's requests straight to the aiohttp session of an `AutoTransport`.

    Used only once the `AutoTransport` has chosen aiohttp; `prepare` returns None otherwise
    (trio, the extra not installed), and the request goes through httpx as usual.
    """

    __slots__ = ("_auto", "_http", "_timeouts", "errors", "url_type")

    def __init__(self, auto: AutoTransport, http: httpx.AsyncClient) -> None:
        self._auto = auto
        self._http = http
        self._timeouts: dict[int, tuple[httpx.Timeout, Any]] = {}
        #: What aiohttp may raise: its client errors, protocol errors, OS errors, timeouts.
        self.errors: tuple[type[Exception], ...] = (TimeoutError, OSError)
        self.url_type: Any = None

    def prepare(
        self,
        method: str,
        url: str,
        *,
        query: list[tuple[str, str]] | None,
        headers: dict[str, str],
        content: bytes | None,
        timeout: httpx.Timeout | None,
    ) -> DirectRequest | None:
        """A request for the direct path, or None if it must go through httpx."""
        session = self._auto.session
        if session is None:
            self._auto.pick()
            session = self._auto.session
            if session is None:
                return None
        if self.url_type is None:
            import aiohttp  # noqa: PLC0415 - present once the session exists
            import yarl  # noqa: PLC0415 - aiohttp's URL type
            from aiohttp.http_exceptions import HttpProcessingError  # noqa: PLC0415

            # A malformed response raises aiohttp's parser error, which is no ClientError.
            self.errors = (aiohttp.ClientError, HttpProcessingError, TimeoutError, OSError)
            self.url_type = yarl.URL
        if query:
            url = f"{url}?{urlencode(query)}"
        # Already percent-encoded exactly as httpx would send it: no re-quoting.
        target = self.url_type(url, encoded=True)
        sent = {k: v for k, v in headers.items() if k not in _DIRECT_SKIP}
        return DirectRequest(
            self,
            session,
            method=method,
            url=target,
            headers=sent,
            content=content,
            timeout=self._timeout(timeout),
        )

    def _timeout(self, timeout: httpx.Timeout | None) -> Any:
        timeout = timeout or self._http.timeout
        # httpx.Timeout is unhashable: keyed by identity, the entry keeps the object alive.
        entry = self._timeouts.get(id(timeout))
        if entry is None or entry[0] is not timeout:
            import aiohttp  # noqa: PLC0415

            # The mapping httpx-aiohttp uses, so both paths time out alike.
            converted = aiohttp.ClientTimeout(
                sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool
            )
            entry = self._timeouts[id(timeout)] = (timeout, converted)
        return entry[1]


class DirectRequest:
    """One prepared request on the direct path (rebuilt for every attempt)."""

    __slots__ = ("content", "headers", "method", "sender", "session", "timeout", "url")

    def __init__(
        self,
        sender: DirectSender,
        session: aiohttp.ClientSession,
        *,
        method: str,
        url: Any,
        headers: dict[str, str],
        content: bytes | None,
        timeout: Any,
    ) -> None:
        self.sender = sender
        self.session = session
        self.method = method
        self.url = url
        self.headers = headers
        self.content = content
        self.timeout = timeout

    async def send(self, info: RequestInfo) -> ApiResponse:
        """Send, read the whole body, and release the connection before returning.

        Raises:
            RequestTimeoutError: Connecting or reading timed out.
            ConnectError: The connection failed before a response arrived.
            IncompleteBodyError: The connection broke mid-body.
        """
        failure: TransportError | None = None
        try:
            response = await self.session.request(
                self.method,
                self.url,
                headers=self.headers,
                data=self.content,
                allow_redirects=False,
                timeout=self.timeout,
            )
        except self.sender.errors as err:
            # Translated outside the `except` block: aiohttp's exceptions carry the request
            # headers (the Authorization value) and show them in their repr.
            failure = translate(err, info, self.url, "connect")
        if failure is not None:
            raise failure
        # Released (back to the pool, or closed if the body broke) before we return, so a
        # retry's backoff never holds a connection.
        try:
            content = await response.read()
        except self.sender.errors as err:
            failure = translate(err, info, self.url, "body", response.status)
        finally:
            response.release()
        if failure is not None:
            raise failure
        return ApiResponse(response.status, response.headers, content, info)
