"""A fleet of worker processes against one loopback sandbox process (tests and benchmark).

`run_fleet` starts the sandbox (`python -m simwood_async.sandbox`) and `workers` processes of
`fleet_worker.py`, waits until every one is ready, says `go` to all at once, optionally
SIGKILLs the process that owns a report (while it waits for it, or while it downloads it),
and gathers what the survivors got and what the sandbox saw (`GET /_sandbox/stats`).
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import anyio
import attrs
import httpx
from anyio.streams.buffered import BufferedByteReceiveStream

from tests.redis.worker import digest

if TYPE_CHECKING:
    from anyio.abc import Process

ROOT = Path(__file__).resolve().parents[2]
FIRST_DAY = dt.date(2026, 1, 1)
SEED = 5
ROWS = 30


@attrs.define
class Fleet:
    """What a fleet run saw: the sandbox's counts and every surviving worker's report."""

    posts: int = 0
    downloads: int = 0
    generations: int = 0
    failed_callers: int = 0
    ok: int = 0
    wall_s: float = 0.0
    reports: list[dict[str, Any]] = attrs.field(factory=list)
    claims: list[tuple[int, str, int]] = attrs.field(factory=list)
    killed: int | None = None
    killed_at: float = 0.0
    done: list[bool] = attrs.field(factory=list)
    claimed: anyio.Event = attrs.field(factory=anyio.Event)

    def summary(self) -> dict[str, Any]:
        """The benchmark's figures."""
        return {
            "posts": self.posts,
            "downloads": self.downloads,
            "failed_callers": self.failed_callers,
            "wall_s": round(self.wall_s, 3),
        }


def days(count: int) -> list[str]:
    """The reports asked for: voice CDRs of `count` past days."""
    return [(FIRST_DAY + dt.timedelta(days=i)).isoformat() for i in range(count)]


def truth(day_list: list[str]) -> dict[str, str]:
    """The row digest of each day, through an in-process sandbox with the same seed."""
    return anyio.run(_truth, day_list)


async def _truth(day_list: list[str]) -> dict[str, str]:
    """Fetch each day's report from a fast in-process sandbox and digest its rows."""
    from simwood_async import SimwoodClient  # noqa: PLC0415
    from simwood_async.reports import ReportOptions  # noqa: PLC0415
    from simwood_async.sandbox import IN_PROCESS_BASE_URL, Sandbox, ScaledClock  # noqa: PLC0415

    sandbox = Sandbox(seed=SEED, cdr_rows_per_day=ROWS, clock=ScaledClock(1000.0), report_delay=1.0)
    found: dict[str, str] = {}
    async with SimwoodClient(
        sandbox.account,
        username=sandbox.username,
        password=sandbox.password,
        base_url=IN_PROCESS_BASE_URL,
        allow_insecure_http=True,
        transport=sandbox.transport(),
        env={},
        reports=ReportOptions(min_interval=0.001, max_interval=0.005),
    ) as client:
        for day in day_list:
            found[day] = digest(await client.reports.voice_cdr_day(date=day))
    return found


async def _line(stream: BufferedByteReceiveStream) -> str:
    """The next line a child process wrote."""
    return (await stream.receive_until(b"\n", 1 << 20)).decode()


