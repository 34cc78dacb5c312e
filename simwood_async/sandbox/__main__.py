"""`python -m simwood_async.sandbox`: serve the sandbox on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Final

import anyio
import attrs

from simwood_async.sandbox._clock import Clock, RealClock, ScaledClock
from simwood_async.sandbox._data import DEFAULT_CACHE_BYTES
from simwood_async.sandbox._faults import parse_fault
from simwood_async.sandbox._sandbox import Sandbox
from simwood_async.sandbox._server import HOST, bind, uvicorn_server

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["CDR_ROWS_PER_DAY", "OPTIONS", "Option", "main"]


def _delay(text: str) -> float | tuple[float, float]:
    low, sep, high = text.partition(",")
    return (float(low), float(high)) if sep else float(low)


@attrs.frozen
class Option:
    """One option of the sandbox server, shared by this module and `simwood sandbox serve`."""

    name: str
    type: Any  # str -> value
    default: Any
    help: str
    metavar: str | None = None
    flag: bool = False
    repeat: bool = False


#: Rows of voice CDRs a day: the same for `simwood sandbox serve`, this module, and the
#: embedded sandbox of the `simwood` command (enough for a visible progress bar).
CDR_ROWS_PER_DAY: Final = 5000

#: The one set of options (argparse here, click in `simwood sandbox serve`).
OPTIONS: Final = (
    Option("--port", int, 8080, "TCP port on 127.0.0.1; 0 for any free one"),
    Option(
        "--json",
        str,
        default=False,
        help="print one JSON line (base_url, account, username, password) when ready",
        flag=True,
    ),
    Option("--seed", int, 0, "seed of the generated data and faults"),
    Option("--account", str, "930000", "the account id"),
    Option("--username", str, "sandbox", "the API username"),
    Option("--password", str, None, "the API password (default: a generated secret, printed)"),
    Option("--time-scale", float, 1.0, "sandbox seconds per real second"),
    Option(
        "--report-delay",
        _delay,
        (1.0, 3.0),
        "seconds a report takes, or MIN,MAX",
        metavar="S[,MAX]",
    ),
    Option("--cdr-rows-per-day", int, CDR_ROWS_PER_DAY, "voice CDRs a day"),
    Option("--sms-rows-per-day", int, 20, "SMS CDRs a day"),
    Option(
        "--cdr-cache-mb",
        float,
        DEFAULT_CACHE_BYTES / 2**20,
        "MiB of generated voice CDRs kept for later pages",
    ),
    Option("--live-calls-per-minute", float, 0.0, "calls arriving while it runs"),
    Option(
        "--fault",
        str,
        (),
        "KIND[:RATE][,key=value...], e.g. error:0.05,status=503,route=/v3/files/* (repeatable)",
        metavar="SPEC",
        repeat=True,
    ),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simwood_async.sandbox",
        description="Serve the Simwood API sandbox on 127.0.0.1 (as `simwood sandbox serve`).",
    )
    for option in OPTIONS:
        if option.flag:
            parser.add_argument(option.name, action="store_true", help=option.help)
        elif option.repeat:
            parser.add_argument(
                option.name,
                action="append",
                default=[],
                metavar=option.metavar,
                help=option.help,
            )
        else:
            parser.add_argument(
                option.name,
                type=option.type,
                default=option.default,
                metavar=option.metavar,
                help=f"{option.help} (default: %(default)s)",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server; returns the exit status (1, with one line, if the port is taken)."""
    args = _parser().parse_args(argv)
    return serve(vars(args))


def serve(args_map: dict[str, Any]) -> int:
    """Run the server with parsed options (keys: the options' names with underscores)."""
    args = argparse.Namespace(**args_map)
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
        try:
            sandbox.faults.add(**parse_fault(spec))
        except (ValueError, TypeError) as err:  # noqa: PERF203 - once per option
            print(f"error: --fault {spec!r}: {err}", file=sys.stderr)  # noqa: T201
            return 2
    try:
        sock = bind(args.port)
    except OSError as err:
        print(  # noqa: T201 - the command's one-line error
            f"error: cannot listen on {HOST}:{args.port}: {err.strerror or err}",
            file=sys.stderr,
        )
        return 1
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
            print(  # noqa: T201 - the command's output
                f"Simwood sandbox on {info['base_url']} (account {info['account']}, "
                f"user {info['username']}, password {info['password']}); Ctrl-C to stop\n"
                f"  export SIMWOOD_BASE_URL={info['base_url']} "
                f"SIMWOOD_ACCOUNT={info['account']} SIMWOOD_API_USER={info['username']} "
                f"SIMWOOD_API_PASSWORD={info['password']}",
                flush=True,
            )

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
