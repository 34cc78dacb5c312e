"""The retry policy: which failures are retried, and how long to wait in between."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime

import anyio
import attrs

from simwood_async.exceptions import (
    ConnectError,
    DeadlineExceededError,
    IncompleteBodyError,
    RequestTimeoutError,
    SimwoodError,
    StatusError,
)

__all__ = ["RetryPolicy", "parse_retry_after", "retryable", "set_testing"]

_testing = False


def set_testing(on: bool) -> None:
    """Turn every backoff wait into zero, for test suites that exercise retries.

    Args:
        on: True to stop waiting between attempts; False to restore normal backoff.

    .. versionadded:: 0.1.0
    """
    global _testing  # noqa: PLW0603 - a deliberate process-wide test switch, as in stamina
    _testing = on


def is_testing() -> bool:
    """Whether `set_testing(True)` is in force."""
    return _testing


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How requests that are safe to repeat are retried.

    Retried: connection errors, timeouts, bodies cut off mid-stream, 429 (honouring
    `Retry-After`) and the statuses in `retry_statuses` (502/503/504). Never retried:
    operations that cost money or cannot be undone, whatever this policy says.

    The wait before retry *n* (from 0) is full jitter: `jitter() * min(max_wait,
    initial_wait * multiplier ** n)`, or the server's `Retry-After` if larger (capped at
    `max_retry_after`).

    Attributes:
        attempts: Total attempts, the first included (1 disables retries).
        initial_wait: Upper bound of the first wait, in seconds.
        max_wait: Upper bound of any backoff wait, in seconds.
        multiplier: Growth of the bound per retry.
        max_retry_after: The longest `Retry-After` honoured; longer ones fail at once.
        retry_statuses: HTTP statuses that are retried (429 is always handled separately).
        jitter: Returns a float in [0, 1); injectable for deterministic tests.
        sleep: Awaitable sleep; injectable so tests can use a fake clock.
        clock: Monotonic time in seconds; injectable with `sleep`.

    .. versionadded:: 0.1.0
    """

    attempts: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    initial_wait: float = 0.25
    max_wait: float = 8.0
    multiplier: float = 2.0
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    jitter: Callable[[], float] = attrs.field(default=random.random, repr=False)
    sleep: Callable[[float], Awaitable[None]] = attrs.field(default=anyio.sleep, repr=False)
    clock: Callable[[], float] = attrs.field(default=anyio.current_time, repr=False)

    def backoff(self, retry: int, retry_after: float | None = None) -> float:
        """The wait before retry number `retry` (0 for the first retry).

        Args:
            retry: How many retries came before this one.
            retry_after: The server's `Retry-After`, in seconds, if it sent one.

        Returns:
            Seconds to wait (0 while `set_testing(True)` is in force).
        """
        if _testing:
            return 0.0
        bound = min(self.max_wait, self.initial_wait * self.multiplier**retry)
        wait = self.jitter() * bound
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait


def parse_retry_after(
    value: str | None, *, now: Callable[[], dt.datetime] | None = None
) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or None.

    Args:
        value: The header value.
        now: The current UTC time, for an HTTP date (injectable for tests).
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # `-0000` means UTC with no zone information
        when = when.replace(tzinfo=dt.timezone.utc)
    current = now() if now is not None else dt.datetime.now(tz=dt.timezone.utc)
    return max(0.0, (when - current).total_seconds())


def retryable(err: SimwoodError, policy: RetryPolicy) -> bool:
    """Whether `policy` retries a call that failed with `err` (when the call may be repeated)."""
    if isinstance(err, DeadlineExceededError):
        return False  # the call's time is up: another attempt cannot finish in time
    if isinstance(err, StatusError):
        return err.status_code in policy.retry_statuses
    return isinstance(err, (ConnectError, RequestTimeoutError, IncompleteBodyError))
