"""Page bodies a pull holds, in memory up to a bound and in a temporary file beyond it.

An ordered pull emits a window's rows oldest first, but the API sends them newest first, so
it must hold a whole window before emitting its first row: a busy account's day can be
millions of rows. The bodies are kept here: in memory while they fit `memory_limit`, then
appended to an anonymous temporary file (deleted when closed, and truncated whenever
nothing in it is still held), and read back when their window is emitted.
"""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = ["DEFAULT_SPILL_BYTES", "SpillStore"]

#: Bytes of page bodies a pull keeps in memory before spilling to disk.
DEFAULT_SPILL_BYTES: Final = 16 * 1024 * 1024

# The body itself, or its place in the file as one int, `offset << 32 | length` (a window
# can hold thousands of them: an int is the smallest record).
Handle = bytes | int


class SpillStore:
    """Holds page bodies; not public API.

    Args:
        memory_limit: Bytes kept in memory; bodies beyond it go to a temporary file.
    """

    def __init__(self, memory_limit: int = DEFAULT_SPILL_BYTES) -> None:
        self._limit = memory_limit
        self._held = 0
        self._file: BinaryIO | None = None
        self._end = 0
        self._live = 0  # bodies in the file not yet released
        self.spilled = 0  # bytes ever written to the file (for tests and figures)

    def put(self, body: bytes) -> Handle:
        """Keep `body`; returns the handle to read it back with."""
        if self._held + len(body) <= self._limit:
            self._held += len(body)
            return body
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by `close()`
        self._file.seek(self._end)
        self._file.write(body)
        handle = (self._end << 32) | len(body)
        self._end += len(body)
        self._live += 1
        self.spilled += len(body)
        return handle

    def get(self, handle: Handle) -> bytes:
        """The body behind a handle."""
        if isinstance(handle, bytes):
            return handle
        assert self._file is not None  # noqa: S101 - only spilled handles are ints
        offset, length = handle >> 32, handle & 0xFFFFFFFF
        self._file.seek(offset)
        return self._file.read(length)

    def release(self, handle: Handle) -> None:
        """Forget a body (its memory is freed; the file shrinks once it holds nothing)."""
        if isinstance(handle, bytes):
            self._held -= len(handle)
            return
        self._live -= 1
        if self._live == 0 and self._file is not None:
            self._file.truncate(0)
            self._end = 0

    @property
    def held(self) -> int:
        """Bytes of bodies held in memory now."""
        return self._held

    def close(self) -> None:
        """Delete the temporary file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None
