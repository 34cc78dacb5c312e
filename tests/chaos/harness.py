"""The chaos run: the SDK against a loopback sandbox with every fault at once.

Two sandboxes are served over loopback HTTP on a `ScaledClock` (sandbox time runs `scale` times
faster than real time, and the SDK's report engine and retry backoff wait in that same scaled
time, so minutes of report generation pass in seconds):

- the *reports* sandbox answers `requests` report calls (`distinct` different reports: voice
  and SMS CDR days), made by concurrent callers with random deadlines, some of them cancelled
  at random points;
- the *CDR* sandbox serves a `rows`-row CDR pull.

Both inject, at once: 10 % 5xx, 5 % connection resets, 5 % truncated bodies, 3 % 429 with
`Retry-After`; the reports sandbox also fails the file listing for a while, loses 20 % of the
callbacks, and makes reports slow or expire early. Then the run checks that every delivered
report equals the sandbox's ground truth, that every other caller ended in a typed error
within its deadline (or was cancelled by us), that no CDR is missing or duplicated, that no
task is left running and that nothing produced shows a credential.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import random
import time
from collections import Counter
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import httpx

from simwood_async import ReportError, RetryPolicy, SimwoodClient, SimwoodError
from simwood_async.reports import CallbackReceiver, ReportOptions, ReportRequest
from simwood_async.sandbox import RealClock, Sandbox, ScaledClock
from tests.leaks import texts_of

__all__ = ["ChaosConfig", "run_chaos"]

ACCOUNT = "930000"
USERNAME = "chaos-user"
PASSWORD = "pw-chaos-Kq7-never-log-me"
TOKEN = "chaos-callback-token-" + "z" * 12
START = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


@attrs.frozen(kw_only=True)
class ChaosConfig:
    """The size of a chaos run.

    Attributes:
        requests: Report calls made (by as many concurrent callers).
        distinct: Different reports among them (voice and SMS CDR days).
        rows: CDR rows in the pull.
        scale: Sandbox seconds per real second.
        cancel_rate: Share of callers cancelled at a random point.
        seed: Everything random derives from it.
        bound_s: The run must end within this many real seconds.
    """

    requests: int = 1000
    distinct: int = 200
    rows: int = 100_000
    scale: float = 20.0
    cancel_rate: float = 0.15
    seed: int = 7
    bound_s: float = 300.0


def add_faults(sandbox: Sandbox, *, reports: bool, scale: float) -> None:
    """Every request fault at once; report and callback faults on the reports sandbox."""
    faults = sandbox.faults
    faults.add("error", 0.05, status=500)
    faults.add("error", 0.05, status=503)
    faults.add("reset", 0.05)
    faults.add("truncate", 0.05)
    faults.add("rate_limit", 0.03, retry_after=1.0 if reports else 0.05)
    if reports:
        # The listing fails for a while (the first N listings), then recovers.
        faults.add("error", 1.0, route="/v3/files/{account}", method="GET", count=40, status=503)
        faults.add("callback_lost", 0.2)
        faults.add("slow_report", 0.1, factor=3.0)
        faults.add("early_expiry", 0.1, after=max(30.0, scale * 1.5))


class _Log(logging.Handler):
    """Counts retries and keeps every record's text (for the secrets scan)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.retries = 0
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Count and keep."""
        text = record.getMessage()
        if text.startswith("retrying "):
            self.retries += 1
        self.texts.append(text)


@attrs.define
class _Outcome:
    """How one caller ended."""

    kind: str  # delivered, mismatch, typed_error, untyped_error, cancelled
    late: bool = False


def _requests(distinct: int, today: dt.date) -> list[ReportRequest[Any]]:
    """`distinct` different reports: voice and SMS CDR days before today."""
    out: list[ReportRequest[Any]] = []
    for n in range(distinct):
        day = today - dt.timedelta(days=1 + n // 2)
        if n % 2 == 0:
            out.append(ReportRequest.voice_cdr_day(date=day))
        else:
            out.append(ReportRequest.sms_cdr_day(date=day))
    return out


def _truth(sandbox: Sandbox, request: ReportRequest[Any]) -> list[str]:
    """The references the sandbox says the report holds (its ground truth)."""
    day = dt.date.fromisoformat(dict(request.fields)["date"])
    rows = sandbox.voice_cdrs(day) if request.kind.startswith("reports/voice") else None
    if rows is None:
        rows = sandbox.sms_cdrs(day)
    return sorted(str(row["reference"]) for row in rows)


async def _reports(
    cfg: ChaosConfig, rng: random.Random, base_url: str, sandbox: Sandbox, log: _Log
) -> dict[str, Any]:
    """The report callers against the reports sandbox; their outcomes and the engine's figures."""
    scale = cfg.scale
    clock = sandbox.clock

    async def sleep(seconds: float) -> None:
        """Sleep in sandbox seconds."""
        await anyio.sleep(max(seconds, 0.0) / scale)

    receiver = CallbackReceiver(TOKEN)
    sandbox._callback_transport = httpx.ASGITransport(receiver)
    today = dt.datetime.fromtimestamp(clock.now(), dt.timezone.utc).date()
    options = ReportOptions(
        deadline=900,
        rerequests=3,
        callback_url="http://callbacks.chaos/simwood",
        callback_receiver=receiver,
        clock=clock.now,
        sleep=sleep,
        random=random.Random(cfg.seed).random,  # noqa: S311 - jitter, not secrets
        today=lambda: today,
    )
    retry = RetryPolicy(attempts=6, clock=clock.now, sleep=sleep, max_retry_after=120)
    distinct = _requests(cfg.distinct, today)
    truths = {r: _truth(sandbox, r) for r in distinct}
    outcomes: list[_Outcome] = []
    errors: list[BaseException] = []
    client = SimwoodClient(
        ACCOUNT,
        username=USERNAME,
        password=PASSWORD,
        base_url=base_url,
        retry=retry,
        reports=options,
        max_concurrency=64,
        env={},
    )

    async def caller(
        request: ReportRequest[Any], deadline: float, cancel_after: float | None
    ) -> None:
        """One caller: waits for its report until its deadline, or until we cancel it."""
        started = clock.now()
        with anyio.CancelScope() as scope:
            if cancel_after is not None:
                scope.deadline = anyio.current_time() + cancel_after
            try:
                rows = await client.reports.get(request, deadline=deadline)
            except SimwoodError as err:
                errors.append(err)
                late = clock.now() - started > deadline * 1.02 + 2 * scale * 0.05
                kind = "typed_error" if isinstance(err, (ReportError, SimwoodError)) else "untyped"
                outcomes.append(_Outcome(kind, late=late))
                return
            except Exception as err:  # noqa: BLE001 - counted: anything else is a failure
                errors.append(err)
                outcomes.append(_Outcome("untyped_error"))
                return
            got = sorted(str(row.reference) for row in rows)
            outcomes.append(_Outcome("delivered" if got == truths[request] else "mismatch"))
        if scope.cancelled_caught:
            outcomes.append(_Outcome("cancelled"))

    async with client, anyio.create_task_group() as tg:
        for n in range(cfg.requests):
            request = distinct[n % len(distinct)]
            deadline = rng.uniform(120, 900)
            cancel_after = rng.uniform(0.0, 600 / scale) if rng.random() < cfg.cancel_rate else None
            tg.start_soon(caller, request, deadline, cancel_after)
            if n % 50 == 49:  # callers arrive over a little time, not all in one instant
                await anyio.sleep(0.01)
    stats = client.reports.stats
    counts = Counter(o.kind for o in outcomes)
    return {
        "outcomes": counts,
        "late": sum(o.late for o in outcomes),
        "re_requests": stats.re_requests,
        "errors": errors,
        "reprs": [repr(client), repr(client.reports.stats), repr(receiver), repr(options)],
    }


