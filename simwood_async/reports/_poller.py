"""The second level of single flight: one poll loop and one download per report hash.

Every hash the engine waits for is a `HashFlight`. Its own task claims the hash in the store
(or follows the client that owns it), then sleeps until the scheduler tells it to act:
`probe` (`GET /v3/files/{ACCOUNT}/{HASH}`: 204 pending, 200 the body, 404 gone), `download`
(a listing showed it ready) or `timeout`. One scheduler task serves every pending hash: it
plans the next round with the learned model (`_policy.py`), and in a round it either probes
the few hashes directly or sends ONE `GET /v3/files/{ACCOUNT}` listing for all of them, so a
round costs O(1) requests however many reports are pending. Callbacks and `recover()` wake it
at once to probe the hinted hash.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict, defaultdict
from typing import TYPE_CHECKING, Any

import anyio

from simwood_async._transport import path
from simwood_async.exceptions import (
    ConnectError,
    IncompleteBodyError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    SimwoodError,
)
from simwood_async.reports._body import listed_files
from simwood_async.reports._policy import GenerationModel, next_round
from simwood_async.reports._stats import ReportStats, ReportTiming
from simwood_async.reports._store import Claim, GuardedStore, StoredOutcome

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from simwood_async._transport import Transport
    from simwood_async.reports._options import ReportOptions
    from simwood_async.reports._store import ReportStore

__all__ = ["HashFlight", "Poller"]

logger = logging.getLogger("simwood_async")


class _LeaseLost(Exception):  # noqa: N818 - a signal, not an error
    """The owner's claim lapsed and another client took the hash over."""


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
        "hint_at",
        "hinted",
        "joiners",
        "key",
        "kind",
        "model",
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
        self.hinted = False
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


