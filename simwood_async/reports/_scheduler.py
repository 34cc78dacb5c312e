"""The poller's scheduler: when to check which report hash, and how (probe or listing).

`HashFlight` is one generation of one report hash; `Scheduler` is the half of the `Poller`
(`_poller.py`) that plans rounds with the learned model, probes hashes directly or lists the
account's files, and applies hints, deadlines and the server's `Retry-After`. The scheduler
never waits for the network itself: a listing runs in its own task, once.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict, defaultdict
from typing import TYPE_CHECKING, Final

import anyio

from simwood_async._transport import path
from simwood_async.exceptions import SimwoodError
from simwood_async.reports._body import listed_files
from simwood_async.reports._policy import GenerationModel, latest_check, next_round
from simwood_async.reports._stats import ReportStats, ReportTiming

if TYPE_CHECKING:
    from collections.abc import Callable

    from anyio.abc import TaskGroup

    from simwood_async._transport import Transport
    from simwood_async.reports._options import ReportOptions
    from simwood_async.reports._store import Claim, StoredOutcome

__all__ = ["HINT_GAP", "MAX_QUIET", "HashFlight", "Scheduler"]

logger = logging.getLogger("simwood_async")

#: The shortest time between two checks of one hash prompted by hints (callbacks).
HINT_GAP: Final = 1.0
#: The longest a `Retry-After` quiets the checks (the file expires five minutes after ready).
MAX_QUIET: Final = 120.0
#: The longest wait before a failing listing is tried again.
MAX_LISTING_BACKOFF: Final = 60.0


class HashFlight:
    """One generation of one report hash, shared by every flight that awaits it."""

    __slots__ = (
        "accounted",
        "action",
        "busy",
        "checked_at",
        "claim",
        "deadline_at",
        "done",
        "fetching",
        "hint_at",
        "hint_due",
        "hinted",
        "joiners",
        "key",
        "kind",
        "listing",
        "model",
        "orphaned",
        "outcome",
        "probe_first",
        "report_hash",
        "requested_at",
        "scope",
        "seen_ready",
        "timing",
        "transport",
        "verified_at",
        "wake",
    )

    def __init__(
        self, transport: Transport, report_hash: str, kind: str, model: GenerationModel, now: float
    ) -> None:
        self.key = (transport.account, report_hash)
        self.transport = transport
        self.report_hash = report_hash
        self.kind = kind
        self.model = model
        self.requested_at = self.checked_at = self.accounted = self.verified_at = now
        self.deadline_at = now
        self.hint_at: float | None = None
        self.hint_due = now
        self.hinted = False
        #: A GET of the file is under way (it may be the one download).
        self.fetching = False
        #: Covered by a listing under way.
        self.listing = False
        #: Nobody waits any more; the fetch under way is finished, then the flight ends.
        self.orphaned = False
        self.probe_first = False
        self.seen_ready = False
        self.busy = False
        self.joiners = 0
        self.action = ""
        self.wake = anyio.Event()
        self.done = anyio.Event()
        self.scope = anyio.CancelScope()
        self.outcome: StoredOutcome | None = None
        self.claim: Claim | None = None  # owned: confirmed before each request (`_fetch`)
        self.timing = ReportTiming(kind=kind, report_hash=report_hash, requested_at=now)


class Scheduler:
    """Plans and runs the poll rounds (the `Poller` inherits it; see the module docstring)."""

    _o: ReportOptions
    _stats: ReportStats
    _clock: Callable[[], float]
    _pending: dict[tuple[str, str], HashFlight]
    _hints: OrderedDict[str, float]
    _tg: TaskGroup | None
    _running: bool
    _dirty: bool
    _sleep_scope: anyio.CancelScope | None
    _last_round: float
    _next_at: float
    _spread: float
    _callbacks: bool
    _trust_callbacks: bool
    _listing: set[str]
    _list_failures: int
    _list_after: float
    _quiet_until: float

    def _negative(self, hf: HashFlight, at: float) -> None:
        """`hf` was still pending at `at`: teach the model, remember the check."""
        hf.model.record_pending(hf.accounted - hf.requested_at, at - hf.requested_at)
        hf.accounted = hf.checked_at = max(hf.checked_at, at)

    def _ready(self, hf: HashFlight, seen: float, by: str) -> None:
        """`hf` was seen ready at `seen`: it became ready between the last check and then."""
        hf.seen_ready = True
        exact = by == "callback"
        at = seen if exact else (hf.checked_at + seen) / 2
        hf.model.record_pending(hf.accounted - hf.requested_at, at - hf.requested_at)
        hf.model.record_ready(at - hf.requested_at)
        hf.timing.ready_at = seen
        hf.timing.detected_by = by
        if self._callbacks and not exact:
            self._trust_callbacks = False  # found by polling: a callback was lost or is late
        logger.info("report %s ready after %.1f s (%s)", hf.report_hash, seen - hf.requested_at, by)

    # -- the scheduler -----------------------------------------------------------------------

    def _wake(self) -> None:
        self._dirty = True
        if self._sleep_scope is not None:
            self._sleep_scope.cancel()
        if not self._running and self._pending and self._tg is not None:
            self._running = True
            self._last_round = self._clock()
            self._next_at = math.inf  # planned before the first round
            self._tg.start_soon(self._schedule, name="simwood report scheduler")

    def _dispatch(self, hf: HashFlight, action: str) -> None:
        hf.busy = True
        hf.action = action
        hf.wake.set()

    def _back_off(self, retry_after: float | None) -> None:
        """The server asked us to wait (`Retry-After`): no check before then."""
        if retry_after is not None and retry_after > 0:
            until = self._clock() + min(retry_after, MAX_QUIET)
            if until > self._quiet_until:
                self._quiet_until = until
                logger.info("report checks paused for %.1f s (Retry-After)", retry_after)

    async def _schedule(self) -> None:
        try:
            while self._pending:
                try:
                    wake_at = self._step()
                except Exception as err:  # a bug here must not end the client's task group
                    logger.exception("report scheduler: unexpected error")
                    self._fail_idle(err)
                    wake_at = self._clock() + self._o.min_interval
                await self._sleep_until(wake_at)
        finally:
            self._running = False

    def _step(self) -> float:
        """One pass of the scheduler; when to look again."""
        self._dirty = False
        now = self._clock()
        quiet_until = self._quiet_until
        quiet = now < quiet_until
        waiting = [h for h in self._pending.values() if not h.busy]
        for hf in waiting:
            if now >= hf.deadline_at:
                self._dispatch(hf, "timeout")
            elif not quiet and (hf.probe_first or (hf.hinted and now >= hf.hint_due)):
                hf.hinted = hf.probe_first = False
                self._dispatch(hf, "probe")
        idle = [h for h in self._pending.values() if not h.busy and not h.listing]
        if idle and not quiet and now >= self._next_at:
            self._round(idle, now)
            idle = [h for h in idle if not h.busy and not h.listing]
        wake_at = math.inf
        if idle:
            self._next_at = self._plan(idle)
            wake_at = max(self._next_at, quiet_until)
        for hf in self._pending.values():
            if not hf.busy:
                wake_at = min(wake_at, hf.deadline_at)
                if hf.hinted or hf.probe_first:
                    wake_at = min(wake_at, max(hf.hint_due, quiet_until))
        return wake_at

    def _fail_idle(self, err: Exception) -> None:
        """The scheduler failed: end the idle hashes with that error (their flights decide)."""
        for hf in [h for h in self._pending.values() if not h.busy]:
            hf.busy = True
            hf.action = f"fail:{err!r}"
            hf.wake.set()

    def _plan(self, idle: list[HashFlight]) -> float:
        o = self._o
        lone = len(idle) == 1  # no listing to share: each look is a request of its own
        at = next_round(
            ((h.model, h.requested_at, h.checked_at) for h in idle),
            last_round=self._last_round,
            delay_cost=o.lone_delay_cost if lone else o.delay_cost,
            min_interval=o.min_interval,
            max_interval=o.max_interval,
            tail_delay=o.tail_delay,
        )
        interval = (at - self._last_round) * self._spread
        if lone:  # the bound holds after the jitter: it never lengthens a gap past it
            hf = idle[0]
            limit = self._last_round + o.max_interval
            bound = latest_check(
                hf.model, hf.requested_at, hf.checked_at, worst_delay=o.worst_delay, limit=limit
            )
            interval = min(interval, max(bound - self._last_round, o.min_interval))
        if self._callbacks and self._trust_callbacks:
            interval = max(interval, o.safety_interval)  # callbacks do the work; poll slowly
        return max(self._clock(), self._last_round + interval)

    async def _sleep_until(self, wake_at: float) -> None:
        if self._dirty:
            return
        with anyio.CancelScope() as scope:
            self._sleep_scope = scope
            try:
                if math.isinf(wake_at):
                    await anyio.sleep_forever()
                else:
                    await self._o.sleep(max(wake_at - self._clock(), 0.0))
            finally:
                self._sleep_scope = None

    def _overdue(self, hf: HashFlight, now: float) -> bool:
        """A listing cannot tell "pending" from "gone": check long-overdue hashes directly."""
        age = now - hf.requested_at
        if hf.model.survival(age) >= self._o.verify_survival:
            return False
        spacing = max(self._o.min_interval, age / 2)
        if self._callbacks and self._trust_callbacks:
            spacing = max(spacing, self._o.safety_interval)
        return now - hf.verified_at >= spacing

    def _round(self, idle: list[HashFlight], now: float) -> None:
        self._last_round = now
        self._next_at = math.inf  # planned again once some hash is idle
        o = self._o
        self._spread = 1 - o.jitter / 2 + o.jitter * o.random()  # one draw per round
        accounts: defaultdict[str, list[HashFlight]] = defaultdict(list)
        for hf in idle:
            accounts[hf.key[0]].append(hf)
        for account, group in accounts.items():
            direct = [h for h in group if self._overdue(h, now)]
            rest = [h for h in group if h not in direct]
            likely = sum(
                h.model.ready_by(h.checked_at - h.requested_at, now - h.requested_at) for h in rest
            )
            if len(rest) >= 2 and 1 + likely < len(rest):  # noqa: PLR2004
                if account in self._listing:
                    rest = []  # a listing is under way: its answer covers them
                elif now >= self._list_after and self._tg is not None:
                    logger.debug(
                        "listing round: %d pending, %.2f expected ready", len(rest), likely
                    )
                    self._listing.add(account)
                    for hf in rest:
                        hf.listing = True
                    self._tg.start_soon(self._list_round, account, rest, now, name="simwood list")
                    rest = []
                else:
                    # The listing is failing: probe the due hashes directly instead.
                    rest = [h for h in rest if self._due(h, now)]
            direct += rest
            for hf in direct:
                if not hf.busy:
                    self._dispatch(hf, "probe")

    def _due(self, hf: HashFlight, now: float) -> bool:
        """Worth a direct probe while the listing fails (spaced out as the report ages)."""
        o = self._o
        spacing = min(o.max_interval, max(o.min_interval, (now - hf.requested_at) / 4))
        return now - hf.verified_at >= spacing

    async def _list_round(self, account: str, group: list[HashFlight], at: float) -> None:
        """One listing for `group`, in its own task: the scheduler goes on meanwhile."""
        try:
            listed = await self._list(group[0].transport)
        except Exception:  # a bug here must not end the engine's task group
            logger.exception("report listing: unexpected error")
            listed = None
        finally:
            self._listing.discard(account)
            for hf in group:
                hf.listing = False
        for hf in group:
            if hf.busy or self._pending.get(hf.key) is not hf:
                continue
            if listed is None:
                self._dispatch(hf, "probe")  # the listing failed: look at each directly
            elif hf.report_hash in listed:
                self._ready(hf, at, "listing")
                self._dispatch(hf, "download")
            else:
                self._negative(hf, at)
        self._wake()

    async def _list(self, transport: Transport) -> set[str] | None:
        """One listing attempt (never retried here); None if it failed (then backed off)."""
        try:
            self._stats.listings += 1
            response = await transport.request("GET", path("files", transport.account), retry=False)
            files = listed_files(response)
        except SimwoodError as err:
            self._list_failures += 1
            wait = min(MAX_LISTING_BACKOFF, self._o.min_interval * 2**self._list_failures)
            retry_after = getattr(err, "retry_after", None)
            if isinstance(retry_after, (int, float)):
                wait = max(wait, min(float(retry_after), MAX_QUIET))
            self._list_after = self._clock() + wait
            logger.warning(
                "listing report files failed (%d in a row), probing directly for %.1f s: %s",
                self._list_failures,
                wait,
                err,
            )
            return None
        self._list_failures = 0
        return set(files)
