"""The fleet side of `RedisReportStore` (see `_fleet.py`), and the store's settings.

`FleetMethods` is a base class of `RedisReportStore`: one POST per report for the fleet, lease
confirmation before downloads, callback hints, the shared learned profile.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, cast

import anyio
import attrs
import coredis
import coredis.exceptions

from simwood_async.exceptions import ConfigurationError
from simwood_async.reports._redis_scripts import ms

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from simwood_async.reports._redis_requests import SharedPosts
    from simwood_async.reports._redis_tasks import Health, Leases, Notices

__all__ = ["REDIS_ERRORS", "FleetMethods", "Settings"]

logger = logging.getLogger("simwood_async")

#: What a failing Redis raises (a timeout of ours included).
REDIS_ERRORS: Final = (
    coredis.exceptions.RedisError,
    OSError,
    TimeoutError,
    anyio.BrokenResourceError,  # a connection closed under a command
    anyio.ClosedResourceError,
)


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ConfigurationError(f"{attribute.name} must be > 0, got {value!r}")


def _slots(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigurationError(f"{attribute.name} must be a whole number >= 1, got {value!r}")


@attrs.frozen(kw_only=True)
class Settings:
    """The store's timings, checked before any I/O."""

    lease: float = attrs.field(validator=_positive)
    recheck: float = attrs.field(validator=_positive)
    result_ttl: float = attrs.field(validator=_positive)
    command_timeout: float = attrs.field(validator=_positive)
    profile_ttl: float = attrs.field(validator=_positive)
    max_in_flight: int | None = attrs.field(validator=_slots)


class FleetMethods:
    """What `RedisReportStore` offers a fleet beyond `ReportStore` (see `_fleet.py`)."""

    _s: Settings
    _open: bool
    _client: coredis.Redis[Any]
    _prefix: str
    _posts: SharedPosts
    _leases: Leases
    _notices: Notices
    _health: Health

    def _key(self, report_hash: str, suffix: str) -> str:
        return f"{self._prefix}{report_hash}:{suffix}"

    def _check_open(self) -> None:
        if not self._open:
            raise ConfigurationError(
                "the report store is not open: use `async with RedisReportStore.open(...)`"
            )

    def _unavailable(self, what: str, report_hash: str, err: BaseException) -> None:
        self._health.failed(f"{what} of report {report_hash}", err)

    async def share_request(
        self, key: str, post: Callable[[], Awaitable[str]], *, after: int, ttl: float
    ) -> tuple[str, int]:
        """One POST of a report request for every process (see `RequestSharing`).

        A closed store shares nothing: the caller POSTs (as when Redis is down).
        """
        if not self._open:
            return await post(), 0
        return await self._posts.share(key, post, after=after, ttl=max(ttl, self._s.lease))

    async def confirm(self, report_hash: str, generation: int, owner: str) -> bool:
        """Whether this generation is still the caller's (its lease renewed if so).

        If Redis cannot be reached, True: the caller works alone anyway.
        """
        if generation == 0 or not self._open:
            return True
        key = self._key(report_hash, "claim")
        if not self._leases.holds(key, f"{generation} {owner}"):
            return False  # released, or found lost by the renewal loop
        try:
            with anyio.fail_after(self._s.command_timeout):
                (kept,) = await self._leases.renew([key])
        except REDIS_ERRORS as err:
            self._unavailable("a lease check", report_hash, err)
            return True
        return kept

    async def share_hint(self, report_hash: str) -> None:
        """Tell the other processes that `report_hash` is said to be ready (a callback)."""
        if not self._open:
            return
        message = f"hint:{report_hash} {self._notices.origin}"
        try:
            with anyio.fail_after(self._s.command_timeout):
                await self._client.publish(self._notices.channel, message)
        except REDIS_ERRORS as err:
            self._unavailable("a callback hint", report_hash, err)

    def listen_hints(self, handler: Callable[[str], object]) -> None:
        """Call `handler(report_hash)` for each hint another process shares."""
        if handler not in self._notices.hint_handlers:
            self._notices.hint_handlers.append(handler)

    def ignore_hints(self, handler: Callable[[str], object]) -> None:
        """Stop calling `handler`."""
        if handler in self._notices.hint_handlers:
            self._notices.hint_handlers.remove(handler)

    async def save_profile(self, name: str, data: bytes) -> None:
        """Keep a serialised generation-time profile for every process (`profile_ttl`)."""
        if not self._open:
            return
        try:
            with anyio.fail_after(self._s.command_timeout):
                await self._client.set(
                    self._prefix + f"profile:{name}", data, px=ms(self._s.profile_ttl)
                )
        except REDIS_ERRORS as err:
            self._health.failed("saving the learned profile", err)

    async def load_profile(self, name: str) -> bytes | None:
        """The profile kept under `name`, or None (none yet, closed, or Redis unreachable)."""
        if not self._open:
            return None
        try:
            with anyio.fail_after(self._s.command_timeout), self._client.decoding(mode=False):
                data = await self._client.get(self._prefix + f"profile:{name}")
        except REDIS_ERRORS as err:
            self._health.failed("loading the learned profile", err)
            return None
        return cast("bytes | None", data)
