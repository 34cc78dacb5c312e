"""`SimwoodClient`: the entry point, an async context manager over `httpx.AsyncClient`."""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import httpx

from simwood_async._config import (
    config_file_path,
    read_config_file,
    resolve_base_url,
    resolve_credentials,
)
from simwood_async._converter import make_converter
from simwood_async._fast import fast_requested, open_http_client
from simwood_async._http import validate_base_url
from simwood_async._retry import RetryPolicy
from simwood_async._transport import Transport
from simwood_async.accounts import AccountsApi
from simwood_async.cdrs import CdrsApi
from simwood_async.numbers import NumbersApi
from simwood_async.porting import PortingApi
from simwood_async.rates import RatesApi
from simwood_async.reports import ReportEngine, ReportOptions, ReportsApi
from simwood_async.tools import ToolsApi
from simwood_async.voice import VoiceApi

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from cattrs import Converter
    from typing_extensions import Self

    from simwood_async._limits import RequestLimiter

__all__ = ["DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "SimwoodClient"]

#: Per-attempt timeouts. The pool timeout is short and distinct from the read timeout, so a
#: saturated pool fails fast instead of looking like a slow server.
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0, pool=10.0)
#: Keep-alive connections equal to max connections (no churn under load) and an idle expiry
#: below the 60 s that load balancers commonly use, so we never reuse a connection they closed.
DEFAULT_LIMITS: Final = httpx.Limits(
    max_connections=64, max_keepalive_connections=64, keepalive_expiry=30.0
)


