"""Synthetic destinations, the seed mixer, and SMS CDRs (small volumes: built a day at once)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final, NamedTuple

__all__ = ["DESTINATIONS", "Destination", "mix", "sms_rows"]

_DAY: Final = 86400
_EPOCH_ORD: Final = dt.date(1970, 1, 1).toordinal()
_M64: Final = (1 << 64) - 1
_SMS_STATUS: Final = ("DELIVERED", "DELIVERED", "DELIVERED", "FAILED", "EXPIRED")


def mix(x: int) -> int:
    """The splitmix64 finaliser: a bijection on 64-bit integers that scrambles well."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class Destination(NamedTuple):
    """A destination the synthetic traffic calls: id, name, country, prefix, GBP per minute."""

    destid: str
    location: str
    iso: str
    prefix: str
    rate: Decimal


DESTINATIONS: Final = (
    Destination("1739", "UK - Fixed", "GB", "441632", Decimal("0.00310")),
    Destination("1740", "UK - Fixed - London", "GB", "442079", Decimal("0.00310")),
    Destination("2303", "UK - Mobile - T-Mobile", "GB", "447700", Decimal("0.01200")),
    Destination("2304", "UK - Mobile - Vodafone", "GB", "447701", Decimal("0.01150")),
    Destination("2305", "UK - Mobile - O2", "GB", "447702", Decimal("0.01180")),
    Destination("1880", "UK - Non-Geographic", "GB", "443001", Decimal("0.00900")),
    Destination("101", "USA - Fixed", "US", "1202555", Decimal("0.00400")),
    Destination("277", "Mexico - Mexico City", "MX", "5255", Decimal("0.02000")),
    Destination("2761", "Spain - Mobile - Telefonica", "ES", "34600", Decimal("0.02000")),
    Destination("850", "France - Fixed", "FR", "33140", Decimal("0.00600")),
    Destination("912", "Germany - Fixed", "DE", "49301", Decimal("0.00650")),
    Destination("1020", "Ireland - Mobile", "IE", "35385", Decimal("0.03000")),
)


def sms_rows(
    seed: int, per_day: int, origin: int, day: dt.date, now: float, *, account: str = ""
) -> list[dict[str, Any]]:
    """The SMS CDRs of a GMT day that exist at `now` (none after `origin`), newest first.

    Rows are written as the voice CDR rows are (`_id`, `time`, `date`, ..., `reference`;
    rates and charges as the API writes them), never through the SDK's converter.
    """
    ordinal = day.toordinal()
    day_start = (ordinal - _EPOCH_ORD) * _DAY
    rows: list[dict[str, Any]] = []
    for i in range(per_day):
        h = mix(seed ^ ((ordinal << 32) | i | (1 << 61)))
        when = day_start + (i * _DAY + h % _DAY) // per_day
        if when > min(now, origin):
            break
        dest = DESTINATIONS[2 + (h >> 20) % 3]
        parts = 1 + (h >> 24) % 3 // 2
        outbound = (h >> 30) % 5 != 0
        ddi = f"4477009{(h >> 32) % 100000:05d}"
        remote = f"{dest.prefix}{(h >> 40) % 10**6:06d}"
        moment = dt.datetime.fromtimestamp(when, dt.timezone.utc)
        reference = f"{h:016x}{mix(h):016x}{i:08x}"
        charge = Decimal("0.03500") * parts if outbound else Decimal(0)
        rows.append(
            {
                "_id": reference,
                "time": moment.strftime("%H:%M:%S"),
                "date": moment.strftime("%Y-%m-%d"),
                "account": account,
                "from": ddi if outbound else remote,
                "to": remote if outbound else ddi,
                "toISO": dest.iso if outbound else "GB",
                "todesc": dest.location if outbound else "SMS to VoIP",
                "parts": parts,
                "status": _SMS_STATUS[(h >> 50) % len(_SMS_STATUS)],
                "chg_total": float(charge) if charge else 0,
                "currency": "GBP",
                "reference": reference,
            }
        )
    rows.reverse()
    return rows
