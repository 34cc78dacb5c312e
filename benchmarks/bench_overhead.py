"""CPU cost of one SDK call against raw httpx + json.loads, on the same in-process transport.

Both sides send `GET /v3/accounts/{ACCOUNT}/prepay/balance` with a Basic auth header through
one `httpx.AsyncBaseTransport` that answers the documented balance payload without any I/O,
so the difference is the SDK's own work: building the request, the limiter, error checks,
logging guards, decoding and structuring into a `Balance`.

Run: `python benchmarks/bench_overhead.py [--iterations N] [--rounds R]`.
The last line printed is one JSON object: `{"sdk_cpu_us", "raw_cpu_us", "ratio"}` (asyncio).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import time
from typing import TYPE_CHECKING

import anyio
import httpx

from simwood_async import SimwoodClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

ACCOUNT = "930000"
USERNAME = "bench-user"
PASSWORD = "bench-password"  # noqa: S105 - a dummy credential for an in-process transport
BASE_URL = "https://api.simwood.com/v3/"
URL = f"{BASE_URL}accounts/{ACCOUNT}/prepay/balance"
# The documented payload (intro section, array form), compact as the API sends it.
PAYLOAD = json.dumps([{"balance": "12.32", "currency": "GBP"}], separators=(",", ":")).encode()


class BalanceTransport(httpx.AsyncBaseTransport):
    """Answers every request with the balance payload, without touching the network."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:  # noqa: ARG002
        """Return the canned balance response."""
        return httpx.Response(
            200,
            headers=[(b"content-type", b"application/json")],
            content=PAYLOAD,
        )


async def _per_call_us(call: Callable[[], Awaitable[object]], iterations: int) -> float:
    start = time.process_time()
    for _ in range(iterations):
        await call()
    return (time.process_time() - start) / iterations * 1e6


async def measure(iterations: int, rounds: int) -> tuple[list[float], list[float]]:
    """Interleave SDK and raw rounds; return each side's per-call CPU microseconds."""
    transport = BalanceTransport()
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    sdk_us: list[float] = []
    raw_us: list[float] = []
    async with (
        SimwoodClient(
            ACCOUNT, username=USERNAME, password=PASSWORD, transport=transport, env={}
        ) as client,
        httpx.AsyncClient(transport=transport) as raw,
    ):

        async def sdk_call() -> object:
            return await client.accounts.prepay_balance()

        async def raw_call() -> object:
            response = await raw.get(URL, headers=headers)
            response.raise_for_status()
            return json.loads(response.content)

        # Same answer from both, and warm-up (imports, caches, first connections).
        balance = await client.accounts.prepay_balance()
        assert str(balance.balance) == "12.32"
        assert await raw_call() == json.loads(PAYLOAD)
        await _per_call_us(sdk_call, iterations // 5)
        await _per_call_us(raw_call, iterations // 5)
        for _ in range(rounds):
            sdk_us.append(await _per_call_us(sdk_call, iterations))
            raw_us.append(await _per_call_us(raw_call, iterations))
    return sdk_us, raw_us


def main() -> None:
    """Run the benchmark on asyncio and trio; print a table and the JSON line (asyncio)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per side (median taken)")
    args = parser.parse_args()

    results: dict[str, tuple[float, float]] = {}
    for backend in ("asyncio", "trio"):
        sdk, raw = anyio.run(measure, args.iterations, args.rounds, backend=backend)
        results[backend] = (statistics.median(sdk), statistics.median(raw))

    print(
        f"CPU per call, median of {args.rounds} rounds x {args.iterations} calls "
        "(same in-process transport)"
    )
    print(f"{'backend':<8} {'SDK prepay_balance() µs':>24} {'raw httpx+json µs':>18} {'ratio':>6}")
    for backend, (sdk_us, raw_us) in results.items():
        print(f"{backend:<8} {sdk_us:>24.1f} {raw_us:>18.1f} {sdk_us / raw_us:>6.2f}")
    sdk_us, raw_us = results["asyncio"]
    print(
        json.dumps(
            {
                "sdk_cpu_us": round(sdk_us, 1),
                "raw_cpu_us": round(raw_us, 1),
                "ratio": round(sdk_us / raw_us, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
