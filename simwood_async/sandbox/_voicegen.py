"""The voice CDR generator: a block of rows as encoded JSON, in one tight loop.

Row `i` of a stream (a GMT day, or the stream of live calls) has a unique 64-bit reference
and a start time that are cheap pure functions of (seed, stream, i), so any row's time can be
computed alone (windows are found by binary search). Everything else about a row comes from
a `random.Random` seeded per block of `BLOCK` rows, and is looked up in tables built once per
source: 1,024 "kinds" (destination, direction, trunk, tag, result, CLI validity) each with its
own `bytes` % template whose constant parts are already JSON-encoded, call lengths, charges
and numbers. Writing a row is then one template fill: a few µs in CPython.

The template's keys and their order come from the SDK's converter, and `check_encoder` proves
that generated rows survive a strict round trip through it, so the wire format is still
written once.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Final, NamedTuple

import attrs

from simwood_async import _json
from simwood_async._types import UtcDateTime
from simwood_async.cdrs._models import VoiceCdr
from simwood_async.sandbox._sms import DESTINATIONS, mix

if TYPE_CHECKING:
    from cattrs import Converter

__all__ = [
    "BLOCK",
    "LIVE_STREAM",
    "RowStream",
    "VoiceEncoder",
    "check_encoder",
    "row_stream_of",
    "wire_keys",
]

#: Rows per generated block (the unit of generation, of randomness and of caching).
BLOCK: Final = 1024
#: The stream id of live calls (GMT days use their proleptic ordinal, which is never 0).
LIVE_STREAM: Final = 0

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
_TAGS: Final = (None, None, "sales", "support", "ops")
_FAILURES: Final = ("NO ANSWER", "BUSY", "FAILED", "CANCEL")
_MAX_SECONDS: Final = 900
_LENGTHS: Final = 256
_FIELDS: Final = tuple(a.name for a in attrs.fields(VoiceCdr))


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
    billing: tuple[bytes, ...]  # `seconds,"charge":"…"` fragments, by a random byte


class _Hours(dict[int, bytes]):
    """`"YYYY-MM-DD hh:"` by Unix hour, filled on first use."""

    def __missing__(self, hour: int) -> bytes:
        moment = dt.datetime.fromtimestamp(hour * 3600, dt.timezone.utc)
        text = self[hour] = moment.strftime("%Y-%m-%d %H:").encode()
        return text


_MMSS: Final = tuple(b"%02d:%02d" % divmod(s, 60) for s in range(3600))


class _Json(dict[str | bool | None, bytes]):
    """JSON constants (strings, booleans, null) as the API writes them, for % templates."""

    def __missing__(self, value: str | bool | None) -> bytes:
        # Slashes escaped as the API does; `%` doubled for the template.
        text = self[value] = _json.dumps(value).replace(b"/", b"\\/").replace(b"%", b"%%")
        return text


def wire_keys(converter: Converter) -> dict[str, str]:
    """The converter's wire key of each `VoiceCdr` field, in field order."""
    prototype = VoiceCdr(
        reference="r",
        date=UtcDateTime(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)),
        direction="in",
        from_="1",
        to="2",
    )
    keys = tuple(converter.unstructure(prototype))
    if len(keys) != len(_FIELDS):
        raise RuntimeError(f"the converter writes VoiceCdr as {keys!r}")
    return dict(zip(_FIELDS, keys, strict=True))


