"""Coordination of report downloads between clients: claim a hash, publish, wait.

A report file can be downloaded once. When several clients (in one process, or, with a shared
store such as Redis, in many) await the same report hash, exactly one of them must poll and
download it and the others must receive what it got. The engine talks to a `ReportStore`:

* `claim(hash, owner)` makes the caller the owner of the hash's current *generation* (the API
  reuses a hash for the same report on the same day once the file is gone, so each fresh
  generation gets a new number), or says who owns it;
* the owner `publish`es the outcome (the raw body, or why there is none) or `release`s the
  claim without one (no waiter left, deadline passed);
* the others `wait` for the generation's outcome; `None` means "claim again".

Bodies are the raw bytes of the download, so a store that crosses processes only moves bytes;
each client decodes them into its own models.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from typing import Literal, Protocol, runtime_checkable

import anyio
import attrs

from simwood_async.reports._fleet import LeaseConfirming

__all__ = ["Claim", "GuardedStore", "InMemoryReportStore", "ReportStore", "StoredOutcome"]

logger = logging.getLogger("simwood_async")


@attrs.frozen(kw_only=True)
class StoredOutcome:
    """What became of one generation of a report hash.

    Attributes:
        status: `ready` (with `body`), `gone` (404: expired or collected elsewhere) or
            `broken` (the download broke mid-body).
        body: The downloaded bytes, for `ready`.
        detail: What happened, for error messages.

    .. versionadded:: 0.1.0
    """

    status: Literal["ready", "gone", "broken"]
    body: bytes | None = None
    detail: str = ""


@attrs.frozen(kw_only=True)
class Claim:
    """The answer to `ReportStore.claim`.

    Attributes:
        owned: Whether the caller now owns (polls and downloads) this generation.
        generation: The generation the claim concerns.
        owner: Who owns it.

    .. versionadded:: 0.1.0
    """

    owned: bool
    generation: int
    owner: str


@runtime_checkable
class ReportStore(Protocol):
    """Where clients coordinate who downloads a report hash (see the module docstring).

    .. versionadded:: 0.1.0
    """

    async def claim(self, report_hash: str, owner: str, *, ttl: float) -> Claim:
        """Own the hash's current generation if nobody does; a claim lapses after `ttl` s."""
        ...

    async def publish(self, report_hash: str, claim: Claim, outcome: StoredOutcome) -> None:
        """Record the outcome of an owned generation and wake its waiters."""
        ...

    async def release(self, report_hash: str, claim: Claim) -> None:
        """Give up an owned generation without an outcome (waiters will claim again)."""
        ...

    async def wait(self, report_hash: str, generation: int) -> StoredOutcome | None:
        """The outcome of a generation, once published; None if released or unknown.

        Callers bound the wait with `anyio.move_on_after` (the owner may be gone).
        """
        ...


@attrs.define
class _Entry:
    generation: int
    owner: str | None
    event: anyio.Event = attrs.field(factory=anyio.Event)


class InMemoryReportStore:
    """A `ReportStore` for the clients of one event loop (the default, one per client).

    Share one instance between clients to make them share downloads. Claims never lapse here
    (an owner always publishes or releases, even when cancelled), so `ttl` is unused.

    Args:
        keep: How many published outcomes are kept for waiters that arrive late.

    .. versionadded:: 0.1.0
    """

    def __init__(self, *, keep: int = 64) -> None:
        self._entries: dict[str, _Entry] = {}
        self._done: OrderedDict[tuple[str, int], StoredOutcome] = OrderedDict()
        self._keep = keep
        self._generations = itertools.count(1)  # unique across hashes: entries can be dropped

    def __repr__(self) -> str:
        claimed = sum(e.owner is not None for e in self._entries.values())
        return f"<InMemoryReportStore claimed={claimed}>"

    async def claim(self, report_hash: str, owner: str, *, ttl: float) -> Claim:  # noqa: ARG002
        """Own the hash's current generation if nobody does."""
        entry = self._entries.get(report_hash)
        if entry is not None and entry.owner is not None and entry.owner != owner:
            return Claim(owned=False, generation=entry.generation, owner=entry.owner)
        # Unclaimed, or the owner claims again (it gave up a flight it has not yet released):
        # a new generation, so that the late release of the old one changes nothing.
        if entry is not None:
            entry.event.set()  # whoever followed the old generation claims again
        generation = next(self._generations)
        self._entries[report_hash] = _Entry(generation, owner)
        return Claim(owned=True, generation=generation, owner=owner)

    def _settle(self, report_hash: str, claim: Claim, outcome: StoredOutcome | None) -> None:
        entry = self._entries.get(report_hash)
        if entry is None or entry.generation != claim.generation or entry.owner != claim.owner:
            return
        if outcome is not None:
            self._done[report_hash, claim.generation] = outcome
            while len(self._done) > self._keep:
                self._done.popitem(last=False)
        del self._entries[report_hash]
        entry.owner = None
        entry.event.set()

    async def publish(self, report_hash: str, claim: Claim, outcome: StoredOutcome) -> None:
        """Record the outcome of an owned generation and wake its waiters."""
        self._settle(report_hash, claim, outcome)

    async def release(self, report_hash: str, claim: Claim) -> None:
        """Give up an owned generation without an outcome."""
        self._settle(report_hash, claim, None)

    async def wait(self, report_hash: str, generation: int) -> StoredOutcome | None:
        """The outcome of a generation, once published; None if released or unknown."""
        entry = self._entries.get(report_hash)
        if entry is not None and entry.generation == generation and entry.owner is not None:
            await entry.event.wait()
        return self._done.get((report_hash, generation))


