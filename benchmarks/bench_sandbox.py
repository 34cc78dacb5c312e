"""How fast the loopback sandbox serves 500-row CDR pages (so client benchmarks know their ceiling).

Starts `python -m simwood_async.sandbox --port 0 --json` in its own process, then fetches
500-row pages of past days with a raw httpx client at a few concurrencies. Baselines measured
in the same run: a tiny JSON endpoint (`tools/time`), and the first (cold) pass over pages the
sandbox has not generated yet. The sandbox process's own CPU per page (from /proc, Linux only)
separates its cost from the client's, which shares the machine: cold pages pay for generating
their rows, warm ones come from its row cache. Before any of that, rows are generated in this
process (no cache) to time the generator alone.

Run: python benchmarks/bench_sandbox.py [--seconds 4] [--rows-per-day 20000]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import httpx

from simwood_async.sandbox import ManualClock, Sandbox

LIMIT = 500


def start_server(rows_per_day: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    cmd = [
        sys.executable,
        "-m",
        "simwood_async.sandbox",
        "--port",
        "0",
        "--json",
        "--seed",
        "1",
        "--cdr-rows-per-day",
        str(rows_per_day),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the sandbox did not start")
    return proc, json.loads(line)


def server_cpu(proc: subprocess.Popen[str]) -> float:
    """CPU seconds the sandbox process has used (user + system); NaN without /proc."""
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def generation_us_per_row(rows_per_day: int) -> float:
    """Microseconds per generated row, in process, with the row cache off (best of 3 days)."""
    start = dt.datetime(2026, 3, 15, tzinfo=dt.timezone.utc)
    sandbox = Sandbox(
        seed=1, cdr_rows_per_day=rows_per_day, cdr_cache_bytes=0, clock=ManualClock(start)
    )
    source = sandbox._core.cdrs  # noqa: SLF001 - the generator alone, without HTTP
    source.page(source.segments(dt.date(2026, 3, 1), 0, 1 << 40, 1e10), start=0, limit=1)
    best = float("inf")
    for day in range(2, 5):
        segments = source.segments(dt.date(2026, 3, day), 0, 1 << 40, 1e10)
        started = time.process_time()
        for _ in source.iter_encoded(segments):
            pass
        best = min(best, time.process_time() - started)
    return best / rows_per_day * 1e6


async def run_for(seconds: float, concurrency: int, fetch, urls) -> tuple[int, float]:
    """Fetch URLs round-robin from `concurrency` tasks for about `seconds`; (count, elapsed)."""
    done = 0
    source = itertools.cycle(urls)
    started = time.perf_counter()
    stop_at = started + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await fetch(next(source))
            done += 1

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return done, time.perf_counter() - started


def stdlib_pages(info: dict[str, str], urls: list[str], seconds: float) -> float:
    """Pages/s over one keep-alive `http.client` connection: the server's ceiling, nearly."""
    parts = urlsplit(info["base_url"])
    token = base64.b64encode(f"{info['username']}:{info['password']}".encode()).decode()
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    done, source = 0, itertools.cycle(urls)
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        conn.request("GET", parts.path + next(source), headers={"Authorization": f"Basic {token}"})
        response = conn.getresponse()
        assert response.status == 200
        response.read()
        done += 1
    conn.close()
    return done / (time.perf_counter() - started)


async def bench(
    proc: subprocess.Popen[str], info: dict[str, str], seconds: float, rows_per_day: int
) -> dict[str, float]:
    account = info["account"]
    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=n) for n in range(2, 4)]
    pages = [
        f"voice/{account}/cdr/{day}?limit={LIMIT}&start={start}"
        for day in days
        for start in range(0, rows_per_day, LIMIT)
    ]
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=info["base_url"],
        auth=(info["username"], info["password"]),
        limits=limits,
        timeout=60,
    ) as http:

        async def fetch_page(url: str) -> None:
            response = await http.get(url)
            response.raise_for_status()
            assert len(response.content) > LIMIT * 100

        async def fetch_small(url: str) -> None:
            (await http.get(url)).raise_for_status()

        # Baseline 1: a tiny JSON endpoint.
        small, small_s = await run_for(seconds / 2, 4, fetch_small, ["tools/time"])
        print(f"{'baseline: tools/time, C=4':<34}{small / small_s:>10.0f} req/s")
        # Baseline 2: the cold pass, which generates every row once.
        cpu, started = server_cpu(proc), time.perf_counter()
        async with anyio.create_task_group() as tg:
            limiter = anyio.CapacityLimiter(4)

            async def cold(url: str) -> None:
                async with limiter:
                    await fetch_page(url)

            for url in pages:
                tg.start_soon(cold, url)
        cold_rate = len(pages) / (time.perf_counter() - started)
        cold_cpu = (server_cpu(proc) - cpu) / len(pages) * 1000
        print(f"{'cold pages (generated), C=4':<34}{cold_rate:>10.1f} pages/s"
              f"   sandbox CPU {cold_cpu:.2f} ms/page")  # fmt: skip
        cpu, started = server_cpu(proc), time.perf_counter()
        ceiling = await anyio.to_thread.run_sync(stdlib_pages, info, pages, seconds / 2)
        warm_cpu = (server_cpu(proc) - cpu) / (ceiling * (time.perf_counter() - started)) * 1000
        print(f"{'warm pages, stdlib http.client C=1':<34}{ceiling:>10.1f} pages/s"
              f"   sandbox CPU {warm_cpu:.2f} ms/page")  # fmt: skip
        print()
        print(f"{'concurrency':>11} {'pages/s':>9} {'rows/s':>10} {'MB/s':>7} {'vs cold':>8}")
        best = 0.0
        for concurrency in (1, 4, 16):
            count, elapsed = await run_for(seconds, concurrency, fetch_page, pages)
            rate = count / elapsed
            best = max(best, rate)
            size = LIMIT * 330 / 1e6
            print(
                f"{concurrency:>11} {rate:>9.1f} {rate * LIMIT:>10.0f} "
                f"{rate * size:>7.1f} {rate / cold_rate:>7.2f}x"
            )
    return {"pages_per_s": round(best, 1), "rows_per_s": round(best * LIMIT)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rows-per-day", type=int, default=20000)
    args = parser.parse_args()
    per_row = generation_us_per_row(args.rows_per_day)
    print(f"{'row generation, in process':<34}{per_row:>10.2f} us/row "
          f"({per_row * LIMIT / 1000:.2f} ms per {LIMIT}-row page)")  # fmt: skip
    proc, info = start_server(args.rows_per_day)
    try:
        print(f"sandbox at {info['base_url']} ({args.rows_per_day} rows/day, {LIMIT}-row pages)")
        result = anyio.run(bench, proc, info, args.seconds, args.rows_per_day)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