class VoiceEncoder:
    """Writes blocks of voice CDRs of one account as encoded JSON objects.

    Args:
        seed: The source's (already mixed) 64-bit seed.
        account: The account id (trunk names start with it).
        keys: The wire key of each `VoiceCdr` field, from `wire_keys`.
    """

    def __init__(self, seed: int, account: str, keys: dict[str, str]) -> None:
        if _FIELDS.index("charge") != _FIELDS.index("seconds") + 1:
            raise RuntimeError("one template slot writes `seconds` and `charge`: keep adjacent")
        self._seed = seed
        self._hours = _Hours()
        self._json = _Json()
        self._keys = keys
        rng = random.Random(mix(seed ^ 0x5EED))  # noqa: S311 - synthetic data, not secrets
        bits = rng.getrandbits
        self._ddis = tuple(44203000000 + bits(32) % 1000 for _ in range(_DDIS))
        lengths = [
            1 + (x & 0xFFFF) % _MAX_SECONDS * ((x >> 16) % 3 + 1) // 3
            for x in (bits(32) for _ in range(_LENGTHS))
        ]
        prefix = self._json[keys["charge"]] + b':"'
        billing = [
            tuple(b"%d," % s + prefix + _charge(rate, s) + b'"' for s in lengths)
            for rate in [0] + [int(d.rate * 100000) for d in DESTINATIONS]
        ]
        silent = (b"0," + prefix + _charge(0, 0) + b'"',) * _LENGTHS
        trunks = tuple(f"{account}-L00{n}" for n in (1, 2, 3))
        templates: dict[tuple[int, bool, str, str | None, str, bool], bytes] = {}
        kinds = []
        for _ in range(_KINDS):
            x = bits(32)
            x, dest = divmod(x, len(_WEIGHTED))
            x, trunk = divmod(x, len(trunks))
            x, tag = divmod(x, len(_TAGS))
            x, failure = divmod(x, len(_FAILURES))
            x, direction = divmod(x, 4)
            x, outcome = divmod(x, 10)
            inbound, answered = direction == 0, outcome < 8  # noqa: PLR2004
            spec = (
                _WEIGHTED[dest],
                inbound,
                trunks[trunk],
                _TAGS[tag],
                "ANSWERED" if answered else _FAILURES[failure],
                x % 20 != 0,
            )
            template = templates.get(spec)
            if template is None:
                template = templates[spec] = self._template(spec)
            rate = 0 if inbound else 1 + _WEIGHTED[dest]
            kinds.append(_Kind(template, inbound, billing[rate] if answered else silent))
        self._kinds = tuple(kinds)

    def _template(self, spec: tuple[int, bool, str, str | None, str, bool]) -> bytes:
        """A row's % template; the slots: reference, hour, mm:ss, from, to, and billing."""
        dest, inbound, trunk, tag, result, cli_valid = spec
        d, const = DESTINATIONS[dest], self._json
        remote = b'"' + d.prefix.encode() + b'%06d"'
        slots = {
            "reference": b'"%016x"',
            "date": b'"%s%s"',
            "direction": const["in" if inbound else "out"],
            "from_": remote if inbound else b'"%d"',
            "to": b'"%d"' if inbound else remote,
            "to_iso": const["GB" if inbound else d.iso],
            "trunk": const[trunk],
            "tag": const[tag],
            "destid": const[d.destid],
            "location": const[d.location],
            "seconds": b"%s",  # and the charge: one fragment (the fields are adjacent)
            "currency": const["GBP"],
            "result": const[result],
            "cli_valid": const[cli_valid],
        }
        pieces = (const[self._keys[f]] + b":" + slots[f] for f in _FIELDS if f != "charge")
        return b"{" + b",".join(pieces) + b"}"

    def block(self, stream: int, number: int, times: list[int]) -> list[bytes]:
        """Rows `number * BLOCK + j` of a stream, given their Unix start times, newest first."""
        stream_key = row_stream_of(self._seed, stream).high << 32
        weyl = (number * BLOCK * _WEYL) & _M32  # RowStream.reference, inlined
        rng = random.Random(mix(self._seed ^ (stream << 24) ^ number))  # noqa: S311
        bits = rng.getrandbits
        kinds, ddis, hours, mmss = self._kinds, self._ddis, self._hours, _MMSS
        spread, step, m32, m64 = _SPREAD, _WEYL, _M32, _M64  # locals are faster than globals
        out: list[bytes] = []
        append = out.append
        for when in times:
            ref = ((stream_key | weyl) * spread) & m64
            weyl = (weyl + step) & m32
            r = bits(30)  # 30 bits stay one CPython digit: the cheapest ints
            template, inbound, billing = kinds[r & 1023]
            if inbound:
                row = template % (
                    ref, hours[when // 3600], mmss[when % 3600],
                    bits(30) % 1000000, ddis[r >> 20], billing[(r >> 10) & 255],
                )  # fmt: skip
            else:
                row = template % (
                    ref, hours[when // 3600], mmss[when % 3600],
                    ddis[r >> 20], bits(30) % 1000000, billing[(r >> 10) & 255],
                )  # fmt: skip
            append(row)
        out.reverse()
        return out


def row_stream_of(seed: int, stream: int) -> RowStream:
    """The reference constants of a stream (a day's ordinal, or `LIVE_STREAM`) for a seed."""
    return RowStream(high=_mix32((seed & _M32) ^ stream), mask=mix(seed ^ stream) >> 32)


def _charge(rate: int, seconds: int) -> bytes:
    """The charge of a call at `rate` hundred-thousandths of a pound per minute."""
    return b"%d.%05d" % divmod((rate * seconds + 30) // 60, 100000)


def check_encoder(encoder: VoiceEncoder, converter: Converter, rows: int = 64) -> None:
    """Prove that generated rows are exactly what the converter writes for their models.

    Args:
        encoder: The encoder to check.
        converter: The SDK's converter.
        rows: How many rows of a block to check (at most `BLOCK`).

    Raises:
        RuntimeError: If a row does not survive decode -> structure -> unstructure unchanged.
    """
    day = dt.date(2026, 1, 1).toordinal()
    start = (day - _EPOCH_ORD) * _DAY
    for row in encoder.block(day, 0, [start + 84 * j for j in range(rows)]):
        wire = _json.loads(row)
        again = converter.unstructure(converter.structure(wire, VoiceCdr))
        encoded = _json.dumps(again).replace(b"/", b"\\/")
        if again != wire or list(again) != list(wire) or encoded != row:
            raise RuntimeError(f"the sandbox's CDR encoder disagrees with the converter: {row!r}")
