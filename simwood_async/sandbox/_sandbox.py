"""`Sandbox`: the emulator's public face."""

from __future__ import annotations

import datetime as dt
import secrets
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.abc
import attrs
import httpx

from simwood_async._client import SimwoodClient
from simwood_async.reports._options import ReportOptions, gmt_today
from simwood_async.sandbox._app import SandboxApp
from simwood_async.sandbox._clock import Clock, ManualClock, RealClock
from simwood_async.sandbox._core import SandboxCore
from simwood_async.sandbox._data import DEFAULT_CACHE_BYTES
from simwood_async.sandbox._inprocess import InProcessTransport
from simwood_async.sandbox._reports import callback_payload
from simwood_async.sandbox._state import CallbackRecord
from simwood_async.sandbox._virtual import VirtualTime, wire_client_options

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
    from types import TracebackType

    from typing_extensions import Self

    from simwood_async.sandbox._core import ReportDelay
    from simwood_async.sandbox._faults import Faults
    from simwood_async.sandbox._numbers_state import NumberInventory
    from simwood_async.sandbox._state import ReportLog
    from simwood_async.sandbox._stats import Stats

__all__ = ["IN_PROCESS_BASE_URL", "Sandbox"]

#: The base URL of clients wired in-process (no socket is ever opened for it).
IN_PROCESS_BASE_URL: Final = "http://sandbox.local/v3/"
_POLL_SECONDS: Final = 0.02
_CALLBACK_TIMEOUT: Final = 10.0


