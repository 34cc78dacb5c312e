"""Throughput against the loopback sandbox, and the cost of decoding a CDR page.

Part 1: 2,000 small authenticated GETs (`/v3/accounts/{A}/prepay/balance`) at concurrency 1,
10 and 100, for raw httpx, raw aiohttp (both decoding the JSON with orjson), the SDK on its
default transport and the SDK with `fast=True` (both returning a typed `Balance`). For
comparison, `sdk_via_send` is the SDK with httpx-aiohttp's transport injected (`transport=`),
going through `AsyncClient.send` as it did before the direct path (table only, not in the
JSON). The server is `python -m simwood_async.sandbox` in its own process, pinned to the
other core; the client runs on asyncio, pinned to core 0. Reported: requests/s and client
CPU per request (the client process's CPU time, which the server does not share). Every
round measures every client, compared clients back to back; the best round counts (noise
on shared machines only ever slows things down). Clients whose pool makes 2,000 requests
take too long stop starting new ones after `--budget` seconds (the table says so).

Part 2: ns/row to turn a 5,000-row CDR page from the sandbox (bytes, the real API's shape:
`{"success": 1, "count": N, "data": [...]}` with rows keyed as a real account sends them)
into typed rows: `json.loads` alone (the floor), orjson alone, the SDK's general row path
(aliases, extras, every value checked), the SDK's compiled fast path (the stdlib-only path
and the `[fast]` path, frozen `VoiceCdr` rows), pydantic v2 `TypeAdapter(Page).validate_json`
on an equivalent frozen model of the same rows (the same aliases, Decimal money, unknown keys
kept; naive datetimes, and with a validator making `calldate` aware), and msgspec (naive).

Run: `python benchmarks/bench_throughput.py [--requests 2000] [--rounds 2]`.
The last line printed is one JSON object: `{"c1" | "c10" | "c100": {"raw_httpx_rps",
"raw_aiohttp_rps", "sdk_default_rps", "sdk_fast_rps"}, "fast_vs_aiohttp_c100",
"default_vs_httpx_c100", "decode_ns_per_row": {...}, "decode_ratio_vs_json",
"decode_ratio_vs_pydantic"}`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal  # noqa: TC003 - pydantic and msgspec read annotations at runtime
from typing import Annotated, Any

import aiohttp
import anyio
import httpx
import msgspec
import orjson
import pydantic

from simwood_async import RetryPolicy, SimwoodClient
from simwood_async._area import unwrap
from simwood_async._converter import make_converter
from simwood_async.cdrs import VoiceCdr
from simwood_async.cdrs._decode import RowDecoder
from simwood_async.cdrs._rows import VOICE_SPEC, structure_general

CONCURRENCY = (1, 10, 100)
CLIENTS = ("raw_httpx", "raw_aiohttp", "sdk_default", "sdk_fast")
# For comparison only (not in the JSON): the SDK on httpx-aiohttp's transport injected as
# `transport=`, i.e. through `AsyncClient.send`, as it was before the direct path.
MEASURED = (*CLIENTS, "sdk_via_send")
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30)
PAGE_ROWS = 5000

Call = Callable[[], Awaitable[Any]]


@contextlib.contextmanager
def sandbox_server() -> Iterator[dict[str, Any]]:
    """Run `python -m simwood_async.sandbox` on a free port, pinned to the other core."""
    command = [sys.executable, "-m", "simwood_async.sandbox", "--port", "0", "--json"]
    command += ["--password", "bench-password", "--cdr-rows-per-day", str(PAGE_ROWS + 500)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) > 1:
            os.sched_setaffinity(process.pid, {cores[-1]})
            os.sched_setaffinity(0, {cores[0]})
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(10)


@contextlib.asynccontextmanager
async def open_client(kind: str, info: dict[str, Any]) -> AsyncIterator[Call]:
    """One client of `kind`, and the call that fetches and decodes the balance once."""
    base, account = info["base_url"], info["account"]
    url = f"{base}accounts/{account}/prepay/balance"
    token = base64.b64encode(f"{info['username']}:{info['password']}".encode()).decode()
    auth = {"Authorization": f"Basic {token}"}
    if kind == "raw_httpx":
        async with httpx.AsyncClient(limits=LIMITS, headers=auth) as http:

            async def call() -> Any:
                response = await http.get(url)
                response.raise_for_status()
                return orjson.loads(response.content)

            yield call
    elif kind == "raw_aiohttp":
        connector = aiohttp.TCPConnector(limit=LIMITS.max_connections or 0)
        async with aiohttp.ClientSession(connector=connector, headers=auth) as session:

            async def call() -> Any:
                async with session.get(url) as response:
                    response.raise_for_status()
                    return orjson.loads(await response.read())

            yield call
    else:
        from httpx_aiohttp import AiohttpTransport  # noqa: PLC0415

        transport = AiohttpTransport(limits=LIMITS) if kind == "sdk_via_send" else None
        async with SimwoodClient(
            account,
            username=info["username"],
            password=info["password"],
            base_url=base,
            limits=LIMITS,
            retry=RetryPolicy(attempts=1),
            env={},
            fast=kind == "sdk_fast",
            transport=transport,
        ) as client:
            yield client.accounts.prepay_balance


async def load(
    call: Call, concurrency: int, requests: int, budget: float
) -> tuple[float, float, int]:
    """Send up to `requests` calls from `concurrency` workers, starting none after `budget` s.

    Returns:
        Requests/s, client CPU ms per request, and how many requests were sent.
    """
    remaining, done = requests, 0
    deadline = time.perf_counter() + budget

    async def worker() -> None:
        nonlocal remaining, done
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            await call()
            done += 1

    wall, cpu = time.perf_counter(), time.process_time()
    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return done / wall, cpu / done * 1000, done


def schedule(rounds: int) -> list[tuple[int, str]]:
    """(round, client) in running order for one concurrency.

    Clients that are compared run back to back, in alternating order from round to round,
    so that both see the same background load; the headline pair (raw aiohttp and the SDK
    on the fast transport, each a few seconds) gets one round more.
    """
    order: list[tuple[int, str]] = []
    pairs = [("raw_aiohttp", "sdk_fast"), ("sdk_via_send",), ("raw_httpx", "sdk_default")]
    for round_ in range(rounds + 1):
        for pair in pairs:
            if round_ == rounds and pair[0] != "raw_aiohttp":
                continue
            order.extend((round_, kind) for kind in (pair if round_ % 2 == 0 else pair[::-1]))
    return order


async def throughput(
    info: dict[str, Any], requests: int, rounds: int, budget: float
) -> dict[tuple[str, int], tuple[float, float, int]]:
    """Best requests/s and CPU per request for every client and concurrency."""
    best: dict[tuple[str, int], tuple[float, float, int]] = {}
    for concurrency in CONCURRENCY:
        for round_, kind in schedule(rounds):
            async with open_client(kind, info) as call:
                warm_up = max(concurrency, requests // 10)
                await load(call, concurrency, warm_up, budget / 5)
                rps, cpu, sent = await load(call, concurrency, requests, budget)
            old = best.get((kind, concurrency), (0.0, float("inf"), 0))
            best[kind, concurrency] = (max(old[0], rps), min(old[1], cpu), max(old[2], sent))
            print(
                f"  round {round_ + 1}: {kind:13s} c={concurrency:<3d} {rps:8.0f} req/s "
                f"{cpu:7.3f} ms CPU/req ({sent} requests)",
                file=sys.stderr,
            )
    return best


def _choices(*names: str) -> Any:
    return pydantic.Field(None, validation_alias=pydantic.AliasChoices(*names))


class PydanticCdr(pydantic.BaseModel):
    """The real CDR row as a frozen pydantic model (naive datetimes), unknown keys kept."""

    model_config = pydantic.ConfigDict(extra="allow", frozen=True, coerce_numbers_to_str=True)

    reference: str | None = _choices("reference", "_id", "cdr_id")
    call_id: str | None = None
    time: dt.time | None = None
    date: dt.date | None = None
    calldate: dt.datetime | None = None
    account: str | None = None
    direction: str | None = None
    from_: str | None = pydantic.Field(None, alias="from")
    fromdesc: str | None = None
    to: str | None = None
    destid: str | None = _choices("toid", "dest_id")
    to_iso: str | None = _choices("toISO", "iso")
    todesc: str | None = None
    trunk: str | None = None
    tag: str | None = None
    secs_call: int | None = None
    secs_peak: int | None = None
    secs_offpeak: int | None = None
    secs_weekend: int | None = None
    secs_billed: int | None = None
    rate_peak: Decimal | None = None
    rate_offpeak: Decimal | None = None
    rate_weekend: Decimal | None = None
    rate_connection: Decimal | None = None
    chg_total: Decimal | None = None
    currency: str | None = None


def _gmt(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.timezone.utc) if value is not None else None


class PydanticCdrAware(PydanticCdr):
    """The same with `calldate` made aware (GMT), as the SDK's times are."""

    calldate: Annotated[dt.datetime | None, pydantic.AfterValidator(_gmt)] = None


