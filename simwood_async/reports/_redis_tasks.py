"""A `RedisReportStore`'s two background tasks: lease renewal and notifications.

Both run in the store's task group, around the user's code: nothing that happens in them may
end it, so they log and carry on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import attrs

from simwood_async.reports._redis_scripts import ms, text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import coredis
    from anyio.abc import TaskStatus

__all__ = ["Leases", "Notices"]

logger = logging.getLogger("simwood_async")


@attrs.define
class _Held:
    """An owned claim: its value in Redis, renewed until `until` (the claim's `ttl`)."""

    generation: int
    value: str
    until: float


class Leases:
    """Owned claims by hash, and the loop that renews them all in one script call.

    Args:
        renew: Runs the `RENEW` script on (claim keys, args); returns one 0/1 per key.
        key: The claim key of a hash.
        lease: Seconds a claim survives without renewal.
    """

    def __init__(
        self,
        renew: Callable[[list[str], list[Any]], Awaitable[Any]],
        key: Callable[[str], str],
        lease: float,
    ) -> None:
        self._renew = renew
        self._key = key
        self._lease = lease
        self._held: dict[str, _Held] = {}

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, report_hash: str, generation: int, owner: str, ttl: float) -> None:
        """Renew this claim from now on, for `ttl` seconds at most."""
        until = anyio.current_time() + ttl
        self._held[report_hash] = _Held(generation, f"{generation} {owner}", until)

    def drop(self, report_hash: str, generation: int) -> None:
        """Stop renewing this generation's claim (a newer one of the hash stays)."""
        held = self._held.get(report_hash)
        if held is not None and held.generation == generation:
            del self._held[report_hash]

    async def keep(self) -> None:
        """Forever: every `lease / 3` seconds, renew each claim up to its own `ttl`."""
        while True:
            await anyio.sleep(self._lease / 3)
            now = anyio.current_time()
            held = {h: c for h, c in self._held.items() if c.until > now}
            for report_hash in self._held.keys() - held.keys():
                del self._held[report_hash]  # its ttl is over: the key expires by itself
            if not held:
                continue
            args: list[Any] = []
            for claim in held.values():
                args += [claim.value, ms(min(self._lease, claim.until - now))]
            try:
                kept = await self._renew([self._key(h) for h in held], args)
            except Exception as err:  # noqa: BLE001 - runs around the user's code: never ends it
                logger.warning(
                    "report store: could not renew %d lease(s): %s", len(held), repr(err)
                )
                continue
            for (report_hash, claim), ok in zip(held.items(), kept, strict=False):
                if not ok and self._held.get(report_hash) is claim:
                    del self._held[report_hash]
                    logger.warning(
                        "report %s: lost the lease on generation %d (another client may "
                        "download it too)",
                        report_hash,
                        claim.generation,
                    )


class Notices:
    """Local waiters by hash, woken by one subscription to the store's channel.

    Args:
        client: The store's Redis client.
        channel: Where `"<hash> <generation>"` is published when a generation ends.
        recheck: Seconds to wait before resubscribing after an interruption.
    """

    def __init__(self, client: coredis.Redis[Any], channel: str, recheck: float) -> None:
        self._client = client
        self.channel = channel
        self._recheck = recheck
        self._waiters: dict[str, set[anyio.Event]] = {}
        self.open = False

    def register(self, report_hash: str) -> anyio.Event:
        """An event set by the next notice about `report_hash`."""
        event = anyio.Event()
        self._waiters.setdefault(report_hash, set()).add(event)
        return event

    def discard(self, report_hash: str, event: anyio.Event) -> None:
        """Forget a registered event."""
        waiters = self._waiters.get(report_hash)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[report_hash]

    async def listen(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Forever: wake the waiters of each hash named on the channel, resubscribing."""
        started = False
        while True:
            try:
                async with self._client.pubsub(
                    channels=[self.channel], ignore_subscribe_messages=True
                ) as pubsub:
                    if not started:
                        started = True
                        task_status.started()
                    async for message in pubsub:
                        report_hash = text(message["data"]).partition(" ")[0]
                        for event in self._waiters.get(report_hash, ()):
                            event.set()
            # Whatever happens here must not end the user's code (coredis may even fail to
            # unsubscribe while an outer cancellation closes the pool). Waiters re-read the
            # state every `recheck` seconds meanwhile.
            except Exception as err:
                if not started:
                    raise
                log = logger.warning if self.open else logger.debug
                log("report store: notifications interrupted (%s); resubscribing", repr(err))
            except BaseException:
                # Cancelled, perhaps with an error of coredis's added (see above): let a clean
                # cancellation end this task. The scope is still cancelled, so this raises.
                await anyio.lowlevel.checkpoint()
                raise
            await anyio.sleep(self._recheck)
