"""`client.cdrs`: one page of voice CDRs, bulk pulls, and pulls straight to a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simwood_async._area import Area
from simwood_async._converter import format_wire_datetime
from simwood_async._http import path
from simwood_async._operation import operation
from simwood_async._types import GMT
from simwood_async._validate import day, one_of
from simwood_async.cdrs._decoders import guarded, identities, keyed_decoder, overlap, typed_decoder
from simwood_async.cdrs._limits import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    MAX_CONCURRENCY,
    MAX_PAGE_SIZE,
    check_int,
)
from simwood_async.cdrs._models import CdrFilter, VoiceCdr
from simwood_async.cdrs._pull import CdrPull
from simwood_async.cdrs._puller import PageEngine, PullProgress
from simwood_async.cdrs._spill import DEFAULT_SPILL_BYTES, SpillStore
from simwood_async.cdrs._tofile import PullResult, file_identity, write_pull
from simwood_async.cdrs._windows import Window, plan_range, split_windows, utc_now
from simwood_async.cdrs._writers import FORMATS, FileFormat
from simwood_async.exceptions import DecodeError, InvalidInputError

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    import anyio

    from simwood_async._http import ApiResponse

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "MAX_CONCURRENCY",
    "MAX_PAGE_SIZE",
    "CdrsApi",
    "PullResult",
]


def _aware(name: str, value: dt.datetime) -> str:
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:  # type: ignore[redundant-expr]
        raise InvalidInputError(f"{name} must be an aware datetime (CDR times are GMT)")
    return format_wire_datetime(value, GMT)


class CdrsApi(Area):
    """`client.cdrs`: voice call records from `/v3/voice/{ACCOUNT}/cdr`.

    `page()` is one request; `pull()` fetches a whole time range concurrently and yields typed
    records; `pull_to_file()` streams a range to JSON Lines or CSV without building models.

    .. versionadded:: 0.1.0
    """

    __slots__ = ()

    def _filter_wire(self, cdr_filter: CdrFilter | None) -> dict[str, Any] | None:
        if cdr_filter is None:
            return None
        if not isinstance(cdr_filter, CdrFilter):
            raise InvalidInputError("filter must be a CdrFilter")
        wire = {k: v for k, v in self._conv.unstructure(cdr_filter).items() if v is not None}
        return wire or None

    def _file_plan(
        self,
        start: dt.datetime | dt.date,
        end: dt.datetime | dt.date | None,
        *,
        format: FileFormat,  # noqa: A002 - as in `pull_to_file`
        filter: CdrFilter | None,  # noqa: A002 - the API's name
        window: dt.timedelta | None,
        now: Callable[[], dt.datetime],
    ) -> tuple[dict[str, str | None], dt.datetime, dt.datetime]:
        """A `pull_to_file`'s identity (as its checkpoint records it), first instant and end."""
        one_of("format", format, FORMATS)
        first, requested_until = plan_range(start, end, now=now(), enforce_age=False)
        identity = file_identity(
            account=self._t.account,
            first=first,
            end=end,
            wire_filter=self._filter_wire(filter),
            window=window,
            format=format,
        )
        return identity, first, requested_until

    async def _request_page(
        self,
        *,
        date: str | None,
        date_start: str | None,
        date_end: str | None,
        limit: int,
        offset: int,
        wire_filter: dict[str, Any] | None,
    ) -> ApiResponse:
        url = path("voice", self._t.account, "cdr", *([date] if date else []))
        fields: dict[str, Any] = {"limit": limit, "start": offset}
        if date_start is not None:
            fields["date_start"] = date_start
        if date_end is not None:
            fields["date_end"] = date_end
        if wire_filter is None:
            return await self._t.request("GET", url, params=fields, retry=True)
        # The API takes `filter` only in a JSON body.
        fields["filter"] = wire_filter
        return await self._t.request("POST", url, json=fields, retry=True)

    @operation("GET or POST", "/v3/voice/{ACCOUNT}/cdr")
    @operation("GET or POST", "/v3/voice/{ACCOUNT}/cdr/{YYYY-MM-DD}")
    async def page(
        self,
        date: dt.date | str | None = None,
        *,
        date_start: dt.datetime | None = None,
        date_end: dt.datetime | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        filter: CdrFilter | None = None,  # noqa: A002 - the API's name
    ) -> list[VoiceCdr]:
        """One page of voice CDRs, newest first (a single request).

        Args:
            date: A GMT day (`/cdr/{date}`); or leave it out and give a time range.
            date_start: The first second (aware; sent as GMT).
            date_end: The last second, inclusive (aware; sent as GMT).
            limit: Rows per page (the API's default is 500).
            offset: Rows to skip (the API's `start`).
            filter: Only calls matching this.

        Returns:
            The page's records; fewer than `limit` means it is the last.

        Raises:
            InvalidInputError: Both `date` and a time range, naive datetimes, bad numbers.
        """
        if date is not None and (date_start is not None or date_end is not None):
            raise InvalidInputError("pass either date or date_start/date_end, not both")
        response = await self._request_page(
            date=day(date) if date is not None else None,
            date_start=_aware("date_start", date_start) if date_start is not None else None,
            date_end=_aware("date_end", date_end) if date_end is not None else None,
            limit=check_int("limit", limit, 1, MAX_PAGE_SIZE),
            offset=check_int("offset", offset, 0, 2**31),
            wire_filter=self._filter_wire(filter),
        )
        rows: list[VoiceCdr] = self._decode_page(response, typed_decoder(self._conv))
        return rows

    @staticmethod
    def _decode_page(response: ApiResponse, decode: Callable[[bytes], Any]) -> Any:
        try:
            return decode(response.content)
        except Exception as err:  # bad JSON, a cut-off body, rows of the wrong shape
            raise DecodeError(
                f"unexpected CDR page: {type(err).__name__}: {err}",
                request=response.request,
                status_code=response.status_code,
                body=response.text,
            ) from err

    def _fetcher(
        self, scan: Callable[[bytes], tuple[list[str], Any]], *, page_size: int, wire_filter: Any
    ) -> Callable[[Window, int], Any]:
        async def fetch(window: Window, offset: int) -> tuple[bytes, list[str], Any]:
            response = await self._request_page(
                date=None,
                date_start=window.date_start,
                date_end=window.date_end,
                limit=page_size,
                offset=offset,
                wire_filter=wire_filter,
            )
            # The rows' identities (and what reading the rows later can reuse).
            keys, cache = self._decode_page(response, scan)
            return response.content, keys, cache

        return fetch

    @operation("GET or POST", "/v3/voice/{ACCOUNT}/cdr")
    @operation("GET or POST", "/v3/voice/{ACCOUNT}/cdr/{YYYY-MM-DD}")
    def pull(
        self,
        start: dt.datetime | dt.date,
        end: dt.datetime | dt.date | None = None,
        *,
        filter: CdrFilter | None = None,  # noqa: A002 - the API's name
        ordered: bool = True,
        concurrency: int = DEFAULT_CONCURRENCY,
        page_size: int = DEFAULT_PAGE_SIZE,
        window: dt.timedelta | None = None,
        on_progress: Callable[[PullProgress], object] | None = None,
        memory_limit: int = DEFAULT_SPILL_BYTES,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> CdrPull[VoiceCdr]:
        """Pull every voice CDR of a time range, concurrently, each row exactly once.

        ```python
        async with client.cdrs.pull(date(2026, 10, 1), date(2026, 10, 7)) as cdrs:
            async for cdr in cdrs:
                print(cdr.date, cdr.to, cdr.chg_total)
        ```

        The range is split into GMT days (or `window`-sized pieces); their pages are fetched
        concurrently, rows repeated by offset pagination are dropped (by their identity: the
        first of `reference`, `_id`, `cdr_id`, `call_id`, else a hash of the row), and
        pages that arrive garbled or cut off are fetched again. The range is clamped to the
        time of this call, so calls arriving during the pull do not shift its pages.

        Args:
            start: An aware datetime, or a date (from its midnight GMT). Naive datetimes
                are refused: CDR times are GMT, and guessing would shift the range.
            end: Exclusive, as an aware datetime; a date includes that whole day; None
                means now.
            filter: Only calls matching this.
            ordered: True: windows in time order, rows oldest first within each (a window's
                pages are held until it is complete: see `memory_limit`); False: rows as
                pages arrive (newest first within a page), holding no pages.
            concurrency: Requests in flight at once.
            page_size: Rows per request.
            window: Split days further (e.g. `timedelta(hours=1)`) for very busy accounts.
            on_progress: Called with a `PullProgress` after every page.
            memory_limit: Bytes of page bodies an ordered pull holds in memory (a window
                is emitted oldest first, so it is held until complete); beyond it they wait
                in a temporary file.
            now: The current time (injectable for tests and sandboxes).

        Returns:
            A `CdrPull`: use it with `async with`, then `async for`.

        Raises:
            InvalidInputError: Raised here, before any request: naive datetimes, an end not
                after the start, a start more than 90 days ago or in the future, bad numbers.
        """
        first, until = plan_range(start, end, now=now())
        windows = split_windows(first, until, window=window)
        engine = PageEngine(
            windows,
            self._fetcher(
                identities,
                page_size=check_int("page_size", page_size, 1, MAX_PAGE_SIZE),
                wire_filter=self._filter_wire(filter),
            ),
            guarded(keyed_decoder(self._conv)),
            concurrency=check_int("concurrency", concurrency, 1, MAX_CONCURRENCY),
            page_size=page_size,
            overlap=overlap(page_size),
            ordered=ordered,
            retry=self._t.retry,
            on_progress=on_progress,
            spill=SpillStore(check_int("memory_limit", memory_limit, 0, 2**40)),
        )
        return CdrPull(engine, windows=windows)

    @operation("GET or POST", "/v3/voice/{ACCOUNT}/cdr")
    @operation("GET or POST", "/v3/voice/{ACCOUNT}/cdr/{YYYY-MM-DD}")
    async def pull_to_file(
        self,
        file: str | os.PathLike[str],
        start: dt.datetime | dt.date,
        end: dt.datetime | dt.date | None = None,
        *,
        format: FileFormat = "jsonl",  # noqa: A002 - reads best at the call site
        filter: CdrFilter | None = None,  # noqa: A002 - the API's name
        concurrency: int = DEFAULT_CONCURRENCY,
        page_size: int = DEFAULT_PAGE_SIZE,
        window: dt.timedelta | None = None,
        resume: bool = True,
        on_progress: Callable[[PullProgress], object] | None = None,
        memory_limit: int = DEFAULT_SPILL_BYTES,
        limiter: anyio.CapacityLimiter | None = None,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> PullResult:
        """Stream every voice CDR of a time range to a JSON Lines or CSV file.

        No typed models are built: each page is decoded once (orjson when installed), rows
        are de-duplicated by their identity (as in `pull`) and written as lines, oldest first,
        window by window, with every key each row has.
        Rows go to `FILE.partial` beside the file, which replaces `FILE` only when the pull
        completes: a failed pull leaves an earlier `FILE` as it was, and a failed first pull
        leaves no empty file. A checkpoint (`FILE.checkpoint.json`) records the pull's plan
        and each finished window; if the pull is interrupted, running it again with the same
        arguments resumes the recorded range (even after midnight GMT, or when `end` reached
        "now"): finished windows are not fetched again and no row is written twice. A
        different pull to the same file is refused while the checkpoint is there, unless
        `resume=False`. The partial file and checkpoint are removed when the pull completes,
        and when it fails before finishing any window.

        Args:
            file: The output path (replaced whole when the pull completes).
            start: As for `pull`.
            end: As for `pull`.
            format: `jsonl` (one JSON object per line, the API's keys) or `csv` (a header of
                the CDR's wire keys, `CSV_COLUMNS`, then any other keys rows carry, in the
                order first met).
            filter: Only calls matching this.
            concurrency: Requests in flight at once.
            page_size: Rows per request.
            window: Split days further (e.g. `timedelta(hours=1)`).
            resume: Resume from the checkpoint if there is one; False starts afresh.
            on_progress: Called with a `PullProgress` when the pull starts (with the windows
                it resumed) and after every page.
            limiter: A limit on requests in flight shared with other pulls (several
                accounts under one limit: `simwood_async.cdrs.pull_accounts`).
            memory_limit: Bytes of page bodies held in memory (a window is written oldest
                first, so it is held until complete); beyond it they wait in a temporary
                file.
            now: The current time (injectable for tests and sandboxes).

        Returns:
            What was done (rows, pages, windows, bytes, the range).

        Raises:
            InvalidInputError: Bad arguments (before any request), an unwritable file, or
                (with `resume`) a checkpoint of a different pull to this file.
            SimwoodError: A page failed after its retries (the checkpoint stays, so the
                pull can be resumed).
        """
        identity, first, requested_until = self._file_plan(
            start, end, format=format, filter=filter, window=window, now=now
        )
        wire_filter = self._filter_wire(filter)
        return await write_pull(
            Path(file),
            fetcher=lambda scan, size: self._fetcher(scan, page_size=size, wire_filter=wire_filter),
            identity=identity,
            first=first,
            requested_until=requested_until,
            format=format,
            concurrency=concurrency,
            page_size=page_size,
            window=window,
            resume=resume,
            on_progress=on_progress,
            memory_limit=memory_limit,
            limiter=limiter,
            retry=self._t.retry,
            now=now,
        )
