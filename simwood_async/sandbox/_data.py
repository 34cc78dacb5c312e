"""Deterministic synthetic CDRs, generated on demand in blocks, served as slices of bytes.

Row `i` of a GMT day has a start time that is a pure function of (seed, day, i) and
monotonic in `i`, so the rows of any time window are an index range found by binary search,
and a page is a slice of that range. Rows are generated `BLOCK` at a time (see `_voicegen`),
newest first, as encoded JSON objects; blocks are kept in an LRU bounded in bytes
(`cache_bytes`), so a page is a join of cached rows, and a day is never materialised whole.

Newest-first order of a day: live calls (those that arrived after the sandbox started, at
`live_calls_per_minute`) first, then the synthetic base rows, newest to oldest.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import OrderedDict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from simwood_async import _json
from simwood_async.sandbox._late import LateRows, merge_newest_first
from simwood_async.sandbox._sms import DESTINATIONS, Destination, mix, sms_rows
from simwood_async.sandbox._voicegen import (
    BLOCK,
    INBOUND_SUFFIX,
    LIVE_STREAM,
    RowStream,
    VoiceEncoder,
    check_encoder,
    row_stream_of,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


__all__ = [
    "DEFAULT_CACHE_BYTES",
    "DESTINATIONS",
    "FILTER_KEYS",
    "CdrSource",
    "Destination",
    "Segment",
    "VoiceCall",
    "day_bounds",
    "mix",
]

#: Bytes of encoded voice CDRs a source keeps by default (about 160,000 rows).
DEFAULT_CACHE_BYTES: Final = 64 * 1024 * 1024
FILTER_KEYS: Final = ("from", "to", "toISO", "trunk", "tag")

_EPOCH_ORD: Final = dt.date(1970, 1, 1).toordinal()
# The stream of late rows' references (day streams are ordinals of recent days, live is 0).
_LATE_STREAM: Final = 1
_DAY: Final = 86400
_M32: Final = 0xFFFFFFFF
_WEYL: Final = 0x9E3779B1
# CPython's size of a `bytes` object beyond its data, plus its slot in a list.
_ROW_OVERHEAD: Final = 41


def day_bounds(day: dt.date) -> tuple[int, int]:
    """The Unix seconds [start, end) of a GMT day."""
    start = (day.toordinal() - _EPOCH_ORD) * _DAY
    return start, start + _DAY


class Segment(NamedTuple):
    """Rows `lo <= i < hi` of one stream, read newest first.

    A stream is a base day, the live calls, or a day's late rows.
    """

    live: bool
    day_ord: int
    lo: int
    hi: int
    late: bool = False  # rows lo..hi-1 of the day's late rows (`_late.py`)

    @property
    def size(self) -> int:
        """How many rows the segment holds."""
        return self.hi - self.lo


class VoiceCall(NamedTuple):
    """What the sandbox's voice summaries read from a CDR row."""

    direction: str  # `in` or `out`
    destid: str
    location: str
    seconds: int
    charge: Decimal


def _envelope(rows: list[bytes]) -> bytes:
    """A CDR page as the API sends it: `{"success": 1, "count": N, "data": [...]}`."""
    return b'{"success":1,"count":%d,"data":[' % len(rows) + b",".join(rows) + b"]}"


