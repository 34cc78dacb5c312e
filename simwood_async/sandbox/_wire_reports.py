"""The sandbox's wire format of reports: request answers, file listings, report rows.

As in `_wire.py`, each answer follows the documented example (or, for the undocumented row
shapes, the observed one), never the SDK's converter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from simwood_async._types import GMT

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from simwood_async.sandbox._account import SummaryDay

__all__ = [
    "envelope",
    "file_listing",
    "prepay_summary_rows",
    "report_ref",
    "voice_summary_rows",
]

_WIRE_TIME: Final = "%Y-%m-%d %H:%M:%S"


def _gmt(value: dt.datetime) -> str:
    return value.astimezone(GMT).strftime(_WIRE_TIME)


def report_ref(account: str, hash_: str) -> dict[str, str]:
    """The fields that close every report request's answer: `{account, format, hash, link}`."""
    link = f"/v3/files/{account}/{hash_}"
    return {"account": account, "format": "json", "hash": hash_, "link": link}


def envelope(
    *,
    account: str,
    hash_: str,
    type_: str,
    mode: str | None,
    date: dt.date | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    quantity: int | None = None,
) -> dict[str, Any]:
    """A report request's answer: `{mode, date | from, to | quantity, type, account, ...}`.

    `mode` is always present (null for the prepay summary, as documented); the others only
    where the report has them. `from`/`to` are GMT datetimes.
    """
    data: dict[str, Any] = {"mode": mode}
    if date is not None:
        data["date"] = date.isoformat()
    if start is not None:
        data["from"] = _gmt(start)
    if end is not None:
        data["to"] = _gmt(end)
    if quantity is not None:
        data["quantity"] = quantity
    data["type"] = type_
    data.update(report_ref(account, hash_))
    return data


def file_listing(account: str, files: list[tuple[str, int]]) -> dict[str, Any]:
    """GET files/{A}: uncollected files keyed by hash: `{name, content_type, length, uri}`."""
    return {
        hash_: {
            "name": hash_,
            "content_type": "application/json",
            "length": length,
            "uri": f"/v3/files/{account}/{hash_}",
        }
        for hash_, length in files
    }


def voice_summary_rows(rows: list[tuple[str, str, int, int, Decimal]]) -> list[dict[str, Any]]:
    """A voice summary file's rows (undocumented: destid, location, calls, seconds, charges)."""
    return [
        {
            "destid": destid,
            "location": location,
            "calls": calls,
            "seconds": seconds,
            "charges": str(charges),
            "currency": "GBP",
        }
        for destid, location, calls, seconds, charges in rows
    ]


def prepay_summary_rows(rows: list[SummaryDay]) -> list[dict[str, Any]]:
    """A prepay summary file's rows (undocumented: one per day, money as strings)."""
    return [
        {
            "date": day.isoformat(),
            "opening_balance": str(opening),
            "prepayments": str(prepayments),
            "transfers": str(transfers),
            "charges": str(charges),
            "closing_balance": str(closing),
            "currency": "GBP",
        }
        for day, opening, prepayments, transfers, charges, closing in rows
    ]
