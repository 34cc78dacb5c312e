"""The CDR row decoders, fed malformed rows, give rows or a `SimwoodError`; nothing else.

Seeds are the sandbox generator's wire rows (voice and SMS), so the fuzz follows the row
shape wherever it goes; the entry points are public: a CDR page (`client.cdrs.page`), a pull
(`client.cdrs.pull`), and report bodies (`client.reports.resume(..., row_type=...)`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simwood_async import SimwoodError
from simwood_async.cdrs import SmsCdr, VoiceCdr
from simwood_async.reports import ReportOptions
from tests.conftest import BASE_URL
from tests.fuzz.clients import fuzz_client
from tests.fuzz.strategies import bodies, mutated
from tests.reports.conftest import START, make_sandbox

pytestmark = pytest.mark.anyio
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_SANDBOX = make_sandbox(cdr_rows_per_day=20, sms_rows_per_day=10)
VOICE_ROWS = list(_SANDBOX.voice_cdrs(START.date()))
SMS_ROWS = list(_SANDBOX.sms_cdrs(START.date()))
HASH = "f" * 32
#: Reports with a short deadline and no fresh request: a bad body fails the call at once.
REPORTS = ReportOptions(deadline=5, rerequests=0)


def pages(seeds: list[Any]) -> st.SearchStrategy[bytes]:
    """A page of rows, some mutated, or any malformed body."""
    rows = st.lists(st.one_of(st.sampled_from(seeds), mutated(seeds)), max_size=6)
    return st.one_of(rows.map(lambda r: json.dumps(r).encode()), bodies(seeds))


def answered_with(body: bytes) -> respx.Router:
    """A router answering every request 200 with `body`."""
    router = respx.Router(base_url=BASE_URL, assert_all_called=False)
    router.route().mock(return_value=httpx.Response(200, content=body))
    return router


@FUZZ
@given(body=pages(VOICE_ROWS))
async def test_a_malformed_cdr_page_is_rows_or_a_simwood_error(body):
    """`cdrs.page` on a malformed page returns VoiceCdr rows or raises a SimwoodError."""
    async with fuzz_client(answered_with(body), reports=REPORTS) as client:
        try:
            rows = await client.cdrs.page("2026-03-14")
        except SimwoodError:
            return
    assert all(isinstance(row, VoiceCdr) for row in rows)


@FUZZ
@given(body=pages(VOICE_ROWS))
async def test_a_malformed_pull_ends_in_rows_or_a_simwood_error(body):
    """A pull whose pages are malformed ends with rows or a SimwoodError, never a crash."""
    day = dt.date(2026, 3, 14)
    now = dt.datetime(2026, 3, 16, tzinfo=dt.timezone.utc)
    async with fuzz_client(answered_with(body), reports=REPORTS) as client:
        try:
            async with client.cdrs.pull(day, day, now=lambda: now) as cdrs:
                rows = [row async for row in cdrs]
        except SimwoodError:
            return
    assert all(isinstance(row, VoiceCdr) for row in rows)


@pytest.mark.parametrize(
    ("row_type", "seeds"), [(VoiceCdr, VOICE_ROWS), (SmsCdr, SMS_ROWS)], ids=["voice", "sms"]
)
@FUZZ
@given(data=st.data())
async def test_a_malformed_report_body_is_rows_or_a_report_error(row_type, seeds, data):
    """A report body that does not fit its row model ends in a SimwoodError, never a crash."""
    body = data.draw(pages(seeds))
    async with fuzz_client(answered_with(body), reports=REPORTS) as client:
        try:
            rows = await client.reports.resume(HASH, row_type=row_type)
        except SimwoodError:
            return
    assert all(isinstance(row, row_type) for row in rows)
