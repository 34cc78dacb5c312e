"""Fault injection: each kind fires at its configured rate, deterministically by seed."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import httpx
import pytest

from simwood_async import (
    ConnectError,
    IncompleteBodyError,
    RateLimitedError,
    ServerError,
    SimwoodError,
)
from simwood_async.sandbox._faults import parse_fault
from tests.sandbox.conftest import make_sandbox, no_retry

A = "930000"
N = 200
RATE = 0.3


class SleepLog:
    """An injected sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        """Record the wait."""
        self.waits.append(seconds)


def within_binomial(hits: int, n: int, rate: float) -> bool:
    """Whether `hits` is within 4.5 standard deviations of n * rate."""
    sd = math.sqrt(n * rate * (1 - rate))
    return abs(hits - n * rate) <= 4.5 * sd


async def outcomes(client: Any, n: int) -> list[str]:
    """Call the balance endpoint n times; name each outcome."""
    seen = []
    for _ in range(n):
        try:
            await client.accounts.prepay_balance()
        except SimwoodError as err:  # noqa: PERF203 - one outcome per call
            seen.append(type(err).__name__)
        else:
            seen.append("ok")
    return seen


@pytest.mark.parametrize(
    ("kind", "params", "outcome"),
    [
        ("error", {"status": 503}, "ServerError"),
        ("error", {"status": 502}, "ServerError"),
        ("rate_limit", {"retry_after": 7}, "RateLimitedError"),
        ("reset", {}, "ConnectError"),
        ("truncate", {"fraction": 0.3}, "IncompleteBodyError"),
    ],
    ids=["503", "502", "429", "reset", "truncate"],
)
async def test_failure_faults_fire_at_the_configured_rate(kind, params, outcome):
    """Each failing fault shows up as its SDK error at about the configured rate."""
    sandbox = make_sandbox()
    fault = sandbox.faults.add(kind, rate=RATE, **params)
    async with sandbox.client(retry=no_retry()) as client:
        seen = await outcomes(client, N)
    hits = seen.count(outcome)
    assert hits == fault.fired == sandbox.faults.fired[kind]
    assert set(seen) == {"ok", outcome}
    assert within_binomial(hits, N, RATE)


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("latency", {"seconds": 0.25, "jitter": 0.1}, (0.25, 0.35)),
        ("slow_body", {"seconds": 0.5, "chunks": 5}, (0.1, 0.1)),
    ],
    ids=["latency", "slow-body"],
)
async def test_slowing_faults_fire_at_the_configured_rate(kind, params, expected):
    """Latency and slow bodies wait (through the injected sleep) on about RATE of requests."""
    sleep = SleepLog()
    sandbox = make_sandbox(sleep=sleep)
    fault = sandbox.faults.add(kind, rate=RATE, **params)
    async with sandbox.client(retry=no_retry()) as client:
        seen = await outcomes(client, N)
    assert set(seen) == {"ok"}
    per_hit = 1 if kind == "latency" else 5
    assert len(sleep.waits) == fault.fired * per_hit
    assert within_binomial(fault.fired, N, RATE)
    low, high = expected
    assert all(low - 1e-9 <= w <= high + 1e-9 for w in sleep.waits)


async def test_the_same_seed_gives_the_same_fault_sequence():
    """Two sandboxes with one seed fail on the same requests; another seed differs."""
    runs = []
    for seed in (11, 11, 12):
        sandbox = make_sandbox(seed=seed)
        sandbox.faults.add("error", rate=0.5, status=500)
        async with sandbox.client(retry=no_retry()) as client:
            runs.append(await outcomes(client, 40))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


async def test_route_method_and_count_limit_where_a_fault_fires():
    """A fault fires only on its route and method, and at most `count` times."""
    sandbox = make_sandbox()
    sandbox.faults.add("error", route="/v3/accounts/{account}/prepay/balance", count=2)
    sandbox.faults.add("error", route="/v3/voice/*", method="PUT")
    async with sandbox.client(retry=no_retry()) as client:
        assert await outcomes(client, 4) == ["ServerError", "ServerError", "ok", "ok"]
        await client.voice.limits()  # GET: not matched
        with pytest.raises(ServerError):
            await client.voice.set_limits(inbound=10, outbound=20)


async def test_retrying_client_rides_out_transient_faults():
    """With retries, the SDK gets through 503s and resets (the sandbox counts every attempt)."""
    sandbox = make_sandbox()
    sandbox.faults.add("error", count=1, status=503)
    sandbox.faults.add("reset", count=1)
    from simwood_async import RetryPolicy  # noqa: PLC0415

    retry = RetryPolicy(attempts=4, sleep=SleepLog(), jitter=lambda: 0.0)
    async with sandbox.client(retry=retry) as client:
        balance = await client.accounts.prepay_balance()
    assert balance.currency == "GBP"
    route = "/v3/accounts/{account}/prepay/balance"
    assert sandbox.stats.count(route=route, status=503) == 1
    assert sandbox.stats.count(route=route, status=0) == 1
    assert sandbox.stats.count(route=route, status=200) == 1


