"""Streamed bodies and reading bodies: the SDK's errors for httpx's, and the call's deadline.

`read_body` reads a whole body; `ByteStream` hands a streamed one out in chunks; both turn the
HTTP library's failures into the SDK's errors (see `_failures.py`), and `deadline_bound`
bounds a step of a call by the call's deadline.
"""

from __future__ import annotations

from contextlib import aclosing, contextmanager
from typing import TYPE_CHECKING, cast

import anyio

from simwood_async._failures import library_error, translate
from simwood_async.exceptions import DeadlineExceededError, RequestInfo, TransportError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Iterator, Mapping

    import httpx

__all__ = ["ByteStream", "deadline_bound", "read_body"]


async def read_body(
    response: httpx.Response, info: RequestInfo
) -> tuple[bytes, TransportError | None]:
    """The whole body, or the SDK's error (returned, to be raised outside `except`)."""
    try:
        return await response.aread(), None
    except Exception as err:
        if not library_error(err):
            raise
        failure = translate(err, info, response.request.url, "body", response.status_code)
        return b"", failure


@contextmanager
def deadline_bound(
    clock: Callable[[], float], deadline_at: float | None, info: RequestInfo, what: str
) -> Iterator[None]:
    """Bound a block by the call's deadline (no bound without one)."""
    if deadline_at is None:
        yield
        return
    remaining = deadline_at - clock()
    if remaining <= 0:
        raise DeadlineExceededError("the call's deadline has passed", request=info)
    expired = False
    with anyio.move_on_after(remaining) as scope:
        yield
    expired = scope.cancelled_caught
    if expired:
        raise DeadlineExceededError(f"the call's deadline passed {what}", request=info)


class ByteStream:
    """A streamed body whose read errors are translated into the SDK's."""

    __slots__ = ("_clock", "_deadline_at", "_response", "request")

    def __init__(
        self,
        response: httpx.Response,
        request: RequestInfo,
        *,
        clock: Callable[[], float] = anyio.current_time,
        deadline_at: float | None = None,
    ) -> None:
        self._response = response
        self.request = request
        self._clock = clock
        self._deadline_at = deadline_at

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers."""
        return self._response.headers

    async def iter_bytes(self, chunk_size: int = 65536) -> AsyncGenerator[bytes, None]:
        """Yield the body in chunks.

        Wrap the iterator in `contextlib.aclosing()` if you may stop early, so it is closed
        at once (trio warns about async generators left to the garbage collector).

        Raises:
            IncompleteBodyError: The connection broke mid-body.
            RequestTimeoutError: Reading timed out.
            DeadlineExceededError: The call's deadline passed.
        """
        failure: TransportError | None = None
        # httpx's iterator is an async generator too: close it now, not at GC time.
        inner = cast("AsyncGenerator[bytes, None]", self._response.aiter_bytes(chunk_size))
        async with aclosing(inner) as chunks:
            while True:
                try:
                    with deadline_bound(self._clock, self._deadline_at, self.request, "mid-body"):
                        chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as err:
                    if not library_error(err):
                        raise
                    url = self._response.request.url
                    failure = translate(err, self.request, url, "body", self.status_code)
                    break
                yield chunk
        if failure is not None:
            raise failure