class Sandbox:
    """A faithful, fault-injectable emulator of the Simwood API v3.

    Use it in-process (`client()`), or over loopback HTTP (`serve()`), in tests and demos.

    ```python
    sandbox = Sandbox(seed=1, clock=ManualClock())
    async with sandbox.client() as client:
        envelope = await client._transport.request(...)
        await sandbox.advance(5)  # reports become ready, callbacks are delivered
    ```

    Args:
        seed: Everything random (data, report delays, faults) derives from it.
        account: The account id the sandbox serves.
        username: The API username it accepts.
        password: The API password it accepts; None generates a secret one.
        clock: `RealClock()` (default), `ScaledClock(100.0)` or `ManualClock()`.
        report_delay: Sandbox seconds a report takes to generate: a float, a (min, max)
            uniform range, or `f(kind, params, rng) -> float`.
        cdr_rows_per_day: Synthetic voice CDRs per full GMT day (generated on demand).
        sms_rows_per_day: Synthetic SMS CDRs per full GMT day.
        cdr_cache_bytes: Bytes of generated voice CDRs (encoded JSON) to keep for later
            pages; rows are regenerated, identically, when evicted. Default 64 MiB.
        live_calls_per_minute: Calls that arrive as sandbox time passes (they appear "today"
            and shift the newest-first CDR pages, as real traffic does).
        callback_transport: An httpx transport for report callbacks, e.g.
            `httpx.ASGITransport(receiver_app)`; default real HTTP.
        sleep: How the latency and slow-body faults wait (real seconds); inject a
            recorder to test them without waiting.
        wire_forms: For operations with more than one wire form, which one to answer in,
            e.g. `{"prepay/balance": "array"}`; the rest keep their documented default.
            The operations and their forms (default first) are `WIRE_FORMS`.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        account: str = "930000",
        username: str = "sandbox",
        password: str | None = None,
        clock: Clock | None = None,
        report_delay: ReportDelay = (1.0, 3.0),
        cdr_rows_per_day: int = 200,
        sms_rows_per_day: int = 20,
        cdr_cache_bytes: int = DEFAULT_CACHE_BYTES,
        live_calls_per_minute: float = 0.0,
        callback_transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
        wire_forms: Mapping[str, str] | None = None,
    ) -> None:
        if not account.isalnum():
            raise ValueError(f"account must be alphanumeric, got {account!r}")
        if cdr_rows_per_day < 0 or sms_rows_per_day < 0 or live_calls_per_minute < 0:
            raise ValueError("volumes must be >= 0")
        if cdr_cache_bytes < 0:
            raise ValueError("cdr_cache_bytes must be >= 0")
        self._core = SandboxCore(
            seed=seed,
            account=account,
            username=username,
            password=password if password is not None else secrets.token_urlsafe(18),
            clock=clock if clock is not None else RealClock(),
            report_delay=report_delay,
            cdr_rows_per_day=cdr_rows_per_day,
            sms_rows_per_day=sms_rows_per_day,
            live_calls_per_minute=live_calls_per_minute,
            sleep=sleep,
            cdr_cache_bytes=cdr_cache_bytes,
            wire_forms=wire_forms,
        )
        self._app = SandboxApp(self._core)
        self._callback_transport = callback_transport
        self._group: anyio.abc.TaskGroup | None = None
        self._virtual_time: VirtualTime | None = None

    def __repr__(self) -> str:
        core = self._core
        return (
            f"<Sandbox account={core.account!r} username={core.username!r} password='***' "
            f"seed={core.seed!r} clock={core.clock!r}>"
        )

    # --- what it is ---------------------------------------------------------------------

    @property
    def app(self) -> SandboxApp:
        """The ASGI application (mount it, or serve it with any ASGI server)."""
        return self._app

    @property
    def account(self) -> str:
        """The account id."""
        return self._core.account

    @property
    def username(self) -> str:
        """The API username the sandbox accepts."""
        return self._core.username

    @property
    def password(self) -> str:
        """The API password the sandbox accepts (never shown in a repr)."""
        return self._core.password

    @property
    def wire_forms(self) -> Mapping[str, str]:
        """The wire form of each operation that has several (see `WIRE_FORMS`).

        .. versionadded:: 0.1.0
        """
        return MappingProxyType(self._core.wire_forms)

    @property
    def seed(self) -> int:
        """The seed."""
        return self._core.seed

    @property
    def clock(self) -> Clock:
        """The sandbox clock."""
        return self._core.clock

    @property
    def faults(self) -> Faults:
        """The fault rules: `sandbox.faults.add("error", rate=0.1, status=503)`."""
        return self._core.faults

    @property
    def stats(self) -> Stats:
        """Request counts by method, route template and status."""
        return self._core.stats

    @property
    def numbers(self) -> NumberInventory:
        """The number inventory: available pools, allocations, configs, 999 records.

        `sandbox.numbers.take(e164)` removes an available number as if another customer had
        allocated it (to test races between a search and an allocation).
        """
        return self._core.numbers

    @property
    def reports(self) -> ReportLog:
        """Ground truth about reports: requests, generations, downloads, expiries, callbacks."""
        return self._core.store.log

    def now(self) -> dt.datetime:
        """Sandbox time as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self._core.now(), dt.timezone.utc)

    # --- ground truth -------------------------------------------------------------------

    def voice_cdrs(self, day: dt.date) -> Iterator[dict[str, Any]]:
        """The wire rows of a GMT day that exist now, newest first (generated lazily)."""
        cdrs = self._core.cdrs
        yield from cdrs.iter_wire(cdrs.segments(day, 0, 1 << 40, self._core.now()))

    def sms_cdrs(self, day: dt.date) -> list[dict[str, Any]]:
        """The SMS wire rows of a GMT day that exist now, newest first."""
        rows = self._core.cdrs.sms_rows(day, self._core.now())
        return [self._core.cdrs.wire(row) for row in rows]

    # --- in-process use -----------------------------------------------------------------

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport into the app, for your own `httpx.AsyncClient`."""
        return InProcessTransport(self._app)

    def client(self, *, virtual_time: bool | None = None, **kwargs: Any) -> SimwoodClient:
        """A `SimwoodClient` wired to the sandbox in-process, with its credentials.

        On a `ManualClock` the client waits in the sandbox's `virtual_time`: report polling
        and retry backoff pass sandbox time, at once, so `await client.reports...` completes
        without anyone advancing the clock. A `reports=` or `retry=` you pass keeps any clock
        or sleep you injected; only the default (real) ones are replaced.

        Args:
            virtual_time: None (default): on for a `ManualClock`, off otherwise. False: the
                client waits in real time while sandbox time moves only when told to.
            **kwargs: Any other `SimwoodClient` argument (they override the defaults).

        Returns:
            A client to use as `async with sandbox.client() as client:`.

        Raises:
            TypeError: `virtual_time=True` on a real or scaled clock.
        """
        options: dict[str, Any] = {
            "account": self.account,
            "username": self.username,
            "password": self.password,
            "base_url": IN_PROCESS_BASE_URL,
            "allow_insecure_http": True,
            "env": {},
        }
        options.update(kwargs)
        if virtual_time is None:
            virtual_time = isinstance(self._core.clock, ManualClock)
        vt = self.virtual_time if virtual_time else None
        if "http_client" not in options and "transport" not in options:
            options["transport"] = vt.transport(self.transport()) if vt else self.transport()
        if vt is not None:
            wire_client_options(vt, options, seed=self.seed)
        reports = options.get("reports") or ReportOptions()
        if reports.today is gmt_today:  # "today" is the sandbox's day, not the machine's
            options["reports"] = attrs.evolve(reports, today=self._core.today)
        return SimwoodClient(**options)

    @property
    def virtual_time(self) -> VirtualTime:
        """This sandbox's `VirtualTime` (made on first use, shared by all its clients).

        Raises:
            TypeError: The sandbox's clock is not a `ManualClock`.

        .. versionadded:: 0.1.0
        """
        if self._virtual_time is None:
            self._virtual_time = VirtualTime(self)
        return self._virtual_time

    # --- time and callbacks -------------------------------------------------------------

    async def advance(self, seconds: float) -> None:
        """Move a `ManualClock` forward and deliver every callback that fell due.

        Raises:
            TypeError: The sandbox's clock is not a `ManualClock`.
        """
        clock = self._core.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs a ManualClock; real and scaled time move alone")
        clock.advance(seconds)
        await self.deliver_callbacks()

    def next_event_at(self) -> float | None:
        """When sandbox state next changes by itself, in the units of `clock.now()`.

        The earliest of: a report becoming ready or expiring (after now), a queued callback
        falling due (possibly already due, until `deliver_callbacks()` sends it). None when
        nothing is pending. Live calls (`live_calls_per_minute`) are not events.

        .. versionadded:: 0.1.0
        """
        store = self._core.store
        now = self._core.now()
        times = [t for r in store.pending() for t in (r.ready_at, r.expires_at) if t > now]
        callback_at = store.next_callback_at()
        if callback_at is not None:
            times.append(callback_at)
        return min(times, default=None)

    async def deliver_callbacks(self) -> int:
        """Send every report callback that is due now (awaited); returns how many."""
        due = self._core.store.take_due_callbacks()
        if not due:
            return 0
        # trust_env off: callbacks go to local receivers, never through a configured proxy.
        async with httpx.AsyncClient(
            transport=self._callback_transport, timeout=_CALLBACK_TIMEOUT, trust_env=False
        ) as http:
            for hash_, url in due:
                await self._send_callback(http, hash_, url)
        return len(due)

    async def _send_callback(self, http: httpx.AsyncClient, hash_: str, url: str) -> None:
        payload = callback_payload(hash_)
        status: int | None = None
        try:
            response = await http.post(url, data={"payload": payload})
            status = response.status_code
            outcome = "delivered" if response.is_success else "failed"
        except httpx.HTTPError:
            outcome = "failed"
        record = CallbackRecord(hash_, url, self._core.now(), outcome, status, payload)
        self._core.store.record_callback(record)

    async def __aenter__(self) -> Self:
        if self._group is not None:
            raise RuntimeError("this sandbox is already running")
        group = anyio.create_task_group()
        await group.__aenter__()
        group.start_soon(self._deliver_forever)
        self._group = group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        group, self._group = self._group, None
        assert group is not None  # noqa: S101 - entered above
        group.cancel_scope.cancel()
        return await group.__aexit__(exc_type, exc, tb)

    async def _deliver_forever(self) -> None:
        # Polls: reports may be requested from the loopback server's thread, where an anyio
        # event of this loop cannot be set.
        while True:
            await self.deliver_callbacks()
            await anyio.sleep(_POLL_SECONDS)

    # --- loopback -----------------------------------------------------------------------

    @asynccontextmanager
    async def serve(self, *, port: int = 0) -> AsyncIterator[str]:
        """Serve the sandbox over HTTP on 127.0.0.1 (any free port by default).

        The server runs in its own thread, so this works under asyncio and trio alike.

        Yields:
            The base URL, e.g. `http://127.0.0.1:54321/v3/`.
        """
        from simwood_async.sandbox._server import serve_in_thread  # noqa: PLC0415

        async with serve_in_thread(self._app, port=port) as root:
            yield root + "/v3/"