class CdrSource:
    """Voice and SMS CDRs of one account, a pure function of the seed.

    Args:
        seed: Everything derives from it.
        account: The account id (trunk names start with it).
        rows_per_day: Synthetic voice CDRs per full GMT day.
        sms_per_day: Synthetic SMS CDRs per full GMT day.
        live_per_minute: Calls arriving after `origin`, as sandbox time passes.
        origin: Sandbox time when the sandbox started: base rows stop there, live rows begin.
        cache_bytes: How many bytes of encoded rows to keep (0: none).
    """

    def __init__(
        self,
        *,
        seed: int,
        account: str,
        rows_per_day: int,
        sms_per_day: int,
        live_per_minute: float,
        origin: float,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self._seed = mix(seed & ((1 << 64) - 1))
        self.account = account
        self.rows_per_day = rows_per_day
        self.sms_per_day = sms_per_day
        self.live_per_minute = live_per_minute
        self.origin = int(origin)
        self.cache_bytes = cache_bytes
        # Guards against division by zero; a zero volume never asks for a row.
        self._per_day = max(1, rows_per_day)
        self._period = 60.0 / live_per_minute if live_per_minute > 0 else 60.0
        self._encoder: VoiceEncoder | None = None
        self._streams: dict[int, RowStream] = {}
        self._cache: OrderedDict[tuple[int, int], tuple[list[bytes], int]] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()
        self._late = LateRows()
        self._late_count = 0

    @property
    def cached_bytes(self) -> int:
        """Bytes of encoded rows held in the cache now."""
        return self._cached

    # --- times and index ranges ---------------------------------------------------------

    def _stream(self, stream: int) -> RowStream:
        found = self._streams.get(stream)
        if found is None:
            found = self._streams[stream] = row_stream_of(self._seed, stream)
        return found

    def _base_time(self, day_ord: int, i: int) -> int:
        jitter = self._stream(day_ord).p(i) % _DAY
        return (day_ord - _EPOCH_ORD) * _DAY + (i * _DAY + jitter) // self._per_day

    def _live_time(self, k: int) -> int:
        fraction = (self._stream(LIVE_STREAM).p(k) & 0xFFFFF) / 0x100000
        return self.origin + int((k + fraction) * self._period)

    def _base_first_at(self, day_ord: int, moment: int) -> int:
        """The first base index of the day whose time is >= moment."""
        lo, hi = 0, self.rows_per_day
        while lo < hi:
            mid = (lo + hi) // 2
            if self._base_time(day_ord, mid) < moment:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _live_first_at(self, moment: int) -> int:
        """The first live index whose time is >= moment."""
        if self.live_per_minute <= 0 or moment <= self.origin:
            return 0
        k = max(0, int((moment - self.origin) / self._period) - 2)
        while self._live_time(k) < moment:
            k += 1
        return k

    def segments(self, day: dt.date, start: int, end: int, now: float) -> list[Segment]:
        """The rows of `day` with `start <= time < end` that exist at `now`, newest first."""
        day_start, day_end = day_bounds(day)
        start = max(start, day_start)
        end = min(end, day_end, int(now) + 1)
        out: list[Segment] = []
        if start >= end:
            return out
        ordinal = day.toordinal()
        if self.live_per_minute > 0 and end > self.origin:
            lo = self._live_first_at(max(start, self.origin))
            hi = self._live_first_at(end)
            if hi > lo:
                out.append(Segment(live=True, day_ord=ordinal, lo=lo, hi=hi))
        base_end = min(end, self.origin)
        if self.rows_per_day > 0 and base_end > start:
            lo = 0 if start == day_start else self._base_first_at(ordinal, start)
            hi = (
                self.rows_per_day if base_end == day_end else self._base_first_at(ordinal, base_end)
            )
            if hi > lo:
                out.append(Segment(live=False, day_ord=ordinal, lo=lo, hi=hi))
        if self._late:
            lo, hi = self._late.span(ordinal, start, end)
            if hi > lo:
                out.append(Segment(live=False, day_ord=ordinal, lo=lo, hi=hi, late=True))
        return out

    def insert_late(self, moment: int) -> str:
        """Record a call that started at `moment` (Unix seconds) only now: a late CDR.

        It is paged among the day's rows by its time, so rows older than it move to higher
        offsets, as a real account's do when a long call ends.

        Returns:
            The new row's reference.
        """
        encoder = self._encoder_now()
        with self._lock:
            number = self._late_count
            self._late_count += 1
        (row,) = encoder.block(_LATE_STREAM, number, [moment])
        day = (moment // _DAY) + _EPOCH_ORD
        self._late.add(day, moment, row)
        reference: str = _json.loads(row)["reference"]
        return reference

    # --- blocks of encoded rows ----------------------------------------------------------

    def _times(self, stream: int, lo: int, hi: int) -> list[int]:
        """Start times of rows lo..hi-1 of a stream (inlined `_base_time` / `_live_time`)."""
        mask = self._stream(stream).mask
        if stream == LIVE_STREAM:
            origin, period = self.origin, self._period
            return [
                origin + int((k + ((((k * _WEYL) & _M32) ^ mask) & 0xFFFFF) / 0x100000) * period)
                for k in range(lo, hi)
            ]
        start, per_day = (stream - _EPOCH_ORD) * _DAY, self._per_day
        return [
            start + (i * _DAY + (((i * _WEYL) & _M32) ^ mask) % _DAY) // per_day
            for i in range(lo, hi)
        ]

    def _encoder_now(self) -> VoiceEncoder:
        encoder = self._encoder
        if encoder is None:
            encoder = VoiceEncoder(self._seed, self.account)
            check_encoder(encoder)
            self._encoder = encoder
        return encoder

    def _block(self, stream: int, number: int) -> list[bytes]:
        """Block `number` of a stream: its rows as encoded JSON, newest first (cached)."""
        key = (stream, number)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found[0]
        encoder = self._encoder_now()
        lo = number * BLOCK
        hi = lo + BLOCK if stream == LIVE_STREAM else min(lo + BLOCK, self.rows_per_day)
        rows = encoder.block(stream, number, self._times(stream, lo, hi))
        size = sum(map(len, rows)) + _ROW_OVERHEAD * len(rows)
        with self._lock:
            if key not in self._cache and size <= self.cache_bytes:
                self._cache[key] = (rows, size)
                self._cached += size
                while self._cached > self.cache_bytes:
                    _, (_, dropped) = self._cache.popitem(last=False)
                    self._cached -= dropped
        return rows

    def _slices(self, seg: Segment, skip: int) -> Iterator[list[bytes]]:
        """The encoded rows of a segment, newest first, after skipping `skip`, as slices."""
        stream = LIVE_STREAM if seg.live else seg.day_ord
        index = seg.hi - 1 - skip
        while index >= seg.lo:
            number = index // BLOCK
            block = self._block(stream, number)
            # block[0] is the block's newest row: index number * BLOCK + len(block) - 1.
            top = number * BLOCK + len(block) - 1
            first = max(seg.lo, number * BLOCK)
            yield block[top - index : top - first + 1]
            index = first - 1

    def page(
        self,
        segments: list[Segment],
        *,
        start: int,
        limit: int,
        where: dict[str, str | None] | None = None,
    ) -> bytes:
        """A page as the API sends it, `{"success": 1, "count": N, "data": [...]}`, as bytes.

        Skips `start` rows and takes `limit`, optionally filtered.
        """
        out: list[bytes] = []
        if where or any(seg.late for seg in segments):
            # Generated values hold no quotes or backslashes, so `"key":value` (encoded as
            # the rows are) occurs in a row exactly when that field equals the value.
            needles = [
                _json.dumps(key) + b":" + _json.dumps(value).replace(b"/", b"\\/")
                for key, value in (where or {}).items()
            ]
            for row in self.iter_encoded(segments):
                if all(needle in row for needle in needles):
                    if start:
                        start -= 1
                        continue
                    out.append(row)
                    if len(out) >= limit:
                        break
            return _envelope(out)
        for seg in segments:
            if start >= seg.size:
                start -= seg.size
                continue
            for rows in self._slices(seg, start):
                out += rows[: limit - len(out)]
                if len(out) >= limit:
                    return _envelope(out)
            start = 0
        return _envelope(out)

    # --- rows as encoded JSON, wire dicts and models -------------------------------------

    def iter_encoded(self, segments: list[Segment]) -> Iterator[bytes]:
        """The rows of the segments as encoded JSON objects, newest first."""
        if any(seg.late for seg in segments):
            # Late rows interleave with a day's rows by time: merge each day's segments.
            for _, group in itertools.groupby(segments, key=lambda seg: seg.day_ord):
                # Late rows first: among rows of the same second they are the newest.
                ordered = sorted(group, key=lambda seg: not seg.late)
                yield from merge_newest_first(self._timed(seg) for seg in ordered)
            return
        for seg in segments:
            for rows in self._slices(seg, 0):
                yield from rows

    def _timed(self, seg: Segment) -> Iterator[tuple[int, bytes]]:
        """`(time, row)` of a segment's rows, newest first."""
        if seg.late:
            return self._late.timed(seg.day_ord, seg.lo, seg.hi)
        stream = LIVE_STREAM if seg.live else seg.day_ord
        times = self._times(stream, seg.lo, seg.hi)
        times.reverse()
        rows = (row for rows in self._slices(seg, 0) for row in rows)
        return zip(times, rows, strict=False)

    def iter_wire(self, segments: list[Segment]) -> Iterator[dict[str, Any]]:
        """The rows of the segments as the API's JSON decodes, newest first."""
        for row in self.iter_encoded(segments):
            yield _json.loads(row)

    def iter_voice(self, segments: list[Segment]) -> Iterator[VoiceCall]:
        """What the voice summaries count of each row of the segments, newest first."""
        for wire in self.iter_wire(segments):
            inbound = wire["todesc"].endswith(INBOUND_SUFFIX)
            yield VoiceCall(
                direction="in" if inbound else "out",
                destid=str(wire["toid"]),
                location=wire["fromdesc"] if inbound else wire["todesc"],
                seconds=wire["secs_billed"],
                charge=Decimal(repr(wire["chg_total"])),
            )

    def voice_json(self, live: bool, day_ord: int, i: int) -> bytes:
        """One voice CDR as encoded JSON: base row `i` of a day, or live call `i`."""
        block = self._block(LIVE_STREAM if live else day_ord, i // BLOCK)
        return block[(i // BLOCK) * BLOCK + len(block) - 1 - i]

    def voice_wire(self, live: bool, day_ord: int, i: int) -> dict[str, Any]:
        """One voice CDR as the API's JSON decodes."""
        result: dict[str, Any] = _json.loads(self.voice_json(live, day_ord, i))
        return result

    @staticmethod
    def wire(row: dict[str, Any]) -> dict[str, Any]:
        """A row as the API sends it (rows are kept in wire form: a copy)."""
        return dict(row)

    def sms_rows(self, day: dt.date, now: float) -> list[dict[str, Any]]:
        """The SMS CDRs of a GMT day that exist at `now`, newest first, in wire form."""
        return sms_rows(self._seed, self.sms_per_day, self.origin, day, now, account=self.account)
