"""A `RedisReportStore`'s two background tasks: lease renewal and notifications.

Both run in the store's task group, around the user's code: nothing that happens in them may
end it, so they log and carry on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import attrs
from coredis.commands.script import Script

from simwood_async.reports._redis_scripts import ms, text

if TYPE_CHECKING:
    import coredis
    from anyio.abc import TaskStatus

__all__ = ["Common", "Health", "Leases", "Notices"]

logger = logging.getLogger("simwood_async")


class Health:
    """Whether Redis answers, so that an outage is logged once, not once per request.

    Args:
        location: The server, as shown in logs (no credentials).
    """

    def __init__(self, location: str) -> None:
        self.location = location
        self.down = False

    def failed(self, what: str, err: BaseException) -> None:
        """A command failed: the first failure of an outage is a warning, the rest debug."""
        detail = f"{type(err).__name__}: {err}"  # a string: a record would keep the frames
        if self.down:
            logger.debug("redis %s still unavailable (%s: %s)", self.location, what, detail)
            return
        self.down = True
        logger.warning(
            "redis %s unavailable (%s: %s); working without coordination (local "
            "de-duplication and the local request limiter) until it answers again",
            self.location,
            what,
            detail,
        )

    def ok(self) -> None:
        """A command succeeded: log the end of an outage."""
        if self.down:
            self.down = False
            logger.warning("redis %s answers again; sharing resumes", self.location)


class Leases:
    """Held keys (claims, posting locks, limiter slots) and the loop that renews them all.

    A key is renewed for as long as it is held: until the work it guards is published,
    released or given up, however long that takes (a later caller may extend a flight's
    deadline long after the claim). A crashed process stops renewing, so its keys expire.

    Args:
        renew: Runs the `RENEW` script on (keys, args); returns one 0/1 per key.
        lease: Seconds a key survives without renewal (renewed every third of that).
    """

    def __init__(
        self,
        renew: Callable[[list[str], list[Any]], Awaitable[Any]],
        lease: float,
        health: Health,
    ) -> None:
        self._renew = renew
        self._health = health
        self.lease = lease
        self._held: dict[str, str] = {}  # key -> the value that makes it ours

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, key: str, value: str) -> None:
        """Renew `key` from now on, while it holds `value`."""
        self._held[key] = value

    def holds(self, key: str, value: str) -> bool:
        """Whether `key` is held (still renewed) with `value`."""
        return self._held.get(key) == value

    def drop(self, key: str, value: str) -> None:
        """Stop renewing `key` if it is held with `value` (a newer value stays)."""
        if self._held.get(key) == value:
            del self._held[key]

    async def renew(self, keys: list[str]) -> list[bool]:
        """Renew these held keys now; a key found lost is dropped (False)."""
        held = {k: self._held[k] for k in keys if k in self._held}
        if not held:
            return [False] * len(keys)
        args: list[Any] = []
        for value in held.values():
            args += [value, ms(self.lease)]
        kept = dict(zip(held, await self._renew(list(held), args), strict=False))
        for key, ok in kept.items():
            if not ok and self._held.get(key) == held[key]:
                del self._held[key]
                logger.warning(
                    "report store: lost the lease %s (it lapsed; another client may own it)", key
                )
        return [bool(kept.get(k)) for k in keys]

    async def keep(self) -> None:
        """Forever: every `lease / 3` seconds, renew every held key in one script call."""
        while True:
            await anyio.sleep(self.lease / 3)
            if not self._held:
                continue
            try:
                await self.renew(list(self._held))
            except Exception as err:  # noqa: BLE001 - runs around the user's code: never ends it
                self._health.failed("lease renewal", err)
            else:
                self._health.ok()


def _call(handler: Callable[[str], object], report_hash: str) -> None:
    try:
        handler(report_hash)
    except Exception:  # a handler's bug must not end the subscription
        logger.exception("report store: a hint handler failed")


@attrs.frozen
class Common:
    """What the store's parts share: its client, script runner, key names and tasks."""

    client: Any
    run: Callable[[Script[Any], list[str], list[Any]], Awaitable[Any]]
    key: Callable[[str], str]
    notices: Notices
    leases: Leases
    health: Health
    errors: tuple[type[BaseException], ...]


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
        self.hint_handlers: list[Callable[[str], object]] = []
        self.origin = ""  # this store's id: its own hints are not delivered back to it
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

    def _deliver(self, data: str) -> None:
        name, _, rest = data.partition(" ")
        if name.startswith("hint:"):
            if rest != self.origin:
                for handler in list(self.hint_handlers):
                    _call(handler, name.removeprefix("hint:"))
            return
        for event in self._waiters.get(name, ()):
            event.set()

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
                        self._deliver(text(message["data"]))
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
