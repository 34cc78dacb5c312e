"""What a running pull hands out: chunks of rows and progress snapshots."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

from simwood_async.cdrs._windows import Window

__all__ = ["CdrChunk", "Keyed", "PullProgress"]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class PullProgress:
    """A snapshot of a running pull, passed to the `on_progress` callback.

    Attributes:
        rows: Rows delivered so far (after de-duplication).
        pages: Pages fetched so far.
        windows_done: Windows (days, by default) finished, including ones a resumed pull
            skipped.
        windows_total: Windows in the whole pull.
        elapsed: Seconds since the pull started.

    .. versionadded:: 0.1.0
    """

    rows: int
    pages: int
    windows_done: int
    windows_total: int
    elapsed: float

    @property
    def rows_per_second(self) -> float:
        """Average rows delivered per second so far."""
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0


@attrs.frozen
class CdrChunk(Generic[T]):
    """Rows of one window handed to the consumer; `last` closes the window."""

    window: Window
    rows: list[T]
    last: bool


Keyed = tuple[str, T]  # (the row's identity, the row)
