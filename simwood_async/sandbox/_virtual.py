"""`VirtualTime`: the SDK's waits pass in sandbox time, and at once ("autojump").

A sandbox on a `ManualClock` stands still, while the report engine waits between polls. With
`VirtualTime` the engine (and the retry policy) sleep on the sandbox's clock instead: when
every task is waiting, time jumps to the earliest wake-up, either a sleeper's or the sandbox's
next event (a report becoming ready or expiring, a callback falling due). Due callbacks are
delivered and the sleepers due are woken. A report that takes 30 s of sandbox time arrives
after 30 s of sandbox time, in a few milliseconds of real time.

There is no driver task. One sleeper drives (the first to find nobody driving): it waits
until nothing else happens, moves the clock and wakes whoever is due, and hands the role on
to the earliest remaining sleeper when it wakes or is cancelled itself.

"Nothing else happens" (quiescence) is detected the same way on asyncio and trio, with no
private event-loop internals. Activity is counted: sleepers arriving and leaving, reads of
`now()` (the engine reads its clock whenever it acts), and requests through `transport()`,
which also counts the requests in flight. The driver yields `idle_passes` times in a row
(each yield lets every runnable task run one step). It moves time only when no activity was
counted in that run and no request is in flight. A request in flight is waited for, in real
time if it takes real time (a latency fault, a thread): requests take no sandbox time.
Tasks that wait for real time (a real `anyio.sleep`, a thread of your own) look blocked, so
time may move meanwhile.

Runs repeat exactly on asyncio. trio deliberately runs tasks that became runnable together in
a random order, and the engine's plan depends on the order in which concurrent reports
answered, so concurrent scenarios on trio may differ slightly from run to run (one report at
a time repeats exactly on both).
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import math
import random
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.lowlevel
import attrs
import httpx

from simwood_async._retry import RetryPolicy
from simwood_async.reports import ReportOptions
from simwood_async.sandbox._clock import ManualClock

if TYPE_CHECKING:
    from simwood_async.sandbox._sandbox import Sandbox

__all__ = ["DEFAULT_IDLE_PASSES", "VirtualTime", "wire_client_options"]

#: Yields in a row with no activity before time moves. Over this project's test suite,
#: activity never resumed after more than 2 quiet yields; the wide margin (for your own
#: tasks' chains of task switches) costs about a millisecond of real time per jump.
DEFAULT_IDLE_PASSES: Final = 64


#: The virtual time whose transport is answering the current task's request, if any.
_ANSWERING: contextvars.ContextVar[VirtualTime | None] = contextvars.ContextVar(
    "simwood_virtual_time_answering", default=None
)


class _Sleeper:
    """One pending `sleep()`: its wake-up time and the event that wakes it."""

    __slots__ = ("at", "due", "event", "gone", "seq")

    def __init__(self, at: float, seq: int) -> None:
        self.at = at
        self.seq = seq
        self.event = anyio.Event()
        self.due = False
        self.gone = False

    def __lt__(self, other: _Sleeper) -> bool:
        return (self.at, self.seq) < (other.at, other.seq)


class _CountedTransport(httpx.AsyncBaseTransport):
    """Counts requests in flight, so time never moves while one is being answered."""

    def __init__(self, inner: httpx.AsyncBaseTransport, vt: VirtualTime) -> None:
        self._inner = inner
        self._vt = vt

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer through the wrapped transport, counted as in flight meanwhile."""
        self._vt._begin()  # noqa: SLF001 - the transport is the clock's own instrument
        token = _ANSWERING.set(self._vt)
        try:
            return await self._inner.handle_async_request(request)
        finally:
            _ANSWERING.reset(token)
            self._vt._end()  # noqa: SLF001 - as above

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


