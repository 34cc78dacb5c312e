"""The report lifecycle, driven through the real SimwoodClient (in-process and over loopback)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest

from simwood_async import BadRequestError, NotFoundError
from simwood_async._converter import make_converter
from simwood_async.cdrs import SmsCdr, VoiceCdr
from simwood_async.reports._models import (
    PrepaySummaryRow,
    ReportEnvelope,
    ReportFile,
    VoiceSummaryRow,
)
from simwood_async.sandbox import EXPIRY_SECONDS, ManualClock
from tests.sandbox.conftest import START, make_sandbox

A = "930000"
TODAY = START.date()


async def request_report(client: Any, path: str, **data: Any) -> ReportEnvelope:
    """POST a report request and decode the envelope strictly."""
    response = await client._transport.request(
        "POST", f"accounts/{A}/{path}", data=data or None, retry=False
    )
    return client.converter.structure(response.json(), ReportEnvelope)


async def fetch(client: Any, hash_: str) -> Any:
    """GET a file; returns the response (204 or 200) or raises NotFoundError."""
    return await client._transport.request("GET", f"files/{A}/{hash_}", retry=False)


async def test_identical_requests_share_one_hash_and_one_generation(api, sandbox):
    """Two identical requests while the report is pending give one hash and run it once."""
    first = await request_report(api, "reports/voice/cdr/day", date="2026-03-14")
    second = await request_report(api, "reports/voice/cdr/day", date="2026-03-14")
    assert first.hash == second.hash
    assert first.link == f"/v3/files/{A}/{first.hash}"
    assert sandbox.reports.requests[first.hash] == 2
    assert sandbox.reports.generations[first.hash] == 1


async def test_file_is_204_until_ready_then_200_once_then_404(api, sandbox):
    """Polling gives 204 until ready, the body exactly once, then 404."""
    envelope = await request_report(api, "reports/voice/cdr/day", date="2026-03-14")
    assert (await fetch(api, envelope.hash)).status_code == 204
    await sandbox.advance(1.9)
    pending = await fetch(api, envelope.hash)
    assert pending.status_code == 204
    assert pending.content == b""
    await sandbox.advance(0.1)
    ready = await fetch(api, envelope.hash)
    assert ready.status_code == 200
    rows = api.converter.structure(ready.json(), list[VoiceCdr])
    assert len(rows) == 300
    with pytest.raises(NotFoundError):
        await fetch(api, envelope.hash)
    assert sandbox.reports.downloads[envelope.hash] == 1


async def test_unknown_hash_is_404(local):
    """A hash the sandbox never issued is 404."""
    with pytest.raises(NotFoundError):
        await fetch(local, "0" * 32)


@pytest.mark.parametrize(
    ("wait", "status"), [(EXPIRY_SECONDS - 0.5, 200), (EXPIRY_SECONDS, 404)], ids=["before", "at"]
)
async def test_ready_file_expires_after_five_minutes_of_sandbox_time(api, sandbox, wait, status):
    """A ready file can be collected until five minutes after readiness, not at five minutes."""
    envelope = await request_report(api, "reports/sms/cdr/day", date="2026-03-10")
    await sandbox.advance(2.0 + wait)
    if status == 404:
        with pytest.raises(NotFoundError):
            await fetch(api, envelope.hash)
        assert sandbox.reports.expiries[envelope.hash] == 1
    else:
        assert (await fetch(api, envelope.hash)).status_code == 200


@pytest.mark.parametrize("how", ["collected", "expired"], ids=["collected", "expired"])
async def test_identical_request_runs_again_after_collection_or_expiry(local, sandbox, how):
    """Once a file is collected or expired, the same request starts a new generation."""
    first = await request_report(local, "reports/voice/summary/day/in", date="2026-03-14")
    await sandbox.advance(2)
    if how == "collected":
        await fetch(local, first.hash)
    else:
        await sandbox.advance(EXPIRY_SECONDS)
    again = await request_report(local, "reports/voice/summary/day/in", date="2026-03-14")
    assert again.hash == first.hash
    assert sandbox.reports.generations[first.hash] == 2


async def test_hash_depends_on_type_parameters_and_day(local, sandbox):
    """Different reports, parameters or days give different hashes."""
    base = await request_report(local, "reports/voice/cdr/day", date="2026-03-14")
    other_date = await request_report(local, "reports/voice/cdr/day", date="2026-03-13")
    other_type = await request_report(local, "reports/sms/cdr/day", date="2026-03-14")
    await sandbox.advance(86400)
    next_day = await request_report(local, "reports/voice/cdr/day", date="2026-03-14")
    hashes = {base.hash, other_date.hash, other_type.hash, next_day.hash}
    assert len(hashes) == 4


async def test_hash_is_deterministic_across_sandboxes():
    """The same request on the same sandbox day gives the same hash in another sandbox."""
    hashes = []
    for seed in (1, 2):
        sandbox = make_sandbox(seed=seed)
        async with sandbox.client() as client:
            hashes.append((await request_report(client, "prepay/summary")).hash)
    assert hashes[0] == hashes[1]


async def test_listing_shows_ready_uncollected_files(api, sandbox):
    """`GET /v3/files/{A}` is `{}` until a file is ready, then lists it until collected."""
    listing = await api._transport.request("GET", f"files/{A}", retry=False)
    assert listing.content == b"{}"
    envelope = await request_report(api, "reports/voice/cdr/latest/100")
    pending = await api._transport.request("GET", f"files/{A}", retry=False)
    assert pending.json() == {}
    await sandbox.advance(2)
    ready = await api._transport.request("GET", f"files/{A}", retry=False)
    files = api.converter.structure(ready.json(), dict[str, ReportFile])
    entry = files[envelope.hash]
    assert entry.uri == f"/v3/files/{A}/{envelope.hash}"
    body = await fetch(api, envelope.hash)
    assert entry.length == len(body.content)
    after = await api._transport.request("GET", f"files/{A}", retry=False)
    assert after.json() == {}


def _voice_truth(sandbox: Any, day: dt.date) -> list[VoiceCdr]:
    """The sandbox's ground-truth voice rows of a day, decoded by the SDK's converter."""
    converter = make_converter()
    return [converter.structure(r, VoiceCdr) for r in sandbox.voice_cdrs(day)]


async def test_voice_cdr_day_report_matches_ground_truth(local, sandbox):
    """The daily voice CDR report holds exactly the day's rows."""
    envelope = await request_report(local, "reports/voice/cdr/day", date="2026-03-01")
    assert (envelope.mode, envelope.type) == ("vcdrd", "voice_cdr")
    assert envelope.date == dt.date(2026, 3, 1)
    await sandbox.advance(2)
    rows = local.converter.structure((await fetch(local, envelope.hash)).json(), list[VoiceCdr])
    assert rows == _voice_truth(sandbox, dt.date(2026, 3, 1))


