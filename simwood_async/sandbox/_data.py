"""Deterministic synthetic CDRs, generated on demand from (seed, day, index).

Nothing is materialised per day: row `i` of day `d` is a pure function of the seed, and its
start time is monotonic in `i`, so the rows of any time window are an index range found by
binary search, and a page is a slice of that range. Encoded rows are kept in a small LRU of
fixed-size chunks, which makes repeated pages cheap without holding a whole day.

Newest-first order of a day: live calls (those that arrived after the sandbox started, at
`live_calls_per_minute`) first, then the synthetic base rows, newest to oldest.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from simwood_async import _json
from simwood_async._types import GMT
from simwood_async.cdrs._models import VoiceCdr
from simwood_async.sandbox._sms import DESTINATIONS, Destination, mix, sms_rows

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cattrs import Converter

    from simwood_async.cdrs._models import SmsCdr

__all__ = ["DESTINATIONS", "CdrSource", "Destination", "Segment", "day_bounds", "mix"]

_EPOCH_ORD: Final = dt.date(1970, 1, 1).toordinal()
_DAY: Final = 86400
_CHUNK: Final = 512
_CACHE_CHUNKS: Final = 160
_LIVE_FLAG: Final = 1 << 62


def day_bounds(day: dt.date) -> tuple[int, int]:
    """The Unix seconds [start, end) of a GMT day."""
    start = (day.toordinal() - _EPOCH_ORD) * _DAY
    return start, start + _DAY


# UK traffic dominates, as for a typical UK carrier customer.
_WEIGHTED: Final = (0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_TAGS: Final = (None, None, "sales", "support", "ops")
_RESULTS: Final = ("NO ANSWER", "BUSY", "FAILED", "CANCEL")
_PENCE: Final = Decimal("0.00001")
_ZERO: Final = Decimal("0.00000")


class Segment(NamedTuple):
    """Rows `lo <= i < hi` of one stream (a base day, or the live stream), read newest first."""

    live: bool
    day_ord: int
    lo: int
    hi: int

    @property
    def size(self) -> int:
        """How many rows the segment holds."""
        return self.hi - self.lo


@attrs.define
class _Filter:
    """Equality filter on the wire values of `from`, `to`, `toISO`, `trunk`, `tag`."""

    wanted: tuple[tuple[int, str], ...]

    def match(self, keys: tuple[str | None, ...]) -> bool:
        return all(keys[pos] == value for pos, value in self.wanted)


FILTER_KEYS: Final = ("from", "to", "toISO", "trunk", "tag")
_FIELDS: Final = tuple(a.name for a in attrs.fields(VoiceCdr))
# printf slots of the JSON template, in `_FIELDS` order: strings quoted, the optional tag and
# the boolean pre-formatted, seconds an integer.
_SLOTS: Final = ('"%s"',) * 7 + ("%s", '"%s"', '"%s"', "%d", '"%s"', '"%s"', '"%s"', "%s")


class CdrSource:
    """Voice and SMS CDRs of one account, a pure function of the seed.

    Args:
        seed: Everything derives from it.
        account: The account id (trunk names start with it).
        rows_per_day: Synthetic voice CDRs per full GMT day.
        sms_per_day: Synthetic SMS CDRs per full GMT day.
        live_per_minute: Calls arriving after `origin`, as sandbox time passes.
        origin: Sandbox time when the sandbox started: base rows stop there, live rows begin.
        converter: The SDK's converter, which writes the wire format.
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
        converter: Converter,
    ) -> None:
        self._seed = mix(seed & ((1 << 64) - 1))
        self.account = account
        self.rows_per_day = rows_per_day
        self.sms_per_day = sms_per_day
        self.live_per_minute = live_per_minute
        self.origin = int(origin)
        # Guards against division by zero; a zero volume never asks for a row.
        self._per_day = max(1, rows_per_day)
        self._period = 60.0 / live_per_minute if live_per_minute > 0 else 60.0
        self._conv = converter
        self._cache: OrderedDict[tuple[bool, int, int], list[tuple[bytes, tuple[Any, ...]]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self._trunks = tuple(f"{account}-L00{n}" for n in (1, 2, 3))
        self._charges: dict[int, Decimal] = {}
        self._charge_text: dict[Decimal, str] = {_ZERO: self._conv.unstructure(_ZERO)}
        self._day_text: dict[int, str] = {}
        self._wire_keys: tuple[str, ...] = ()
        self._template = ""
        self._self_check()

    # --- times and index ranges ---------------------------------------------------------

    def _base_time(self, day_ord: int, i: int) -> int:
        h = mix(self._seed ^ ((day_ord << 32) | i))
        start = (day_ord - _EPOCH_ORD) * _DAY
        return start + (i * _DAY + h % _DAY) // self._per_day

    def _live_time(self, k: int) -> int:
        h = mix(self._seed ^ (_LIVE_FLAG | k))
        return self.origin + int((k + (h & 0xFFFFF) / 0x100000) * self._period)

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
            lo = self._base_first_at(ordinal, start)
            hi = self._base_first_at(ordinal, base_end)
            if hi > lo:
                out.append(Segment(live=False, day_ord=ordinal, lo=lo, hi=hi))
        return out

    # --- rows ----------------------------------------------------------------------------

    def _values(self, live: bool, day_ord: int, i: int) -> tuple[Any, ...]:
        """The field values of one voice CDR, in `VoiceCdr` field order (date as Unix time)."""
        if live:
            h = mix(self._seed ^ (_LIVE_FLAG | i))
            when = self._live_time(i)
        else:
            h = mix(self._seed ^ ((day_ord << 32) | i))
            when = (day_ord - _EPOCH_ORD) * _DAY + (i * _DAY + h % _DAY) // self._per_day
        h2 = mix(h)
        dest_index = _WEIGHTED[h2 % len(_WEIGHTED)]
        dest = DESTINATIONS[dest_index]
        inbound = (h2 >> 8) & 3 == 0
        ddi = f"4420{3000000 + (h2 >> 12) % 1000}"
        remote = f"{dest.prefix}{(h >> 20) % 1000000:06d}"
        answered = (h2 >> 24) % 10 < 8  # noqa: PLR2004
        seconds = 1 + ((h2 >> 28) % 900) * ((h2 >> 40) % 3 + 1) // 3 if answered else 0
        return (
            f"{h:016x}",
            when,
            "in" if inbound else "out",
            remote if inbound else ddi,
            ddi if inbound else remote,
            "GB" if inbound else dest.iso,
            self._trunks[(h2 >> 44) % 3],
            _TAGS[(h2 >> 48) % len(_TAGS)],
            dest.destid,
            dest.location,
            seconds,
            _ZERO if inbound else self._charge(dest_index, seconds),
            "GBP",
            "ANSWERED" if answered else _RESULTS[(h2 >> 52) % len(_RESULTS)],
            (h2 >> 56) % 20 != 0,
        )

    def voice_row(self, live: bool, day_ord: int, i: int) -> VoiceCdr:
        """One voice CDR as a model (base row `i` of a day, or live call `i`)."""
        values = self._values(live, day_ord, i)
        fields = dict(zip(_FIELDS, values, strict=True))
        fields["date"] = dt.datetime.fromtimestamp(values[1], GMT)
        return VoiceCdr(**fields)

    def voice_wire(self, live: bool, day_ord: int, i: int) -> dict[str, Any]:
        """One voice CDR as the API sends it.

        The hot path: the keys come from the converter (via a prototype row) and the result
        is checked against `converter.unstructure(voice_row(...))` when the source is built.
        """
        values = list(self._values(live, day_ord, i))
        when = values[1]
        day = self._day_text.get(when // _DAY)
        if day is None:
            day = self._day_text[when // _DAY] = dt.date.fromordinal(
                when // _DAY + _EPOCH_ORD
            ).isoformat()
        sod = when % _DAY
        values[1] = f"{day} {sod // 3600:02d}:{sod // 60 % 60:02d}:{sod % 60:02d}"
        values[11] = self._charge_text[values[11]]
        return dict(zip(self._wire_keys, values, strict=True))

    def voice_json(self, live: bool, day_ord: int, i: int) -> tuple[bytes, tuple[Any, ...]]:
        """One voice CDR as encoded JSON (slashes escaped), and its filterable values.

        The cold path of bulk pulls: a template built from the converter's wire keys, checked
        against the converter's output when the source is built.
        """
        v = self._values(live, day_ord, i)
        when = v[1]
        day = self._day_text.get(when // _DAY)
        if day is None:
            day = self._day_text[when // _DAY] = dt.date.fromordinal(
                when // _DAY + _EPOCH_ORD
            ).isoformat()
        sod = when % _DAY
        tag = v[7]
        text = self._template % (
            v[0],
            f"{day} {sod // 3600:02d}:{sod // 60 % 60:02d}:{sod % 60:02d}",
            v[2],
            v[3],
            v[4],
            v[5],
            v[6],
            "null" if tag is None else f'"{tag}"',
            v[8],
            v[9],
            v[10],
            self._charge_text[v[11]],
            v[12],
            v[13],
            "true" if v[14] else "false",
        )
        # Generated values never contain quotes or backslashes; slashes are escaped as the API does.
        return text.encode().replace(b"/", b"\\/"), (v[3], v[4], v[5], v[6], tag)

    def wire(self, row: VoiceCdr | SmsCdr) -> dict[str, Any]:
        """A model row as the API sends it (through the converter)."""
        result: dict[str, Any] = self._conv.unstructure(row)
        return result

    def _charge(self, dest_index: int, seconds: int) -> Decimal:
        key = dest_index * 10000 + seconds
        found = self._charges.get(key)
        if found is None:
            rate = DESTINATIONS[dest_index].rate
            found = self._charges[key] = (rate * seconds / 60).quantize(_PENCE)
            self._charge_text[found] = self._conv.unstructure(found)
        return found

    def _self_check(self) -> tuple[str, ...]:
        """Wire keys from the converter, and proof that the fast path agrees with it."""
        prototype = self.wire(self.voice_row(False, _EPOCH_ORD + 20000, 0))  # noqa: FBT003
        keys = tuple(prototype)
        if len(keys) != len(_FIELDS):
            raise RuntimeError(f"the converter writes VoiceCdr as {keys!r}")
        self._wire_keys = keys
        self._template = "{" + ",".join(f'"{key}":{_SLOTS[n]}' for n, key in enumerate(keys)) + "}"
        for i in range(8):
            for live in (False, True):
                row = self.wire(self.voice_row(live, _EPOCH_ORD + 20000, i))
                encoded, _ = self.voice_json(live, _EPOCH_ORD + 20000, i)
                if self.voice_wire(live, _EPOCH_ORD + 20000, i) != row or (
                    _json.loads(encoded) != row
                ):
                    raise RuntimeError(
                        "the sandbox's fast CDR encoder disagrees with the converter"
                    )
        return keys

    def _chunk(self, live: bool, day_ord: int, number: int) -> list[tuple[bytes, tuple[Any, ...]]]:
        key = (live, day_ord, number)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        rows = []
        limit = (number + 1) * _CHUNK if live else min((number + 1) * _CHUNK, self.rows_per_day)
        encode = self.voice_json
        rows = [encode(live, day_ord, i) for i in range(number * _CHUNK, limit)]
        with self._lock:
            self._cache[key] = rows
            while len(self._cache) > _CACHE_CHUNKS:
                self._cache.popitem(last=False)
        return rows

    def _iter_encoded(self, seg: Segment, skip: int) -> Iterator[tuple[bytes, tuple[Any, ...]]]:
        """The encoded rows of a segment, newest first, after skipping `skip` of them."""
        index = seg.hi - 1 - skip
        while index >= seg.lo:
            number = index // _CHUNK
            chunk = self._chunk(seg.live, seg.day_ord, number)
            first = max(seg.lo, number * _CHUNK)
            # Rows index..first of this chunk, descending.
            base = number * _CHUNK
            yield from reversed(chunk[first - base : index - base + 1])
            index = first - 1

    def page(
        self,
        segments: list[Segment],
        *,
        start: int,
        limit: int,
        where: dict[str, str] | None = None,
    ) -> bytes:
        """A JSON array of rows: skip `start`, take `limit`, optionally filtered, as bytes."""
        out: list[bytes] = []
        if where:
            flt = _Filter(tuple((FILTER_KEYS.index(k), v) for k, v in where.items()))
            skipped = 0
            for seg in segments:
                for encoded, keys in self._iter_encoded(seg, 0):
                    if not flt.match(keys):
                        continue
                    if skipped < start:
                        skipped += 1
                        continue
                    out.append(encoded)
                    if len(out) >= limit:
                        return b"[" + b",".join(out) + b"]"
            return b"[" + b",".join(out) + b"]"
        for seg in segments:
            if start >= seg.size:
                start -= seg.size
                continue
            for encoded, _ in self._iter_encoded(seg, start):
                out.append(encoded)
                if len(out) >= limit:
                    return b"[" + b",".join(out) + b"]"
            start = 0
        return b"[" + b",".join(out) + b"]"

    def iter_voice(self, segments: list[Segment]) -> Iterator[VoiceCdr]:
        """The rows of the segments as models, newest first (not cached)."""
        for seg in segments:
            for i in range(seg.hi - 1, seg.lo - 1, -1):
                yield self.voice_row(seg.live, seg.day_ord, i)

    def iter_encoded(self, segments: list[Segment]) -> Iterator[bytes]:
        """The rows of the segments as encoded JSON objects, newest first."""
        for seg in segments:
            for encoded, _ in self._iter_encoded(seg, 0):
                yield encoded

    def sms_rows(self, day: dt.date, now: float) -> list[SmsCdr]:
        """The SMS CDRs of a GMT day that exist at `now`, newest first."""
        return sms_rows(self._seed, self.sms_per_day, self.origin, day, now)
