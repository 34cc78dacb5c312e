"""The voice CDR generator: a block of rows as encoded JSON, in one tight loop.

Row `i` of a stream (a GMT day, or the stream of live calls) has a unique 64-bit reference
and a start time that are cheap pure functions of (seed, stream, i), so any row's time can be
computed alone (windows are found by binary search). Everything else about a row comes from
a `random.Random` seeded per block of `BLOCK` rows, and is looked up in tables built once per
source: 1,024 "kinds" (destination, direction, trunk, tag, outcome) each with its own `bytes`
% template whose constant parts are already JSON-encoded, and the billing fragments (call
lengths, the peak / off-peak / weekend split, rates and charges). Writing a row is then one
template fill: a few µs in CPython.

Rows have the keys, order and value types of a real account's CDR rows (`_id, time, date,
account, fromdesc, from, to, toid, toISO, todesc, calldate, secs_call, secs_peak,
secs_offpeak, secs_weekend, secs_billed, rate_peak, rate_offpeak, rate_weekend,
rate_connection, chg_total, currency, trunk, tag, reference`), written here from that
template, never through the SDK's converter. Inbound calls have a `todesc` ending in
` to VoIP` (the row has no `direction`); the sandbox's summaries tell them apart by that.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any, Final, NamedTuple

from simwood_async.sandbox._sms import DESTINATIONS, mix

__all__ = [
    "BLOCK",
    "INBOUND_SUFFIX",
    "LIVE_STREAM",
    "VOICE_KEYS",
    "RowStream",
    "VoiceEncoder",
    "check_encoder",
    "row_stream_of",
]

#: Rows per generated block (the unit of generation, of randomness and of caching).
BLOCK: Final = 1024
#: The stream id of live calls (GMT days use their proleptic ordinal, which is never 0).
LIVE_STREAM: Final = 0
#: How an inbound call's `todesc` ends.
INBOUND_SUFFIX: Final = " to VoIP"
#: The keys of a row, in the order a real account sends them.
VOICE_KEYS: Final = (
    "_id", "time", "date", "account", "fromdesc", "from", "to", "toid", "toISO", "todesc",
    "calldate", "secs_call", "secs_peak", "secs_offpeak", "secs_weekend", "secs_billed",
    "rate_peak", "rate_offpeak", "rate_weekend", "rate_connection", "chg_total", "currency",
    "trunk", "tag", "reference",
)  # fmt: skip

_DAY: Final = 86400
_EPOCH_ORD: Final = dt.date(1970, 1, 1).toordinal()
_M32: Final = 0xFFFFFFFF
_WEYL: Final = 0x9E3779B1  # odd: i -> i * _WEYL mod 2**32 is a bijection
_M64: Final = (1 << 64) - 1
_SPREAD: Final = 0xD6E8FEB86659FD93  # odd: multiplying by it mod 2**64 is a bijection
_KINDS: Final = 1024
_DDIS: Final = 1024  # indexed by 10 random bits
# UK traffic dominates, as for a typical UK carrier customer.
_WEIGHTED: Final = (0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_TAGS: Final = ("", "", "sales", "support", "ops")
_MAX_SECONDS: Final = 900
_LENGTHS: Final = 256
_PERIODS: Final = 3  # peak, off-peak, weekend
# Off-peak and weekend rates as fractions of the peak rate.
_OFFPEAK: Final = Decimal("0.6")
_WEEKEND: Final = Decimal("0.4")


def _mix32(x: int) -> int:
    """A bijection on 32-bit integers (two multiply-xorshift rounds)."""
    x = ((x ^ (x >> 16)) * 0x7FEB352D) & _M32
    x = ((x ^ (x >> 15)) * 0x846CA68B) & _M32
    return x ^ (x >> 16)


class RowStream(NamedTuple):
    """The constants of one stream: `p(i)` jitters row times, `reference(i)` is its id."""

    high: int  # a bijection of the stream id, so streams never share references
    mask: int

    def p(self, i: int) -> int:
        """Row `i`'s pseudo-random 32 bits, which place it inside its time slot."""
        return ((i * _WEYL) & _M32) ^ self.mask

    def reference(self, i: int) -> int:
        """Row `i`'s 64-bit reference: a bijection of (stream, i), so never repeated."""
        return (((self.high << 32) | ((i * _WEYL) & _M32)) * _SPREAD) & _M64


