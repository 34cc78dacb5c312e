"""The httpx seam: send requests, retry what is safe, translate every failure.

This is where the core talks to httpx (with `_fast.py`, the optional aiohttp path). API areas
call `Transport.request` (or `Transport.stream`) with a path built by `path()`, and get back an
`ApiResponse` whose body has been read, or one of the errors in `simwood_async.exceptions`.
Encoding and response interpretation, which need no I/O, live in `_http.py`; requests are built
in `_build.py`, and each is sent holding a slot of the caps in `_limits.py` (through the
`SharedPool` of `_pool.py`, which every `with_options` view shares).
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import anyio
import httpx

from simwood_async._build import build_request, default_headers, request_headers
from simwood_async._failures import library_error, translate
from simwood_async._http import (
    ApiResponse,
    Credentials,
    encode_params,
    error_for,
    path,
    validate_base_url,
)
from simwood_async._pool import SharedPool
from simwood_async._retry import retryable
from simwood_async._stream import ByteStream, deadline_bound, read_body
from simwood_async.exceptions import (
    ConfigurationError,
    DeadlineExceededError,
    RateLimitedError,
    RequestInfo,
    ServerError,
    SimwoodError,
    TransportError,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from simwood_async._fast import DirectRequest, DirectSender
    from simwood_async._limits import RequestLimiter
    from simwood_async._retry import RetryPolicy

# `path`, `encode_params`, `ApiResponse`, `Credentials` and `validate_base_url` are re-exported
# for the modules that build requests through the transport.
__all__ = [
    "ApiResponse",
    "ByteStream",
    "Credentials",
    "Transport",
    "encode_params",
    "path",
    "validate_base_url",
]

logger = logging.getLogger("simwood_async")


class Transport:
    """Sends requests for the API areas. Created by `SimwoodClient`; not public API."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        credentials: Credentials | None,
        account: str | None,
        retry: RetryPolicy,
        deadline: float | None = None,
        timeout: httpx.Timeout | None = None,
        max_concurrency: int = 100,
        owns_http: bool = True,
        shared: SharedPool | None = None,
        direct: DirectSender | None = None,
        shared_limiter: RequestLimiter | None = None,
    ) -> None:
        # Only the transport that created the shared state may close the pool, never a view.
        self._is_root = shared is None
        self._shared = shared or SharedPool(
            http, owns_http, max_concurrency, direct=direct, shared_limiter=shared_limiter
        )
        self._http = http
        self.base_url = base_url
        self._base_path = urlsplit(base_url).path
        self.credentials = credentials
        self._auth_header = credentials.header() if credentials else None
        # Requests are built here, not by `AsyncClient.build_request`, so the client's own
        # headers (User-Agent, Accept-Encoding, anything set on an injected client) are
        # copied once instead of merged on every request.
        self._headers = default_headers(http)
        self._account = account
        self.retry = retry
        self.deadline = deadline
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<Transport {self.base_url} account={self._account!r}>"

    def with_options(self, **changes: Any) -> Transport:
        """A copy with other call options, sharing the connection pool and limiter."""
        options: dict[str, Any] = {
            "base_url": self.base_url,
            "credentials": self.credentials,
            "account": self._account,
            "retry": self.retry,
            "deadline": self.deadline,
            "timeout": self.timeout,
        }
        options.update(changes)
        return Transport(self._http, shared=self._shared, **options)

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying httpx client."""
        return self._http

    @property
    def account(self) -> str:
        """The configured account id.

        Raises:
            ConfigurationError: No account was configured.
        """
        if self._account is None:
            raise ConfigurationError(
                "no Simwood account configured: pass account=... or set SIMWOOD_ACCOUNT"
            )
        return self._account

    async def aclose(self) -> None:
        """Close the httpx client if we created it (a `with_options` view never does)."""
        if self._is_root and self._shared.owns_http:
            await self._http.aclose()

    def _build(
        self,
        method: str,
        url_path: str,
        *,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        json: Any,
        payload: Any,
        files: Any,
        auth: bool,
        direct: bool = False,
    ) -> httpx.Request | DirectRequest:
        return build_request(
            method,
            self.base_url + url_path,
            headers=request_headers(self._headers, self._auth_header, auth=auth),
            params=params,
            data=data,
            json=json,
            payload=payload,
            files=files,
            timeout=self.timeout,
            direct=self._shared.direct if direct else None,
            url_of=self._shared.url,
        )

    async def request(
        self,
        method: str,
        url_path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        payload: Any = None,
        files: Any = None,
        retry: bool,
        auth: bool = True,
    ) -> ApiResponse:
        """Send a request, retrying per the policy if `retry` is true, and read the body.

        Args:
            method: HTTP method.
            url_path: Path relative to the base URL, built with `path()`.
            params: Query parameters (lists become `key[]`).
            data: Form fields (lists become `key[]`).
            json: A JSON body.
            payload: JSON sent as the form variable `payload` (with any `data` fields).
            files: Multipart files, as httpx takes them (`data` fields go in the same body).
            retry: Whether the operation is safe to repeat.
            auth: Send the credentials (the tools endpoints need none).

        Returns:
            The response, with its body read and its status a success.

        Raises:
            SimwoodError: A subclass saying what went wrong.
        """
        policy = self.retry
        attempts = policy.attempts if retry else 1
        deadline_at = policy.clock() + self.deadline if self.deadline is not None else None
        info = RequestInfo(method, self._base_path + url_path)
        attempt = 0
        challenged = False
        while True:
            request = self._build(
                method,
                url_path,
                params=params,
                data=data,
                json=json,
                payload=payload,
                files=files,
                auth=auth,
                direct=True,
            )
            try:
                response = await self._attempt(request, info, attempt, deadline_at)
                if (
                    response.status_code == 401  # noqa: PLR2004
                    and not auth
                    and not challenged
                    and self._auth_header is not None
                    and "basic" in response.headers.get("www-authenticate", "").lower()
                ):
                    # The documented challenge flow: answer it once with the credentials.
                    auth = challenged = True
                    continue
                error = error_for(response)
                if error is None:
                    return response
                raise error
            except SimwoodError as err:
                attempt += 1
                if not retry or attempt >= attempts or not retryable(err, policy):
                    raise
                retry_after = (
                    err.retry_after if isinstance(err, (RateLimitedError, ServerError)) else None
                )
                if retry_after is not None and retry_after > policy.max_retry_after:
                    raise
                wait = policy.backoff(attempt - 1, retry_after)
                if deadline_at is not None and policy.clock() + wait >= deadline_at:
                    # Sleeping would pass the deadline: report the real failure now.
                    raise
                logger.debug(
                    "retrying %s in %.2f s (attempt %d of %d) after: %s",
                    info,
                    wait,
                    attempt + 1,
                    attempts,
                    err,
                )
                await policy.sleep(wait)

    async def _attempt(
        self,
        request: httpx.Request | DirectRequest,
        info: RequestInfo,
        attempt: int,
        deadline_at: float | None,
    ) -> ApiResponse:
        started = time.perf_counter()
        try:
            if deadline_at is None:
                response = await self._send(request, info)
            else:
                remaining = deadline_at - self.retry.clock()
                if remaining <= 0:
                    raise DeadlineExceededError("the call's deadline has passed", request=info)
                try:
                    with anyio.fail_after(remaining):
                        response = await self._send(request, info)
                except TimeoutError as err:
                    raise DeadlineExceededError(
                        f"the call's deadline passed during attempt {attempt + 1}", request=info
                    ) from err
        except SimwoodError as err:
            # Still one line per request when no response came back.
            logger.info(
                "%s -> %s (%.1f ms, attempt %d)",
                info,
                type(err).__name__,
                (time.perf_counter() - started) * 1000,
                attempt + 1,
            )
            raise
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s -> %d (%.1f ms, attempt %d)",
                info,
                response.status_code,
                (time.perf_counter() - started) * 1000,
                attempt + 1,
            )
        return response

    async def _send(self, request: httpx.Request | DirectRequest, info: RequestInfo) -> ApiResponse:
        async with self._shared.slot():
            if not isinstance(request, httpx.Request):
                return await request.send(info)
            response, failure = await self._open(request, info)
            if failure is not None:
                raise failure
            assert response is not None  # noqa: S101 - one of the two is set
            try:
                content, failure = await read_body(response, info)
            finally:
                await response.aclose()
            if failure is not None:
                raise failure
        return ApiResponse(response.status_code, response.headers, content, info)

    async def _open(
        self, request: httpx.Request, info: RequestInfo
    ) -> tuple[httpx.Response | None, TransportError | None]:
        """Send and wait for the headers; every httpx failure becomes the SDK's error.

        The error is returned, not raised here, so that the caller raises it outside the
        `except` block: no `__context__` leads back to httpx's exception and its headers.
        """
        try:
            return await self._http.send(request, stream=True), None
        except Exception as err:
            if not library_error(err):
                raise
            return None, translate(err, info, request.url, "connect")

    @asynccontextmanager
    async def stream(
        self, method: str, url_path: str, *, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[ByteStream]:
        """Open a streamed response (no retries once the body has started).

        The call's deadline (`deadline=`) covers the wait for the headers and every chunk of
        the body, as for any other call.

        Yields:
            The body, to iterate in chunks.

        Raises:
            SimwoodError: The request failed or the status is an error.
            DeadlineExceededError: The call's deadline passed.
        """
        info = RequestInfo(method, self._base_path + url_path)
        deadline_at = self.retry.clock() + self.deadline if self.deadline is not None else None
        request = self._build(  # streamed bodies always go through httpx (direct=False)
            method,
            url_path,
            params=params,
            data=None,
            json=None,
            payload=None,
            files=None,
            auth=True,
        )
        async with self._shared.slot():
            started = time.perf_counter()
            with deadline_bound(self.retry.clock, deadline_at, info, "waiting for the headers"):
                response, failure = await self._open(cast("httpx.Request", request), info)
            if failure is not None:
                logger.info("%s -> %s (streamed)", info, type(failure).__name__)
                raise failure
            assert response is not None  # noqa: S101 - one of the two is set
            logger.info(
                "%s -> %d (%.1f ms to headers, streamed)",
                info,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            try:
                if response.status_code >= 400:  # noqa: PLR2004
                    with deadline_bound(self.retry.clock, deadline_at, info, "reading the error"):
                        content, failure = await read_body(response, info)
                    if failure is not None:
                        raise failure
                    error = error_for(
                        ApiResponse(response.status_code, response.headers, content, info)
                    )
                    if error is not None:
                        raise error
                yield ByteStream(response, info, clock=self.retry.clock, deadline_at=deadline_at)
            finally:
                await response.aclose()
