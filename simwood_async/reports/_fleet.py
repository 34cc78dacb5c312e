"""What a store shared by a fleet of processes may add to `ReportStore` (all optional).

The engine and the poller ask `isinstance(store, ...)` and use what a store offers:

* `RequestSharing`: one report POST for the whole fleet (the others read the hash it got);
* `LeaseConfirming`: the owner of a generation checks that it still is, right before each
  request that may download the file, so two owners never download one report;
* `HintSharing`: a callback received by one process wakes the owner wherever it runs;
* `ProfileSharing`: the learned generation model, shared so new processes start warm.

`RedisReportStore` offers all four; `InMemoryReportStore` none (one process needs none).
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import anyio
import attrs

from simwood_async import _json
from simwood_async.exceptions import InvalidInputError
from simwood_async.reports._profile import ReportProfile

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from simwood_async.reports._options import ReportOptions
    from simwood_async.reports._request import ReportRequest

__all__ = [
    "HintSharing",
    "LeaseConfirming",
    "ProfileSharing",
    "RequestSharing",
    "SharedProfile",
    "request_key",
    "share_hint",
]


logger = logging.getLogger("simwood_async")


def request_key(account: str, request: ReportRequest[object]) -> str:
    """A short fleet-wide name of a canonical report request (account, endpoint, fields)."""
    text = "\n".join(
        [account, "/".join(request.endpoint), *(f"{k}={v}" for k, v in request.fields)]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def share_hint(report_hash: str, engines: Iterable[object]) -> None:
    """Pass a callback's hint to other processes through each engine's store, if it can."""
    seen: set[int] = set()
    for engine in list(engines):
        store = getattr(getattr(engine, "options", None), "store", None)
        if isinstance(store, HintSharing) and id(store) not in seen:
            seen.add(id(store))
            await store.share_hint(report_hash)  # never raises: the store logs its failures


@runtime_checkable
class RequestSharing(Protocol):
    """A store through which processes share one POST per report request."""

    async def share_request(
        self, key: str, post: Callable[[], Awaitable[str]], *, after: int, ttl: float
    ) -> tuple[str, int]:
        """The report hash for `key`, POSTing (by calling `post`) only if nobody else does.

        Args:
            key: `request_key(...)` of the request.
            post: Sends the POST and returns the hash; its errors propagate unchanged.
            after: The version of the shared hash this caller already used and found wanting
                (0 the first time): a version newer than that is taken as is, otherwise the
                caller (or one other process) posts again.
            ttl: Seconds the caller may still wait.

        Returns:
            The hash and its version.
        """
        ...


@runtime_checkable
class LeaseConfirming(Protocol):
    """A store whose claims can lapse: the owner confirms its claim before downloading."""

    async def confirm(self, report_hash: str, generation: int, owner: str) -> bool:
        """Whether the claim is still the caller's (and, if so, its lease is renewed)."""
        ...


@runtime_checkable
class HintSharing(Protocol):
    """A store that carries "this report is ready" hints between processes."""

    async def share_hint(self, report_hash: str) -> None:
        """Tell every other process using the store that `report_hash` is said to be ready."""
        ...

    def listen_hints(self, handler: Callable[[str], object]) -> None:
        """Call `handler(report_hash)` for each hint shared by another process."""
        ...

    def ignore_hints(self, handler: Callable[[str], object]) -> None:
        """Stop calling `handler`."""
        ...


@runtime_checkable
class ProfileSharing(Protocol):
    """A store that keeps the learned generation-time profile for every process."""

    async def save_profile(self, name: str, data: bytes) -> None:
        """Keep `data` (an opaque serialised profile) under `name`."""
        ...

    async def load_profile(self, name: str) -> bytes | None:
        """The profile kept under `name`, or None."""
        ...


class SharedProfile:
    """The learned generation model shared through a `ProfileSharing` store.

    Loaded when the engine opens (so a new process starts warm), saved when a report was
    delivered (at most every `every` seconds) and when the engine closes. The last save wins:
    each process learns from what the fleet saved when it started, and adds what it saw.

    Args:
        store: The engine's store.
        profile: The engine's profile (`ReportOptions.profile`).
        clock: The engine's clock.
        every: The shortest time between two saves while the engine runs.
    """

    NAME = "reports"

    def __init__(
        self,
        store: ProfileSharing,
        profile: ReportProfile,
        clock: Callable[[], float],
        every: float = 60.0,
    ) -> None:
        self.store = store
        self.profile = profile
        self._clock = clock
        self._every = every
        self._saved_at = clock()

    @staticmethod
    def options(options: ReportOptions) -> ReportOptions:
        """`options`, with a profile to share if the store shares one and none was given."""
        store: object = options.store
        if options.profile is not None or not isinstance(store, ProfileSharing):
            return options
        profile = ReportProfile(prior_strength=options.prior_strength, memory=options.memory)
        return attrs.evolve(options, profile=profile)

    @classmethod
    def of(cls, options: ReportOptions) -> SharedProfile | None:
        """The sharing of `options.profile` through `options.store`, if the store can."""
        store: object = options.store
        profile = options.profile
        if not isinstance(store, ProfileSharing) or profile is None:
            return None
        return cls(store, profile, options.clock)

    async def load(self) -> None:
        """Start from the profile the fleet saved, if any (a bad one is logged and ignored)."""
        data = await self.store.load_profile(self.NAME)
        if data is None:
            return
        try:
            self.profile.restore(_json.loads(data))
        except (InvalidInputError, ValueError, TypeError) as err:
            logger.warning("the shared report profile was not loaded (starting afresh): %s", err)
            return
        logger.debug("report profile loaded from the store (%d bytes)", len(data))

    async def save(self) -> None:
        """Save the profile for the fleet (shielded: it runs when the engine closes)."""
        self._saved_at = self._clock()
        with anyio.CancelScope(shield=True):
            await self.store.save_profile(self.NAME, _json.dumps(self.profile.snapshot()))

    async def delivered(self) -> None:
        """A report was delivered: save, unless the last save is recent."""
        if self._clock() - self._saved_at >= self._every:
            await self.save()