class PydanticPage(pydantic.BaseModel):
    """The page envelope."""

    success: int
    count: int
    data: list[PydanticCdr]


class PydanticPageAware(pydantic.BaseModel):
    """The page envelope, aware rows."""

    success: int
    count: int
    data: list[PydanticCdrAware]


class MsgspecCdr(
    msgspec.Struct, rename={"from_": "from", "to_iso": "toISO", "destid": "toid", "id_": "_id"}
):
    """The CDR row as a msgspec Struct (naive datetimes; no aliases, unknown keys dropped)."""

    reference: str | None = None
    id_: str | None = None
    time: dt.time | None = None
    date: dt.date | None = None
    calldate: str | None = None
    account: str | None = None
    from_: str | None = None
    fromdesc: str | None = None
    to: str | None = None
    destid: int | None = None
    to_iso: str | None = None
    todesc: str | None = None
    trunk: str | None = None
    tag: str | None = None
    secs_call: int | None = None
    secs_peak: int | None = None
    secs_offpeak: int | None = None
    secs_weekend: int | None = None
    secs_billed: int | None = None
    rate_peak: Decimal | None = None
    rate_offpeak: Decimal | None = None
    rate_weekend: Decimal | None = None
    rate_connection: Decimal | None = None
    chg_total: float | None = None
    currency: str | None = None


