"""The concurrent page engine behind `client.cdrs.pull()` and `pull_to_file()`.

One scheduler task owns all the state; each page is fetched by a short task under a
`CapacityLimiter`, which reports back through a memory object stream. Windows are fetched with
speculative pages (as many at once as the previous window needed, doubling when a window turns
out bigger), and a window's end is its first short page. Pages are newest first, so a window
is emitted in reverse to give time order.

Memory does not grow with rows: at most `concurrency` pages in flight; windows after the
oldest unfinished one ("the cursor") may hold at most `lookahead` pages between them (in
flight or waiting to be emitted), so fetching runs ahead of the consumer only that far; the
cursor's own pages are never held back by that budget, so the cursor always makes progress,
and an ordered window's page bodies beyond a bound are spilled to a temporary file
(`_spill.py`). A finished window's pages are decoded one at a time, as the consumer takes
them. Finished chunks go to an outbox that a separate task hands to the consumer through a
small memory object stream: a slow consumer never stops results being recorded or pages being
started, and when the outbox holds more than `lookahead` + one window of chunks, no new page
is started until the consumer catches up (backpressure). De-duplication compares a page only
with its neighbours (see `PageEngine`), so its state is a few pages' identities. If a page
fails for good, fetching stops, what was already complete is still delivered, and then the
error is raised.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio

from simwood_async.cdrs._chunks import CdrChunk, Keyed, PullProgress
from simwood_async.cdrs._spill import SpillStore
from simwood_async.cdrs._winstate import Emit, PageResult, Piece, WindowState
from simwood_async.exceptions import DecodeError, IncompleteBodyError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from simwood_async._retry import RetryPolicy
    from simwood_async.cdrs._spill import Handle
    from simwood_async.cdrs._windows import Window

__all__ = ["CdrChunk", "PageEngine", "PullProgress"]

T = TypeVar("T")


class PageEngine(Generic[T]):
    """Fetches every page of a list of windows; not public API (see `CdrsApi.pull`).

    Pages are requested `page_size` rows at offsets `overlap` rows apart less than that,
    so neighbouring pages share their edge rows: when a later page was answered before an
    earlier one and calls were inserted in between, the missing overlap shows it, and the
    later page is fetched again. Repeated rows are dropped by identity, comparing a page only
    with its neighbours, so the state kept does not grow with the window.

    Args:
        windows: The windows to fetch, in time order.
        fetch: Fetches one page: `(window, offset) -> (body, identities, cache)`, rows newest
            first; `cache` is anything `decode` may reuse while the body stays in memory.
        decode: A page's rows with their identities, `(body, cache or None) -> [(identity,
            row), ...]`.
        concurrency: Pages in flight at once.
        page_size: Rows per page (`limit`); a shorter page ends its window.
        overlap: Rows neighbouring pages share (less than `page_size`).
        ordered: Emit windows in time order, rows oldest first; else as pages arrive.
        retry: Backoff and sleep for page-level retries.
        page_attempts: Attempts per page for bodies that fail to decode or arrive cut off
            (the transport has already retried the request itself).
        on_progress: Called with a `PullProgress` after every page and window.
        windows_total: Windows in the whole pull (more than `len(windows)` when resuming).
        lookahead: Pages that windows after the cursor may hold (default 2 x concurrency).
        spill: Where held page bodies go (memory up to a bound, then a temporary file).
        limiter: Requests in flight, shared with other pulls (default: `concurrency` of its
            own).
        clock: Monotonic seconds, for the progress rate.
    """

    def __init__(
        self,
        windows: Sequence[Window],
        fetch: Callable[[Window, int], Awaitable[tuple[bytes, Sequence[str], Any]]],
        decode: Callable[[bytes, Any], Sequence[Keyed[T]]],
        *,
        concurrency: int,
        page_size: int,
        ordered: bool,
        retry: RetryPolicy,
        overlap: int = 0,
        page_attempts: int = 3,
        on_progress: Callable[[PullProgress], object] | None = None,
        windows_total: int | None = None,
        lookahead: int | None = None,
        spill: SpillStore | None = None,
        limiter: anyio.CapacityLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = list(windows)
        self._fetch = fetch
        self._decode = decode
        self._concurrency = concurrency
        self._page_size = page_size
        self._overlap = max(0, min(overlap, page_size - 1))
        self._step = page_size - self._overlap
        self._ordered = ordered
        self._retry = retry
        self._page_attempts = page_attempts
        self._on_progress = on_progress
        self._total = len(self._windows) if windows_total is None else windows_total
        self._done_before = self._total - len(self._windows)
        self._lookahead = lookahead if lookahead is not None else 2 * concurrency
        self._spill = spill if spill is not None else SpillStore()
        self._clock = clock
        self._limiter = limiter if limiter is not None else anyio.CapacityLimiter(concurrency)
        self._active: dict[int, WindowState] = {}
        self._opened = 0  # windows opened so far (indices 0 .. _opened-1)
        self._cursor = 0  # the oldest window not yet finished
        self._in_flight = 0
        self._queued = 0  # chunks in the outbox, not yet taken by the consumer
        self._outbox: MemoryObjectSendStream[CdrChunk[T] | Emit]
        self._estimate = 1  # pages the last finished window needed
        self._finished_any = False
        self._ticks = 0
        self._emitting: WindowState | None = None  # the finished window being handed on
        self._failure: Exception | None = None
        self.rows = 0
        self.pages = 0
        self.refetched = 0
        self.windows_done = 0
        self._started = clock()

    # -- scheduling -------------------------------------------------------------------------

    def _tick(self) -> int:
        self._ticks += 1
        return self._ticks

    def _held_ahead(self) -> int:
        return sum(
            s.in_flight + (s.held() if self._ordered else 0)
            for i, s in self._active.items()
            if i != self._cursor
        )

    def _next_job(self) -> tuple[WindowState, int] | None:
        if self._queued >= self._lookahead + self._estimate:
            return None  # the consumer is behind: fetch nothing more until it catches up
        ahead = self._held_ahead()
        for index in range(self._cursor, self._opened):
            state = self._active.get(index)
            if state is None or not (state.refetch or state.schedulable()):
                continue
            if index != self._cursor and ahead >= self._lookahead:
                return None
            if state.refetch:
                page = min(state.refetch)
                state.refetch.discard(page)
                self.refetched += 1
            else:
                page = state.next_page
                state.next_page += 1
            return state, page
        if self._opened < len(self._windows) and (
            self._opened == self._cursor or ahead < self._lookahead
        ):
            state = WindowState(
                self._opened, self._windows[self._opened], horizon=self._estimate - 1
            )
            self._active[self._opened] = state
            self._opened += 1
            state.next_page = 1
            return state, 0
        return None

    def _schedule(self, tg: TaskGroup, results: MemoryObjectSendStream[PageResult | None]) -> None:
        while self._in_flight < self._concurrency:
            job = self._next_job()
            if job is None:
                return
            state, page = job
            state.in_flight += 1
            state.fetching.add(page)
            self._in_flight += 1
            tg.start_soon(self._page_task, state, page, results)

    async def _page_task(
        self, state: WindowState, page: int, results: MemoryObjectSendStream[PageResult | None]
    ) -> None:
        try:
            async with self._limiter:
                body, keys, cache, sent = await self._fetch_page(state.window, page * self._step)
                received = self._tick()
        except Exception as err:  # noqa: BLE001 - handed to the scheduler, which re-raises it
            results.send_nowait(PageResult(state, page, error=err))
        else:
            results.send_nowait(PageResult(state, page, body, keys, cache, sent, received))

    async def _fetch_page(
        self, window: Window, offset: int
    ) -> tuple[bytes, Sequence[str], Any, int]:
        attempt = 0
        while True:
            sent = self._tick()
            try:
                body, keys, cache = await self._fetch(window, offset)
            except (DecodeError, IncompleteBodyError):
                # A body cut off or garbled after the transport's own retries: ask again.
                attempt += 1
                if attempt >= self._page_attempts:
                    raise
                await self._retry.sleep(self._retry.backoff(attempt - 1))
            else:
                return body, keys, cache, sent

    # -- results ----------------------------------------------------------------------------

    def _record(self, result: PageResult) -> None:
        state, page, keys = result.state, result.page, result.keys
        state.in_flight -= 1
        state.fetching.discard(page)
        self._in_flight -= 1
        self.pages += 1
        full = len(keys) >= self._page_size
        if self._ordered and state.end is not None and page > state.end and not full:
            return  # past the window's end: nothing to keep
        if full and page >= state.horizon:
            # Bigger than the last window: grow a little (or double, knowing nothing yet).
            grow = (page + 1) // 4 if self._finished_any else page + 1
            state.horizon = page + max(1, grow)
        body: Handle | None = None
        cache = None
        if self._ordered:
            body = self._spill.put(result.body)
            if isinstance(body, bytes):  # kept in memory: so is what decoding it reuses
                cache = result.cache
        else:
            self._emit_now(state, page, result.body, result.cache)
        piece = Piece(
            body=body,
            cache=cache,
            count=len(keys),
            head=keys[0] if keys else None,
            tail=frozenset(keys[len(keys) - self._overlap :]) if self._overlap else frozenset(),
            sent=result.sent,
            received=result.received,
        )
        state.pieces.setdefault(page, []).append(piece)
        state.update_end(page, full=full, spill=self._spill if self._ordered else None)
        state.check_neighbours(page)
        state.settle()
        if not self._ordered:
            state.prune()

    def _emit_now(self, state: WindowState, page: int, body: bytes, cache: Any) -> None:
        rows = state.dedupe(page, self._decode(body, cache))
        if rows:
            self._queue(CdrChunk(state.window, rows, last=False))

    def _materialise(self, item: Emit) -> CdrChunk[T]:
        """A finished window's page as a chunk: decoded now, oldest row first."""
        state, page = item.state, item.page
        self._emitting = state
        rows: list[T] = []
        for handle, cache in state.take(page):
            assert handle is not None  # noqa: S101 - ordered pulls keep bodies
            body = self._spill.get(handle)
            self._spill.release(handle)
            rows += state.dedupe(page, reversed(self._decode(body, cache)))
        state.emitted.pop(page + 2, None)  # pages below this one never look that far
        return CdrChunk(state.window, rows, last=item.last)

    def _queue(self, item: CdrChunk[T] | Emit) -> None:
        self._queued += 1
        self._outbox.send_nowait(item)

    def _emit(self) -> None:
        """Move what is ready to the outbox (delivered by `_deliver`, never blocking here)."""
        if self._ordered:
            while (state := self._active.get(self._cursor)) is not None and state.complete():
                assert state.end is not None  # noqa: S101 - complete() checked it
                self._finish(state)
                for page in range(state.end, -1, -1):
                    self._queue(Emit(state, page, last=page == 0))
            return
        for state in list(self._active.values()):
            if state.complete():
                self._finish(state)
                state.emitted.clear()
                self._queue(CdrChunk(state.window, [], last=True))

    async def _deliver(
        self,
        outbox: MemoryObjectReceiveStream[CdrChunk[T] | Emit],
        send: MemoryObjectSendStream[CdrChunk[T]],
        results: MemoryObjectSendStream[PageResult | None],
        tg: TaskGroup,
    ) -> None:
        # A task of its own, so a slow consumer never stops results being recorded and new
        # pages being started (the outbox is bounded by the scheduler's budget instead).
        async with outbox:
            async for item in outbox:
                try:
                    chunk = self._materialise(item) if isinstance(item, Emit) else item
                except Exception as err:  # noqa: BLE001 - raised from `run`
                    self._failure = self._failure or err
                    tg.cancel_scope.cancel()
                    return
                try:
                    await send.send(chunk)
                except anyio.BrokenResourceError:
                    tg.cancel_scope.cancel()  # the consumer left: stop fetching quietly
                    return
                self.rows += len(chunk.rows)
                results.send_nowait(None)  # wakes the scheduler: budget freed
                self._report()

    def _finish(self, state: WindowState) -> None:
        del self._active[state.index]
        self.windows_done += 1
        assert state.end is not None  # noqa: S101 - complete() checked it
        self._estimate = state.end + 1
        self._finished_any = True
        while self._cursor < self._opened and self._cursor not in self._active:
            self._cursor += 1

    def kept_identities(self) -> int:
        """Row identities held for de-duplication now (bounded by a few pages a window)."""
        states = [*self._active.values(), *([self._emitting] if self._emitting else [])]
        return sum(len(seen) for state in states for seen in state.emitted.values())

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
        results_send, results_recv = anyio.create_memory_object_stream[PageResult | None](math.inf)
        self._outbox, outbox_recv = anyio.create_memory_object_stream[CdrChunk[T] | Emit](math.inf)
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
        self._spill.close()
        failure = failure or self._failure
        if failure is not None:
            raise failure