class GuardedStore:
    """Wraps a `ReportStore` so that its failures degrade instead of ending the client.

    A store is outside the engine's control (a network service, user code). If `claim` fails,
    the caller owns the report locally (it polls and downloads as if alone); if `publish` or
    `release` fail, the outcome stays with this client's own waiters; if `wait` fails, the
    waiter claims again. Each failure is logged as a warning. Cancellation passes through.
    `claim`, `publish` and `release` are bounded in time (a stalled store counts as failing,
    so it can never hold up the client's exit); `wait` is bounded by its caller.

    Args:
        store: The store to guard.
        timeout: The longest one `claim`, `publish` or `release` may take (real seconds).
    """

    def __init__(self, store: ReportStore, *, timeout: float = 10.0) -> None:
        self.store = store
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"GuardedStore({self.store!r})"

    async def claim(self, report_hash: str, owner: str, *, ttl: float) -> Claim:
        """Claim through the store; on failure, own a local generation (0)."""
        try:
            with anyio.fail_after(self.timeout):
                return await self.store.claim(report_hash, owner, ttl=ttl)
        except Exception as err:  # noqa: BLE001 - any store failure degrades to local
            logger.warning("report store claim failed for %s, working alone: %r", report_hash, err)
            return Claim(owned=True, generation=0, owner=owner)

    async def publish(self, report_hash: str, claim: Claim, outcome: StoredOutcome) -> None:
        """Publish through the store (a local claim or a failure publishes nothing)."""
        await self._settle("publish", report_hash, claim, outcome)

    async def release(self, report_hash: str, claim: Claim) -> None:
        """Release through the store (a local claim or a failure releases nothing)."""
        await self._settle("release", report_hash, claim, None)

    async def _settle(
        self, what: str, report_hash: str, claim: Claim, outcome: StoredOutcome | None
    ) -> None:
        if claim.generation == 0:
            return  # a local claim: the store never knew about it
        try:
            with anyio.fail_after(self.timeout):
                if outcome is None:
                    await self.store.release(report_hash, claim)
                else:
                    await self.store.publish(report_hash, claim, outcome)
        except Exception as err:  # noqa: BLE001 - any store failure degrades to local
            logger.warning("report store %s failed for %s: %r", what, report_hash, err)

    async def confirm(self, report_hash: str, claim: Claim) -> bool:
        """Whether an owned claim is still the caller's (True if the store cannot tell)."""
        if claim.generation == 0 or not isinstance(self.store, LeaseConfirming):
            return True
        try:
            with anyio.fail_after(self.timeout):
                return await self.store.confirm(report_hash, claim.generation, claim.owner)
        except Exception as err:  # noqa: BLE001 - any store failure degrades to local
            logger.warning("report store confirm failed for %s: %r", report_hash, err)
            return True

    async def wait(self, report_hash: str, generation: int) -> StoredOutcome | None:
        """Wait through the store; on failure, None (the caller claims again)."""
        try:
            return await self.store.wait(report_hash, generation)
        except Exception as err:  # noqa: BLE001 - any store failure degrades to local
            logger.warning("report store wait failed for %s: %r", report_hash, err)
            return None