class VirtualTime:
    """Sandbox time for the SDK's waits, moving by itself when every task waits.

    Get a sandbox's with `sandbox.virtual_time` (one per sandbox: every client of the sandbox
    shares it). `sandbox.client()` on a `ManualClock` uses it by default, so in tests
    `await client.reports.voice_cdr_day(date=...)` just completes, in sandbox time. Use it
    directly to let sandbox time pass while the SDK works:

    ```python
    vt = sandbox.virtual_time
    async with sandbox.client() as client:
        ticket = await client.reports.submit(ReportRequest.voice_cdr_day(date=day))
        await vt.sleep(400)  # 400 s of sandbox time, at once: the report expires
    ```

    Without a sandbox it runs a `ManualClock` of its own: use it with a `SimwoodClient` on a
    mock transport through `report_options()` and `retry_policy()`.

    Args:
        sandbox: The sandbox whose `ManualClock` this drives, and whose callbacks it delivers.
        clock: The clock to drive without a sandbox (default `ManualClock()`).
        idle_passes: Yields in a row with no activity before time moves (see the module).

    Raises:
        TypeError: The sandbox's clock is not a `ManualClock`.
        ValueError: Both a sandbox and a clock, or `idle_passes` below 1.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        sandbox: Sandbox | None = None,
        *,
        clock: ManualClock | None = None,
        idle_passes: int = DEFAULT_IDLE_PASSES,
    ) -> None:
        if sandbox is not None and clock is not None:
            raise ValueError("pass a sandbox or a clock, not both")
        if idle_passes < 1:
            raise ValueError(f"idle_passes must be >= 1, got {idle_passes!r}")
        target = sandbox.clock if sandbox is not None else (clock or ManualClock())
        if not isinstance(target, ManualClock):
            raise TypeError("virtual time needs a ManualClock; real and scaled time move alone")
        self._clock = target
        self._sandbox = sandbox
        self._idle_passes = idle_passes
        self._heap: list[_Sleeper] = []
        self._seq = itertools.count()
        self._driver: _Sleeper | None = None
        self._activity = 0
        self._in_flight = 0
        self._quiet: anyio.Event | None = None  # set when the last request in flight ends
        self._changed: anyio.Event | None = None  # set on any activity
        self._jumps = 0

    def __repr__(self) -> str:
        sleeping = sum(1 for s in self._heap if not (s.gone or s.due))
        return f"<VirtualTime now={self._clock.now()!r} sleeping={sleeping} jumps={self._jumps}>"

    @property
    def clock(self) -> ManualClock:
        """The manual clock it drives."""
        return self._clock

    @property
    def jumps(self) -> int:
        """How many times time moved by itself (a bound on how often the SDK woke up)."""
        return self._jumps

    def now(self) -> float:
        """The current time, in seconds (the sandbox's Unix seconds): a `clock` to inject."""
        self._activity += 1
        return self._clock.now()

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of virtual time: a `sleep` to inject.

        Returns as soon as the time has come, which is at once in real time when every other
        task is waiting too. Cancellation works as for `anyio.sleep`.
        """
        if not seconds > 0:  # zero, negative or NaN: just a checkpoint
            await anyio.lowlevel.checkpoint()
            return
        me = _Sleeper(self._clock.now() + seconds, next(self._seq))
        heapq.heappush(self._heap, me)
        # A sandbox answering in-process may sleep here (a latency fault on virtual time):
        # its request is not in flight meanwhile, or time could never reach its end.
        answering = _ANSWERING.get() is self
        if answering:
            self._end()
        self._stir()
        try:
            while not me.due:
                if self._driver is None:
                    self._driver = me
                    try:
                        await self._drive(me)
                    finally:
                        self._driver = None
                else:
                    await me.event.wait()  # due, or asked to take over driving
                    me.event = anyio.Event()
        finally:
            me.gone = True
            if answering:
                self._begin()
            self._stir()
            if self._driver is None:
                self._hand_over()

    def transport(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        """Wrap a transport so that time stands still while its requests are answered."""
        return _CountedTransport(inner, self)

    def report_options(self, **kwargs: Any) -> ReportOptions:
        """`ReportOptions(**kwargs)` with the engine's clock and sleep on this time."""
        kwargs.setdefault("clock", self.now)
        kwargs.setdefault("sleep", self.sleep)
        return ReportOptions(**kwargs)

    def retry_policy(self, **kwargs: Any) -> RetryPolicy:
        """`RetryPolicy(**kwargs)` whose backoff waits and deadlines are on this time."""
        kwargs.setdefault("clock", self.now)
        kwargs.setdefault("sleep", self.sleep)
        return RetryPolicy(**kwargs)

    # -- driving -----------------------------------------------------------------------------

    async def _drive(self, me: _Sleeper) -> None:
        """Until `me` is due: wait for quiescence, jump to the next wake-up, wake the due."""
        while not me.due:
            await self._settle()
            at = self._next_at()
            if math.isinf(at):  # only endless sleeps: wait for something to happen
                self._changed = anyio.Event()
                await self._changed.wait()
                continue
            now = self._clock.now()
            if at > now:
                self._clock.advance(at - now)
                self._jumps += 1
            if self._sandbox is not None:
                # Shielded: a callback may cancel this very task (the engine's scheduler
                # sleeping here), and callbacks taken from the queue must all be sent.
                with anyio.CancelScope(shield=True):
                    await self._sandbox.deliver_callbacks()
            self._release_due()

    async def _settle(self) -> None:
        """Return once `idle_passes` yields in a row saw no activity and nothing in flight."""
        idle = 0
        while idle < self._idle_passes:
            if self._in_flight:
                self._quiet = anyio.Event()
                await self._quiet.wait()
                idle = 0
                continue
            mark = self._activity
            await anyio.lowlevel.checkpoint()
            idle = idle + 1 if self._activity == mark else 0

    def _next_at(self) -> float:
        """The earliest wake-up: a pending sleeper's or the sandbox's next event."""
        while self._heap and self._heap[0].gone:
            heapq.heappop(self._heap)
        at = self._heap[0].at if self._heap else math.inf
        if self._sandbox is not None:
            event_at = self._sandbox.next_event_at()
            if event_at is not None:
                at = min(at, event_at)
        return at

    def _release_due(self) -> None:
        """Wake every sleeper whose time has come (and drop the cancelled ones)."""
        now = self._clock.now()
        while self._heap and (self._heap[0].gone or self._heap[0].at <= now):
            sleeper = heapq.heappop(self._heap)
            if not sleeper.gone:
                sleeper.due = True
                sleeper.event.set()

    def _hand_over(self) -> None:
        """The driver left: wake the earliest sleeper still waiting, to drive next."""
        while self._heap and self._heap[0].gone:
            heapq.heappop(self._heap)
        if self._heap:
            self._heap[0].event.set()

    def _stir(self) -> None:
        """Note activity, and wake a driver waiting for anything to happen."""
        self._activity += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _begin(self) -> None:
        """A request went out."""
        self._in_flight += 1
        self._stir()

    def _end(self) -> None:
        """A request was answered (or failed)."""
        self._in_flight -= 1
        self._stir()
        if not self._in_flight and self._quiet is not None:
            self._quiet.set()
            self._quiet = None


def wire_client_options(vt: VirtualTime, options: dict[str, Any], *, seed: int) -> None:
    """Put a sandbox client's waits on `vt`, keeping every clock or sleep the user chose.

    The report engine and the retry policy get `vt`'s clock and sleep when they have the
    default (real) ones; their jitter, when default, is drawn from `seed`, so runs repeat.
    """
    reports = options.get("reports") or ReportOptions()
    if reports.clock is anyio.current_time and reports.sleep is anyio.sleep:
        changes: dict[str, Any] = {"clock": vt.now, "sleep": vt.sleep}
        if reports.random is random.random:
            changes["random"] = random.Random(f"{seed}:report-jitter").random  # noqa: S311
        options["reports"] = attrs.evolve(reports, **changes)
    retry = options.get("retry") or RetryPolicy()
    if retry.clock is anyio.current_time and retry.sleep is anyio.sleep:
        changes = {"clock": vt.now, "sleep": vt.sleep}
        if retry.jitter is random.random:
            changes["jitter"] = random.Random(f"{seed}:retry-jitter").random  # noqa: S311
        options["retry"] = attrs.evolve(retry, **changes)
