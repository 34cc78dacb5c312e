"""No credential anywhere: log records, exceptions (whole chains), reprs and warnings.

Against the loopback sandbox with every request fault at once (5xx, resets, truncated bodies,
429s), on both transports (httpx on asyncio and trio, aiohttp on asyncio-fast), the SDK runs
reads, writes, reports, a CDR pull, a wrong password and a refused connection, with logging
at DEBUG. Everything it produced is searched for the password and the Authorization header.
(The suite-wide watch in `tests/leaks.py` scans every other test's records and errors too.)
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import Any

import anyio
import anyio.abc
import pytest

from simwood_async import RetryPolicy, SimwoodClient, SimwoodError
from simwood_async.reports import ReportOptions
from simwood_async.sandbox import Sandbox
from tests.conftest import ACCOUNT, PASSWORD, USERNAME
from tests.leaks import secrets_in

pytestmark = pytest.mark.fast_transport
DAY = dt.date(2026, 3, 14)


class Records(logging.Handler):
    """Keeps every record."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)


def faulty_sandbox() -> Sandbox:
    """A real-time sandbox with the test credentials and every request fault."""
    sandbox = Sandbox(
        seed=11,
        username=USERNAME,
        password=PASSWORD,
        report_delay=(0.05, 0.2),
        cdr_rows_per_day=300,
    )
    sandbox.faults.add("error", 0.1, status=503)
    sandbox.faults.add("reset", 0.05)
    sandbox.faults.add("truncate", 0.05)
    sandbox.faults.add("rate_limit", 0.03, retry_after=0.01)
    return sandbox


def client_for(base_url: str, *, password: str = PASSWORD) -> SimwoodClient:
    """A client of the loopback sandbox (its transport chosen by the backend variant)."""
    return SimwoodClient(
        ACCOUNT,
        username=USERNAME,
        password=password,
        base_url=base_url,
        retry=RetryPolicy(attempts=6, initial_wait=0.01, max_wait=0.05),
        reports=ReportOptions(deadline=20, min_interval=0.05, max_interval=1.0),
        env={},
    )


async def scenarios(base_url: str, refused_url: str, errors: list[BaseException]) -> list[Any]:
    """Run the calls; keep every SDK error; return the objects whose reprs are checked."""

    async def attempt(call: Any) -> None:
        """Make the call, keeping the SDK error it raised."""
        try:
            await call()
        except SimwoodError as err:
            errors.append(err)

    objects: list[Any] = []
    async with client_for(base_url) as client:
        objects += [client, client.reports, client.reports.stats, client._transport]
        for _ in range(5):
            await attempt(client.accounts.prepay_balance)
            await attempt(lambda: client.voice.set_limits(inbound=10, outbound=10))
            await attempt(lambda: client.accounts.invoice_pdf("12345"))
        await attempt(lambda: client.reports.voice_cdr_day(date=DAY))
        await attempt(lambda: client.reports.voice_cdr_latest(100))

        async def pull() -> None:
            """Pull a day of CDRs."""
            async with client.cdrs.pull(DAY, DAY) as cdrs:
                async for _ in cdrs:
                    pass

        await attempt(pull)
    async with client_for(base_url, password="wrong-password") as wrong:
        await attempt(wrong.accounts.prepay_balance)
    async with client_for(refused_url) as refused:
        await attempt(refused.accounts.prepay_balance)
        objects.append(refused)
    return objects


async def test_no_credential_in_logs_errors_reprs_or_warnings():
    """Every log record, error chain, repr and warning of a faulty run is free of secrets."""
    sandbox = faulty_sandbox()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - not Django
    await listener.aclose()
    handler = Records()
    logger = logging.getLogger("simwood_async")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    errors: list[BaseException] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with sandbox.serve() as base_url:
                objects = await scenarios(base_url, f"http://127.0.0.1:{port}/v3/", errors)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert handler.records  # DEBUG logging ran
    assert errors  # the faults produced errors to scan
    assert sum(sandbox.faults.fired.values()) > 0
    found = []
    for record in handler.records:
        found += secrets_in([record.getMessage(), record.args, record.exc_info])
    for err in errors:
        found += secrets_in(err)
    found += secrets_in([repr(o) for o in objects])
    found += secrets_in([str(w.message) for w in caught])
    assert found == []