class _Kind(NamedTuple):
    template: bytes
    inbound: bool
    billing: tuple[tuple[bytes, ...], ...]  # by period, then by a random byte


class _Hour(NamedTuple):
    date: bytes  # YYYY-MM-DD
    hour: bytes  # hh:
    period: int  # 0 peak (weekdays 08-19), 1 off-peak, 2 weekend


class _Hours(dict[int, _Hour]):
    """The date, hour and rate period of a Unix hour, filled on first use."""

    def __missing__(self, hour: int) -> _Hour:
        moment = dt.datetime.fromtimestamp(hour * 3600, dt.timezone.utc)
        weekend = moment.weekday() >= 5  # noqa: PLR2004 - Saturday
        period = 2 if weekend else 0 if 8 <= moment.hour < 19 else 1  # noqa: PLR2004
        found = self[hour] = _Hour(
            moment.strftime("%Y-%m-%d").encode(), moment.strftime("%H:").encode(), period
        )
        return found


_MMSS: Final = tuple(b"%02d:%02d" % divmod(s, 60) for s in range(3600))
_MM: Final = tuple(b"%02d" % (s // 60) for s in range(3600))


def _const(value: str | int) -> bytes:
    """A JSON constant as the API writes it (slashes escaped), ready for a % template."""
    return json.dumps(value).replace("/", "\\/").replace("%", "%%").encode()


def _amount(value: Decimal) -> bytes:
    """A charge as a JSON number in its shortest form (`0`, `0.0031`)."""
    return repr(float(value)).encode() if value else b"0"


def _billing(rate: Decimal, seconds: int, period: int) -> bytes:
    """The `secs_*`, `rate_*` and `chg_total` part of a row."""
    rates = (rate, rate * _OFFPEAK, rate * _WEEKEND)
    split: list[int] = [0, 0, 0]
    split[period] = seconds
    charge = (rates[period] * seconds / 60).quantize(Decimal("0.00001"))
    peak, offpeak, weekend = (str(r.quantize(Decimal("0.00001"))).encode() for r in rates)
    secs = b'"secs_call":%d,"secs_peak":%d,"secs_offpeak":%d,"secs_weekend":%d,"secs_billed":%d,'
    money = b'"rate_peak":"%s","rate_offpeak":"%s","rate_weekend":"%s","rate_connection":"0.0000",'
    return (
        secs % (seconds, split[0], split[1], split[2], seconds)
        + money % (peak, offpeak, weekend)
        + b'"chg_total":'
        + _amount(charge)
    )


def _national(number: str) -> str:
    """A UK number in national form (`01632...`), others as E.164: how `from` is written."""
    return "0" + number[2:] if number.startswith("44") else number


class VoiceEncoder:
    """Writes blocks of voice CDRs of one account as encoded JSON objects.

    Args:
        seed: The source's (already mixed) 64-bit seed.
        account: The account id (trunk names start with it).
    """

    def __init__(self, seed: int, account: str) -> None:
        self._seed = seed
        self._account = account
        self._hours = _Hours()
        rng = random.Random(mix(seed ^ 0x5EED))  # noqa: S311 - synthetic data, not secrets
        bits = rng.getrandbits
        # A per-source tail makes references 40 hex digits, as the API's are.
        self._tail = b"%024x" % bits(96)
        self._ddis = tuple(44203000000 + bits(32) % 1000 for _ in range(_DDIS))
        lengths = [
            1 + (x & 0xFFFF) % _MAX_SECONDS * ((x >> 16) % 3 + 1) // 3
            for x in (bits(32) for _ in range(_LENGTHS))
        ]
        billing = [
            tuple(tuple(_billing(rate, s, period) for s in lengths) for period in range(_PERIODS))
            for rate in [Decimal(0)] + [d.rate for d in DESTINATIONS]
        ]
        silent = tuple((_billing(Decimal(0), 0, period),) * _LENGTHS for period in range(_PERIODS))
        trunks = tuple(f"{account}-L00{n}" for n in (1, 2, 3))
        templates: dict[tuple[int, bool, str, str], bytes] = {}
        kinds = []
        for _ in range(_KINDS):
            x = bits(32)
            x, dest = divmod(x, len(_WEIGHTED))
            x, trunk = divmod(x, len(trunks))
            x, tag = divmod(x, len(_TAGS))
            x, direction = divmod(x, 4)
            x, outcome = divmod(x, 10)
            inbound, answered = direction == 0, outcome < 8  # noqa: PLR2004
            spec = (_WEIGHTED[dest], inbound, trunks[trunk], _TAGS[tag])
            template = templates.get(spec)
            if template is None:
                template = templates[spec] = self._template(*spec)
            rate = 0 if inbound else 1 + _WEIGHTED[dest]
            kinds.append(_Kind(template, inbound, billing[rate] if answered else silent))
        self._kinds = tuple(kinds)

    def _template(self, dest: int, inbound: bool, trunk: str, tag: str) -> bytes:
        """A row's % template.

        Slots: reference, hh:, mm:ss, date, from, to, date, hh:, mm, billing, reference.
        """
        d = DESTINATIONS[dest]
        remote = b'"' + _national(d.prefix).encode() + b'%06d"'
        remote_e164 = b'"' + d.prefix.encode() + b'%06d"'
        ref = b'"%016x' + self._tail + b'"'
        slots = {
            "_id": ref,
            "time": b'"%s%s"',
            "date": b'"%s"',
            "account": _const(self._account),
            "fromdesc": _const(d.location if inbound else "VoIP"),
            "from": remote if inbound else b'"0%d"',
            "to": b'"%d"' if inbound else remote_e164,
            "toid": b"%d" % int(d.destid),
            "toISO": _const("GB" if inbound else d.iso),
            "todesc": _const(d.location + INBOUND_SUFFIX if inbound else d.location),
            "calldate": b'"%s %s%s:00"',
            "secs_call": b"%s",  # the billing fragment: secs_call .. chg_total
            "currency": _const("GBP"),
            "trunk": _const(trunk),
            "tag": _const(tag),
            "reference": ref,
        }
        # The billing slot stands for `secs_call` .. `chg_total`, keys included.
        pieces = (
            slots[key] if key == "secs_call" else _const(key) + b":" + slots[key]
            for key in VOICE_KEYS
            if key in slots
        )
        return b"{" + b",".join(pieces) + b"}"

    def block(self, stream: int, number: int, times: list[int]) -> list[bytes]:
        """Rows `number * BLOCK + j` of a stream, given their Unix start times, newest first."""
        stream_key = row_stream_of(self._seed, stream).high << 32
        weyl = (number * BLOCK * _WEYL) & _M32  # RowStream.reference, inlined
        rng = random.Random(mix(self._seed ^ (stream << 24) ^ number))  # noqa: S311
        bits = rng.getrandbits
        kinds, ddis, hours, mmss, mm = self._kinds, self._ddis, self._hours, _MMSS, _MM
        spread, step, m32, m64 = _SPREAD, _WEYL, _M32, _M64  # locals are faster than globals
        out: list[bytes] = []
        append = out.append
        for when in times:
            ref = ((stream_key | weyl) * spread) & m64
            weyl = (weyl + step) & m32
            r = bits(30)  # 30 bits stay one CPython digit: the cheapest ints
            template, inbound, billing = kinds[r & 1023]
            day, hh, period = hours[when // 3600]
            second = when % 3600
            if inbound:
                row = template % (
                    ref, hh, mmss[second], day, bits(30) % 1000000, ddis[r >> 20],
                    day, hh, mm[second], billing[period][(r >> 10) & 255], ref,
                )  # fmt: skip
            else:
                row = template % (
                    ref, hh, mmss[second], day, ddis[r >> 20] - 44 * 10**9, bits(30) % 1000000,
                    day, hh, mm[second], billing[period][(r >> 10) & 255], ref,
                )  # fmt: skip
            append(row)
        out.reverse()
        return out


def row_stream_of(seed: int, stream: int) -> RowStream:
    """The reference constants of a stream (a day's ordinal, or `LIVE_STREAM`) for a seed."""
    return RowStream(high=_mix32((seed & _M32) ^ stream), mask=mix(seed ^ stream) >> 32)


def check_encoder(encoder: VoiceEncoder, rows: int = 64) -> None:
    """Prove that generated rows are JSON objects with exactly the real rows' keys, in order.

    Raises:
        RuntimeError: A row that is not.
    """
    day = dt.date(2026, 1, 1).toordinal()
    start = (day - _EPOCH_ORD) * _DAY
    for row in encoder.block(day, 0, [start + 84 * j for j in range(rows)]):
        wire: dict[str, Any] = json.loads(row)
        if tuple(wire) != VOICE_KEYS or wire["_id"] != wire["reference"]:
            raise RuntimeError(f"the sandbox's CDR encoder writes an unexpected row: {row!r}")
