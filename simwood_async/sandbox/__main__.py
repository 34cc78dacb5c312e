"""`python -m simwood_async.sandbox`: serve the sandbox on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

import anyio

from simwood_async.sandbox._clock import Clock, RealClock, ScaledClock
from simwood_async.sandbox._data import DEFAULT_CACHE_BYTES
from simwood_async.sandbox._faults import parse_fault
from simwood_async.sandbox._sandbox import Sandbox
from simwood_async.sandbox._server import HOST, bind, uvicorn_server

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def _delay(text: str) -> float | tuple[float, float]:
    low, sep, high = text.partition(",")
    return (float(low), float(high)) if sep else float(low)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simwood_async.sandbox",
        description="Serve the Simwood API sandbox on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8080, help="TCP port; 0 for any free one")
    parser.add_argument("--json", action="store_true", help="print one JSON line when ready")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--account", default="930000")
    parser.add_argument("--username", default="sandbox")
    parser.add_argument("--password", default=None, help="default: a generated secret")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="sandbox seconds per real second"
    )
    parser.add_argument(
        "--report-delay", type=_delay, default=(1.0, 3.0), help="seconds, or MIN,MAX"
    )
    parser.add_argument("--cdr-rows-per-day", type=int, default=200)
    parser.add_argument("--sms-rows-per-day", type=int, default=20)
    parser.add_argument(
        "--cdr-cache-mb",
        type=float,
        default=DEFAULT_CACHE_BYTES / 2**20,
        help="MiB of generated voice CDRs kept for later pages (default %(default)g)",
    )
    parser.add_argument("--live-calls-per-minute", type=float, default=0.0)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="KIND[:RATE][,key=value...], e.g. error:0.05,status=503,route=/v3/files/*",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server; returns the exit status."""
    args = _parser().parse_args(argv)
    clock: Clock = RealClock() if args.time_scale == 1.0 else ScaledClock(args.time_scale)
    sandbox = Sandbox(
        seed=args.seed,
        account=args.account,
        username=args.username,
        password=args.password,
        clock=clock,
        report_delay=args.report_delay,
        cdr_rows_per_day=args.cdr_rows_per_day,
        sms_rows_per_day=args.sms_rows_per_day,
        cdr_cache_bytes=int(args.cdr_cache_mb * 2**20),
        live_calls_per_minute=args.live_calls_per_minute,
    )
    for spec in args.fault:
        sandbox.faults.add(**parse_fault(spec))
    sock = bind(args.port)
    port = sock.getsockname()[1]
    info: dict[str, Any] = {
        "base_url": f"http://{HOST}:{port}/v3/",
        "account": sandbox.account,
        "username": sandbox.username,
        "password": sandbox.password,
    }

    def ready() -> None:
        if args.json:
            print(json.dumps(info), flush=True)  # noqa: T201 - the CLI's output
        else:
            print(f"Simwood sandbox on {info['base_url']} (account {info['account']}, "  # noqa: T201
                  f"user {info['username']}); Ctrl-C to stop", flush=True)  # fmt: skip

    server = uvicorn_server(sandbox.app, ready)

    async def run() -> None:
        async with sandbox:  # delivers report callbacks in the background
            await server.serve(sockets=[sock])

    try:
        anyio.run(run, backend="asyncio")
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