class _NotGiven:
    """Sentinel for "use the client's setting" where None has a meaning."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()


class SimwoodClient:
    """An async client for the Simwood API v3.

    Use it as an async context manager; it closes the connections it opened (never an
    `http_client` you pass in). Credentials, account and base URL come from the arguments,
    else `SIMWOOD_API_USER`, `SIMWOOD_API_PASSWORD`, `SIMWOOD_ACCOUNT` and `SIMWOOD_BASE_URL`,
    else the config file the `simwood` command reads (`$SIMWOOD_CONFIG`, default
    `~/.config/simwood/config.toml`).

    ```python
    async with SimwoodClient() as client:
        balance = await client.accounts.prepay_balance()
    ```

    Args:
        account: The account id (usually six digits).
        username: API username (not the portal login).
        password: API password. Never logged or shown in a repr.
        base_url: The API root (default `SIMWOOD_BASE_URL`, the config file's `base_url`,
            else `https://api.simwood.com/v3/`).
        timeout: Per-attempt timeouts (seconds, or an `httpx.Timeout`).
        limits: Connection-pool limits for the client we create.
        max_concurrency: Requests in flight at once (default: the pool's max connections).
        request_limiter: A cap shared with other clients and processes, applied after
            `max_concurrency` (e.g. `RedisReportStore.open(..., max_in_flight=N).limiter`).
        retry: Which failures are retried and how long to wait.
        deadline: Seconds a whole call may take, every attempt and wait included.
        http_client: Your own `httpx.AsyncClient`; we use it and never close it.
        transport: An httpx transport for the client we create (e.g. `MockTransport`,
            `ASGITransport`).
        allow_insecure_http: Allow a plain-http base URL that is not loopback.
        env: The environment to read (default `os.environ`; an explicit mapping reads a
            config file only if it sets `SIMWOOD_CONFIG` or `XDG_CONFIG_HOME`).
        strict: Decode strictly (unknown keys are errors); meant for tests.
        reports: How asynchronous reports are awaited: deadline, re-requests, callbacks,
            coordination store, clock (see `ReportOptions`).
        fast: Use the fast transport (the `[fast]` extra: aiohttp's connection handling
            under the httpx API) for the client we create, when running on asyncio; on trio,
            or without the extra, the default transport is used. None (the default) reads
            `SIMWOOD_FAST_TRANSPORT=1` from `env`. Ignored with `http_client` or `transport`.

    Raises:
        ConfigurationError: Inconsistent credentials, an unsafe base URL, or an unusable
            config file.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        account: str | int | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        max_concurrency: int | None = None,
        request_limiter: RequestLimiter | None = None,
        retry: RetryPolicy | None = None,
        deadline: float | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure_http: bool = False,
        env: Mapping[str, str] | None = None,
        strict: bool = False,
        reports: ReportOptions | None = None,
        fast: bool | None = None,
    ) -> None:
        # Arguments, then the environment, then the config file (the CLI reads the same).
        settings = read_config_file(config_file_path(env))
        credentials, account_id = resolve_credentials(username, password, account, env, settings)
        url = validate_base_url(
            resolve_base_url(base_url, env, settings), allow_insecure_http=allow_insecure_http
        )
        timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        owns_http = http_client is None
        direct = None
        if http_client is None and transport is None:
            http_client, direct = open_http_client(
                fast=fast_requested(fast, os.environ if env is None else env),
                base_url=url,
                timeout=timeout,
                limits=limits,
            )
        elif http_client is None:
            http_client = httpx.AsyncClient(
                timeout=timeout, limits=limits, transport=transport, follow_redirects=False
            )
        self._transport = Transport(
            http_client,
            base_url=url,
            credentials=credentials,
            account=account_id,
            retry=retry or RetryPolicy(),
            deadline=deadline,
            timeout=None,  # ours: set on the client; an injected client keeps its own
            max_concurrency=max_concurrency or limits.max_connections or 100,
            owns_http=owns_http,
            direct=direct,
            shared_limiter=request_limiter,
        )
        self._converter = make_converter(strict=strict)
        # The report engine's task group lives from __aenter__ to aclose(); views share it.
        self._engine = ReportEngine(self._converter, reports)
        self._owns_engine = True

    @classmethod
    def _from_parts(cls, transport: Transport, converter: Converter, engine: ReportEngine) -> Self:
        client = cls.__new__(cls)
        client._transport = transport  # noqa: SLF001 - same class
        client._converter = converter  # noqa: SLF001 - same class
        client._engine = engine  # noqa: SLF001 - same class
        client._owns_engine = False  # noqa: SLF001 - same class
        return client

    def __repr__(self) -> str:
        creds = self._transport.credentials
        user = creds.username if creds else None
        return f"<SimwoodClient {self._transport.base_url} user={user!r} password='***'>"

    async def __aenter__(self) -> Self:
        if self._owns_engine:
            await self._engine.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel pending report flights, then close the connections this client opened.

        An injected `http_client` is never closed. Call this from the task that entered the
        client (the report engine's task group belongs to that task).
        """
        try:
            if self._owns_engine:
                await self._engine.aclose()
        finally:
            await self._transport.aclose()

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        deadline: float | _NotGiven | None = NOT_GIVEN,
        account: str | int | None = None,
    ) -> SimwoodClient:
        """A view of this client with other per-call options, sharing its connections.

        ```python
        balance = await client.with_options(deadline=2.0).accounts.prepay_balance()
        ```

        Args:
            timeout: Per-attempt timeouts for calls made through the view.
            retry: Another retry policy (e.g. `RetryPolicy(attempts=1)` for no retries).
            deadline: Seconds a whole call may take; None for no deadline.
            account: Another account the same credentials may act for.

        Returns:
            A client sharing this one's pool; closing the original closes both.
        """
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = (
                timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
            )
        if retry is not None:
            changes["retry"] = retry
        if not isinstance(deadline, _NotGiven):
            changes["deadline"] = deadline
        if account is not None:
            _, changes["account"] = resolve_credentials(None, None, account, env={})
        return self._from_parts(
            self._transport.with_options(**changes), self._converter, self._engine
        )

    @property
    def account(self) -> str | None:
        """The account id calls act on, if configured."""
        return self._transport._account  # noqa: SLF001 - package-internal

    @property
    def converter(self) -> Converter:
        """The cattrs converter that decodes responses (to structure your own payloads)."""
        return self._converter

    @cached_property
    def tools(self) -> ToolsApi:
        """Diagnostics that need no credentials: `myip`, `time`, `explain`."""
        return ToolsApi(self._transport, self._converter)

    @cached_property
    def accounts(self) -> AccountsApi:
        """Account type, credit invoices and the prepay balance."""
        return AccountsApi(self._transport, self._converter)

    @cached_property
    def rates(self) -> RatesApi:
        """Tariffs, CSV ratecards and per-number rates."""
        return RatesApi(self._transport, self._converter)

    @cached_property
    def cdrs(self) -> CdrsApi:
        """Voice CDRs: single pages, concurrent bulk pulls, and pulls straight to a file."""
        return CdrsApi(self._transport, self._converter)

    @cached_property
    def reports(self) -> ReportsApi:
        """Asynchronous reports (CDRs, summaries), each one `await`, single-flight."""
        return ReportsApi(self._transport, self._converter, self._engine)

    @cached_property
    def voice(self) -> VoiceApi:
        """Channel limits, channel statistics and calls in progress."""
        return VoiceApi(self._transport, self._converter)

    @cached_property
    def numbers(self) -> NumbersApi:
        """Find, allocate, route and release numbers; 999 details; number reports."""
        return NumbersApi(self._transport, self._converter, self._engine)

    @cached_property
    def porting(self) -> PortingApi:
        """Port numbers in: geographic (GNP) orders, losing providers, mobile (MNP) ports."""
        return PortingApi(self._transport, self._converter)
