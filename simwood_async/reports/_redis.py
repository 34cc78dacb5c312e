"""`RedisReportStore`: report de-duplication shared by many processes and hosts (`[redis]`).

Keys, under a configurable prefix (`simwood:reports:` plus the account, if given):

* `{prefix}{hash}:claim`: `"<generation> <owner>"`, the owner's lease, with a `PX` expiry. The
  owner renews it every `lease / 3` seconds for as long as it works (however far later callers
  push the deadline) and confirms it right before each request that may download the file; a
  crashed owner stops renewing, the key expires, and the next `claim` opens a new generation.
* `{prefix}{hash}:gen`: the hash's generation counter (kept a day after its last claim).
* `{prefix}{hash}:{generation}:outcome`: the published outcome (status, detail and the raw
  body bytes), kept `result_ttl` seconds; a release leaves a `released` marker instead.
* the channel `{prefix}events`: `"<hash> <generation>"` whenever a generation ends (and the
  request records' and limiter's wake-ups, and callback hints: `"hint:<hash> <store>"`).
* `{prefix}profile:{name}`: a learned generation-time profile (opaque bytes), `profile_ttl`.
* request records (`_redis_requests.py`: one POST per report for the fleet) and, with
  `max_in_flight`, the fleet's request slots (`_redis_limit.py`).

Every change is one Lua script, so claim, publish and release are atomic and a late publish of a
generation that is no longer the caller's changes nothing. Waiters are woken by the channel
(one subscription per store) and re-read the state every `recheck` seconds whatever happens,
so a lost notification or a lapsed owner never leaves them hanging. Leases run on the Redis
server's own clock, so this store works in real seconds, not the engine's injected clock.
"""

from __future__ import annotations

import logging
import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, cast

import anyio
import attrs

from simwood_async.exceptions import ConfigurationError, ConnectError
from simwood_async.reports._redis_fleet import REDIS_ERRORS, FleetMethods, Settings
from simwood_async.reports._redis_limit import FleetLimiter
from simwood_async.reports._redis_requests import SharedPosts
from simwood_async.reports._redis_scripts import (
    CLAIM,
    RENEW,
    SETTLE,
    STATE,
    client_from_url,
    ms,
    text,
)
from simwood_async.reports._redis_tasks import Common, Health, Leases, Notices
from simwood_async.reports._store import Claim, StoredOutcome

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import coredis
    from coredis.commands.script import Script
    from typing_extensions import Self

__all__ = ["RedisReportStore"]

logger = logging.getLogger("simwood_async")

#: The default key prefix.
PREFIX: Final = "simwood:reports:"
#: A generation counter outlives its last claim by at least this long (seconds).
_COUNTER_KEEP: Final = 86_400.0
_STATUSES: Final = frozenset({"ready", "gone", "broken"})


