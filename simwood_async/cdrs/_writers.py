"""Streaming CDR files: JSON Lines and CSV, written window by window, with checkpoints.

Writing needs no typed models: each page is decoded once (orjson when installed) into dicts,
and each row becomes its output line, so a buffered page costs about as much memory as its
JSON text. Rows are de-duplicated by `row_identity`, the same rule as the typed pulls.

A CSV file's header is `CSV_COLUMNS` (the keys of a real account's CDR row) followed by any
other key a row carries, in the order first met, so no column is dropped. When a key first
appears after rows were written, the file is rewritten with the longer header (earlier rows
padded with empty cells) before the window is committed, so the file on disk is always
consistent with its checkpoint.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import anyio

from simwood_async import _json
from simwood_async.cdrs._checkpoint import (
    Checkpoint,
    checkpoint_path,
    describe_plan,
    load_checkpoint,
    partial_path,
    remove_checkpoint,
)
from simwood_async.cdrs._identity import row_identity
from simwood_async.cdrs._pages import jsonl_rows, jsonl_scan, page_identities, page_rows
from simwood_async.cdrs._rows import VOICE_KEYS
from simwood_async.exceptions import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import BinaryIO

__all__ = ["CSV_COLUMNS", "FORMATS", "CdrFile", "FileFormat", "line_decoder"]

FileFormat = Literal["jsonl", "csv"]
FORMATS: Final = ("jsonl", "csv")
_WRITE_BATCH: Final = 1 << 20

#: The CSV header's first columns: the keys of a voice CDR row, in the order the API sends.
CSV_COLUMNS: Final = VOICE_KEYS

# What a page decoder hands the writer per row: its identity, and its encoded JSON line
# (JSON Lines) or the row itself (CSV: encoded in file order, as its columns are known).
Line = tuple[str, Any]
if TYPE_CHECKING:
    Scan = Callable[[bytes], tuple[list[str], Any]]


def _cell(value: Any) -> Any:
    # Text and numbers as they are; nested values and booleans as JSON (`true`); null empty.
    if value is None or value.__class__ in (str, int, float):
        return value
    return _json.dumps(value).decode()


class CsvEncoder:
    """Encodes rows as CSV lines over a growing list of columns."""

    def __init__(self, columns: Iterable[str] = CSV_COLUMNS) -> None:
        self.columns = list(columns)
        self._known = set(self.columns)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def header(self) -> bytes:
        """The header line for the columns met so far."""
        return self.encode_cells(self.columns)

    def encode_cells(self, cells: Iterable[Any]) -> bytes:
        """One CSV line."""
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._writer.writerow(cells)
        return buffer.getvalue().encode()

    def encode(self, row: dict[str, Any]) -> bytes:
        """A row as a CSV line; a key not met before becomes a new last column."""
        if not self._known.issuperset(row):
            for key in row:
                if key not in self._known:
                    self._known.add(key)
                    self.columns.append(key)
        return self.encode_cells([_cell(row.get(column)) for column in self.columns])


def _identities_cache(content: bytes) -> tuple[list[str], Any]:
    keys = page_identities(content)
    return keys, keys


def _csv_rows(content: bytes, cache: Any) -> list[Line]:
    rows = page_rows(content)
    keys = cache if cache is not None else [row_identity(row) for row in rows]
    return list(zip(keys, rows, strict=True))


def line_decoder(file_format: FileFormat) -> tuple[Scan, Callable[[bytes, Any], list[Line]]]:
    """How a file pull reads pages: `(scan, rows)`, no models.

    `scan(body)` gives the rows' identities when a page arrives (and what `rows` may reuse);
    `rows(body, cache)` gives `(identity, row)` when the page is written: for JSON Lines the
    row's JSON text as sent (`_pages.jsonl_rows`: values are not parsed when msgspec is
    installed), for CSV the parsed row, encoded in file order.

    Raises (from either):
        ValueError: Bad JSON.
        TypeError: Not an array of rows, or a row that is not an object.
    """
    if file_format == "jsonl":
        return jsonl_scan, jsonl_rows
    return _identities_cache, _csv_rows


class CdrFile:
    """An output file with its partial file and checkpoint; not public API (see `pull_to_file`).

    Rows go to `FILE.partial`; `close(complete=True)` replaces `FILE` with it. `prepare()`
    resumes when the checkpoint matches `identity` (truncating the partial file back to the
    size recorded with the last finished window), refuses a checkpoint of another pull unless
    `resume` is false, and starts afresh when there is none.
    """

    def __init__(
        self, path: Path, *, file_format: FileFormat, identity: Mapping[str, str | None]
    ) -> None:
        self.path = path
        self.partial = partial_path(path)
        self.format = file_format
        self.identity = dict(identity)
        self.done: list[str] = []
        self.until: str | None = None
        self.resumed = False
        self._file: BinaryIO | None = None
        self._size = 0
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._csv = CsvEncoder() if file_format == "csv" else None
        self._header_columns = 0  # columns in the header on disk

    def _prepare_sync(self, resume: bool) -> None:
        saved = load_checkpoint(self.path) if resume else None
        if saved is None or not self.partial.exists() or self.partial.stat().st_size < saved.size:
            return
        if saved.identity != self.identity:
            raise InvalidInputError(
                f"{str(self.path)!r} has an unfinished pull of {describe_plan(saved.identity)} "
                f"({len(saved.done)} windows done, recorded in "
                f"{str(checkpoint_path(self.path))!r}) with other parameters than this one; "
                "run that pull again to resume it, or start over with resume=False "
                "(`--restart` on the command line)"
            )
        self.done = list(saved.done)
        self.until = saved.until
        self._size = saved.size
        self.resumed = True

    async def prepare(self, *, resume: bool) -> None:
        """Read a matching checkpoint, if `resume` and there is one (nothing is written).

        Raises:
            InvalidInputError: `resume` and the checkpoint records another pull to this file.
        """
        await anyio.to_thread.run_sync(self._prepare_sync, resume)

    def _open_sync(self) -> None:
        handle: BinaryIO
        if self.resumed:
            handle = self.partial.open("r+b")
            handle.truncate(self._size)
            if self._csv is not None:
                # The columns met so far are the header's: it is rewritten before a commit.
                handle.seek(0)
                self._csv = CsvEncoder(next(csv.reader([handle.readline().decode()]), []))
                self._header_columns = len(self._csv.columns)
            handle.seek(self._size)
        else:
            remove_checkpoint(self.path)
            handle = self.partial.open("wb")
            first = b""
            if self._csv is not None:
                first = self._csv.header()
                self._header_columns = len(self._csv.columns)
            handle.write(first)
            self._size = len(first)
        self._file = handle

    async def open(self) -> None:
        """Open the partial file: truncated back to the checkpoint when resuming, else new.

        Raises:
            InvalidInputError: The file cannot be written.
        """
        try:
            await anyio.to_thread.run_sync(self._open_sync)
        except OSError as err:
            raise InvalidInputError(f"cannot write {str(self.partial)!r}: {err}") from err

    async def write(self, rows: Iterable[Any]) -> None:
        """Append rows: JSON texts (JSON Lines) or row dicts (CSV), in file order.

        Buffered here and in the file; `commit` makes them durable.
        """
        if self._csv is not None:
            encode = self._csv.encode
            data = b"".join([encode(row) for row in rows])
        else:
            rows = list(rows)  # JSON texts (bytes-like) without their newlines
            data = b"\n".join(rows) + b"\n" if rows else b""
        if data:
            self._pending.append(data)
            self._pending_size += len(data)
            self._size += len(data)
            if self._pending_size >= _WRITE_BATCH:
                await anyio.to_thread.run_sync(self._write_pending)

    def _write_pending(self) -> None:
        # One thread hop per ~1 MiB rather than per page.
        assert self._file is not None  # noqa: S101 - opened
        pending, self._pending, self._pending_size = self._pending, [], 0
        self._file.write(b"".join(pending))

    def _rewrite_header(self) -> None:
        """Rewrite the CSV file with the longer header, padding the rows written before."""
        assert self._file is not None  # noqa: S101 - opened
        assert self._csv is not None  # noqa: S101 - a CSV file
        width = len(self._csv.columns)
        self._file.flush()
        # The file being written (wherever it is: the pull's own target or a partial file).
        written = Path(self._file.name)
        temporary = written.with_name(written.name + ".columns.tmp")
        with (
            written.open("r", newline="", encoding="utf-8") as source,
            temporary.open("w", newline="", encoding="utf-8") as target,
        ):
            reader, writer = csv.reader(source), csv.writer(target, lineterminator="\n")
            next(reader, None)
            writer.writerow(self._csv.columns)
            for cells in reader:
                writer.writerow(cells + [""] * (width - len(cells)))
            target.flush()
            os.fsync(target.fileno())
        self._file.close()
        temporary.replace(written)
        self._file = written.open("r+b")
        self._size = self._file.seek(0, os.SEEK_END)
        self._header_columns = width

    def _commit_sync(self, key: str, until: str) -> None:
        assert self._file is not None  # noqa: S101 - opened
        self._write_pending()
        if self._csv is not None and len(self._csv.columns) > self._header_columns:
            self._rewrite_header()
        self._file.flush()
        os.fsync(self._file.fileno())
        self.done.append(key)
        Checkpoint(
            identity=self.identity, until=until, done=tuple(self.done), size=self._size
        ).save(self.path)

    async def commit(self, key: str, *, until: str) -> None:
        """Record a finished window: flush, fsync, then save the checkpoint atomically."""
        await anyio.to_thread.run_sync(self._commit_sync, key, until)

    def _close_sync(self, handle: BinaryIO, *, complete: bool) -> None:
        if complete:
            handle.write(b"".join(self._pending))
            self._pending, self._pending_size = [], 0
            handle.flush()
            os.fsync(handle.fileno())
        handle.close()
        if complete:
            # The one moment the target changes: a complete file replaces the old one whole.
            self.partial.replace(self.path)
            remove_checkpoint(self.path)
        elif not self.done:
            # Nothing finished: no partial file to resume, and no empty file left behind.
            self.partial.unlink(missing_ok=True)
            remove_checkpoint(self.path)

    async def close(self, *, complete: bool) -> None:
        """Close the file: a complete pull replaces the target with it and drops the checkpoint.

        An incomplete pull keeps its partial file and checkpoint if a window was finished
        (to resume), and removes them otherwise; the target is untouched either way.
        """
        handle, self._file = self._file, None
        if handle is None:
            return
        # Shielded: this runs on the way out of a cancelled pull too.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: self._close_sync(handle, complete=complete))

    @property
    def size(self) -> int:
        """Bytes written so far (including what a resumed pull kept)."""
        return self._size
