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
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from simwood_async.reports._request import ReportRequest

__all__ = [
    "HintSharing",
    "LeaseConfirming",
    "ProfileSharing",
    "RequestSharing",
    "request_key",
    "share_hint",
]


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
