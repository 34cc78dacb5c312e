"""Caps on requests in flight: the client's own limiter and one shared beyond the client.

Every request holds a `Slot` of its client's `anyio.CapacityLimiter` (`max_concurrency`),
then, when a `RequestLimiter` is given (`SimwoodClient(request_limiter=...)`), one of that
shared cap too (`SharedSlot`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import anyio

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager
    from types import TracebackType

__all__ = ["RequestLimiter", "SharedSlot", "Slot", "slot"]


class Slot:
    """`async with` a slot of the SDK's limiter, without yielding when one is free.

    `async with capacity_limiter` always yields to the event loop once, even uncontended.
    That extra scheduling round per request lets httpcore's pool hand one idle connection
    to two requests more often (the loser loops with `ConnectionNotAvailable` and rescans
    the pool): measured at concurrency 10, it cost more CPU than all of the SDK's own work.
    """

    __slots__ = ("_limiter",)

    def __init__(self, limiter: anyio.CapacityLimiter) -> None:
        self._limiter = limiter

    async def __aenter__(self) -> None:
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            await self._limiter.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self._limiter.release()


class RequestLimiter(Protocol):
    """A cap on requests in flight shared beyond one client, for `SimwoodClient(request_limiter=)`.

    Anything with a `slot()` method returning an async context manager will do; the client
    holds one slot of it for each request, after a slot of its own `max_concurrency`
    limiter. `RedisReportStore.limiter` is one, shared by every process of a fleet.

    .. versionadded:: 0.1.0
    """

    def slot(self) -> AbstractAsyncContextManager[object]:
        """Hold one slot for the block (after the client's own limiter).

        Returns:
            An async context manager: the slot is held inside its block.
        """
        ...


class SharedSlot:
    """The client's own slot (`Slot`), then one of a `RequestLimiter` shared beyond it."""

    __slots__ = ("_local", "_shared")

    def __init__(self, limiter: anyio.CapacityLimiter, shared: RequestLimiter) -> None:
        self._local = Slot(limiter)
        self._shared = shared.slot()

    async def __aenter__(self) -> None:
        await self._local.__aenter__()
        try:
            await self._shared.__aenter__()
        except BaseException:
            await self._local.__aexit__()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._shared.__aexit__(exc_type, exc, tb)
        finally:
            await self._local.__aexit__()


def slot(limiter: anyio.CapacityLimiter, shared: RequestLimiter | None) -> Slot | SharedSlot:
    """One request's slot of `limiter` (see `Slot`), and of the `shared` cap if any."""
    if shared is not None:
        return SharedSlot(limiter, shared)
    return Slot(limiter)
