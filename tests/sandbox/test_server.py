"""The loopback server: `Sandbox.serve()` and `python -m simwood_async.sandbox`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import httpx

from simwood_async import SimwoodClient
from simwood_async.sandbox.__main__ import _parser


async def test_serve_binds_loopback_and_speaks_the_api(sandbox):
    """`serve()` yields a 127.0.0.1 base URL that the SDK can use."""
    async with sandbox.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v3/")
        async with SimwoodClient(
            sandbox.account,
            username=sandbox.username,
            password=sandbox.password,
            base_url=base_url,
            env={},
        ) as client:
            assert (await client.tools.myip()).ip == "127.0.0.1"
            assert (await client.accounts.prepay_balance()).currency == "GBP"


def test_command_line_server_prints_its_coordinates_and_serves():
    """`python -m simwood_async.sandbox --port 0 --json` prints one JSON line, then serves."""
    cmd = [sys.executable, "-m", "simwood_async.sandbox", "--port", "0", "--json",
           "--seed", "4", "--password", "pw-cli", "--report-delay", "0",
           "--fault", "error:1.0,status=503,route=/v3/accounts/*/rates/*"]  # fmt: skip
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:  # noqa: S603
        watchdog = threading.Timer(30, proc.kill)  # never hang the suite
        watchdog.start()
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            assert set(info) == {"base_url", "account", "username", "password"}
            assert info["password"] == "pw-cli"
            assert info["base_url"].startswith("http://127.0.0.1:")
            with httpx.Client(
                base_url=info["base_url"], auth=(info["username"], info["password"])
            ) as http:
                assert http.get(f"accounts/{info['account']}/prepay/balance").is_success
                tariffs = http.get(f"accounts/{info['account']}/rates/tariffs")
                assert tariffs.status_code == 503
        finally:
            watchdog.cancel()
            proc.terminate()
            proc.wait(timeout=30)


def test_command_line_options_parse():
    """The CLI reads a delay range, a time scale, volumes, a cache size and repeated faults."""
    args = _parser().parse_args(
        ["--report-delay", "1,4", "--time-scale", "100", "--cdr-rows-per-day", "11112",
         "--cdr-cache-mb", "512", "--fault", "reset:0.1", "--fault", "latency,seconds=0.01"]
    )  # fmt: skip
    assert args.report_delay == (1.0, 4.0)
    assert args.time_scale == 100.0
    assert args.cdr_rows_per_day == 11112
    assert args.cdr_cache_mb == 512.0
    assert args.fault == ["reset:0.1", "latency,seconds=0.01"]
