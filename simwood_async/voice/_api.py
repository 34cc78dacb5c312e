"""Voice endpoints (`/v3/voice/{ACCOUNT}/...`): limits, channels, calls in progress."""

from __future__ import annotations

from typing import Literal

from simwood_async._area import Area, single, unwrap
from simwood_async._http import path
from simwood_async._operation import operation
from simwood_async._validate import one_of, plain_id
from simwood_async.exceptions import InvalidInputError
from simwood_async.voice._models import (
    CallInProgress,
    ChannelCount,
    InProgressSummary,
    LimitsUpdate,
    VoiceLimits,
)

__all__ = ["VoiceApi"]

#: The sampling interval of `VoiceApi.channel_history`.
ChannelInterval = Literal["1m", "5m", "1h"]


class VoiceApi(Area):
    """`client.voice`: channel limits, channel statistics and calls in progress.

    .. versionadded:: 0.1.0
    """

    __slots__ = ()

    def _path(self, *segments: str) -> str:
        return path("voice", self._t.account, *segments)

    @operation("GET", "/v3/voice/{ACCOUNT}/limits")
    async def limits(self) -> VoiceLimits:
        """The channel allocation and call-admission limits."""
        response = await self._t.request("GET", self._path("limits"), retry=True)
        return self._decode(response, VoiceLimits, unwrap(response.json()))

    @operation("PUT", "/v3/voice/{ACCOUNT}/limits")
    async def set_limits(self, *, inbound: int, outbound: int) -> LimitsUpdate:
        """Split the channel allocation between inbound and outbound calls.

        The current limits are read first: the split must sum to `channel_allocation`, and the
        allocation must be adjustable. Nothing is changed if either check fails.

        Args:
            inbound: Concurrent inbound channels.
            outbound: Concurrent outbound channels.

        Raises:
            InvalidInputError: Negative values, a sum other than the allocation, or an
                allocation that is not adjustable.
        """
        for name, value in (("inbound", inbound), ("outbound", outbound)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:  # type: ignore[redundant-expr]
                raise InvalidInputError(f"{name} must be a non-negative int; got {value!r}")
        current = await self.limits()
        if not current.channel_allocation_adjustable:
            raise InvalidInputError("this account's channel allocation is not adjustable")
        if inbound + outbound != current.channel_allocation:
            raise InvalidInputError(
                f"inbound + outbound must equal the channel allocation "
                f"({current.channel_allocation}); got {inbound} + {outbound} = "
                f"{inbound + outbound}"
            )
        response = await self._t.request(
            "PUT",
            self._path("limits"),
            data={"limit_concurrent_in": inbound, "limit_concurrent_out": outbound},
            retry=True,  # setting the same split twice is harmless
        )
        return self._decode(response, LimitsUpdate, unwrap(response.json()))

    @operation("GET", "/v3/voice/{ACCOUNT}/channels/current")
    async def channels(self) -> ChannelCount:
        """Channels in use now."""
        response = await self._t.request("GET", self._path("channels", "current"), retry=True)
        return self._decode(response, ChannelCount, single(response.json()))

    @operation("GET", "/v3/voice/{ACCOUNT}/channels/history")
    async def channel_history(self, interval: ChannelInterval = "5m") -> tuple[ChannelCount, ...]:
        """Channels in use over about the last 24 hours.

        Args:
            interval: Sampling interval: `1m`, `5m` or `1h`.
        """
        one_of("interval", interval, ("1m", "5m", "1h"))
        response = await self._t.request(
            "GET", self._path("channels", "history"), params={"interval": interval}, retry=True
        )
        return self._decode(response, tuple[ChannelCount, ...], unwrap(response.json()))

    @operation("GET", "/v3/voice/{ACCOUNT}/inprogress/current")
    async def calls_in_progress(self) -> InProgressSummary:
        """Calls in progress now, by destination and country, with their running cost."""
        response = await self._t.request("GET", self._path("inprogress", "current"), retry=True)
        return self._decode(response, InProgressSummary, unwrap(response.json()))

    @operation("GET", "/v3/voice/{ACCOUNT}/inprogress/{CALL_ID}")
    async def call(self, call_id: str) -> CallInProgress:
        """One call in progress (`call_id` comes from webhook events)."""
        call = plain_id(call_id, name="call_id")
        response = await self._t.request("GET", self._path("inprogress", call), retry=True)
        return self._decode(response, CallInProgress, unwrap(response.json()))

    @operation("DELETE", "/v3/voice/{ACCOUNT}/inprogress/{CALL_ID}")
    async def hang_up(self, call_id: str) -> None:
        """Hang up a call in progress. Not retried: the call may be gone after a lost reply."""
        call = plain_id(call_id, name="call_id")
        await self._t.request("DELETE", self._path("inprogress", call), retry=False)