@pytest.mark.parametrize(
    ("kind", "error"),
    [("reset", ConnectError), ("truncate", IncompleteBodyError), ("rate_limit", RateLimitedError)],
    ids=["reset", "truncate", "429"],
)
async def test_connection_faults_over_both_transports(api, sandbox, kind, error):
    """Resets and truncated bodies reach the SDK as its errors in-process and over loopback."""
    sandbox.faults.add(kind, count=1)
    with pytest.raises(error):
        await api.accounts.prepay_balance()
    assert (await api.accounts.prepay_balance()).currency == "GBP"


async def request_reports(client: Any, n: int, callback: str | None = None) -> list[str]:
    """Request n different daily reports; returns their hashes."""
    hashes = []
    for d in range(n):
        data: dict[str, Any] = {"date": str(dt.date(2026, 1, 1) + dt.timedelta(days=d))}
        if callback:
            data["callback"] = callback
        response = await client._transport.request(
            "POST", f"accounts/{A}/reports/sms/cdr/day", data=data, retry=False
        )
        hashes.append(response.json()["hash"])
    return hashes


async def test_slow_report_generation_at_the_configured_rate():
    """`slow_report` multiplies the generation time of about RATE of reports."""
    sandbox = make_sandbox()
    fault = sandbox.faults.add("slow_report", rate=0.5, factor=10.0, extra=1.0)
    async with sandbox.client() as client:
        await request_reports(client, 100)
    delays = [r.ready_at - r.requested_at for r in sandbox._core.store.pending()]
    slow = sum(1 for d in delays if d == 21.0)
    assert slow == fault.fired
    assert sorted(set(delays)) == [2.0, 21.0]
    assert within_binomial(slow, 100, 0.5)


async def test_early_expiry_at_the_configured_rate():
    """`early_expiry` makes about RATE of ready files vanish after `after` seconds."""
    sandbox = make_sandbox()
    fault = sandbox.faults.add("early_expiry", rate=0.5, after=30.0)
    async with sandbox.client() as client:
        hashes = await request_reports(client, 100)
        await sandbox.advance(2 + 30)
        listing = (await client._transport.request("GET", f"files/{A}", retry=False)).json()
    assert len(hashes) - len(listing) == fault.fired == sum(sandbox.reports.expiries.values())
    assert within_binomial(fault.fired, 100, 0.5)


async def test_callback_faults_lose_delay_and_duplicate():
    """Callback faults lose, delay or duplicate callbacks at about their rates."""
    got: list[str] = []

    def receive(request: httpx.Request) -> httpx.Response:
        """Record the callback body."""
        got.append(request.content.decode())
        return httpx.Response(200)

    sandbox = make_sandbox(callback_transport=httpx.MockTransport(receive))
    lost = sandbox.faults.add("callback_lost", rate=0.2)
    delayed = sandbox.faults.add("callback_delay", rate=0.3, seconds=100.0)
    doubled = sandbox.faults.add("callback_duplicate", rate=0.25, copies=2)
    async with sandbox.client() as client:
        await request_reports(client, 120, callback="http://hooks.local/cb")
        await sandbox.advance(2)
        on_time = len(got)
        await sandbox.advance(100)
    outcomes_ = [r.outcome for r in sandbox.reports.callbacks]
    assert outcomes_.count("lost") == lost.fired
    assert len(got) == outcomes_.count("delivered")
    # Delivered copies: every kept callback once, plus one per duplication.
    assert len(got) == 120 - lost.fired + doubled.fired
    assert on_time < len(got)
    # A lost callback cannot also be delayed or duplicated: those rates apply to the rest.
    for fault, rate in ((lost, 0.2), (delayed, 0.3 * 0.8), (doubled, 0.25 * 0.8)):
        assert within_binomial(fault.fired, 120, rate)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("explode",), {}),
        (("error",), {"bogus": 1}),
        (("error",), {"status": 404}),
        (("latency", 1.5), {}),
        (("latency",), {"count": -1}),
    ],
    ids=["kind", "param", "status", "rate", "count"],
)
def test_invalid_fault_rules_are_refused(args, kwargs):
    """Unknown kinds or parameters and out-of-range values raise ValueError."""
    with pytest.raises(ValueError):
        make_sandbox().faults.add(*args, **kwargs)


def test_parse_fault_reads_the_cli_syntax():
    """The CLI's `KIND[:RATE][,key=value]` turns into `faults.add` arguments."""
    assert parse_fault("error:0.05,status=503,route=/v3/files/*,count=3") == {
        "kind": "error",
        "rate": 0.05,
        "status": 503.0,
        "route": "/v3/files/*",
        "count": 3,
    }
    assert parse_fault("latency") == {"kind": "latency", "rate": 1.0}
    with pytest.raises(ValueError):
        parse_fault("error,status")


async def test_faults_over_the_http_control_endpoint(sandbox):
    """`POST /_sandbox/faults` adds a rule, `GET` lists it and `DELETE` clears them."""
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox.local"
    ) as http:
        added = await http.post("/_sandbox/faults", json={"kind": "error", "rate": 0.5})
        assert added.status_code == 200
        assert [(f["kind"], f["rate"]) for f in added.json()] == [("error", 0.5)]
        spec = await http.post("/_sandbox/faults", data={"spec": "latency:0.1,seconds=0.01"})
        assert len(spec.json()) == 2
        bad = await http.post("/_sandbox/faults", json={"kind": "nope"})
        assert bad.status_code == 400
        assert (await http.delete("/_sandbox/faults")).json() == []
    assert len(sandbox.faults) == 0