class MsgspecPage(msgspec.Struct):
    """The page envelope."""

    success: int
    count: int
    data: list[MsgspecCdr]


def fetch_page(info: dict[str, Any]) -> bytes:
    """A 5,000-row voice CDR page from the sandbox (the day before yesterday, GMT)."""
    day = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).date()
    response = httpx.get(
        f"{info['base_url']}voice/{info['account']}/cdr/{day}",
        params={"limit": PAGE_ROWS},
        auth=(info["username"], info["password"]),
        timeout=60,
    )
    response.raise_for_status()
    return response.content


def decoding(body: bytes, repeats: int) -> dict[str, float]:
    """ns/row of every decode path, best of `repeats` interleaved runs."""
    rows = len(json.loads(body)["data"])
    conv = make_converter()
    fast = RowDecoder(VoiceCdr, conv)
    naive = pydantic.TypeAdapter(PydanticPage)
    aware = pydantic.TypeAdapter(PydanticPageAware)
    spec = msgspec.json.Decoder(MsgspecPage)
    general = [structure_general(VOICE_SPEC, r) for r in json.loads(body)["data"]]
    assert fast(body) == general
    assert len(naive.validate_json(body).data) == rows
    paths: dict[str, Callable[[], Any]] = {
        "json_loads": lambda: json.loads(body),
        "orjson_loads": lambda: orjson.loads(body),
        "orjson_sdk_general": lambda: [
            structure_general(VOICE_SPEC, r) for r in orjson.loads(body)["data"]
        ],
        "json_sdk_fast": lambda: fast.structure(unwrap(json.loads(body))),
        "orjson_sdk_fast": lambda: fast(body),
        "pydantic": lambda: naive.validate_json(body),
        "pydantic_aware": lambda: aware.validate_json(body),
        "msgspec": lambda: spec.decode(body),
    }
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(repeats):
        for name, run in paths.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: seconds / rows * 1e9 for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--budget", type=float, default=6.0, help="seconds per measurement before it stops early"
    )
    parser.add_argument("--decode-repeats", type=int, default=9)
    args = parser.parse_args()

    with sandbox_server() as info:
        body = fetch_page(info)
        best = anyio.run(
            throughput, info, args.requests, args.rounds, args.budget, backend="asyncio"
        )
    decode = decoding(body, args.decode_repeats)

    print(f"\nThroughput: {args.requests} GETs of the prepay balance against the loopback sandbox")
    print(f"(best of {args.rounds} round(s); CPU = client process CPU per request)")
    header = f"{'client':13s}" + "".join(f"{'c=' + str(c) + ' req/s':>14s}" for c in CONCURRENCY)
    header += "".join(f"{'c=' + str(c) + ' ms CPU':>14s}" for c in CONCURRENCY)
    print(header)
    for kind in MEASURED:
        line = f"{kind:13s}" + "".join(f"{best[kind, c][0]:14.0f}" for c in CONCURRENCY)
        line += "".join(f"{best[kind, c][1]:14.3f}" for c in CONCURRENCY)
        print(line)
    for (kind, c), (_, _, sent) in best.items():
        if sent < args.requests:
            print(f"  ({kind} at c={c}: {sent} requests in the {args.budget:.0f} s budget)")
    for c in CONCURRENCY:
        f_rps = best["sdk_fast", c][0] / best["raw_aiohttp", c][0]
        d_rps = best["sdk_default", c][0] / best["raw_httpx", c][0]
        f_cpu = best["raw_aiohttp", c][1] / best["sdk_fast", c][1]
        d_cpu = best["raw_httpx", c][1] / best["sdk_default", c][1]
        s_rps = best["sdk_via_send", c][0] / best["raw_aiohttp", c][0]
        print(
            f"c={c:<3d} sdk_fast/raw_aiohttp {f_rps:.2f}x req/s ({f_cpu:.2f}x CPU efficiency); "
            f"sdk_default/raw_httpx {d_rps:.2f}x req/s ({d_cpu:.2f}x CPU efficiency); "
            f"sdk_via_send/raw_aiohttp {s_rps:.2f}x req/s"
        )

    floor, competitor = decode["json_loads"], decode["pydantic"]
    print(f"\nDecoding a {PAGE_ROWS}-row CDR page into typed rows (best of {args.decode_repeats})")
    print(f"{'path':18s}{'ns/row':>10s}{'x json.loads':>14s}{'x pydantic':>12s}")
    for name, ns in decode.items():
        print(f"{name:18s}{ns:10.0f}{ns / floor:14.2f}{ns / competitor:12.2f}")

    result = {
        **{
            f"c{c}": {f"{kind}_rps": round(best[kind, c][0], 1) for kind in CLIENTS}
            for c in CONCURRENCY
        },
        "fast_vs_aiohttp_c100": round(best["sdk_fast", 100][0] / best["raw_aiohttp", 100][0], 3),
        "default_vs_httpx_c100": round(best["sdk_default", 100][0] / best["raw_httpx", 100][0], 3),
        "decode_ns_per_row": {name: round(ns, 1) for name, ns in decode.items()},
        "decode_ratio_vs_json": round(decode["json_sdk_fast"] / floor, 3),
        "decode_ratio_vs_pydantic": round(decode["orjson_sdk_fast"] / competitor, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
