"""The concurrent page engine behind `client.cdrs.pull()` and `pull_to_file()`.

One scheduler task owns all the state; each page is fetched by a short task under a
`CapacityLimiter`, which reports back through a memory object stream. Windows are fetched with
speculative pages (as many at once as the previous window needed, doubling when a window turns
out bigger), and a window's end is its first short page. Pages are newest first, so a window
is emitted in reverse to give time order.

Memory stays bounded: at most `concurrency` pages in flight; windows after the oldest
unfinished one ("the cursor") may hold at most `lookahead` pages between them (in flight or
waiting to be emitted), so fetching runs ahead of the consumer only that far; the cursor's own
pages are never held back by that budget, so the cursor always makes progress. Finished
chunks go to an outbox that a separate task hands to the consumer through a small memory
object stream: a slow consumer never stops results being recorded or pages being started,
and when the outbox holds more than `lookahead` + one window of chunks, no new page is
started until the consumer catches up (backpressure). If a page fails for good, fetching
stops, what was already complete is still delivered, and then the error is raised.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio
import attrs

from simwood_async.cdrs._windows import Window
from simwood_async.exceptions import DecodeError, IncompleteBodyError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from simwood_async._retry import RetryPolicy

__all__ = ["CdrChunk", "PageEngine", "PullProgress"]

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


@attrs.frozen
class _Result(Generic[T]):
    state: _WindowState[T]
    page: int
    rows: Sequence[Keyed[T]]
    error: Exception | None = None


class _WindowState(Generic[T]):
    __slots__ = ("end", "horizon", "in_flight", "index", "next_page", "pages", "seen", "window")

    def __init__(self, index: int, window: Window, horizon: int) -> None:
        self.index = index
        self.window = window
        self.next_page = 0  # pages 0 .. next_page-1 have been scheduled
        self.horizon = horizon  # the highest page we may schedule before more is known
        self.end: int | None = None  # the first short page: the window's last
        self.in_flight = 0
        self.pages: dict[int, Sequence[Keyed[T]]] = {}  # received, not yet emitted
        self.seen: set[str] = set()

    def schedulable(self) -> bool:
        return self.end is None and self.next_page <= self.horizon

    def complete(self) -> bool:
        return self.end is not None and self.in_flight == 0


class PageEngine(Generic[T]):
    """Fetches every page of a list of windows; not public API (see `CdrsApi.pull`).

    Args:
        windows: The windows to fetch, in time order.
        fetch: Fetches and decodes one page: `(window, offset) -> [(identity, row), ...]`,
            newest first; the identity (`cdrs._identity.row_identity`) de-duplicates.
        concurrency: Pages in flight at once.
        page_size: Rows per page (`limit`); a shorter page ends its window.
        ordered: Emit windows in time order, rows oldest first; else as pages arrive.
        retry: Backoff and sleep for page-level retries.
        page_attempts: Attempts per page for bodies that fail to decode or arrive cut off
            (the transport has already retried the request itself).
        on_progress: Called with a `PullProgress` after every page and window.
        windows_total: Windows in the whole pull (more than `len(windows)` when resuming).
        lookahead: Pages that windows after the cursor may hold (default 2 x concurrency).
        clock: Monotonic seconds, for the progress rate.
    """

    def __init__(
        self,
        windows: Sequence[Window],
        fetch: Callable[[Window, int], Awaitable[Sequence[Keyed[T]]]],
        *,
        concurrency: int,
        page_size: int,
        ordered: bool,
        retry: RetryPolicy,
        page_attempts: int = 3,
        on_progress: Callable[[PullProgress], object] | None = None,
        windows_total: int | None = None,
        lookahead: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = list(windows)
        self._fetch = fetch
        self._concurrency = concurrency
        self._page_size = page_size
        self._ordered = ordered
        self._retry = retry
        self._page_attempts = page_attempts
        self._on_progress = on_progress
        self._total = len(self._windows) if windows_total is None else windows_total
        self._done_before = self._total - len(self._windows)
        self._lookahead = lookahead if lookahead is not None else 2 * concurrency
        self._clock = clock
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._active: dict[int, _WindowState[T]] = {}
        self._opened = 0  # windows opened so far (indices 0 .. _opened-1)
        self._cursor = 0  # the oldest window not yet finished
        self._in_flight = 0
        self._queued = 0  # chunks in the outbox, not yet taken by the consumer
        self._outbox: MemoryObjectSendStream[CdrChunk[T]]
        self._estimate = 1  # pages the last finished window needed
        self._finished_any = False
        self.rows = 0
        self.pages = 0
        self.windows_done = 0
        self._started = clock()

    # -- scheduling -------------------------------------------------------------------------

    def _held_ahead(self) -> int:
        return sum(s.in_flight + len(s.pages) for i, s in self._active.items() if i != self._cursor)

    def _next_job(self) -> _WindowState[T] | None:
        if self._queued >= self._lookahead + self._estimate:
            return None  # the consumer is behind: fetch nothing more until it catches up
        ahead = self._held_ahead()
        for index in range(self._cursor, self._opened):
            state = self._active.get(index)
            if state is None or not state.schedulable():
                continue
            if index == self._cursor or ahead < self._lookahead:
                return state
            return None
        if self._opened < len(self._windows) and (
            self._opened == self._cursor or ahead < self._lookahead
        ):
            state = _WindowState(
                self._opened, self._windows[self._opened], horizon=self._estimate - 1
            )
            self._active[self._opened] = state
            self._opened += 1
            return state
        return None

    def _schedule(self, tg: TaskGroup, results: MemoryObjectSendStream[_Result[T] | None]) -> None:
        while self._in_flight < self._concurrency:
            state = self._next_job()
            if state is None:
                return
            page = state.next_page
            state.next_page += 1
            state.in_flight += 1
            self._in_flight += 1
            tg.start_soon(self._page_task, state, page, results)

    async def _page_task(
        self,
        state: _WindowState[T],
        page: int,
        results: MemoryObjectSendStream[_Result[T] | None],
    ) -> None:
        try:
            async with self._limiter:
                rows = await self._fetch_page(state.window, page * self._page_size)
        except Exception as err:  # noqa: BLE001 - handed to the scheduler, which re-raises it
            results.send_nowait(_Result(state, page, (), err))
        else:
            results.send_nowait(_Result(state, page, rows))

    async def _fetch_page(self, window: Window, offset: int) -> Sequence[Keyed[T]]:
        attempt = 0
        while True:
            try:
                return await self._fetch(window, offset)
            except (DecodeError, IncompleteBodyError):  # noqa: PERF203 - rare, not hot
                # A body cut off or garbled after the transport's own retries: ask again.
                attempt += 1
                if attempt >= self._page_attempts:
                    raise
                await self._retry.sleep(self._retry.backoff(attempt - 1))

    # -- results and emission ---------------------------------------------------------------

    def _record(self, result: _Result[T]) -> None:
        state, page, rows = result.state, result.page, result.rows
        state.in_flight -= 1
        self._in_flight -= 1
        self.pages += 1
        if len(rows) >= self._page_size:
            if page >= state.horizon:
                # Bigger than the last window: grow a little (or double, knowing nothing yet).
                grow = (page + 1) // 4 if self._finished_any else page + 1
                state.horizon = page + max(1, grow)
        elif state.end is None or page < state.end:
            state.end = page
        state.pages[page] = rows

    def _queue(self, chunk: CdrChunk[T]) -> None:
        self._queued += 1
        self._outbox.send_nowait(chunk)

    def _emit(self) -> None:
        """Move what is ready to the outbox (delivered by `_deliver`, never blocking here)."""
        if self._ordered:
            while (state := self._active.get(self._cursor)) is not None and state.complete():
                pages = [state.pages[p] for p in sorted(state.pages, reverse=True)]
                state.pages.clear()
                self._finish(state)
                for n, page_rows in enumerate(pages, 1):
                    rows = []
                    for ref, row in reversed(page_rows):
                        if ref not in state.seen:
                            state.seen.add(ref)
                            rows.append(row)
                    self._queue(CdrChunk(state.window, rows, last=n == len(pages)))
            return
        for state in list(self._active.values()):
            for page in list(state.pages):
                rows = []
                for ref, row in state.pages.pop(page):
                    if ref not in state.seen:
                        state.seen.add(ref)
                        rows.append(row)
                if rows:
                    self._queue(CdrChunk(state.window, rows, last=False))
            if state.complete():
                self._finish(state)
                self._queue(CdrChunk(state.window, [], last=True))

    async def _deliver(
        self,
        outbox: MemoryObjectReceiveStream[CdrChunk[T]],
        send: MemoryObjectSendStream[CdrChunk[T]],
        results: MemoryObjectSendStream[_Result[T] | None],
        tg: TaskGroup,
    ) -> None:
        # A task of its own, so a slow consumer never stops results being recorded and new
        # pages being started (the outbox is bounded by the scheduler's budget instead).
        async with outbox:
            async for chunk in outbox:
                try:
                    await send.send(chunk)
                except anyio.BrokenResourceError:
                    tg.cancel_scope.cancel()  # the consumer left: stop fetching quietly
                    return
                self.rows += len(chunk.rows)
                results.send_nowait(None)  # wakes the scheduler: budget freed
                self._report()

    def _finish(self, state: _WindowState[T]) -> None:
        del self._active[state.index]
        self.windows_done += 1
        assert state.end is not None  # noqa: S101 - complete() checked it
        self._estimate = state.end + 1
        self._finished_any = True
        while self._cursor < self._opened and self._cursor not in self._active:
            self._cursor += 1

    def progress(self) -> PullProgress:
        """The current progress snapshot."""
        return PullProgress(
            rows=self.rows,
            pages=self.pages,
            windows_done=self._done_before + self.windows_done,
            windows_total=self._total,
            elapsed=self._clock() - self._started,
        )

    def _report(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress())

    def _finished(self) -> bool:
        return self.windows_done == len(self._windows)

    async def run(self, send: MemoryObjectSendStream[CdrChunk[T]]) -> None:
        """Fetch everything and send it as chunks, then close `send`.

        Raises:
            SimwoodError: A page failed after its retries (other pages are cancelled).
        """
        self._started = self._clock()
        failure: Exception | None = None
        results_send, results_recv = anyio.create_memory_object_stream[_Result[T] | None](math.inf)
        self._outbox, outbox_recv = anyio.create_memory_object_stream[CdrChunk[T]](math.inf)
        # Every stream end is closed here too: a task cancelled before it first runs never
        # closes the ends it was given, and an unclosed stream warns when collected.
        async with (
            send,
            results_send,
            results_recv,
            self._outbox,
            outbox_recv,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(self._deliver, outbox_recv, send, results_send, tg)
            try:
                async with anyio.create_task_group() as pages:
                    try:
                        self._schedule(pages, results_send)
                        while not self._finished():
                            result = await results_recv.receive()
                            if result is None:
                                self._queued -= 1
                            elif result.error is not None:
                                raise result.error
                            else:
                                self._record(result)
                                self._emit()
                            self._schedule(pages, results_send)
                    except Exception as err:  # noqa: BLE001 - re-raised below, outside the groups
                        # Stop fetching; what was already complete is still delivered.
                        failure = err
                        pages.cancel_scope.cancel()
            finally:
                self._outbox.close()  # the deliverer drains what is left, then ends
        if failure is not None:
            raise failure