async def _pull(cfg: ChaosConfig, base_url: str, sandbox: Sandbox) -> dict[str, Any]:
    """Five days of CDRs pulled under faults, against the sandbox's ground truth."""
    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=n) for n in range(6, 1, -1)]
    truth: list[str] = [str(r["reference"]) for d in days for r in sandbox.voice_cdrs(d)]
    client = SimwoodClient(
        ACCOUNT,
        username=USERNAME,
        password=PASSWORD,
        base_url=base_url,
        # Pages are reads: every 5xx is worth another attempt (a policy the user can choose).
        retry=RetryPolicy(
            attempts=10,
            initial_wait=0.01,
            max_wait=0.2,
            max_retry_after=5,
            retry_statuses=frozenset({429, 500, 502, 503, 504}),
        ),
        env={},
    )
    got: list[str] = []
    errors: list[BaseException] = []
    async with client:
        try:
            async with client.cdrs.pull(days[0], days[-1], concurrency=8) as cdrs:
                got.extend([str(cdr.reference) async for cdr in cdrs])
        except SimwoodError as err:
            errors.append(err)
    delivered = Counter(got)
    return {
        "rows_expected": len(truth),
        "rows_delivered": len(got),
        "duplicates": sum(c - 1 for c in delivered.values() if c > 1),
        "losses": len(set(truth) - set(got)),
        "errors": errors,
        "reprs": [repr(client)],
    }