class Poller:
    """Hash flights, the scheduler and the requests they send (owned by the engine)."""

    def __init__(
        self, options: ReportOptions, stats: ReportStats, store: ReportStore, owner: str
    ) -> None:
        self._o = options
        self._stats = stats
        self._store = GuardedStore(store)  # a failing store degrades, never ends the client
        self._owner = owner
        self._clock = options.clock
        self._hashes: dict[tuple[str, str], HashFlight] = {}
        self._pending: dict[tuple[str, str], HashFlight] = {}
        self._models: dict[str, GenerationModel] = {}
        self._hints: OrderedDict[str, float] = OrderedDict()
        self._tg: TaskGroup | None = None
        self._running = False
        self._dirty = False
        self._sleep_scope: anyio.CancelScope | None = None
        self._last_round = 0.0
        self._next_at = 0.0
        self._spread = 1.0
        self._callbacks = options.callback_url is not None
        self._trust_callbacks = True

    def bind(self, tg: TaskGroup | None) -> None:
        """Use this task group for hash tasks and the scheduler (None when closed)."""
        self._tg = tg

    def model(self, kind: str) -> GenerationModel:
        """The learned generation-time model of a report kind."""
        model = self._models.get(kind)
        if model is None:
            profile = self._o.profile  # learned by earlier clients, if configured
            model = (
                profile.model(kind)
                if profile is not None
                else GenerationModel(prior_strength=self._o.prior_strength, memory=self._o.memory)
            )
            self._models[kind] = model
        return model

    # -- joining -----------------------------------------------------------------------------

    async def await_hash(
        self,
        transport: Transport,
        report_hash: str,
        *,
        kind: str,
        deadline_at: float,
        probe_first: bool,
    ) -> StoredOutcome | None:
        """Join (or start) the flight of a hash; its outcome, or None at the deadline."""
        assert self._tg is not None  # noqa: S101 - the engine checks before calling
        key = (transport.account, report_hash)
        hf = self._hashes.get(key)
        if hf is None:
            hf = HashFlight(transport, report_hash, kind, self.model(kind), self._clock())
            hf.deadline_at = deadline_at
            hf.probe_first = probe_first
            hint_at = self._hints.pop(report_hash, None)
            if hint_at is not None:  # its callback came before its POST's answer
                hf.hint_at = hint_at
                hf.hinted = True
            self._hashes[key] = hf
            self._stats.timings.append(hf.timing)
            self._tg.start_soon(self._drive, hf, name=f"simwood report {report_hash}")
        else:
            hf.deadline_at = max(hf.deadline_at, deadline_at)
        hf.joiners += 1
        try:
            await hf.done.wait()
        finally:
            hf.joiners -= 1
            if hf.joiners == 0 and not hf.done.is_set():
                hf.timing.outcome = "abandoned"
                hf.scope.cancel()  # nobody waits: stop polling this hash
                # Forget it now, so that a new waiter starts afresh instead of joining it.
                if self._pending.get(key) is hf:
                    del self._pending[key]
                if self._hashes.get(key) is hf:
                    del self._hashes[key]
        return hf.outcome

    def extend(self, transport: Transport, report_hash: str, deadline_at: float) -> None:
        """Push a hash flight's deadline out (a later caller joined with a longer one)."""
        hf = self._hashes.get((transport.account, report_hash))
        if hf is not None:
            hf.deadline_at = max(hf.deadline_at, deadline_at)

    def hint(self, report_hash: str, *, callback: bool) -> bool:
        """`report_hash` is said to be ready (a callback, or a listing): probe it now.

        Returns:
            Whether it is pending here.
        """
        if callback:
            self._trust_callbacks = True
        now = self._clock()
        matched = False
        for hf in self._pending.values():
            if hf.report_hash == report_hash:
                hf.hint_at = now
                hf.hinted = matched = True
        if matched:
            self._wake()
        else:
            # Unknown here, perhaps only so far: a hash flight created soon probes at once.
            self._hints[report_hash] = now
            while len(self._hints) > 256:  # noqa: PLR2004 - a few minutes of callbacks
                self._hints.popitem(last=False)
        return matched

    # -- one hash ----------------------------------------------------------------------------

    async def _drive(self, hf: HashFlight) -> None:
        claim: Claim | None = None
        try:
            with hf.scope:
                while True:
                    claim = await self._drive_claimed(hf)
                    if claim is None:
                        return
                    hf.claim = claim
                    self._pending[hf.key] = hf
                    self._wake()
                    try:
                        hf.outcome = await self._act(hf)
                    except _LeaseLost:  # another client owns it now: follow that generation
                        del self._pending[hf.key]
                        hf.busy, claim = False, None
                        continue
                    except Exception as err:  # a bug here must not end the client
                        logger.exception("report %s: unexpected error", hf.report_hash)
                        hf.outcome = StoredOutcome(
                            status="broken", detail=f"unexpected error: {err!r}"
                        )
                    if hf.outcome is not None:
                        await self._store.publish(hf.report_hash, claim, hf.outcome)
                        claim = None
                    return
        finally:
            if self._pending.get(hf.key) is hf:
                del self._pending[hf.key]
            self._wake()  # the scheduler may have nothing left to do
            if self._hashes.get(hf.key) is hf:
                del self._hashes[hf.key]
            if claim is not None and claim.owned:
                with anyio.CancelScope(shield=True):
                    await self._store.release(hf.report_hash, claim)
            if hf.timing.outcome is None:
                hf.timing.outcome = hf.outcome.status if hf.outcome else "timeout"
            hf.done.set()

    async def _drive_claimed(self, hf: HashFlight) -> Claim | None:
        """Own the hash, or follow its owners until one publishes (None: done or timed out)."""
        while True:
            claim = await self._store.claim(
                hf.report_hash, self._owner, ttl=max(hf.deadline_at - self._clock(), 1.0)
            )
            if claim.owned:
                return claim
            # Another client owns this generation: take what it publishes.
            self._stats.followed += 1
            with anyio.move_on_after(max(hf.deadline_at - self._clock(), 0.0)):
                hf.outcome = await self._store.wait(hf.report_hash, claim.generation)
            if hf.outcome is not None or self._clock() >= hf.deadline_at:
                return None

    async def _act(self, hf: HashFlight) -> StoredOutcome | None:
        while True:
            await hf.wake.wait()
            hf.wake = anyio.Event()
            if hf.action == "timeout":
                return None
            outcome = await self._fetch(hf)
            if outcome is not None:
                return outcome
            hf.busy = False
            self._wake()

    async def _fetch(self, hf: HashFlight) -> StoredOutcome | None:
        if hf.claim is not None and not await self._store.confirm(hf.report_hash, hf.claim):
            raise _LeaseLost  # never two owners downloading: this one stops here
        sent = self._clock()
        t = hf.transport
        hf.verified_at = sent
        try:
            # Never retried by the transport: after a 200 began, the file is deleted.
            response = await t.request("GET", path("files", t.account, hf.report_hash), retry=False)
        except NotFoundError:
            return StoredOutcome(
                status="gone",
                detail="the file was gone (404: it expired or was collected elsewhere)",
            )
        except (IncompleteBodyError, RequestTimeoutError) as err:
            return StoredOutcome(
                status="broken", detail=f"the download was cut short ({err.message})"
            )
        except (ConnectError, ServerError, RateLimitedError) as err:
            logger.debug("report %s: check failed, will look again: %s", hf.report_hash, err)
            return None
        except SimwoodError as err:
            return StoredOutcome(status="broken", detail=f"the download failed: {err}")
        if response.status_code != 200:  # noqa: PLR2004 - 204: not ready yet
            self._stats.polls += 1
            self._negative(hf, sent)
            return None
        self._stats.downloads += 1
        now = self._clock()
        if not hf.seen_ready:
            by = "callback" if hf.hint_at is not None else "poll"
            self._ready(hf, sent if hf.hint_at is None else min(hf.hint_at, sent), by)
        hf.timing.downloaded_at = now
        logger.info("report %s downloaded (%d bytes)", hf.report_hash, len(response.content))
        return StoredOutcome(status="ready", body=response.content)

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

    async def _schedule(self) -> None:
        try:
            while self._pending:
                self._dirty = False
                now = self._clock()
                for hf in [h for h in self._pending.values() if not h.busy]:
                    if now >= hf.deadline_at:
                        self._dispatch(hf, "timeout")
                    elif hf.hinted or hf.probe_first:
                        hf.hinted = hf.probe_first = False
                        self._dispatch(hf, "probe")
                idle = [h for h in self._pending.values() if not h.busy]
                if idle and now >= self._next_at:
                    await self._round(idle, now)
                    idle = [h for h in self._pending.values() if not h.busy]
                wake_at = math.inf
                if idle:
                    self._next_at = self._plan(idle)
                    wake_at = min(self._next_at, *(h.deadline_at for h in idle))
                await self._sleep_until(wake_at)
        finally:
            self._running = False

    def _plan(self, idle: list[HashFlight]) -> float:
        o = self._o
        at = next_round(
            ((h.model, h.requested_at, h.checked_at) for h in idle),
            last_round=self._last_round,
            delay_cost=o.delay_cost,
            min_interval=o.min_interval,
            max_interval=o.max_interval,
            tail_delay=o.tail_delay,
        )
        interval = (at - self._last_round) * self._spread
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

    async def _round(self, idle: list[HashFlight], now: float) -> None:
        self._last_round = now
        self._next_at = math.inf  # planned again once some hash is idle
        o = self._o
        self._spread = 1 - o.jitter / 2 + o.jitter * o.random()  # one draw per round
        accounts: defaultdict[str, list[HashFlight]] = defaultdict(list)
        for hf in idle:
            accounts[hf.key[0]].append(hf)
        for group in accounts.values():
            direct = [h for h in group if self._overdue(h, now)]
            rest = [h for h in group if h not in direct]
            likely = sum(
                h.model.ready_by(h.checked_at - h.requested_at, now - h.requested_at) for h in rest
            )
            if len(rest) >= 2 and 1 + likely < len(rest):  # noqa: PLR2004
                logger.debug("listing round: %d pending, %.2f expected ready", len(rest), likely)
                listed = await self._list(rest[0].transport)
                for hf in rest:
                    if listed is None or hf.busy or hf.key not in self._pending:
                        continue
                    if hf.report_hash in listed:
                        self._ready(hf, now, "listing")
                        self._dispatch(hf, "download")
                    else:
                        self._negative(hf, now)
            else:
                direct += rest
            for hf in direct:
                if not hf.busy:
                    self._dispatch(hf, "probe")

    async def _list(self, transport: Transport) -> set[str] | None:
        try:
            files = await self.files(transport)
        except SimwoodError as err:
            logger.warning("listing report files failed, will look again: %s", err)
            return None
        return set(files)

    async def files(self, transport: Transport) -> dict[str, Any]:
        """`GET /v3/files/{ACCOUNT}`: uncollected ready files by hash (raw JSON values)."""
        self._stats.listings += 1
        response = await transport.request("GET", path("files", transport.account), retry=True)
        return listed_files(response)
