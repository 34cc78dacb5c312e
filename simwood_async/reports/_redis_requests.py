"""One report POST for a whole fleet: the request records of `RedisReportStore`.

Keys (under the store's prefix), for a request named by `request_key(...)`:

* `req:{key}`: `"<version> <hash>"`, the hash the last POST of this request got. The hash is
  dropped (the version kept) once its generation publishes an outcome, so the next request
  POSTs afresh, as one process would; the record lasts the requesting caller's deadline.
* `req:{key}:post`: the posting lock, `"<token>"`, leased and renewed while the POST runs; if
  its process dies, the lock lapses and a waiting process posts instead.
* `{hash}:req`: which record led to the hash (so that publishing its outcome ends it).

Waiters are woken by a `"req:{key} ..."` message on the store's channel, and re-read every
`recheck` seconds. If Redis cannot be reached, the caller simply POSTs itself.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import anyio

from simwood_async.reports._redis_scripts import POSTED, REQUEST, ms, text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from simwood_async.reports._redis_tasks import Common

__all__ = ["SharedPosts"]


class SharedPosts:
    """The store's request records (see the module docstring).

    Args:
        common: The store's client, runner, key names and tasks.
        recheck: Seconds between re-reads while another process posts.
    """

    def __init__(self, common: Common, *, recheck: float) -> None:
        self._request = common.client.register_script(REQUEST)
        self._posted = common.client.register_script(POSTED)
        self._run = common.run
        self._key = common.key
        self._notices = common.notices
        self._leases = common.leases
        self._health = common.health
        self._errors = common.errors
        self._recheck = recheck
        self.posts = 0  # POSTs this store let its caller send
        self.shared = 0  # hashes it took from another caller's POST

    async def share(
        self, key: str, post: Callable[[], Awaitable[str]], *, after: int, ttl: float
    ) -> tuple[str, int]:
        """See `RequestSharing.share_request`."""
        name = f"req:{key}"
        record, lock = self._key(name), self._key(f"{name}:post")
        token = secrets.token_hex(8)  # per call: two engines of one store never share a lock
        while True:
            event = self._notices.register(name)
            try:
                try:
                    state, version, value = await self._run(
                        self._request, [record, lock], [token, str(after), ms(self._leases.lease)]
                    )
                except self._errors as err:
                    self._health.failed("a shared report request", err)
                    self.posts += 1
                    return await post(), 0
                self._health.ok()
                if state == 1:
                    self.shared += 1
                    return text(value), int(version)
                if state == 0:
                    break
                with anyio.move_on_after(self._recheck):
                    await event.wait()
            finally:
                self._notices.discard(name, event)
        self._leases.hold(lock, token)
        report_hash = ""
        try:
            self.posts += 1
            report_hash = await post()
        finally:
            self._leases.drop(lock, token)
            pointer = self._key(f"{report_hash or '-'}:req")
            with anyio.CancelScope(shield=True):
                try:
                    version = await self._run(
                        self._posted,
                        [record, lock, pointer],
                        [token, report_hash, ms(ttl), self._notices.channel, f"{name} posted"],
                    )
                except self._errors as err:
                    self._health.failed("a shared report request", err)
                    version = 0
        return report_hash, int(version)
