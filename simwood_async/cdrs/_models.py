"""Call and message detail records. Times are GMT, as the API documents for CDR queries.

The API does not document the CDR row shape; these fields are the SDK's contract with the
sandbox, decoded tolerantly (unknown keys are ignored, missing optional ones are None).
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from simwood_async._types import UtcDateTime

__all__ = ["CdrFilter", "SmsCdr", "VoiceCdr"]


@attrs.define(kw_only=True)
class VoiceCdr:
    """One voice call record.

    Slotted but not frozen: bulk pulls build millions of these, and a frozen `__init__`
    costs several times more. Treat instances as read-only.

    Attributes:
        reference: The call's opaque id.
        date: When the call started (GMT).
        direction: `in` or `out`.
        from_: Calling number (wire name `from`).
        to: Called number, E.164 without `+`.
        to_iso: ISO country of the called number (wire name `toISO`).
        trunk: The trunk, e.g. `930000-L001`.
        tag: The trunk or number tag, if any.
        destid: Destination id.
        location: Destination description.
        seconds: Billed duration.
        charge: Cost of the call.
        currency: Currency of `charge`.
        result: How the call ended, e.g. `ANSWERED`.
        cli_valid: Whether the presented CLI was valid.

    .. versionadded:: 0.1.0
    """

    reference: str
    date: UtcDateTime
    direction: str
    from_: str
    to: str
    to_iso: str | None = None
    trunk: str | None = None
    tag: str | None = None
    destid: str | None = None
    location: str | None = None
    seconds: int = 0
    charge: Decimal = Decimal(0)
    currency: str = "GBP"
    result: str | None = None
    cli_valid: bool | None = None


@attrs.define(kw_only=True)
class SmsCdr:
    """One SMS record (slotted, not frozen; treat as read-only).

    .. versionadded:: 0.1.0
    """

    reference: str
    date: UtcDateTime
    direction: str
    from_: str
    to: str
    to_iso: str | None = None
    parts: int = 1
    charge: Decimal = Decimal(0)
    currency: str = "GBP"
    status: str | None = None


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
