"""Reports in users' tests: through the plugin's fixtures, and in a user's own pytest run."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from functools import partial
from typing import TYPE_CHECKING

import anyio
import pytest

from simwood_async import ReportTimeoutError

if TYPE_CHECKING:
    from pathlib import Path

    from simwood_async import SimwoodClient
    from simwood_async.sandbox import Sandbox

FILE = "/v3/files/{account}/{hash}"


def yesterday(sandbox: Sandbox) -> dt.date:
    """The GMT day before the sandbox's now."""
    return (sandbox.now() - dt.timedelta(days=1)).date()


@pytest.mark.simwood_sandbox(report_delay=30.0, cdr_rows_per_day=25)
async def test_a_report_just_completes_with_the_fixtures(
    simwood_sandbox: Sandbox, simwood_client: SimwoodClient
):
    """`await simwood_client.reports.voice_cdr_day()` returns after 30 s of sandbox time."""
    started = simwood_sandbox.now()
    day = yesterday(simwood_sandbox)
    rows = await simwood_client.reports.voice_cdr_day(date=day)
    waited = (simwood_sandbox.now() - started).total_seconds()
    assert len(rows) == len(list(simwood_sandbox.voice_cdrs(day))) == 25
    assert 30.0 <= waited <= 30.0 + 11.0
    assert simwood_sandbox.stats.count(route=FILE, status=200) == 1
    assert simwood_sandbox.stats.total <= 20


@pytest.mark.simwood_sandbox(report_delay=(10.0, 50.0))
async def test_concurrent_reports_with_the_fixtures(
    simwood_sandbox: Sandbox, simwood_client: SimwoodClient
):
    """Three distinct reports and a duplicate at once: three POSTs, three downloads."""
    day = yesterday(simwood_sandbox)
    days = [day - dt.timedelta(days=i) for i in range(3)]
    async with anyio.create_task_group() as tg:
        for d in [*days, days[0]]:
            tg.start_soon(partial(simwood_client.reports.voice_cdr_day, date=d))
    assert simwood_sandbox.stats.count(method="POST") == 3
    assert sum(simwood_sandbox.reports.downloads.values()) == 3
    assert simwood_client.reports.stats.coalesced_callers == 1


@pytest.mark.simwood_sandbox(report_delay=3600.0)
async def test_a_deadline_in_sandbox_time_with_the_fixtures(
    simwood_sandbox: Sandbox, simwood_client: SimwoodClient
):
    """A report slower than the call's deadline raises `ReportTimeoutError` at the deadline."""
    started = simwood_sandbox.now()
    with pytest.raises(ReportTimeoutError):
        await simwood_client.reports.voice_cdr_day(date=yesterday(simwood_sandbox), deadline=60.0)
    assert simwood_sandbox.now() - started == dt.timedelta(seconds=60)


USER_CONFTEST = """
import pytest

@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param
"""

USER_TESTS = """
import datetime as dt

import pytest

from simwood_async import ReportTimeoutError

pytestmark = pytest.mark.anyio


@pytest.mark.simwood_sandbox(report_delay=45.0)
async def test_report(simwood_sandbox, simwood_client):
    started = simwood_sandbox.now()
    day = (started - dt.timedelta(days=1)).date()
    rows = await simwood_client.reports.voice_cdr_day(date=day)
    assert len(rows) == len(list(simwood_sandbox.voice_cdrs(day)))
    assert simwood_sandbox.now() - started >= dt.timedelta(seconds=45)


@pytest.mark.simwood_sandbox(report_delay=3600.0)
async def test_timeout(simwood_sandbox, simwood_client):
    day = (simwood_sandbox.now() - dt.timedelta(days=1)).date()
    with pytest.raises(ReportTimeoutError):
        await simwood_client.reports.voice_cdr_day(date=day, deadline=900.0)
"""


def test_a_users_own_pytest_run_on_asyncio_and_trio(tmp_path: Path):
    """A project using only the installed plugin and anyio's gets its report tests passing."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider --strict-markers\nfilterwarnings = error\n"
    )
    (tmp_path / "conftest.py").write_text(textwrap.dedent(USER_CONFTEST))
    (tmp_path / "test_user_reports.py").write_text(textwrap.dedent(USER_TESTS))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
