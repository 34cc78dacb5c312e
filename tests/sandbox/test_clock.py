"""The sandbox clocks: real, scaled and manual."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from simwood_async.sandbox import Clock, ManualClock, RealClock, ScaledClock
from tests.sandbox.conftest import START, make_sandbox


def test_manual_clock_moves_only_when_told():
    """A manual clock starts where told, advances by the given seconds and can jump."""
    clock = ManualClock(START)
    assert clock.now() == START.timestamp()
    clock.advance(90.5)
    assert clock.now() == START.timestamp() + 90.5
    clock.set(START.timestamp())
    assert clock.now() == START.timestamp()
    assert clock.real_seconds(10) is None


def test_manual_clock_refuses_going_backwards_and_naive_starts():
    """Negative advances and naive datetimes are errors."""
    with pytest.raises(ValueError, match="backwards"):
        ManualClock(START).advance(-1)
    with pytest.raises(ValueError, match="aware"):
        ManualClock(dt.datetime(2026, 1, 1))  # noqa: DTZ001 - the error under test


def test_manual_clock_defaults_to_the_current_second():
    """Without a start, a manual clock starts at the current whole second."""
    before = int(time.time())
    now = ManualClock().now()
    assert before <= now <= time.time()
    assert now == int(now)


def test_scaled_clock_converts_between_sandbox_and_real_time():
    """A scaled clock starts where told and maps sandbox seconds to real ones."""
    clock = ScaledClock(100.0, start=START)
    assert START.timestamp() <= clock.now() < START.timestamp() + 3600
    assert clock.real_seconds(300) == 3.0
    with pytest.raises(ValueError, match="scale"):
        ScaledClock(0)


def test_real_clock_is_wall_time():
    """The real clock reads wall time and maps seconds one to one."""
    clock = RealClock()
    assert abs(clock.now() - time.time()) < 5
    assert clock.real_seconds(7) == 7
    assert all(isinstance(c, Clock) for c in (clock, ManualClock(), ScaledClock(2)))


async def test_sandbox_time_follows_its_clock():
    """`sandbox.now()` is the clock's time and moves with `advance()`."""
    sandbox = make_sandbox()
    assert sandbox.now() == START
    await sandbox.advance(60)
    assert sandbox.now() == START + dt.timedelta(minutes=1)
    assert isinstance(make_sandbox(clock=None).clock, RealClock)
