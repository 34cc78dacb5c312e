"""Range validation and splitting: every mistake is refused before any request."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from tests.cdrs.conftest import NOW, now

from simwood_async import InvalidInputError
from simwood_async.cdrs import Window
from simwood_async.cdrs._windows import plan_range, split_windows

GMT = dt.timezone.utc
PARIS = dt.timezone(dt.timedelta(hours=1))
BAD_RANGES = [
    pytest.param(dt.datetime(2026, 11, 1), None, "naive", id="naive-start"),  # noqa: DTZ001
    pytest.param(dt.date(2026, 11, 1), dt.datetime(2026, 11, 2), "naive", id="naive-end"),  # noqa: DTZ001
    pytest.param(dt.date(2026, 11, 5), dt.date(2026, 11, 4), "after start", id="end-before-start"),
    pytest.param(
        dt.datetime(2026, 11, 5, 10, tzinfo=GMT),
        dt.datetime(2026, 11, 5, 10, tzinfo=GMT),
        "after start",
        id="empty",
    ),
    pytest.param(dt.date(2026, 8, 24), dt.date(2026, 8, 30), "90 days", id="over-90-days"),
    pytest.param(dt.date(2026, 11, 24), None, "future", id="future-start"),
    pytest.param("2026-11-01", None, "aware datetime or a date", id="string"),
]


@pytest.mark.parametrize(("start", "end", "message"), BAD_RANGES)
async def test_bad_ranges_fail_before_any_request(client, fake, start, end, message):
    """A bad range raises InvalidInputError from pull() and pull_to_file(), sending nothing."""
    with pytest.raises(InvalidInputError, match=message):
        client.cdrs.pull(start, end, now=now)
    with pytest.raises(InvalidInputError, match=message):
        await client.cdrs.pull_to_file("never-written.jsonl", start, end, now=now)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("concurrency", 0, id="concurrency-0"),
        pytest.param("page_size", 0, id="page-size-0"),
        pytest.param("page_size", 10**6, id="page-size-huge"),
        pytest.param("window", dt.timedelta(minutes=7), id="window-not-dividing-a-day"),
    ],
)
async def test_bad_options_fail_before_any_request(client, fake, name, value):
    """Out-of-range options raise InvalidInputError before any request."""
    with pytest.raises(InvalidInputError, match=name):
        client.cdrs.pull(dt.date(2026, 11, 1), dt.date(2026, 11, 2), now=now, **{name: value})
    assert fake.requests == []


def test_oldest_day_allowed_is_ninety_calendar_days_back():
    """Midnight GMT of the day 90 days before today is allowed; a second earlier is not."""
    oldest = dt.datetime(2026, 8, 25, tzinfo=GMT)
    assert plan_range(oldest, None, now=NOW)[0] == oldest
    with pytest.raises(InvalidInputError, match="90 days"):
        plan_range(oldest - dt.timedelta(seconds=1), None, now=NOW)


def test_dates_cover_whole_days_and_the_end_is_clamped_to_now():
    """A date end includes that day; an end after now is clamped to now (whole seconds)."""
    start, until = plan_range(dt.date(2026, 11, 1), dt.date(2026, 11, 7), now=NOW)
    assert (start, until) == (
        dt.datetime(2026, 11, 1, tzinfo=GMT),
        dt.datetime(2026, 11, 8, tzinfo=GMT),
    )
    _, clamped = plan_range(dt.date(2026, 11, 20), None, now=NOW.replace(microsecond=999))
    assert clamped == NOW


def test_other_zones_are_converted_and_fractions_rounded_up():
    """Aware times in other zones become GMT; sub-second bounds round up to the next second."""
    start, until = plan_range(
        dt.datetime(2026, 11, 2, 1, 0, 0, 500, tzinfo=PARIS),
        dt.datetime(2026, 11, 2, 3, 0, 0, tzinfo=PARIS),
        now=NOW,
    )
    assert start == dt.datetime(2026, 11, 2, 0, 0, 1, tzinfo=GMT)
    assert until == dt.datetime(2026, 11, 2, 2, 0, 0, tzinfo=GMT)


def test_split_at_midnights_and_into_sub_windows():
    """Windows split at GMT midnights (and into sub-windows), contiguous and in order."""
    start = dt.datetime(2026, 11, 1, 22, 30, tzinfo=GMT)
    until = dt.datetime(2026, 11, 3, 1, 15, tzinfo=GMT)
    days = split_windows(start, until)
    assert [(w.start, w.end) for w in days] == [
        (start, dt.datetime(2026, 11, 2, tzinfo=GMT)),
        (dt.datetime(2026, 11, 2, tzinfo=GMT), dt.datetime(2026, 11, 3, tzinfo=GMT)),
        (dt.datetime(2026, 11, 3, tzinfo=GMT), until),
    ]
    hours = split_windows(start, until, window=dt.timedelta(hours=6))
    assert len(hours) == 1 + 4 + 1
    assert all(a.end == b.start for a, b in itertools.pairwise(hours))
    assert hours[0].start == start
    assert hours[-1].end == until


def test_window_wire_bounds_are_inclusive_seconds():
    """A window sends its first second as date_start and its last second as date_end."""
    window = Window(dt.datetime(2026, 11, 1, tzinfo=GMT), dt.datetime(2026, 11, 2, tzinfo=GMT))
    assert window.date_start == "2026-11-01 00:00:00"
    assert window.date_end == "2026-11-01 23:59:59"
    assert window.key == "2026-11-01T00:00:00Z"
