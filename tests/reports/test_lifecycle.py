"""Typed results, bad input, expiry, broken downloads, deadlines, tickets, resume and recovery."""

from __future__ import annotations

import datetime as dt
import logging

import anyio
import httpx
import pytest

from simwood_async import (
    InvalidInputError,
    ReportDownloadError,
    ReportExpiredError,
    ReportTimeoutError,
)
from simwood_async.cdrs import SmsCdr, VoiceCdr
from simwood_async.reports import PrepaySummaryRow, ReportRequest, VoiceSummaryRow
from simwood_async.sandbox import IN_PROCESS_BASE_URL
from tests.reports.conftest import VirtualTime, make_sandbox, sandbox_client

DAY = "2026-03-14"
FILE = "/v3/files/{account}/{hash}"
LISTING = "/v3/files/{account}"


@pytest.mark.parametrize(
    ("method", "kwargs", "row_type"),
    [
        ("voice_cdr_day", {"date": DAY}, VoiceCdr),
        ("voice_cdr_latest", {"count": 10}, VoiceCdr),
        ("sms_cdr_day", {"date": DAY}, SmsCdr),
        ("sms_cdr_latest", {"count": 10}, SmsCdr),
        ("voice_summary_day", {"direction": "out", "date": DAY}, VoiceSummaryRow),
        ("prepay_summary", {"from_date": "2026-03-01", "to_date": DAY}, PrepaySummaryRow),
    ],
    ids=["voice-cdr-day", "voice-latest", "sms-day", "sms-latest", "summary", "prepay"],
)
async def test_each_report_returns_a_tuple_of_typed_rows(sandbox, vtime, method, kwargs, row_type):
    """Every report method returns a non-empty tuple of its row model (decoded strictly)."""
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        rows = await getattr(client.reports, method)(**kwargs)
    assert isinstance(rows, tuple)
    assert rows
    assert all(isinstance(row, row_type) for row in rows)
    if method.endswith("latest"):
        assert len(rows) == 10


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("voice_cdr_day", {"date": "14/03/2026"}),
        ("voice_cdr_day", {"date": dt.datetime(2026, 3, 14, tzinfo=dt.timezone.utc)}),
        ("voice_cdr_latest", {"count": 25}),
        ("voice_cdr_latest", {"count": True}),
        ("sms_cdr_latest", {"count": "100"}),
        ("voice_summary_day", {"direction": "both"}),
        ("prepay_summary", {"from_date": "2026-03-10", "to_date": "2026-03-01"}),
    ],
    ids=["date-format", "datetime", "latest-25", "latest-bool", "latest-str", "direction", "range"],
)
async def test_bad_input_is_refused_before_any_request(sandbox, vtime, method, kwargs):
    """Invalid dates, sizes and directions raise InvalidInputError and send nothing."""
    async with sandbox_client(sandbox, vtime) as client:
        with pytest.raises(InvalidInputError):
            await getattr(client.reports, method)(**kwargs)
    assert sandbox.stats.total == 0


@pytest.mark.parametrize(
    ("kind", "params"),
    [("early_expiry", {"after": 0.0}), ("truncate", {"fraction": 0.5})],
    ids=["expired", "truncated"],
)
async def test_a_lost_file_is_requested_again(kind, params):
    """A file that expired before download, or broke mid-body, leads to one fresh request."""
    sandbox = make_sandbox()
    vtime = VirtualTime(sandbox)
    route = None if kind == "early_expiry" else "/v3/files/*/*"
    sandbox.faults.add(kind, route=route, count=1, **params)
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        rows = await client.reports.voice_cdr_day(date=DAY)
    assert rows
    assert all(isinstance(row, VoiceCdr) for row in rows)
    assert sum(sandbox.reports.generations.values()) == 2
    assert client.reports.stats.re_requests == 1


@pytest.mark.parametrize(
    ("kind", "params", "error", "words"),
    [
        ("early_expiry", {"after": 0.0}, ReportExpiredError, "gone"),
        ("truncate", {"fraction": 0.3}, ReportDownloadError, "broke"),
    ],
    ids=["expired", "truncated"],
)
async def test_a_spent_budget_says_what_happened(kind, params, error, words):
    """When every attempt fails the caller gets the precise error, the last hash and history."""
    sandbox = make_sandbox()
    vtime = VirtualTime(sandbox)
    route = None if kind == "early_expiry" else "/v3/files/*/*"
    sandbox.faults.add(kind, route=route, **params)
    async with sandbox_client(sandbox, vtime, rerequests=2) as client, vtime.running():
        with pytest.raises(error) as caught:
            await client.reports.voice_cdr_day(date=DAY)
    assert caught.value.report_hash in sandbox.reports.generations
    assert words in str(caught.value)
    assert "2 re-request(s) spent" in str(caught.value)
    assert sum(sandbox.reports.generations.values()) == 3


async def test_a_report_that_never_becomes_ready_times_out_at_the_deadline():
    """A report still pending at its deadline ends in ReportTimeoutError, not a hang."""
    sandbox = make_sandbox(report_delay=10_000.0)
    vtime = VirtualTime(sandbox)
    async with sandbox_client(sandbox, vtime, deadline=120.0) as client, vtime.running():
        started = vtime.clock()
        with pytest.raises(ReportTimeoutError) as caught:
            await client.reports.voice_cdr_day(date=DAY)
        ended = vtime.clock()
    assert 120.0 <= ended - started < 121.0
    assert caught.value.report_hash in sandbox.reports.generations
    # Polling backed off: far fewer checks than one per second.
    assert sandbox.stats.count(route=FILE) < 40


