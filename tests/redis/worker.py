"""A second process for `test_processes.py`: one client, the Redis store, the loopback sandbox.

Reads one JSON line of settings on stdin (so the sandbox's password never shows in a process
list), opens its store and client, writes `ready`, waits for `go`, fetches the report and
writes one JSON line: a digest of the rows and the engine's download and follow counts.
Run as `python -m tests.redis.worker BACKEND`.
"""

from __future__ import annotations

import hashlib
import json
import sys

import anyio
import anyio.to_thread

from simwood_async import SimwoodClient
from simwood_async.reports import ReportOptions


def digest(rows: tuple[object, ...]) -> str:
    """A digest of the rows, equal in every process that decoded the same body."""
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def say(line: str) -> None:
    """Write one line to the parent."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main() -> None:
    """Open, say ready, wait for go, fetch, report."""
    from simwood_async.reports import RedisReportStore  # noqa: PLC0415 - needs the extra

    settings = json.loads(await anyio.to_thread.run_sync(sys.stdin.readline))
    async with (
        RedisReportStore.open(settings["redis_url"], prefix=settings["prefix"]) as store,
        SimwoodClient(
            settings["account"],
            username=settings["username"],
            password=settings["password"],
            base_url=settings["base_url"],
            allow_insecure_http=True,
            env={},
            reports=ReportOptions(store=store, max_interval=0.5),
        ) as client,
    ):
        say("ready")
        await anyio.to_thread.run_sync(sys.stdin.readline)
        rows = await client.reports.voice_cdr_day(date=settings["day"])
        stats = client.reports.stats
        say(
            json.dumps(
                {"digest": digest(rows), "downloads": stats.downloads, "followed": stats.followed}
            )
        )


if __name__ == "__main__":
    anyio.run(main, backend=sys.argv[1])
