"""The second level of single flight: one poll loop and one download per report hash.

Every hash the engine waits for is a `HashFlight`. Its own task claims the hash in the store
(or follows the client that owns it), then sleeps until the scheduler tells it to act:
`probe` (`GET /v3/files/{ACCOUNT}/{HASH}`: 204 pending, 200 the body, 404 gone), `download`
(a listing showed it ready) or `timeout`. One scheduler task serves every pending hash: it
plans the next round with the learned model (`_policy.py`), and in a round it either probes
the few hashes directly or sends ONE `GET /v3/files/{ACCOUNT}` listing for all of them, so a
round costs O(1) requests however many reports are pending. Callbacks and `recover()` wake it
to probe the hinted hash (hints are coalesced: at most one check per hash per `HINT_GAP`).

The scheduler itself never waits for the network: a listing runs in its own task, once (no
retries), while deadlines and hints are still served. A listing that fails falls back to
direct probes of the due hashes and is not tried again for a while (exponential backoff, or the
server's `Retry-After`). A `Retry-After` on any check quiets every check until it has passed.
A failure inside the scheduler is logged and fails the affected hashes; it never ends the
engine's task group.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import anyio

from simwood_async._transport import path
from simwood_async.exceptions import (
    NotFoundError,
    RateLimitedError,
    ServerError,
    SimwoodError,
    TransportError,
)
from simwood_async.reports._body import listed_files
from simwood_async.reports._policy import GenerationModel
from simwood_async.reports._scheduler import HINT_GAP, HashFlight, Scheduler
from simwood_async.reports._store import Claim, GuardedStore, StoredOutcome

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from simwood_async._transport import Transport
    from simwood_async.reports._options import ReportOptions
    from simwood_async.reports._stats import ReportStats
    from simwood_async.reports._store import ReportStore

__all__ = ["HashFlight", "Poller"]

logger = logging.getLogger("simwood_async")


class _LeaseLost(Exception):  # noqa: N818 - a signal, not an error
    """The owner's claim lapsed and another client took the hash over."""


#: How long (real seconds) a download nobody waits for any more may take to finish.
ORPHAN_GRACE = 60.0


class Poller(Scheduler):
    """Hash flights, the scheduler and the requests they send (owned by the engine)."""

    def __init__(
        self, options: ReportOptions, stats: ReportStats, store: ReportStore, owner: str
    ) -> None:
        self._o = options
        self._stats = stats
        # A failing or stalled store degrades, never ends (or holds up) the client.
        self._store = GuardedStore(store, timeout=options.store_timeout)
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
        self._listing: set[str] = set()  # accounts with a listing under way
        self._list_failures = 0
        self._list_after = -math.inf  # no listing before (backoff after failures)
        self._quiet_until = -math.inf  # no check before (a Retry-After)

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
            if hf.orphaned:
                self._adopt(hf)
        hf.joiners += 1
        try:
            await hf.done.wait()
        finally:
            hf.joiners -= 1
            if hf.joiners == 0 and not hf.done.is_set():
                if hf.fetching:
                    self._orphan(hf)  # finish the download under way (bounded)
                else:
                    hf.timing.outcome = "abandoned"
                    hf.scope.cancel()  # nobody waits: stop polling this hash
                    # Forget it now, so that a new waiter starts afresh instead of joining it.
                    if self._pending.get(key) is hf:
                        del self._pending[key]
                    if self._hashes.get(key) is hf:
                        del self._hashes[key]
        return hf.outcome

    def orphan(self, transport: Transport, report_hash: str) -> bool:
        """Nobody will wait for this hash: finish a fetch under way, else stop.

        Returns:
            Whether a fetch was under way (it is finished, within `ORPHAN_GRACE`).
        """
        hf = self._hashes.get((transport.account, report_hash))
        if hf is None or not hf.fetching:
            return False
        self._orphan(hf)
        return True

    def adopt(self, transport: Transport, report_hash: str) -> None:
        """A caller came back for an orphaned hash: keep polling it as before."""
        hf = self._hashes.get((transport.account, report_hash))
        if hf is not None and hf.orphaned:
            self._adopt(hf)

    def _orphan(self, hf: HashFlight) -> None:
        hf.orphaned = True
        hf.scope.deadline = min(hf.scope.deadline, anyio.current_time() + ORPHAN_GRACE)
        if self._pending.get(hf.key) is hf:
            del self._pending[hf.key]  # the scheduler leaves it alone

    def _adopt(self, hf: HashFlight) -> None:
        hf.orphaned = False
        hf.scope.deadline = math.inf
        if not hf.done.is_set() and hf.key in self._hashes:
            self._pending[hf.key] = hf
            self._wake()

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
            if hf.report_hash != report_hash:
                continue
            matched = True
            if hf.hinted:
                continue  # coalesced: a check is already due
            # At most one check per HINT_GAP, whatever the number of hints (after the check
            # under way, if any): a flood of callbacks is not a flood of authenticated GETs.
            hf.hint_at = now
            hf.hinted = True
            hf.hint_due = max(now, hf.verified_at + HINT_GAP)
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
                # Shielded from cancellation, but bounded in time by the guarded store.
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
            if hf.action.startswith("fail:"):
                detail = hf.action.removeprefix("fail:")
                return StoredOutcome(status="broken", detail=f"the scheduler failed: {detail}")
            hf.fetching = True
            try:
                outcome = await self._fetch(hf)
            finally:
                hf.fetching = False
            if outcome is not None:
                return outcome
            if hf.orphaned:
                hf.timing.outcome = "abandoned"
                return None
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
        except TransportError as err:
            if err.status_code == 200:  # noqa: PLR2004 - the body broke: the file is deleted
                return StoredOutcome(
                    status="broken", detail=f"the download was cut short ({err.message})"
                )
            # Nothing was downloaded (a connect or pool timeout, a refused connection, a 5xx
            # body cut short): say nothing about the file, look again later.
            logger.debug("report %s: check failed, will look again: %s", hf.report_hash, err)
            return None
        except (ServerError, RateLimitedError) as err:
            self._back_off(err.retry_after)
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

    async def files(self, transport: Transport) -> dict[str, Any]:
        """`GET /v3/files/{ACCOUNT}`: uncollected ready files by hash (raw JSON values)."""
        self._stats.listings += 1
        response = await transport.request("GET", path("files", transport.account), retry=True)
        return listed_files(response)
