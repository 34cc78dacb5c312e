"""Bulk CDR pull throughput against the loopback sandbox (its own process, 50 ms per request).

Measured in one run, all against the same server:

- `pull_to_file` at concurrency 8 over the 30 days while the sandbox has not generated them
  yet (600,000 rows, "c8 cold"), for information: the sandbox then also spends ~2 ms of CPU
  per page generating rows, which is the emulator's cost, not the client's (the two share
  this 2-core machine). This pull also WARMS the sandbox: its row cache (`--cdr-cache-mb`)
  holds all 30 days, so the runs below measure the client against a server whose per-page
  cost is the same as during the round-trip measurement;
- the round trip of one 500-row page (raw httpx, sequential), which sets the ceiling of a
  pull at concurrency c: `c x 500 / round trip` rows/s;
- `pull_to_file` (JSON Lines) rows/s at concurrency 1, 8 and 32, and the ratio to the ceiling.
  The c1 run pulls 3 days (60,000 rows, about 10 s at ~6,000 rows/s) instead of 30, to keep
  the whole benchmark under ~3 minutes; c8 and c32 pull all 600,000 rows;
- the sandbox process's CPU per page during each run (from /proc, Linux only);
- the typed iterator (`pull`, `VoiceCdr` rows) at concurrency 8 over 10 days (200,000 rows);
- client CPU per row (`time.process_time`, this process only: the server runs elsewhere) of
  the c8 pull-to-JSONL run against raw httpx + `json.loads` fetching the same pages at the
  same concurrency;
- peak RSS of pulls to JSON Lines of 100,000, 1,000,000 and 3,000,000 rows in one GMT day,
  and of 3,000,000 rows over 30 days, each in a fresh child process
  (its `VmHWM`: `ru_maxrss` would include the parent's, inherited across fork), against
  sandboxes with that many rows a
  day (`--cdr-rows-per-day`, no added latency: memory, not speed, is measured there).

Targets: >= 80 % of the ceiling at c8; <= 0.6x raw client CPU per row; every peak < 100 MB
and the 3M figures within 10 % of the 100k one. The last line is one JSON object (its
`peak_rss_mb_1m` is the 1M-row one-day figure).
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

from simwood_async import SimwoodClient

ROWS_PER_DAY = 20_000
PAGE = 500
LATENCY = 0.05
DAYS_600K = 30
# 30 days of 20,000 rows take ~205 MB in the sandbox's row cache (~340 bytes a row).
CACHE_MB = 256
DAYS_C1 = 3
DAYS_TYPED = 10
GMT = dt.timezone.utc


#: Peak RSS runs: name -> (rows a day, days).
RSS_RUNS = {
    "100k_1day": (100_000, 1),
    "1m_1day": (1_000_000, 1),
    "3m_1day": (3_000_000, 1),
    "3m_days": (100_000, 30),
}


def start_sandbox(
    rows_per_day: int = ROWS_PER_DAY, *, latency: bool = True, cache_mb: int = CACHE_MB
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    command = [
        sys.executable, "-m", "simwood_async.sandbox", "--port", "0", "--json",
        "--seed", "1", "--cdr-rows-per-day", str(rows_per_day), "--cdr-cache-mb", str(cache_mb),
    ]  # fmt: skip
    if latency:
        command += ["--fault", f"latency,seconds={LATENCY},route=/v3/voice/*"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert process.stdout is not None
    info = json.loads(process.stdout.readline())
    return process, info


def day_range(days: int) -> tuple[dt.date, dt.date]:
    """The `days` whole GMT days before today (first, last)."""
    today = dt.datetime.now(tz=GMT).date()
    return today - dt.timedelta(days=days), today - dt.timedelta(days=1)


def server_cpu(process: subprocess.Popen[str]) -> float:
    """CPU seconds the sandbox process has used (user + system); NaN without /proc."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_client(info: dict[str, str]) -> SimwoodClient:
    """The SDK client, on the fast transport when this build has one (as the CLI does)."""
    options: dict[str, object] = {}
    if "fast" in inspect.signature(SimwoodClient).parameters:
        options["fast"] = True
    return SimwoodClient(
        info["account"],
        username=info["username"],
        password=info["password"],
        base_url=info["base_url"],
        env={},
        **options,  # type: ignore[arg-type]
    )


def page_params(day: dt.date, offset: int) -> dict[str, str | int]:
    return {
        "date_start": f"{day} 00:00:00",
        "date_end": f"{day} 23:59:59",
        "limit": PAGE,
        "start": offset,
    }