async def run_chaos(cfg: ChaosConfig) -> dict[str, Any]:
    """Run the chaos scenario; the figures (the JSON object's keys) and the findings."""
    rng = random.Random(cfg.seed)  # noqa: S311 - a reproducible run, not secrets
    tasks_before = len(anyio.get_running_tasks())
    log = _Log()
    logger = logging.getLogger("simwood_async")
    saved = (logger.level, logger.propagate)
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    rows_per_day = max(1, cfg.rows // 5)
    reports_box = Sandbox(
        seed=cfg.seed,
        username=USERNAME,
        password=PASSWORD,
        clock=ScaledClock(cfg.scale, start=START),
        report_delay=(1.0, 120.0),
        cdr_rows_per_day=30,
        sms_rows_per_day=10,
    )
    cdr_box = Sandbox(
        seed=cfg.seed + 1,
        username=USERNAME,
        password=PASSWORD,
        clock=RealClock(),
        cdr_rows_per_day=rows_per_day,
    )
    add_faults(reports_box, reports=True, scale=cfg.scale)
    add_faults(cdr_box, reports=False, scale=cfg.scale)
    started = time.perf_counter()
    results: dict[str, Any] = {}
    try:
        with anyio.fail_after(cfg.bound_s):
            async with (
                reports_box,
                reports_box.serve() as reports_url,
                cdr_box.serve() as cdr_url,
                anyio.create_task_group() as tg,
            ):

                async def reports() -> None:
                    """The report half of the run."""
                    results["reports"] = await _reports(cfg, rng, reports_url, reports_box, log)

                async def pull() -> None:
                    """The CDR half of the run."""
                    results["pull"] = await _pull(cfg, cdr_url, cdr_box)

                tg.start_soon(reports)
                tg.start_soon(pull)
    finally:
        logger.removeHandler(log)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
    wall = time.perf_counter() - started
    await anyio.lowlevel.checkpoint()
    leaked = len(anyio.get_running_tasks()) - tasks_before
    rep, pull = results["reports"], results["pull"]
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    secrets = (PASSWORD, token)
    texts = log.texts + texts_of(rep["errors"] + pull["errors"]) + rep["reprs"] + pull["reprs"]
    found = sum(text.count(secret) for text in texts for secret in secrets)
    outcomes = rep["outcomes"]
    faults = Counter(reports_box.faults.fired) + Counter(cdr_box.faults.fired)
    return {
        "requests": reports_box.stats.total + cdr_box.stats.total,
        "faults": dict(sorted(faults.items())),
        "retries": log.retries,
        "re_requests": rep["re_requests"],
        "reports_delivered": outcomes["delivered"],
        "reports_expected": cfg.requests - outcomes["cancelled"],
        "reports_failed_typed": outcomes["typed_error"],
        "reports_cancelled": outcomes["cancelled"],
        "reports_mismatched": outcomes["mismatch"],
        "reports_untyped_errors": outcomes["untyped_error"],
        "reports_late": rep["late"],
        "report_errors": dict(Counter(type(e).__name__ for e in rep["errors"])),
        "rows_delivered": pull["rows_delivered"],
        "rows_expected": pull["rows_expected"],
        "pull_errors": [str(e)[:300] for e in pull["errors"]],
        "duplicates": pull["duplicates"],
        "losses": pull["losses"],
        "leaked_tasks": leaked,
        "secrets_found": found,
        "wall_s": round(wall, 2),
    }


def violations(figures: dict[str, Any]) -> list[str]:
    """The invariants a chaos run broke (empty when all hold)."""
    keys = ("duplicates", "losses", "leaked_tasks", "secrets_found")
    broken = [f"{key} = {figures[key]}" for key in keys if figures[key]]
    if figures["reports_mismatched"]:
        broken.append(f"{figures['reports_mismatched']} delivered reports differ from the truth")
    if figures["reports_untyped_errors"]:
        broken.append(f"{figures['reports_untyped_errors']} callers got an untyped error")
    if figures["reports_late"]:
        broken.append(f"{figures['reports_late']} callers ended after their deadline")
    settled = (
        figures["reports_delivered"]
        + figures["reports_failed_typed"]
        + figures["reports_untyped_errors"]
        + figures["reports_mismatched"]
    )
    if settled != figures["reports_expected"]:
        broken.append(f"{figures['reports_expected'] - settled} callers never ended")
    if figures["rows_delivered"] != figures["rows_expected"] and not figures["pull_errors"]:
        broken.append("the pull ended without error but without every row")
    return broken
