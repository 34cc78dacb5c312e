"""Models of asynchronous reports: the request envelope, file listings and report rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from simwood_async._types import UtcDateTime

__all__ = ["PrepaySummaryRow", "ReportEnvelope", "ReportFile", "VoiceSummaryRow"]


@attrs.frozen(kw_only=True)
class ReportEnvelope:
    """What a report request returns: the hash that names the report and its link.

    Fields other than `hash` and `link` vary by report.

    .. versionadded:: 0.1.0
    """

    hash: str
    link: str
    type: str | None = None
    mode: str | None = None
    account: str | None = None
    format: str | None = None
    date: dt.date | None = None
    from_: UtcDateTime | None = None
    to: UtcDateTime | None = None
    quantity: int | None = None
    #: Number reports echo their `pattern` and (allocated/all) `include_mobile_ott`.
    pattern: str | None = None
    include_mobile_ott: bool | None = None


@attrs.frozen(kw_only=True)
class ReportFile:
    """An uncollected file, as listed by `GET /v3/files/{ACCOUNT}`.

    .. versionadded:: 0.1.0
    """

    name: str
    content_type: str | None = None
    length: int | None = None
    uri: str | None = None


@attrs.frozen(kw_only=True)
class VoiceSummaryRow:
    """One destination of a daily voice summary.

    .. versionadded:: 0.1.0
    """

    destid: str
    location: str
    calls: int
    seconds: int
    charges: Decimal
    currency: str = "GBP"


@attrs.frozen(kw_only=True)
class PrepaySummaryRow:
    """One day of a prepay balance summary.

    .. versionadded:: 0.1.0
    """

    date: dt.date
    opening_balance: Decimal
    prepayments: Decimal
    transfers: Decimal
    charges: Decimal
    closing_balance: Decimal
    currency: str = "GBP"
