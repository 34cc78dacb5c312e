"""Sandbox time: real, scaled (e.g. 100x) or manual (tests move it)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "RealClock", "ScaledClock"]


def _epoch(start: float | dt.datetime | None) -> float:
    if start is None:
        return float(int(time.time()))
    if isinstance(start, dt.datetime):
        if start.tzinfo is None:
            raise ValueError("start must be an aware datetime (e.g. in UTC)")
        return start.timestamp()
    return float(start)


@runtime_checkable
class Clock(Protocol):
    """What the sandbox needs from a clock.

    .. versionadded:: 0.1.0
    """

    def now(self) -> float:
        """Sandbox time as Unix seconds (UTC)."""
        ...

    def real_seconds(self, sandbox_seconds: float) -> float | None:
        """How many real seconds pass while `sandbox_seconds` of sandbox time pass.

        None when sandbox time only moves when told to (`ManualClock`).
        """
        ...


class RealClock:
    """Sandbox time is wall-clock time.

    .. versionadded:: 0.1.0
    """

    def __repr__(self) -> str:
        return "RealClock()"

    def now(self) -> float:
        """Wall-clock Unix seconds."""
        return time.time()

    def real_seconds(self, sandbox_seconds: float) -> float:
        """Real time equals sandbox time."""
        return sandbox_seconds


class ScaledClock:
    """Sandbox time runs `scale` times faster than real time (100.0: 5 minutes in 3 s).

    Args:
        scale: Sandbox seconds per real second (> 0).
        start: Sandbox time at creation (Unix seconds or an aware datetime); default now.

    .. versionadded:: 0.1.0
    """

    def __init__(self, scale: float, *, start: float | dt.datetime | None = None) -> None:
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        self.scale = float(scale)
        self._start = _epoch(start) if start is not None else time.time()
        self._origin = time.monotonic()

    def __repr__(self) -> str:
        return f"ScaledClock({self.scale!r})"

    def now(self) -> float:
        """Sandbox Unix seconds."""
        return self._start + (time.monotonic() - self._origin) * self.scale

    def real_seconds(self, sandbox_seconds: float) -> float:
        """Sandbox seconds divided by the scale."""
        return sandbox_seconds / self.scale


class ManualClock:
    """Sandbox time that moves only when told to: the default for tests.

    Use `Sandbox.advance()` rather than `advance()` here when callbacks should be delivered.

    Args:
        start: The starting time (Unix seconds or an aware datetime); default the current
            wall-clock second, so client-side "last 90 days" checks agree with the sandbox.

    .. versionadded:: 0.1.0
    """

    def __init__(self, start: float | dt.datetime | None = None) -> None:
        self._now = _epoch(start)

    def __repr__(self) -> str:
        return f"ManualClock(start={self._now!r})"

    def now(self) -> float:
        """The current manual time."""
        return self._now

    def real_seconds(self, sandbox_seconds: float) -> None:  # noqa: ARG002 - protocol
        """Never: manual time does not pass by itself."""
        return

    def advance(self, seconds: float) -> None:
        """Move time forward.

        Raises:
            ValueError: `seconds` is negative.
        """
        if seconds < 0:
            raise ValueError(f"time cannot go backwards (seconds={seconds!r})")
        self._now += seconds

    def set(self, when: float | dt.datetime) -> None:
        """Jump to a given time (forward or backward; for setting up scenarios)."""
        self._now = _epoch(when)