async def run_fleet(  # noqa: PLR0915 - one scenario, start to end
    *,
    redis_url: str | None,
    prefix: str,
    log: Path,
    workers: int = 8,
    callers: int = 50,
    reports: int = 20,
    report_delay: str = "1.0,2.0",
    lease: float = 2.0,
    recheck: float = 0.25,
    poll: float = 0.25,
    deadline: float = 60.0,
    faults: tuple[str, ...] = (),
    kill: Literal["waiting", "downloading"] | None = None,
    backends: tuple[str, ...] = ("asyncio", "trio"),
) -> Fleet:
    """Run one fleet scenario (see the module docstring); at most 120 s of real time."""
    fleet = Fleet(done=[False] * workers)
    processes: list[Process] = []
    day_list = days(reports)
    try:
        with anyio.fail_after(120), log.open("ab") as errors:
            sandbox = await anyio.open_process(
                [
                    sys.executable,
                    *("-m", "simwood_async.sandbox", "--port", "0", "--json"),
                    *("--seed", str(SEED), "--cdr-rows-per-day", str(ROWS)),
                    *("--report-delay", report_delay),
                    *(arg for spec in faults for arg in ("--fault", spec)),
                ],
                stdin=subprocess.DEVNULL,
                stderr=errors,
            )
            processes.append(sandbox)
            for i in range(workers):
                backend = backends[i % len(backends)]
                processes.append(
                    await anyio.open_process(
                        [sys.executable, "-m", "tests.redis.fleet_worker", backend],
                        cwd=ROOT,
                        stderr=errors,
                    )
                )
            assert sandbox.stdout is not None
            info = json.loads(await _line(BufferedByteReceiveStream(sandbox.stdout)))
            settings = {
                **info,
                "redis_url": redis_url,
                "prefix": prefix,
                "days": day_list,
                "callers": callers,
                "lease": lease,
                "recheck": recheck,
                "poll": poll,
                "deadline": deadline,
            }
            outs = []
            for worker in processes[1:]:
                assert worker.stdin is not None
                assert worker.stdout is not None
                await worker.stdin.send(json.dumps(settings).encode() + b"\n")
                outs.append(BufferedByteReceiveStream(worker.stdout))
            for out in outs:
                assert await _line(out) == "ready"
            root = info["base_url"].removesuffix("/v3/")
            async with httpx.AsyncClient(trust_env=False) as http, anyio.create_task_group() as tg:

                async def follow(index: int, out: BufferedByteReceiveStream) -> None:
                    """Collect a worker's claims and its final report."""
                    while True:
                        try:
                            data = json.loads(await _line(out))
                        except (anyio.EndOfStream, anyio.IncompleteRead):
                            return  # killed
                        if "claimed" in data:
                            fleet.claims.append((index, data["claimed"], data["generation"]))
                            fleet.claimed.set()
                        else:
                            fleet.reports.append(data)
                            fleet.done[index] = True
                            return

                start = time.perf_counter()
                for index, out in enumerate(outs):
                    tg.start_soon(follow, index, out)
                for worker in processes[1:]:
                    assert worker.stdin is not None
                    await worker.stdin.send(b"go\n")
                if kill is not None:
                    await _kill_owner(fleet, processes[1:], http, root, kill)
                for worker in processes[1:]:
                    await worker.wait()
                fleet.wall_s = time.perf_counter() - start
                stats = (await http.get(f"{root}/_sandbox/stats")).json()["reports"]
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
            with anyio.move_on_after(10, shield=True):
                await process.wait()
    fleet.posts, fleet.downloads = stats["requests"], stats["downloads"]
    fleet.generations = stats["generations"]
    fleet.failed_callers = sum(r["failed_callers"] for r in fleet.reports)
    fleet.ok = sum(r["ok"] for r in fleet.reports)
    return fleet


async def _kill_owner(
    fleet: Fleet, workers: list[Process], http: httpx.AsyncClient, root: str, when: str
) -> None:
    """SIGKILL the owner of the first claimed report: at once, or once its download began."""
    await fleet.claimed.wait()
    if when == "downloading":
        stats = f"{root}/_sandbox/stats"
        while (await http.get(stats)).json()["reports"]["downloads"] == 0:  # noqa: ASYNC110 - polls another process
            await anyio.sleep(0.02)
        fleet.killed = max(fleet.claims, key=lambda c: c[2])[0]  # the latest owner downloads
    else:
        fleet.killed = fleet.claims[0][0]
    workers[fleet.killed].send_signal(signal.SIGKILL)
    fleet.killed_at = time.time()