async def round_trip(info: dict[str, str], n: int = 20) -> float:
    """Median seconds for one full page, sequentially, with raw httpx."""
    day = day_range(1)[0]
    url = f"{info['base_url']}voice/{info['account']}/cdr"
    auth = (info["username"], info["password"])
    times = []
    async with httpx.AsyncClient(auth=auth) as http:
        for i in range(n + 2):
            started = time.perf_counter()
            response = await http.get(url, params=page_params(day, (i % 40) * PAGE))
            response.raise_for_status()
            json.loads(response.content)
            if i >= 2:  # the first two warm the connection and the server's caches
                times.append(time.perf_counter() - started)
    return statistics.median(times)


async def raw_pull(info: dict[str, str], days: int, concurrency: int) -> tuple[int, float, float]:
    """Raw httpx + json.loads over the same pages the SDK fetches: (rows, seconds, cpu)."""
    first, _ = day_range(days)
    url = f"{info['base_url']}voice/{info['account']}/cdr"
    auth = (info["username"], info["password"])
    jobs = [
        (first + dt.timedelta(days=d), k * PAGE)
        for d in range(days)
        for k in range(ROWS_PER_DAY // PAGE + 1)  # 40 full pages and the empty one after
    ]
    rows = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(auth=auth, limits=limits, timeout=60) as http:
        send, receive = anyio.create_memory_object_stream[tuple[dt.date, int]](len(jobs))
        for job in jobs:
            send.send_nowait(job)
        send.close()

        async def worker() -> None:
            nonlocal rows
            async for day, offset in receive:
                response = await http.get(url, params=page_params(day, offset))
                response.raise_for_status()
                rows += len(json.loads(response.content)["data"])

        cpu, started = time.process_time(), time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(concurrency):
                tg.start_soon(worker)
        return rows, time.perf_counter() - started, time.process_time() - cpu


async def sdk_to_file(
    info: dict[str, str], days: int, concurrency: int, out: Path
) -> tuple[int, float, float]:
    """`pull_to_file` JSON Lines: (rows, seconds, cpu)."""
    first, last = day_range(days)
    async with make_client(info) as client:
        cpu, started = time.process_time(), time.perf_counter()
        result = await client.cdrs.pull_to_file(out, first, last, concurrency=concurrency)
        return result.rows, time.perf_counter() - started, time.process_time() - cpu


async def sdk_typed(info: dict[str, str], days: int, concurrency: int) -> tuple[int, float]:
    """The typed iterator: (rows, seconds)."""
    first, last = day_range(days)
    rows = 0
    async with make_client(info) as client:
        started = time.perf_counter()
        async with client.cdrs.pull(first, last, concurrency=concurrency) as cdrs:
            async for _ in cdrs:
                rows += 1
        return rows, time.perf_counter() - started


def child_peak(info_json: str, days: int, out: str) -> None:
    """In a fresh process: pull `days` to JSON Lines, print rows and peak RSS (MB)."""
    info = json.loads(info_json)
    rows, seconds, _ = anyio.run(sdk_to_file, info, days, 8, Path(out))
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak_rss_kib() / 1024}))


