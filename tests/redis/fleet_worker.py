"""One worker process of a fleet (`fleet.py`): many callers, one client, maybe the Redis store.

Reads one JSON line of settings on stdin (so the sandbox's password never shows in a process
list), opens its store (if `redis_url`) and client, writes `ready`, waits for `go`, then runs
`callers` concurrent callers, each awaiting every report of `days` at once. While it works it
writes `{"claimed": hash, "generation": n}` whenever it becomes the owner of a report; at the
end one JSON line: each report's row digests, failures, delivery times and the engine's counts.
Run as `python -m tests.redis.fleet_worker BACKEND`.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from simwood_async import SimwoodClient, SimwoodError
from simwood_async.reports import Claim, ReportOptions, StoredOutcome
from tests.redis.worker import digest, say

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class Announcing:
    """Delegates to a `RedisReportStore`; says on stdout when it owns a report."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def claim(self, report_hash: str, owner: str, *, ttl: float) -> Claim:
        """Claim, and announce an owned claim."""
        claim: Claim = await self.store.claim(report_hash, owner, ttl=ttl)
        if claim.owned and claim.generation:
            say(json.dumps({"claimed": report_hash, "generation": claim.generation}))
        return claim

    async def publish(self, report_hash: str, claim: Claim, outcome: StoredOutcome) -> None:
        """Publish through the store."""
        await self.store.publish(report_hash, claim, outcome)

    async def release(self, report_hash: str, claim: Claim) -> None:
        """Release through the store."""
        await self.store.release(report_hash, claim)

    async def wait(self, report_hash: str, generation: int) -> StoredOutcome | None:
        """Wait through the store."""
        result: StoredOutcome | None = await self.store.wait(report_hash, generation)
        return result

    async def confirm(self, report_hash: str, generation: int, owner: str) -> bool:
        """Confirm through the store."""
        return bool(await self.store.confirm(report_hash, generation, owner))

    async def share_request(
        self, key: str, post: Callable[[], Awaitable[str]], *, after: int, ttl: float
    ) -> tuple[str, int]:
        """Share the POST through the store."""
        result: tuple[str, int] = await self.store.share_request(key, post, after=after, ttl=ttl)
        return result


async def main() -> None:
    """Open, say ready, wait for go, run the callers, report."""
    settings = json.loads(await anyio.to_thread.run_sync(sys.stdin.readline))
    async with AsyncExitStack() as stack:
        store = None
        if settings["redis_url"]:
            from simwood_async.reports import RedisReportStore  # noqa: PLC0415 - the extra

            store = Announcing(
                await stack.enter_async_context(
                    RedisReportStore.open(
                        settings["redis_url"],
                        prefix=settings["prefix"],
                        lease=settings["lease"],
                        recheck=settings["recheck"],
                    )
                )
            )
        client = await stack.enter_async_context(
            SimwoodClient(
                settings["account"],
                username=settings["username"],
                password=settings["password"],
                base_url=settings["base_url"],
                allow_insecure_http=True,
                env={},
                reports=ReportOptions(
                    store=store,
                    min_interval=settings["poll"] / 4,
                    max_interval=settings["poll"],
                    deadline=settings["deadline"],
                ),
            )
        )
        say("ready")
        await anyio.to_thread.run_sync(sys.stdin.readline)
        digests: defaultdict[str, set[str]] = defaultdict(set)
        delivered: dict[str, float] = {}
        failed: list[tuple[int, str]] = []
        ok = 0

        async def one(caller: int, day: str) -> None:
            """One caller awaiting one report."""
            nonlocal ok
            try:
                rows = await client.reports.voice_cdr_day(date=day)
            except SimwoodError as err:
                failed.append((caller, f"{day}: {type(err).__name__}: {err}"))
                return
            ok += 1
            digests[day].add(digest(rows))
            delivered[day] = time.time()

        async with anyio.create_task_group() as tg:
            for caller in range(settings["callers"]):
                for day in settings["days"]:
                    tg.start_soon(one, caller, day)
        stats = client.reports.stats
        say(
            json.dumps(
                {
                    "digests": {day: sorted(found) for day, found in digests.items()},
                    "delivered": delivered,
                    "ok": ok,
                    "failed_callers": len({caller for caller, _ in failed}),
                    "failures": [text for _, text in failed[:5]],
                    "posts": stats.report_requests,
                    "downloads": stats.downloads,
                    "followed": stats.followed,
                }
            )
        )


if __name__ == "__main__":
    anyio.run(main, backend=sys.argv[1])
