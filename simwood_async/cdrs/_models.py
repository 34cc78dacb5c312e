"""Call and message detail records. Times are GMT, as the API documents for CDR queries.

The docs do not show a CDR row; these models follow the rows a real account sends (see the
project's notes on observed shapes: `_id, time, date, account, fromdesc, from, to, toid,
toISO, todesc, calldate, secs_*, rate_*, chg_total, currency, trunk, tag, reference`) and
accept the spellings of the documented `cdr` push event too (`cdr_id`, `call_id`, `dest_id`,
`iso`, `direction`). Every field is optional, since the docs promise none of them, and every
key the models do not know is kept in `extra`, so nothing a pull receives is lost. The wire
names, aliases and formats live in `simwood_async.cdrs._rows`, not here.

Rows are frozen: a report's result is shared between every caller that asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import attrs

from simwood_async._types import UtcDateTime

__all__ = ["NO_EXTRA", "CdrFilter", "SmsCdr", "VoiceCdr"]

#: The `extra` of a row that carried no unknown keys (shared, read-only).
NO_EXTRA: Final[Mapping[str, Any]] = MappingProxyType({})


@attrs.frozen(kw_only=True)
class VoiceCdr:
    """One voice call record, as the CDR endpoints and the CDR reports send it.

    Attributes:
        reference: The call's id (wire `reference`, or `_id` / `cdr_id`).
        call_id: The SIP call id (push events carry it).
        date: When the call started (GMT): the wire's `date` and `time`, else `calldate`.
        calldate: The wire's `calldate` (GMT), as sent.
        account: The account the call belongs to.
        direction: `in` or `out`, where the row says so (push events do; CDR pages do not).
        from_: Calling number (wire `from`).
        fromdesc: Description of the calling number, e.g. `NTS`.
        to: Called number, E.164 without `+`.
        destid: Destination id (wire `toid`, or `dest_id`).
        to_iso: ISO country of the called number (wire `toISO`, or `iso`).
        todesc: Destination description, e.g. `UK - Mobile - O2`.
        trunk: The trunk, e.g. `930000-L001`.
        tag: The trunk or number tag ("" when none).
        secs_call: Duration of the call in seconds.
        secs_peak: Seconds charged at the peak rate.
        secs_offpeak: Seconds charged at the off-peak rate.
        secs_weekend: Seconds charged at the weekend rate.
        secs_billed: Seconds billed.
        rate_peak: Peak rate per minute.
        rate_offpeak: Off-peak rate per minute.
        rate_weekend: Weekend rate per minute.
        rate_connection: Connection charge.
        chg_total: What the call cost.
        currency: Currency of the rates and `chg_total`, e.g. `GBP`.
        extra: Every key of the row this model does not know, with its JSON value.

    .. versionadded:: 0.1.0
    """

    reference: str | None = None
    call_id: str | None = None
    date: UtcDateTime | None = None
    calldate: UtcDateTime | None = None
    account: str | None = None
    direction: str | None = None
    from_: str | None = None
    fromdesc: str | None = None
    to: str | None = None
    destid: str | None = None
    to_iso: str | None = None
    todesc: str | None = None
    trunk: str | None = None
    tag: str | None = None
    secs_call: int | None = None
    secs_peak: int | None = None
    secs_offpeak: int | None = None
    secs_weekend: int | None = None
    secs_billed: int | None = None
    rate_peak: Decimal | None = None
    rate_offpeak: Decimal | None = None
    rate_weekend: Decimal | None = None
    rate_connection: Decimal | None = None
    chg_total: Decimal | None = None
    currency: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class SmsCdr:
    """One SMS record, as the SMS CDR reports send it.

    Attributes:
        reference: The message's id (wire `reference`, or `_id` / `id`).
        date: When the message was sent (GMT): `date` and `time`, else `calldate`/`datetime`.
        account: The account.
        direction: `in` or `out`, where the row says so.
        from_: Sender (wire `from`, or `originator`).
        to: Recipient (wire `to`, or `destination`).
        to_iso: ISO country of the recipient (wire `toISO`, or `iso`).
        todesc: Destination description.
        parts: Message parts billed.
        status: Delivery status, where the row has one.
        chg_total: What the message cost (wire `chg_total`, or `charge`).
        currency: Currency of `chg_total`.
        extra: Every key of the row this model does not know.

    .. versionadded:: 0.1.0
    """

    reference: str | None = None
    date: UtcDateTime | None = None
    account: str | None = None
    direction: str | None = None
    from_: str | None = None
    to: str | None = None
    to_iso: str | None = None
    todesc: str | None = None
    parts: int | None = None
    status: str | None = None
    chg_total: Decimal | None = None
    currency: str | None = None
    extra: Mapping[str, Any] = attrs.field(default=NO_EXTRA, hash=False)


@attrs.frozen(kw_only=True)
class CdrFilter:
    """Which calls a CDR query returns (sent as the API's `filter` object).

    Every field is optional; set fields must all match.

    Attributes:
        from_: Calling number (wire name `from`).
        to: Called number, E.164 without `+`.
        to_iso: ISO country of the called number, e.g. `GB` (wire name `toISO`).
        trunk: The trunk, e.g. `930000-L001`.
        tag: The trunk or number tag.

    .. versionadded:: 0.1.0
    """

    from_: str | None = None
    to: str | None = None
    to_iso: str | None = None
    trunk: str | None = None
    tag: str | None = None
