"""A pull to a file: its identity (as its checkpoint records it) and the run that writes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from simwood_async import _json
from simwood_async._types import GMT
from simwood_async.cdrs._decoders import guarded, overlap
from simwood_async.cdrs._limits import MAX_CONCURRENCY, MAX_PAGE_SIZE, check_int
from simwood_async.cdrs._pull import CdrPull
from simwood_async.cdrs._puller import PageEngine, PullProgress
from simwood_async.cdrs._spill import SpillStore
from simwood_async.cdrs._windows import Window, check_age, split_windows
from simwood_async.cdrs._writers import CdrFile, FileFormat, line_decoder

if TYPE_CHECKING:
    from collections.abc import Callable

    import anyio

    from simwood_async._retry import RetryPolicy

__all__ = ["PullResult", "file_identity", "write_pull"]

if TYPE_CHECKING:
    Scan = Callable[[bytes], tuple[list[str], Any]]


@attrs.frozen(kw_only=True)
class PullResult:
    """What `pull_to_file` did.

    Attributes:
        path: The output file.
        format: `jsonl` or `csv`.
        rows: Rows written by this run (a resumed run does not count earlier runs' rows).
        pages: Pages fetched by this run.
        windows: Windows (days, by default) in the pull.
        windows_resumed: Windows a resumed run found already finished and skipped.
        size: The file's size in bytes.
        start: The first instant pulled (GMT).
        until: The end, exclusive (the requested end, clamped to when the pull was planned).

    .. versionadded:: 0.1.0
    """

    path: Path
    format: FileFormat
    rows: int
    pages: int
    windows: int
    windows_resumed: int
    size: int
    start: dt.datetime
    until: dt.datetime


def _end_key(end: dt.datetime | dt.date | None) -> str | None:
    # A date stays a date (through that day); a time is its GMT instant (validated already).
    if end is None or not isinstance(end, dt.datetime):
        return None if end is None else end.isoformat()
    return end.astimezone(GMT).isoformat()


def file_identity(
    *,
    account: str,
    first: dt.datetime,
    end: dt.datetime | dt.date | None,
    wire_filter: dict[str, Any] | None,
    window: dt.timedelta | None,
    format: FileFormat,  # noqa: A002 - as in `pull_to_file`
) -> dict[str, str | None]:
    """A pull's identity as its checkpoint records it: a rerun with the same one resumes."""
    return {
        "account": account,
        "start": first.isoformat(),
        # The end as asked for, not clamped to now: the same pull after midnight is the same.
        "end": _end_key(end),
        "filter": _json.dumps(wire_filter).decode() if wire_filter else None,
        "window": str(int(window.total_seconds())) if window is not None else None,
        "format": format,
    }


async def write_pull(
    out: Path,
    *,
    fetcher: Callable[[Scan, int], Callable[[Window, int], Any]],
    identity: dict[str, str | None],
    first: dt.datetime,
    requested_until: dt.datetime,
    format: FileFormat,  # noqa: A002 - as in `pull_to_file`
    concurrency: int,
    page_size: int,
    window: dt.timedelta | None,
    resume: bool,
    on_progress: Callable[[PullProgress], object] | None,
    memory_limit: int,
    limiter: anyio.CapacityLimiter | None,
    retry: RetryPolicy,
    now: Callable[[], dt.datetime],
) -> PullResult:
    """Run a planned `pull_to_file`: resume its checkpoint, fetch what remains, write the file.

    `fetcher(scan, page_size)` makes the page fetch for the engine.
    """
    sink = CdrFile(out, file_format=format, identity=identity)
    await sink.prepare(resume=resume)
    until = dt.datetime.fromisoformat(sink.until) if sink.until else requested_until
    windows = split_windows(first, until, window=window)
    finished = set(sink.done)
    remaining = [w for w in windows if w.key not in finished]
    if remaining:
        check_age(remaining[0].start, now=now().astimezone(GMT))

    def report(progress: PullProgress) -> None:
        # Count the windows on disk, not those handed to the writer.
        if on_progress is not None:
            on_progress(attrs.evolve(progress, windows_done=len(sink.done)))

    scan, rows = line_decoder(format)
    engine: PageEngine[Any] = PageEngine(
        remaining,
        fetcher(scan, check_int("page_size", page_size, 1, MAX_PAGE_SIZE)),
        guarded(rows),
        concurrency=check_int("concurrency", concurrency, 1, MAX_CONCURRENCY),
        page_size=page_size,
        overlap=overlap(page_size),
        ordered=True,
        # Rows held here are encoded lines (~340 bytes each), so a deeper lookahead than
        # the typed path's is cheap: with 2 x concurrency, slots idled waiting for the
        # oldest window (~5.6 of 8 pages in flight); 8 x keeps ~7 busy for ~10 MB more.
        lookahead=8 * concurrency,
        retry=retry,
        on_progress=report,
        spill=SpillStore(check_int("memory_limit", memory_limit, 0, 2**40)),
        limiter=limiter,
        windows_total=len(windows),
    )
    report(engine.progress())  # from the start: the windows resumed, the total
    await sink.open()
    complete = False
    try:
        async with CdrPull(engine, windows=windows) as pull:
            while (chunk := await pull.next_chunk()) is not None:
                await sink.write(chunk.rows)
                if chunk.last:
                    await sink.commit(chunk.window.key, until=until.isoformat())
                    report(engine.progress())
        complete = True
    finally:
        await sink.close(complete=complete)
    return PullResult(
        path=out,
        format=format,
        rows=engine.rows,
        pages=engine.pages,
        windows=len(windows),
        windows_resumed=len(windows) - len(remaining),
        size=sink.size,
        start=first,
        until=until,
    )
