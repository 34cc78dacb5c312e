"""The state of one window of a bulk pull: its pages, their edges and what was emitted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from simwood_async.cdrs._spill import Handle, SpillStore

if TYPE_CHECKING:
    from simwood_async.cdrs._windows import Window

__all__ = ["Emit", "PageResult", "Piece", "WindowState", "ordered_before"]

T = TypeVar("T")
_NO_KEYS: frozenset[str] = frozenset()


@attrs.frozen
class Piece:
    """One fetch of one page: its body (held in the spill store) and its edges."""

    body: Handle | None  # None once emitted (unordered pulls emit on arrival)
    cache: Any  # what decoding the body again can reuse (only while it is in memory)
    count: int
    head: str | None  # the identity of its first (newest) row
    tail: frozenset[str]  # the identities of its last `overlap` rows
    sent: int  # the engine's tick when its request was sent
    received: int  # ... and when its answer had arrived


@attrs.frozen
class PageResult:
    state: WindowState
    page: int
    body: bytes = b""
    keys: Sequence[str] = ()
    cache: Any = None
    sent: int = 0
    received: int = 0
    error: Exception | None = None


@attrs.frozen
class Emit:
    """A page of a finished window, decoded only when the consumer is ready for it."""

    state: WindowState
    page: int
    last: bool


class WindowState:
    __slots__ = (
        "bodies",
        "emitted",
        "end",
        "fetching",
        "horizon",
        "in_flight",
        "index",
        "low",
        "next_page",
        "pieces",
        "refetch",
        "settled",
        "short",
        "verified",
        "window",
    )

    def __init__(self, index: int, window: Window, horizon: int) -> None:
        self.index = index
        self.window = window
        self.next_page = 0  # pages 0 .. next_page-1 have been scheduled
        self.horizon = horizon  # the highest page we may schedule before more is known
        self.end: int | None = None  # the first short page: the window's last
        self.short: set[int] = set()  # pages whose latest fetch was short
        self.in_flight = 0
        self.fetching: set[int] = set()  # pages in flight
        self.refetch: set[int] = set()  # pages whose boundary with the one before failed
        self.pieces: dict[int, list[Piece]] = {}
        # Settled pages (see `settle`): only what emitting them needs, the bodies' handles
        # (and what decoding may reuse), as small as can be: thousands in a busy day.
        self.bodies: dict[int, list[tuple[Handle | None, Any]] | tuple[Handle | None, Any]] = {}
        # Identities emitted, by page: only a page's neighbours can repeat its rows.
        self.emitted: dict[int, set[str]] = {}
        self.low = 0  # pages below this have dropped their `emitted` sets
        self.verified: set[int] = set()  # pages p whose boundary with p + 1 is checked
        self.settled = 0  # pages below this can no longer be fetched again

    def schedulable(self) -> bool:
        return self.end is None and self.next_page <= self.horizon

    def take(self, page: int) -> list[tuple[Handle | None, Any]]:
        """Remove and return a page's bodies and caches, oldest fetch first."""
        settled = self.bodies.pop(page, None)
        if settled is not None:
            return settled if isinstance(settled, list) else [settled]
        return [(piece.body, piece.cache) for piece in self.pieces.pop(page, [])]

    def held(self) -> int:
        """Pages held (received and not yet emitted)."""
        return len(self.pieces) + len(self.bodies)

    def complete(self) -> bool:
        return self.end is not None and self.in_flight == 0 and not self.refetch

    def update_end(self, page: int, *, full: bool, spill: SpillStore | None) -> None:
        """Note whether `page`'s latest fetch was short; the first short page is the end.

        Args:
            page: The page just received.
            full: Whether it held a whole page of rows.
            spill: Where the bodies of pages past the end are released (ordered pulls).
        """
        old = self.end
        if full:
            self.short.discard(page)
        else:
            self.short.add(page)
        self.end = min(self.short) if self.short else None
        if self.end is not None and spill is not None:
            for beyond in [p for p in self.pieces if p > self.end]:
                for piece in self.pieces.pop(beyond):
                    if piece.body is not None:
                        spill.release(piece.body)
            self.refetch = {p for p in self.refetch if p <= self.end}
        if old is not None and (self.end is None or self.end > old):
            # The end moved on (calls arrived): fetch again what was skipped past it.
            top = self.end if self.end is not None else self.next_page - 1
            self.refetch.update(
                p
                for p in range(old + 1, min(top + 1, self.next_page))
                if p not in self.pieces and p not in self.fetching
            )
            if self.end is None:
                self.horizon = max(self.horizon, self.next_page)

    def check_neighbours(self, page: int) -> None:
        """Compare `page`'s overlap with its neighbours': verify them, or fetch again the later.

        A later page answered before an earlier one, with calls inserted in between, misses
        the overlap; it is fetched again (see `PageEngine`).
        """
        for before in (page - 1, page):
            after = self.pieces.get(before + 1)
            if before < 0 or after is None or before not in self.pieces:
                continue
            if self.end is not None and before >= self.end:
                continue
            if before + 1 in self.fetching:
                self.verified.discard(before)  # decided when that fetch is back
            elif ordered_before(self.pieces[before][-1], after[-1]):
                self.verified.add(before)
            else:
                self.verified.discard(before)
                self.refetch.add(before + 1)

    def settle(self) -> None:
        """Forget the edges of pages no longer needed to check a boundary.

        A page is fetched again only when its boundary with the page before fails, and
        page 0 never is: once the boundaries of pages 0 .. p are checked and nothing is
        pending there, those pages keep only their bodies, so a window's bookkeeping does
        not grow with its edges.
        """
        pending = self.refetch | self.fetching
        while (
            self.settled in self.verified
            and self.settled + 1 in self.pieces
            and self.settled not in pending
            and self.settled + 1 not in pending
        ):
            pieces = self.pieces.pop(self.settled)
            kept = [(piece.body, piece.cache) for piece in pieces]
            self.bodies[self.settled] = kept[0] if len(kept) == 1 else kept
            self.verified.discard(self.settled)
            self.settled += 1

    def prune(self) -> None:
        """Drop `emitted` sets no future page of an unordered window can be compared with."""
        prefix = self.low
        while prefix in self.pieces or prefix in self.bodies:
            prefix += 1
        pending = self.refetch | self.fetching
        limit = min(prefix, min(pending, default=prefix)) - 3
        while self.low < limit:
            self.emitted.pop(self.low, None)
            self.low += 1

    def dedupe(self, page: int, keyed: Iterable[tuple[str, T]]) -> list[T]:
        """The rows of `page` not yet emitted by it or its neighbours (which it records).

        Offset pages repeat rows only across a boundary, and only as far as the calls
        inserted meanwhile: comparing with the pages two either side is enough.
        """
        mine = self.emitted.setdefault(page, set())
        get = self.emitted.get
        a, b, c, d = (get(near) or _NO_KEYS for near in (page - 2, page - 1, page + 1, page + 2))
        rows: list[T] = []
        add, append = mine.add, rows.append
        for key, row in keyed:
            if key in mine or key in b or key in c or key in a or key in d:
                continue
            add(key)
            append(row)
        return rows


def ordered_before(a: Piece, b: Piece) -> bool:
    """Whether no row can fall between piece `a` (page p) and piece `b` (page p + 1).

    Offset pages over a snapshot only shift when calls are inserted ahead of them, and a
    shift moves rows to higher offsets. If `a` was answered before `b` was asked for, a
    row past `a` can only be further on when `b` is read: nothing is lost. Otherwise `b`
    must begin inside `a`'s overlap (its first row among `a`'s last rows).
    """
    return a.received < b.sent or (b.head is not None and b.head in a.tail)
