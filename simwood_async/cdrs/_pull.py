"""`CdrPull`: a running pull, used as `async with ...: async for ...`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

import anyio

from simwood_async.cdrs._puller import CdrChunk

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import TracebackType

    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
    from typing_extensions import Self

    from simwood_async.cdrs._puller import PageEngine, PullProgress
    from simwood_async.cdrs._windows import Window

__all__ = ["CdrPull"]

T = TypeVar("T")


class CdrPull(Generic[T]):
    """A running pull: an async context manager, then an async iterator over the rows.

    ```python
    async with client.cdrs.pull(start, end) as cdrs:
        async for cdr in cdrs:
            ...
    ```

    Leaving the `async with` block early cancels the fetching cleanly. A failure (a page that
    still fails after its retries) is raised from the `async for`.

    Attributes:
        start: The first instant pulled (GMT).
        until: The end of the pull, exclusive: the requested end, clamped to the time the
            pull was planned (calls made after that are not part of it).
        windows: The windows (days, by default) the range was split into.

    .. versionadded:: 0.1.0
    """

    def __init__(self, engine: PageEngine[T], *, windows: Sequence[Window]) -> None:
        self._engine = engine
        self.windows = tuple(windows)
        self.start = self.windows[0].start
        self.until = self.windows[-1].end
        self._tg: TaskGroup | None = None
        self._recv: MemoryObjectReceiveStream[CdrChunk[T]] | None = None
        self._send: MemoryObjectSendStream[CdrChunk[T]] | None = None
        self._rows: Iterator[T] = iter(())
        self._error: Exception | None = None

    @property
    def progress(self) -> PullProgress:
        """The latest progress snapshot."""
        return self._engine.progress()

    async def __aenter__(self) -> Self:
        if self._tg is not None:
            raise RuntimeError("a CdrPull can only be entered once")
        self._send, self._recv = anyio.create_memory_object_stream[CdrChunk[T]](2)
        send = self._send
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._run, send)
        return self

    async def _run(self, send: MemoryObjectSendStream[CdrChunk[T]]) -> None:
        try:
            await self._engine.run(send)
        except Exception as err:  # noqa: BLE001 - raised to the consumer by __anext__
            self._error = err

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._tg is not None  # noqa: S101 - entered
        assert self._recv is not None  # noqa: S101 - entered
        assert self._send is not None  # noqa: S101 - entered
        self._tg.cancel_scope.cancel()
        self._recv.close()
        # The consumer's own exception propagates unwrapped: the group sees none.
        await self._tg.__aexit__(None, None, None)
        self._send.close()  # if `_run` was cancelled before it started, nobody closed it

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        for row in self._rows:
            return row
        while (chunk := await self.next_chunk()) is not None:
            if chunk.rows:
                self._rows = iter(chunk.rows)
                return next(self._rows)
        raise StopAsyncIteration

    async def next_chunk(self) -> CdrChunk[T] | None:
        """The next chunk (up to a page of rows of one window), or None at the end.

        Raises:
            SimwoodError: The pull failed.
        """
        if self._recv is None:
            raise RuntimeError("use `async with client.cdrs.pull(...) as cdrs:` first")
        try:
            return await self._recv.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            if self._error is not None:
                raise self._error from None
            return None