def peak_rss_kib() -> int:
    """This process's peak resident set, in KiB.

    `VmHWM`, which unlike `ru_maxrss` is not carried over from the parent across fork and
    exec; `ru_maxrss` where there is no /proc.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def peak_rss(info: dict[str, str], days: int, out: Path) -> dict[str, float]:
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child-peak", json.dumps(info), str(days), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def rss_runs(tmp: Path) -> dict[str, dict[str, float]]:
    """Peak RSS of each `RSS_RUNS` pull, one sandbox per volume, one child per pull."""
    found: dict[str, dict[str, float]] = {}
    by_volume: dict[int, list[str]] = {}
    for name, (per_day, _) in RSS_RUNS.items():
        by_volume.setdefault(per_day, []).append(name)
    for per_day, names in by_volume.items():
        process, info = start_sandbox(per_day, latency=False, cache_mb=64)
        try:
            for name in names:
                out = tmp / f"{name}.jsonl"
                found[name] = peak_rss(info, RSS_RUNS[name][1], out)
                out.unlink()
        finally:
            process.terminate()
            process.wait(timeout=30)
            if process.stdout is not None:
                process.stdout.close()
    return {name: found[name] for name in RSS_RUNS}


def main() -> None:
    process, info = start_sandbox()
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            runs: dict[str, dict[str, float]] = {}
            cpu0 = server_cpu(process)
            rows, seconds, _ = anyio.run(sdk_to_file, info, DAYS_600K, 8, tmp / "cold.jsonl")
            cold = {"rows": rows, "seconds": seconds, "server": server_cpu(process) - cpu0}
            (tmp / "cold.jsonl").unlink()
            rtt = anyio.run(round_trip, info)
            cpu_sdk = 0.0
            rows_sdk = 0
            for concurrency, days in ((1, DAYS_C1), (8, DAYS_600K), (32, DAYS_600K)):
                out = tmp / f"c{concurrency}.jsonl"
                cpu0 = server_cpu(process)
                rows, seconds, cpu = anyio.run(sdk_to_file, info, days, concurrency, out)
                ceiling = concurrency * PAGE / rtt
                runs[f"c{concurrency}"] = {
                    "rows": rows,
                    "seconds": seconds,
                    "rows_per_s": rows / seconds,
                    "ceiling": ceiling,
                    "ceiling_ratio": rows / seconds / ceiling,
                    "server": server_cpu(process) - cpu0,
                }
                if concurrency == 8:
                    cpu_sdk, rows_sdk = cpu, rows
                out.unlink()
            raw_rows, raw_seconds, raw_cpu = anyio.run(raw_pull, info, DAYS_600K, 8)
            typed_rows, typed_seconds = anyio.run(sdk_typed, info, DAYS_TYPED, 8)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    with tempfile.TemporaryDirectory() as tmpdir:
        peaks = rss_runs(Path(tmpdir))

    cold["ceiling"] = 8 * PAGE / rtt
    print(f"c8 cold (the sandbox generates every row, and so warms up): {cold['rows']:,} rows "
          f"in {cold['seconds']:.2f} s = {cold['rows'] / cold['seconds']:,.0f} rows/s, ratio "
          f"{cold['rows'] / cold['seconds'] / cold['ceiling']:.2f}; sandbox CPU "
          f"{cold['server'] / cold['rows'] * PAGE * 1000:.2f} ms/page")  # fmt: skip
    sdk_us = cpu_sdk / rows_sdk * 1e6
    raw_us = raw_cpu / raw_rows * 1e6
    print(f"round trip of one {PAGE}-row page (raw httpx, sequential): {rtt * 1000:.1f} ms")
    print(f"{'pull to JSON Lines (warm)':<26}{'rows':>10}{'seconds':>10}{'rows/s':>10}"
          f"{'ceiling':>10}{'ratio':>8}{'sandbox ms/page':>17}")  # fmt: skip
    for name, run in runs.items():
        print(
            f"{name:<26}{run['rows']:>10,.0f}{run['seconds']:>10.2f}{run['rows_per_s']:>10,.0f}"
            f"{run['ceiling']:>10,.0f}{run['ceiling_ratio']:>8.2f}"
            f"{run['server'] / run['rows'] * PAGE * 1000:>17.2f}"
        )
    print(f"typed iterator c8: {typed_rows:,} rows in {typed_seconds:.2f} s = "
          f"{typed_rows / typed_seconds:,.0f} rows/s")  # fmt: skip
    print(f"client CPU per row, c8: SDK to JSONL {sdk_us:.2f} us, raw httpx + json.loads "
          f"{raw_us:.2f} us ({raw_rows:,} rows, {raw_rows / raw_seconds:,.0f} rows/s): "
          f"ratio {sdk_us / raw_us:.2f}x")  # fmt: skip
    base = peaks["100k_1day"]["peak_rss_mb"]
    print(f"{'peak RSS, pull to JSON Lines':<30}{'rows':>11}{'seconds':>9}{'rows/s':>9}"
          f"{'MB':>8}{'x 100k':>8}")  # fmt: skip
    for name, peak in peaks.items():
        print(f"{name:<30}{peak['rows']:>11,.0f}{peak['seconds']:>9.1f}"
              f"{peak['rows'] / peak['seconds']:>9,.0f}{peak['peak_rss_mb']:>8.1f}"
              f"{peak['peak_rss_mb'] / base:>8.2f}")  # fmt: skip
    summary = {
        **{
            name: {
                "rows_per_s": round(run["rows_per_s"]),
                "ceiling_ratio": round(run["ceiling_ratio"], 3),
            }
            for name, run in runs.items()
        },
        "typed_c8_rows_per_s": round(typed_rows / typed_seconds),
        "cpu_ratio_vs_raw": round(sdk_us / raw_us, 3),
        "peak_rss_mb_1m": round(peaks["1m_1day"]["peak_rss_mb"], 1),
        "peak_rss_mb": {name: round(peak["peak_rss_mb"], 1) for name, peak in peaks.items()},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-peak":
        child_peak(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
