"""Late CDRs: calls recorded after the fact, inserted among a day's rows by their time.

A real account's CDR for a long call appears when the call ends, with the time it started,
so rows arrive *inside* ranges a puller may be paging through: everything older shifts to
higher offsets. The sandbox emulates that with rows inserted on demand (tests call
`CdrSource.insert_late`); a day with late rows is paged by merging them, by time, into its
generated rows (late rows first among rows of the same second).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["LateRows", "merge_newest_first"]


class LateRows:
    """The late rows of a source, by day (ordinal), kept sorted by time."""

    def __init__(self) -> None:
        self._days: dict[int, list[tuple[int, int, bytes]]] = {}
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._days)

    def add(self, day_ord: int, moment: int, row: bytes) -> None:
        """Insert one encoded row that started at `moment` (Unix seconds)."""
        with self._lock:
            # Later insertions of the same second sort as newer: they come first.
            bisect.insort(self._days.setdefault(day_ord, []), (moment, next(self._seq), row))

    def span(self, day_ord: int, start: int, end: int) -> tuple[int, int]:
        """The index range of the day's late rows with `start <= time < end`."""
        rows = self._days.get(day_ord, [])
        lo = bisect.bisect_left(rows, (start,))
        hi = bisect.bisect_left(rows, (end,))
        return lo, hi

    def timed(self, day_ord: int, lo: int, hi: int) -> Iterator[tuple[int, bytes]]:
        """`(time, row)` of late rows `lo..hi-1` of a day, newest first."""
        with self._lock:
            chosen = self._days.get(day_ord, [])[lo:hi]
        for moment, _, row in reversed(chosen):
            yield moment, row


def merge_newest_first(streams: Iterable[Iterator[tuple[int, bytes]]]) -> Iterator[bytes]:
    """Rows of several newest-first `(time, row)` streams, newest first.

    Among rows of the same second, earlier streams come first.
    """
    for _, row in heapq.merge(*streams, key=lambda item: -item[0]):
        yield row