@pytest.mark.parametrize("direction", ["in", "out"], ids=["in", "out"])
async def test_voice_summary_totals_match_the_day_cdrs(local, sandbox, direction):
    """The voice summary counts the day's calls, seconds and charges per destination."""
    envelope = await request_report(
        local, f"reports/voice/summary/day/{direction}", date="2026-03-02"
    )
    assert envelope.type == "voice_summary"
    assert envelope.mode == ("vsind" if direction == "in" else "vsoutd")
    await sandbox.advance(2)
    body = (await fetch(local, envelope.hash)).json()
    rows = local.converter.structure(body, list[VoiceSummaryRow])
    # CDR rows have no direction; the sandbox's inbound calls are those "... to VoIP".
    truth = [
        r
        for r in _voice_truth(sandbox, dt.date(2026, 3, 2))
        if (r.todesc or "").endswith(" to VoIP") == (direction == "in")
    ]
    assert sum(r.calls for r in rows) == len(truth)
    assert sum(r.seconds for r in rows) == sum(r.secs_billed or 0 for r in truth)
    assert sum(r.charges for r in rows) == sum((r.chg_total or 0 for r in truth), Decimal(0))


@pytest.mark.parametrize("quantity", [10, 1000], ids=["10", "1000"])
async def test_voice_latest_report_holds_the_newest_rows(local, sandbox, quantity):
    """`latest/N` holds the N newest calls, newest first, across days."""
    envelope = await request_report(local, f"reports/voice/cdr/latest/{quantity}")
    assert envelope.quantity == quantity
    await sandbox.advance(2)
    rows = local.converter.structure((await fetch(local, envelope.hash)).json(), list[VoiceCdr])
    truth: list[VoiceCdr] = []
    day = TODAY
    while len(truth) < quantity:
        truth.extend(_voice_truth(sandbox, day))
        day -= dt.timedelta(days=1)
    assert rows == truth[:quantity]


