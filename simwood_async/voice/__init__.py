"""Voice: channel limits, channel statistics, calls in progress (and CDRs)."""

from __future__ import annotations

from simwood_async.voice._api import ChannelInterval, VoiceApi
from simwood_async.voice._models import (
    CallInProgress,
    ChannelCount,
    CountryCalls,
    DestinationCalls,
    DynamicLimits,
    InProgressCall,
    InProgressSummary,
    LimitsUpdate,
    VoiceLimits,
)

__all__ = [
    "CallInProgress",
    "ChannelCount",
    "ChannelInterval",
    "CountryCalls",
    "DestinationCalls",
    "DynamicLimits",
    "InProgressCall",
    "InProgressSummary",
    "LimitsUpdate",
    "VoiceApi",
    "VoiceLimits",
]
