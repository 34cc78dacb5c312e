"""Two processes, one Redis, one loopback sandbox process: the report is downloaded once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from anyio.streams.buffered import BufferedByteReceiveStream

from simwood_async import SimwoodClient
from simwood_async.reports import ReportOptions
from tests.redis.worker import digest

if TYPE_CHECKING:
    from anyio.abc import Process

    from tests.redis.conftest import RedisServer

ROOT = Path(__file__).resolve().parents[2]


async def read_line(stream: BufferedByteReceiveStream) -> str:
    """The next line a child process wrote."""
    return (await stream.receive_until(b"\n", 1 << 16)).decode()


def test_an_asyncio_and_a_trio_process_download_a_report_once(redis_server, prefix, tmp_path):
    """This process (asyncio) and a worker (trio) ask at once; the sandbox serves one download."""
    anyio.run(two_processes, redis_server, prefix, tmp_path, backend="asyncio")


async def two_processes(redis_server: RedisServer, prefix: str, tmp_path: Path) -> None:
    """Run the sandbox and a trio worker, fetch the same report here, compare."""
    from simwood_async.reports import RedisReportStore  # noqa: PLC0415 - needs the extra

    processes: list[Process] = []
    try:
        with anyio.fail_after(20), (tmp_path / "children.log").open("wb") as log:
            sandbox_process = await anyio.open_process(
                [
                    sys.executable,
                    *("-m", "simwood_async.sandbox", "--port", "0", "--json"),
                    *("--report-delay", "1.0", "--cdr-rows-per-day", "40"),
                ],
                stdin=subprocess.DEVNULL,
                stderr=log,
            )
            processes.append(sandbox_process)
            # Started at once: it imports while the sandbox starts, then waits for settings.
            worker = await anyio.open_process(
                [sys.executable, "-m", "tests.redis.worker", "trio"], cwd=ROOT, stderr=log
            )
            processes.append(worker)
            assert sandbox_process.stdout is not None
            assert worker.stdin is not None
            assert worker.stdout is not None
            info = json.loads(await read_line(BufferedByteReceiveStream(sandbox_process.stdout)))
            day = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).date().isoformat()
            settings: dict[str, Any] = {**info, "redis_url": redis_server.url, "prefix": prefix}
            settings["day"] = day
            worker_out = BufferedByteReceiveStream(worker.stdout)
            await worker.stdin.send(json.dumps(settings).encode() + b"\n")
            assert await read_line(worker_out) == "ready"
            async with (
                RedisReportStore.open(redis_server.url, prefix=prefix) as store,
                SimwoodClient(
                    info["account"],
                    username=info["username"],
                    password=info["password"],
                    base_url=info["base_url"],
                    allow_insecure_http=True,
                    env={},
                    reports=ReportOptions(store=store, max_interval=0.5),
                ) as client,
            ):
                await worker.stdin.send(b"go\n")
                rows = await client.reports.voice_cdr_day(date=day)
                theirs = json.loads(await read_line(worker_out))
            async with httpx.AsyncClient(trust_env=False) as http:
                root = info["base_url"].removesuffix("/v3/")
                truth = (await http.get(f"{root}/_sandbox/stats")).json()["reports"]
    finally:
        for process in processes:
            if process.returncode is None:  # the worker ends by itself
                process.terminate()
            with anyio.move_on_after(10, shield=True):
                await process.wait()
    assert rows
    assert theirs["digest"] == digest(rows)
    assert truth["downloads"] == 1
    assert theirs["downloads"] + client.reports.stats.downloads == 1
    assert theirs["followed"] + client.reports.stats.followed == 1
