"""Models of the voice endpoints. In-progress and channel times are UK local time."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from simwood_async._types import UkDateTime

__all__ = [
    "CallInProgress",
    "ChannelCount",
    "CountryCalls",
    "DestinationCalls",
    "DynamicLimits",
    "InProgressCall",
    "InProgressSummary",
    "LimitsUpdate",
    "VoiceLimits",
]


@attrs.frozen(kw_only=True)
class DynamicLimits:
    """Limits the platform applies dynamically (e.g. from a low balance).

    Attributes:
        extra: Keys the API sent that are not modelled here, kept as sent.

    .. versionadded:: 0.1.0
    """

    balance: Decimal | None = None
    limit_concurrent_out: int | None = None
    limit_rate_out: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class VoiceLimits:
    """The account's channel allocation and call-admission limits.

    Rate limits are strings such as `10/1s`, `30/10s` or `2/12h`; None means no limit.

    Attributes:
        extra: Keys the API sent that are not modelled here (e.g. newer limits), kept as sent.

    .. versionadded:: 0.1.0
    """

    channel_allocation: int
    channel_allocation_adjustable: bool
    channel_allocation_global_numbers: int | None = None
    limit_concurrent_in: int | None = None
    limit_concurrent_out: int | None = None
    limit_concurrent_out_per_number: int | None = None
    limit_concurrent_out_international: int | None = None
    limit_concurrent_out_hotspot: int | None = None
    limit_rate_out: str | None = None
    limit_rate_out_international: str | None = None
    limit_rate_out_hotspot: str | None = None
    dynamic: DynamicLimits | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class LimitsUpdate:
    """The inbound/outbound split returned after changing it.

    .. versionadded:: 0.1.0
    """

    limit_concurrent_in: int
    limit_concurrent_out: int


@attrs.frozen(kw_only=True)
class ChannelCount:
    """Channels in use at one moment (UK local time).

    .. versionadded:: 0.1.0
    """

    datetime: UkDateTime
    channels: int
    channels_in: int
    channels_out: int


@attrs.frozen(kw_only=True)
class DestinationCalls:
    """Calls in progress to one destination.

    .. versionadded:: 0.1.0
    """

    location: str
    country: str
    total: Decimal
    callcount: int


@attrs.frozen(kw_only=True)
class CountryCalls:
    """Calls in progress to one country.

    .. versionadded:: 0.1.0
    """

    total: Decimal
    callcount: int


@attrs.frozen(kw_only=True)
class InProgressCall:
    """One call in the `channels` list real in-progress summaries carry (not in the docs).

    Attributes:
        call_id: The call, as `voice.call()` and `voice.hang_up()` take it.
        extra: Every other key the API sent, kept as sent.

    .. versionadded:: 0.1.0
    """

    call_id: str
    trunk: str | None = None
    to: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class InProgressSummary:
    """Calls in progress now, with their running cost.

    Attributes:
        datetime: When the summary was taken (UK local time).
        total: The running cost of the calls in progress.
        calls: By destination id.
        countries: By ISO country code.
        channels: The calls themselves, where the API sends them (real answers do; the docs
            do not show it).
        extra: Keys the API sent that are not modelled here, kept as sent.

    .. versionadded:: 0.1.0
    """

    datetime: UkDateTime
    total: Decimal
    callcount: int
    balance: Decimal | None = None
    percent_available: Decimal | None = None
    approx_seconds_remaining: int | None = None
    calls: dict[str, DestinationCalls] = attrs.field(factory=dict)
    countries: dict[str, CountryCalls] = attrs.field(factory=dict)
    channels: tuple[InProgressCall, ...] = ()
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class CallInProgress:
    """One call in progress (UK local times).

    Attributes:
        extra: Keys the API sent that are not modelled here, kept as sent.

    .. versionadded:: 0.1.0
    """

    to: str
    start: UkDateTime
    destid: str
    progress: UkDateTime | None = None
    answered: UkDateTime | None = None
    sip_call_id: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