async def test_a_ticket_is_awaited_later_from_another_task(sandbox, vtime):
    """`submit()` returns a ticket at once; another task awaits its rows."""
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        ticket = await client.reports.submit(ReportRequest.voice_cdr_day(date=DAY))
        assert ticket.link == f"/v3/files/{sandbox.account}/{ticket.report_hash}"
        assert sandbox.stats.count(route=FILE) == 0
        got: list[tuple[VoiceCdr, ...]] = []

        async def elsewhere() -> None:
            """Await the ticket from another task."""
            got.append(await ticket.result())

        async with anyio.create_task_group() as tg:
            tg.start_soon(elsewhere)
        again = await client.reports.submit(ReportRequest.voice_cdr_day(date=DAY))
    assert got[0]
    assert all(isinstance(row, VoiceCdr) for row in got[0])
    assert sandbox.stats.count(method="POST") == 2
    assert again.report_hash == ticket.report_hash


async def test_resume_from_a_hash_typed_or_raw(sandbox, vtime):
    """`resume(hash)` downloads a report requested earlier, as models or as JSON rows."""
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        first = await client.reports.submit(ReportRequest.voice_cdr_day(date=DAY))
        typed = await client.reports.resume(first.report_hash, row_type=VoiceCdr)
        second = await client.reports.submit(ReportRequest.voice_cdr_day(date="2026-03-13"))
        raw = await client.reports.resume(second.report_hash)
    assert all(isinstance(row, VoiceCdr) for row in typed)
    assert all(isinstance(row, dict) and "reference" in row for row in raw)


async def test_resuming_a_collected_hash_is_expired_at_once(sandbox, vtime):
    """Without its request, a hash that is gone cannot be asked for again: ReportExpiredError."""
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        ticket = await client.reports.submit(ReportRequest.voice_cdr_day(date=DAY))
        await ticket.result()
        with pytest.raises(ReportExpiredError, match="no re-request possible"):
            await client.reports.resume(ticket.report_hash)


async def test_recover_downloads_files_left_uncollected(sandbox, vtime):
    """`recover()` lists the account's uncollected files and downloads each once."""
    async with (
        httpx.AsyncClient(
            transport=sandbox.transport(),
            base_url=IN_PROCESS_BASE_URL,
            auth=(sandbox.username, sandbox.password),
        ) as other_system,
        sandbox_client(sandbox, vtime) as client,
        vtime.running(),
    ):
        hashes = set()
        for day in ("2026-03-12", "2026-03-13"):
            response = await other_system.post(
                f"accounts/{sandbox.account}/reports/sms/cdr/day", data={"date": day}
            )
            hashes.add(response.json()["hash"])
        await vtime.sleep(10)
        listed = await client.reports.files()
        recovered = await client.reports.recover()
        assert await client.reports.files() == {}
    assert set(listed) == hashes
    assert all(f.name in hashes for f in listed.values())
    assert set(recovered) == hashes
    assert all(rows and "reference" in rows[0] for rows in recovered.values())
    assert sandbox.stats.count(route=FILE, status=200) == 2


async def test_many_pending_reports_cost_one_listing_per_round():
    """With many reports pending, each poll round is one listing, never a GET per hash."""
    sandbox = make_sandbox(report_delay=(20.0, 60.0))
    vtime = VirtualTime(sandbox)
    days = [(dt.date(2026, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(60)]
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        async with anyio.create_task_group() as tg:
            for day in days:
                tg.start_soon(lambda d=day: client.reports.voice_cdr_day(date=d))
        stats = client.reports.stats
    listings = sandbox.stats.count(route=LISTING)
    assert listings == stats.listings
    assert sandbox.stats.count(route=FILE, status=204) == stats.polls
    assert sandbox.stats.count(route=FILE, status=200) == 60
    # One POST and one download each, plus the shared rounds: far fewer than 60 per round.
    assert stats.polls <= 5
    assert listings < 60


async def test_stats_and_timings_describe_what_happened(sandbox, vtime):
    """Counters and per-report timings (requested, ready, downloaded) are exposed."""
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        await client.reports.voice_cdr_day(date=DAY)
    stats = client.reports.stats
    assert stats.report_requests == 1
    assert stats.downloads == 1
    assert stats.requests == sandbox.stats.total
    timing = stats.timings[-1]
    assert timing.outcome == "ready"
    assert timing.detected_by == "poll"
    assert timing.requested_at <= timing.ready_at <= timing.downloaded_at
    assert timing.waited >= 2.0
    assert set(stats.as_dict()) >= {"report_requests", "polls", "listings", "requests"}
    stats.reset()
    assert stats.requests == 0
    assert not stats.timings


async def test_logs_name_reports_but_never_credentials(sandbox, vtime, caplog):
    """The engine logs report progress at INFO and never the password."""
    caplog.set_level(logging.DEBUG, logger="simwood_async")
    async with sandbox_client(sandbox, vtime) as client, vtime.running():
        await client.reports.voice_cdr_day(date=DAY)
    assert "requested" in caplog.text
    assert "downloaded" in caplog.text
    assert sandbox.password not in caplog.text
