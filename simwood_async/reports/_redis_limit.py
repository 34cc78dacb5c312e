"""A cap on API requests in flight across a fleet, in Redis (`RedisReportStore.limiter`).

The fleet has `limit` slots, the keys `slots:0` ... `slots:{limit - 1}` under the store's
prefix. A request takes a free one (`SET NX PX`, one script call over all of them), keeps it
leased while it runs (renewed with the store's other leases, so a crashed process's slots
lapse after `lease` seconds) and frees it afterwards, waking the processes that wait. Within a
process, one task at a time competes for a slot (the others queue behind it in order), so a
freed slot costs one retry per process, not one per waiting task.

The client's own limiter (`max_concurrency`) still applies first. If Redis cannot be reached,
requests go on under that local limit alone (Redis is tried again every `recheck` seconds),
and the outage is logged once.
"""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio

from simwood_async.reports._redis_scripts import ACQUIRE, FREE, ms

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simwood_async.reports._redis_tasks import Common

__all__ = ["FleetLimiter"]

_NAME = "slots"


class FleetLimiter:
    """At most `limit` requests in flight across every client that uses it (any process).

    Pass it as `SimwoodClient(request_limiter=store.limiter)`; `RedisReportStore.open(...,
    max_in_flight=N)` creates it.

    Attributes:
        limit: Slots in the fleet.
        taken: Slots this process took from Redis.
        unshared: Requests that went ahead under the local limit only (Redis unreachable).

    .. versionadded:: 0.1.0
    """

    def __init__(self, common: Common, *, limit: int, recheck: float) -> None:
        self._acquire = common.client.register_script(ACQUIRE)
        self._free = common.client.register_script(FREE)
        self._run = common.run
        self._keys = [common.key(f"{_NAME}:{i}") for i in range(limit)]
        self._notices = common.notices
        self._leases = common.leases
        self._health = common.health
        self._errors = common.errors
        self._recheck = recheck
        self._gate: anyio.Lock | None = None
        self._retry_at = 0.0
        self.limit = limit
        self.taken = 0
        self.unshared = 0

    def __repr__(self) -> str:
        return f"<FleetLimiter limit={self.limit} taken={self.taken}>"

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the fleet's slots for the block (see the module docstring)."""
        if self._gate is None:
            self._gate = anyio.Lock()  # created here: a Lock belongs to the running loop
        async with self._gate:
            held = await self._take()
        try:
            yield
        finally:
            if held is not None:
                with anyio.CancelScope(shield=True):
                    await self._give(*held)

    async def _take(self) -> tuple[str, str] | None:
        if anyio.current_time() < self._retry_at:
            self.unshared += 1  # Redis failed a moment ago: don't queue every request on it
            return None
        token = secrets.token_hex(8)
        while True:
            event = self._notices.register(_NAME)
            try:
                try:
                    index = await self._run(
                        self._acquire, self._keys, [token, ms(self._leases.lease)]
                    )
                except self._errors as err:
                    self._health.failed("the shared request limiter", err)
                    self._retry_at = anyio.current_time() + self._recheck
                    self.unshared += 1
                    return None
                self._health.ok()
                if index >= 0:
                    self.taken += 1
                    key = self._keys[int(index)]
                    self._leases.hold(key, token)
                    return key, token
                with anyio.move_on_after(self._recheck):
                    await event.wait()
            finally:
                self._notices.discard(_NAME, event)

    async def _give(self, key: str, token: str) -> None:
        self._leases.drop(key, token)
        try:
            await self._run(self._free, [key], [token, self._notices.channel, f"{_NAME} free"])
        except self._errors as err:
            self._health.failed("the shared request limiter", err)  # the slot lapses by itself