class RedisReportStore(FleetMethods):
    """A `ReportStore` in Redis, shared by every process and host that uses the same Redis.

    One of them polls and downloads a report hash; every other one waits for what it
    publishes. Open it with `RedisReportStore.open(...)` and pass it to every client:

    ```python
    async with RedisReportStore.open("redis://localhost:6379/0", account="930000") as store:
        async with SimwoodClient(reports=ReportOptions(store=store)) as client:
            rows = await client.reports.voice_summary(...)
    ```

    The owner of a generation renews its lease while it works; if its process dies, the
    lease lapses after `lease` seconds and another client takes over with a new generation.
    If Redis becomes unreachable, each client works alone (a warning is logged) until it is
    back. The URL's password is never logged or shown in a repr.

    Construct it with `open()`, which runs the store's notification and lease-renewal tasks
    (the arguments are those of `open()`; `location` names the server in logs and reprs).

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        client: coredis.Redis[Any],
        *,
        location: str,
        prefix: str = PREFIX,
        lease: float = 15.0,
        recheck: float = 2.0,
        result_ttl: float = 300.0,
        command_timeout: float = 5.0,
        profile_ttl: float = 7 * 86_400.0,
        max_in_flight: int | None = None,
    ) -> None:
        self._s = Settings(
            lease=lease,
            recheck=recheck,
            result_ttl=result_ttl,
            command_timeout=command_timeout,
            profile_ttl=profile_ttl,
            max_in_flight=max_in_flight,
        )
        self._client = client
        self._location = location
        self._prefix = prefix
        self._claim = client.register_script(CLAIM)
        self._settle = client.register_script(SETTLE)
        self._renew = client.register_script(RENEW)
        self._state = client.register_script(STATE)
        self._health = Health(location)
        self._leases = Leases(
            lambda keys, args: self._run(self._renew, keys, args), lease, self._health
        )
        self._notices = Notices(client, prefix + "events", recheck)
        self._notices.origin = secrets.token_hex(8)
        common = Common(
            client,
            self._run,
            self._prefix.__add__,
            self._notices,
            self._leases,
            self._health,
            REDIS_ERRORS,
        )
        self._posts = SharedPosts(common, recheck=recheck)
        self.limiter: FleetLimiter | None = None
        if max_in_flight is not None:
            self.limiter = FleetLimiter(common, limit=max_in_flight, recheck=recheck)
        self._open = False

    def __repr__(self) -> str:
        return (
            f"<RedisReportStore {self._location} prefix={self._prefix!r} "
            f"held={len(self._leases)} open={self._open}>"
        )

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        url: str | None = None,
        *,
        client: coredis.Redis[Any] | None = None,
        account: str | None = None,
        prefix: str = PREFIX,
        lease: float = 15.0,
        recheck: float = 2.0,
        result_ttl: float = 300.0,
        command_timeout: float = 5.0,
        profile_ttl: float = 7 * 86_400.0,
        max_in_flight: int | None = None,
    ) -> AsyncIterator[Self]:
        """Open a store on a Redis URL (its own connection pool) or on your coredis client.

        Args:
            url: `redis://[[user]:password@]host[:port][/db]`, `rediss://...` or
                `unix://...`; the store opens and closes its own connection pool.
            client: An already open `coredis.Redis` instead of `url`; never closed by us.
            account: Scopes the keys to one account (`{prefix}{account}:`).
            prefix: The start of every key and of the notification channel.
            lease: Seconds an owner's claim survives without renewal (renewed every third
                of that): how long others wait before taking over from a crashed owner.
            recheck: Seconds between a waiter's re-reads of the state (in case a notification
                was missed).
            result_ttl: Seconds a published outcome is kept in Redis.
            command_timeout: Seconds one Redis command may take before the store gives up on it.
            profile_ttl: Seconds a shared generation-time profile is kept after its last save.
            max_in_flight: A cap on API requests in flight across every process using this
                Redis and prefix: `store.limiter`, to pass as
                `SimwoodClient(request_limiter=store.limiter)`. None: no shared cap.

        Yields:
            The open store.

        Raises:
            ConfigurationError: Bad settings, or not exactly one of `url` and `client`.
            ConnectError: Redis did not answer (unreachable, or the password was refused).

        .. versionadded:: 0.1.0
        """
        settings = Settings(
            lease=lease,
            recheck=recheck,
            result_ttl=result_ttl,
            command_timeout=command_timeout,
            profile_ttl=profile_ttl,
            max_in_flight=max_in_flight,
        )
        if (url is None) == (client is None):
            raise ConfigurationError("pass exactly one of url= and client=")
        if account is not None and (not account or any(c.isspace() for c in account)):
            raise ConfigurationError(f"account must be a plain id, got {account!r}")
        scoped = prefix + (f"{account}:" if account is not None else "")
        if client is None:
            assert url is not None  # noqa: S101 - checked above
            owned: coredis.Redis[Any] | None
            owned, location = client_from_url(url, command_timeout)
            client = owned
        else:
            location = repr(client.connection_pool.location)
            owned = None
        store = cls(client, location=location, prefix=scoped, **attrs.asdict(settings))
        failure: BaseException | None = None
        async with AsyncExitStack() as stack:
            if owned is not None:
                await stack.enter_async_context(owned)
            failure = await store._ping()
            if failure is None:
                async with anyio.create_task_group() as tg:
                    await tg.start(store._notices.listen)
                    tg.start_soon(store._leases.keep)
                    store._open = store._notices.open = True
                    logger.info("report store: redis %s, prefix %r", location, scoped)
                    try:
                        yield store
                    finally:
                        store._open = store._notices.open = False
                        tg.cancel_scope.cancel()
        if failure is not None:
            # Raised outside the pool's task group, so it is not wrapped in an exception group.
            raise ConnectError(
                f"the report store could not use redis at {location}: "
                f"{type(failure).__name__}: {failure}"
            ) from None

    async def _ping(self) -> BaseException | None:
        try:
            with anyio.fail_after(self._s.command_timeout):
                await self._client.ping()
        except (*REDIS_ERRORS, RuntimeError) as err:  # RuntimeError: a client never opened
            return err
        return None

    # -- keys --------------------------------------------------------------------------------

    async def _run(self, script: Script[Any], keys: list[str], args: list[Any]) -> Any:
        """Run a Lua script within the command timeout; replies undecoded (bodies are bytes)."""
        with anyio.fail_after(self._s.command_timeout), self._client.decoding(mode=False):
            return await script(keys=keys, args=args)

    # -- the protocol ------------------------------------------------------------------------

    async def claim(self, report_hash: str, owner: str, *, ttl: float) -> Claim:
        """Own the hash's current generation if nobody does.

        The lease lasts `min(lease, ttl)` at first and is renewed for as long as the owner
        holds it (until it publishes or releases). If Redis cannot be reached the caller owns
        generation 0 alone (nothing is shared).
        """
        self._check_open()
        lease = min(self._s.lease, ttl)
        keep = max(_COUNTER_KEEP, 2 * self._s.result_ttl)
        try:
            owned, generation, holder = await self._run(
                self._claim,
                [self._key(report_hash, "claim"), self._key(report_hash, "gen")],
                [owner, ms(lease), ms(keep), self._notices.channel, report_hash],
            )
        except REDIS_ERRORS as err:
            self._unavailable("a claim", report_hash, err)
            return Claim(owned=True, generation=0, owner=owner)
        self._health.ok()
        claim = Claim(owned=bool(owned), generation=int(generation), owner=text(holder))
        if claim.owned:
            self._leases.hold(self._key(report_hash, "claim"), f"{claim.generation} {owner}")
            logger.debug("report %s: claimed generation %d", report_hash, claim.generation)
        else:
            logger.debug(
                "report %s: generation %d is owned by %s; waiting for it",
                report_hash,
                claim.generation,
                claim.owner,
            )
        return claim

    async def publish(self, report_hash: str, claim: Claim, outcome: StoredOutcome) -> None:
        """Record the outcome of an owned generation and wake its waiters everywhere."""
        body = outcome.body
        size = f", {len(body)} bytes" if body is not None else ""
        if await self._end(report_hash, claim, outcome.status, outcome.detail, body):
            logger.debug(
                "report %s: generation %d published (%s%s)",
                report_hash,
                claim.generation,
                outcome.status,
                size,
            )

    async def release(self, report_hash: str, claim: Claim) -> None:
        """Give up an owned generation without an outcome (waiters will claim again)."""
        if await self._end(report_hash, claim, "released", "", None):
            logger.debug("report %s: generation %d released", report_hash, claim.generation)

    async def _end(
        self, report_hash: str, claim: Claim, status: str, detail: str, body: bytes | None
    ) -> bool:
        self._leases.drop(self._key(report_hash, "claim"), f"{claim.generation} {claim.owner}")
        if not self._open or claim.generation == 0:
            return False  # closed (nothing to renew any more) or never shared
        try:
            done = await self._run(
                self._settle,
                [
                    self._key(report_hash, "claim"),
                    self._key(report_hash, f"{claim.generation}:outcome"),
                    self._key(report_hash, "req"),
                ],
                [
                    f"{claim.generation} {claim.owner}",
                    self._notices.channel,
                    f"{report_hash} {claim.generation}",
                    ms(self._s.result_ttl),
                    status,
                    detail,
                    body or b"",
                    "1" if body is not None else "0",
                ],
            )
        except REDIS_ERRORS as err:
            what = "a release" if status == "released" else "a publish"
            self._unavailable(what, report_hash, err)
            return False
        self._health.ok()
        if not done:
            logger.warning(
                "report %s: generation %d was no longer ours (its lease lapsed); "
                "its outcome was not shared",
                report_hash,
                claim.generation,
            )
        return bool(done)

    async def wait(self, report_hash: str, generation: int) -> StoredOutcome | None:
        """The outcome of a generation, once published; None if released, lapsed or unknown.

        Wakes on the notification channel and re-reads the state every `recheck` seconds.
        """
        self._check_open()
        keys = [
            self._key(report_hash, "claim"),
            self._key(report_hash, f"{generation}:outcome"),
        ]
        parked = False
        while True:
            # Registered before reading, so a notification during the read is not lost.
            event = self._notices.register(report_hash)
            try:
                try:
                    state = await self._run(self._state, keys, [str(generation)])
                except REDIS_ERRORS as err:
                    self._unavailable("a wait", report_hash, err)
                    await anyio.sleep(self._s.recheck)  # no hot loop of failing claims
                    return None
                self._health.ok()
                if state[0] == 1:
                    return self._outcome(report_hash, generation, state[1:])
                if state[0] == 0:
                    logger.info(
                        "report %s: generation %d ended without an outcome (its owner's lease "
                        "lapsed or was taken over); claiming again",
                        report_hash,
                        generation,
                    )
                    return None
                if not parked:
                    parked = True
                    logger.debug(
                        "report %s: generation %d is pending elsewhere; waiting for it",
                        report_hash,
                        generation,
                    )
                with anyio.move_on_after(self._s.recheck):
                    await event.wait()
            finally:
                self._notices.discard(report_hash, event)

    def _outcome(
        self, report_hash: str, generation: int, fields: list[Any]
    ) -> StoredOutcome | None:
        status, detail, body = text(fields[0]), text(fields[1] or b""), fields[2]
        if status == "released":
            logger.debug("report %s: generation %d was released", report_hash, generation)
            return None
        if status not in _STATUSES:
            logger.warning("report %s: unreadable shared outcome %r", report_hash, status)
            return None
        return StoredOutcome(status=cast("Any", status), body=body, detail=detail)