async def test_sms_reports_decode_into_sms_rows(local, sandbox):
    """SMS day and latest reports decode strictly into SmsCdr rows."""
    day = await request_report(local, "reports/sms/cdr/day", date="2026-03-03")
    latest = await request_report(local, "reports/sms/cdr/latest/10")
    await sandbox.advance(2)
    day_rows = local.converter.structure((await fetch(local, day.hash)).json(), list[SmsCdr])
    assert len(day_rows) == 20
    assert all(r.date.date() == dt.date(2026, 3, 3) for r in day_rows)
    latest_rows = local.converter.structure((await fetch(local, latest.hash)).json(), list[SmsCdr])
    assert len(latest_rows) == 10
    assert latest_rows == sorted(latest_rows, key=lambda r: r.date, reverse=True)


async def test_prepay_summary_balances_chain(local, sandbox):
    """Each prepay summary day opens at the previous close and adds up."""
    envelope = await request_report(
        local, "prepay/summary", from_date="2026-02-01", to_date="2026-02-10"
    )
    assert envelope.type == "balance_summary"
    assert envelope.mode is None
    assert envelope.from_ == dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)
    assert envelope.to == dt.datetime(2026, 2, 10, 23, 59, 59, tzinfo=dt.timezone.utc)
    await sandbox.advance(2)
    body = (await fetch(local, envelope.hash)).json()
    rows = local.converter.structure(body, list[PrepaySummaryRow])
    assert [r.date for r in rows] == [dt.date(2026, 2, d) for d in range(1, 11)]
    for prev, row in itertools.pairwise(rows):
        assert row.opening_balance == prev.closing_balance
    for row in rows:
        moved = row.opening_balance + row.prepayments + row.transfers - row.charges
        assert moved == row.closing_balance


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("reports/voice/cdr/latest/25", {}),
        ("reports/voice/cdr/day", {"date": "14/03/2026"}),
        ("prepay/summary", {"from_date": "2026-03-02", "to_date": "2026-03-01"}),
        ("reports/voice/cdr/day", {"callback": "ftp://example.invalid/x"}),
    ],
    ids=["quantity", "date-format", "range", "callback-scheme"],
)
async def test_bad_report_parameters_are_400(local, path, data):
    """Parameters the API would reject give 400 with the error shape."""
    with pytest.raises(BadRequestError) as caught:
        await request_report(local, path, **data)
    assert caught.value.errors


async def test_report_delay_range_is_drawn_from_the_seed():
    """A (min, max) delay is drawn reproducibly from the seed."""
    ready_times = []
    for _ in range(2):
        sandbox = make_sandbox(report_delay=(10.0, 20.0), clock=ManualClock(START))
        async with sandbox.client() as client:
            envelope = await request_report(client, "reports/voice/cdr/day")
        ready_times.append(sandbox._core.store.pending()[0].ready_at - START.timestamp())
        assert envelope.hash
    assert ready_times[0] == ready_times[1]
    assert 10.0 <= ready_times[0] <= 20.0


async def test_report_delay_callable_gets_kind_and_params():
    """A callable delay is called with the report kind and its parameters."""
    seen = []

    def delay(kind, params, rng):
        """Record the call; a fixed delay."""
        seen.append((kind, dict(params)))
        return 7.0

    sandbox = make_sandbox(report_delay=delay)
    async with sandbox.client() as client:
        await request_report(client, "reports/voice/cdr/latest/10")
        await sandbox.advance(6.9)
        assert (await fetch(client, sandbox._core.store.pending()[0].hash)).status_code == 204
    assert seen == [("voice_cdr_latest", {"quantity": "10"})]
