"""Fixtures for CDR tests: a fake CDR endpoint behind the shared respx router."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from tests.cdrs.fakeapi import GMT, FakeCdrApi

if TYPE_CHECKING:
    import respx

NOW = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=GMT)
FIRST_DAY = dt.date(2026, 11, 1)
#: Ten days of different sizes: 0 to 1,170 rows (pages of 100: 0 to 12 pages per day).
DAY_SIZES = {
    FIRST_DAY + dt.timedelta(days=d): [0, 7, 100, 230, 999, 1000, 1001, 450, 1170, 301][d]
    for d in range(10)
}


def now() -> dt.datetime:
    """The fixed time the tests pull at."""
    return NOW


@pytest.fixture
def fake(router: respx.Router) -> FakeCdrApi:
    """A fake CDR endpoint with ten days of rows, wired into the shared router."""
    api = FakeCdrApi(DAY_SIZES)
    router.route(path__regex=r"voice/930000/cdr$").mock(side_effect=api.handler)
    return api
