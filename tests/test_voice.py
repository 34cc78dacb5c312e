"""The voice area: limits (with the sum-to-allocation rule), channels, calls in progress."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest

from simwood_async import UK, DecodeError, InvalidInputError, ServerError
from simwood_async.voice import (
    CallInProgress,
    ChannelCount,
    CountryCalls,
    DestinationCalls,
    DynamicLimits,
    InProgressCall,
    LimitsUpdate,
    VoiceLimits,
)
from tests.conftest import ACCOUNT, example

BASE = f"voice/{ACCOUNT}"
LIMITS = example("GET", "/v3/voice/{ACCOUNT}/limits")
CURRENT = example("GET", "/v3/voice/{ACCOUNT}/channels/current")
INPROGRESS = example("GET", "/v3/voice/{ACCOUNT}/inprogress/current")


def _adjustable(**changes: Any) -> dict[str, Any]:
    """The limits sample, made adjustable (the sample's allocation is fixed)."""
    return {**LIMITS, "channel_allocation_adjustable": True, **changes}


def _repaired(sample: Any) -> Any:
    """A sample with the docs' impossible `2014-02-30` replaced by a real day."""
    data = copy.deepcopy(sample)
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        row["datetime"] = row["datetime"].replace("2014-02-30", "2014-02-28")
    return data


async def test_limits(client, router):
    """`limits` decodes the documented sample, including its `limit/_rate_out` key typo."""
    route = router.get(f"{BASE}/limits").respond(json=LIMITS)
    result = await client.voice.limits()
    assert route.calls.last.request.method == "GET"
    assert result == VoiceLimits(
        channel_allocation=30,
        channel_allocation_global_numbers=10,
        channel_allocation_adjustable=False,
        limit_concurrent_in=10,
        limit_concurrent_out=20,
        limit_concurrent_out_per_number=10,
        limit_concurrent_out_international=3,
        limit_concurrent_out_hotspot=2,
        limit_rate_out="10/1s",
        limit_rate_out_international=None,
        limit_rate_out_hotspot="2/12h",
        dynamic=DynamicLimits(
            balance=Decimal("15.52680"), limit_concurrent_out=3, limit_rate_out="30/10s"
        ),
    )


@pytest.mark.parametrize(
    "response",
    [
        example("PUT", "/v3/voice/{ACCOUNT}/limits"),
        {"success": True, "data": {"limit_concurrent_in": 10, "limit_concurrent_out": 20}},
    ],
    ids=["documented-bare", "envelope"],
)
async def test_set_limits_reads_then_puts(client, router, response):
    """`set_limits` checks the current allocation, then PUTs the split as form fields."""
    get = router.get(f"{BASE}/limits").respond(json=_adjustable())
    put = router.put(f"{BASE}/limits").respond(json=response)
    result = await client.voice.set_limits(inbound=10, outbound=20)
    assert result == LimitsUpdate(limit_concurrent_in=10, limit_concurrent_out=20)
    assert get.call_count == 1
    request = put.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == b"limit_concurrent_in=10&limit_concurrent_out=20"
    assert [call.request.method for call in router.calls] == ["GET", "PUT"]


async def test_set_limits_refuses_a_fixed_allocation(client, router):
    """When the allocation is not adjustable, nothing is PUT."""
    router.get(f"{BASE}/limits").respond(json=LIMITS)
    put = router.put(f"{BASE}/limits").respond(json={})
    with pytest.raises(InvalidInputError, match="not adjustable"):
        await client.voice.set_limits(inbound=10, outbound=20)
    assert put.call_count == 0


@pytest.mark.parametrize(
    ("inbound", "outbound"), [(10, 10), (30, 1), (0, 0)], ids=["under", "over", "zero"]
)
async def test_set_limits_must_sum_to_the_allocation(client, router, inbound, outbound):
    """A split that does not add up to `channel_allocation` is refused and not PUT."""
    router.get(f"{BASE}/limits").respond(json=_adjustable())
    put = router.put(f"{BASE}/limits").respond(json={})
    with pytest.raises(InvalidInputError, match=r"must equal the channel allocation \(30\)"):
        await client.voice.set_limits(inbound=inbound, outbound=outbound)
    assert put.call_count == 0


@pytest.mark.parametrize(
    ("inbound", "outbound"),
    [(-1, 31), (True, 29), (10.0, 20), ("10", 20)],
    ids=["negative", "bool", "float", "str"],
)
async def test_set_limits_bad_values_send_nothing(client, router, inbound, outbound):
    """Values that are not non-negative ints fail before even the limits are read."""
    with pytest.raises(InvalidInputError, match="must be a non-negative int"):
        await client.voice.set_limits(inbound=inbound, outbound=outbound)
    assert router.calls.call_count == 0


async def test_channels_current(client, router):
    """`channels` decodes the one-element array (date repaired) in UK local time."""
    route = router.get(f"{BASE}/channels/current").respond(json=_repaired(CURRENT))
    result = await client.voice.channels()
    assert route.call_count == 1
    assert result == ChannelCount(
        datetime=dt.datetime(2014, 2, 28, 12, 34, 35, tzinfo=UK),
        channels=22,
        channels_in=10,
        channels_out=12,
    )


async def test_channels_documented_impossible_date(client, router):
    """The docs' sample time `2014-02-30 12:34:35` is a DecodeError that quotes it."""
    router.get(f"{BASE}/channels/current").respond(json=CURRENT)
    with pytest.raises(DecodeError, match=r"invalid date and time '2014-02-30 12:34:35'"):
        await client.voice.channels()


@pytest.mark.parametrize("interval", ["1m", "5m", "1h"])
async def test_channel_history(client, router, interval):
    """`channel_history` sends the interval as a query parameter and decodes every row."""
    route = router.get(f"{BASE}/channels/history").respond(
        json=example("GET", "/v3/voice/{ACCOUNT}/channels/history")
    )
    rows = await client.voice.channel_history(interval)
    assert route.calls.last.request.url.query == f"interval={interval}".encode()
    assert len(rows) == 4
    assert rows[0] == ChannelCount(
        datetime=dt.datetime(2023, 3, 18, 17, 40, tzinfo=UK),
        channels=11,
        channels_in=1,
        channels_out=10,
    )
    # 17:40 UK local in March (GMT) is 17:40 UTC.
    assert rows[0].datetime.utcoffset() == dt.timedelta(0)


async def test_channel_history_defaults_to_5m(client, router):
    """Without an interval, five-minute samples are asked for."""
    route = router.get(f"{BASE}/channels/history").respond(json=[])
    assert await client.voice.channel_history() == ()
    assert route.calls.last.request.url.query == b"interval=5m"


@pytest.mark.parametrize("interval", ["10m", "1d", "", "5M"], ids=["10m", "1d", "empty", "case"])
async def test_channel_history_interval_is_enumerated(client, router, interval):
    """An interval other than 1m, 5m or 1h sends nothing."""
    with pytest.raises(InvalidInputError, match="interval must be one of"):
        await client.voice.channel_history(interval)
    assert router.calls.call_count == 0


async def test_calls_in_progress(client, router):
    """The in-progress summary decodes its id-keyed `calls` and `countries` objects."""
    router.get(f"{BASE}/inprogress/current").respond(json=_repaired(INPROGRESS))
    result = await client.voice.calls_in_progress()
    assert result.datetime == dt.datetime(2014, 2, 28, 12, 34, 35, tzinfo=UK)
    assert result.total == Decimal("1.164")
    assert result.callcount == 107
    assert result.balance == Decimal("24.406")
    assert result.percent_available == Decimal("0.25")
    assert result.approx_seconds_remaining == 56838
    assert set(result.calls) == {"1739", "2303", "277", "2761"}
    assert result.calls["277"] == DestinationCalls(
        location="Mexico - Mexico City", country="MX", total=Decimal("0.04"), callcount=2
    )
    assert result.countries["GB"] == CountryCalls(total=Decimal("1.094"), callcount=104)


async def test_calls_in_progress_documented_impossible_date(client, router):
    """The docs' in-progress sample, dated 2014-02-30, fails with a DecodeError naming it."""
    router.get(f"{BASE}/inprogress/current").respond(json=INPROGRESS)
    with pytest.raises(DecodeError, match="2014-02-30"):
        await client.voice.calls_in_progress()


async def test_calls_in_progress_when_idle(client, router):
    """With no calls, the optional parts default to empty."""
    router.get(f"{BASE}/inprogress/current").respond(
        json={"datetime": "2024-06-01 10:00:00", "total": 0, "callcount": 0}
    )
    result = await client.voice.calls_in_progress()
    assert result.calls == {}
    assert result.countries == {}
    assert result.balance is None


async def test_call(client, router):
    """`call` GETs one call in progress and decodes the documented envelope."""
    route = router.get(f"{BASE}/inprogress/abc-123").respond(
        json=example("GET", "/v3/voice/{ACCOUNT}/inprogress/{CALL_ID}")
    )
    result = await client.voice.call("abc-123")
    assert route.calls.last.request.method == "GET"
    assert result == CallInProgress(
        to="447700900123",
        start=dt.datetime(2019, 9, 23, 12, 27, 12, tzinfo=UK),
        progress=dt.datetime(2019, 9, 23, 12, 27, 17, tzinfo=UK),
        answered=dt.datetime(2019, 9, 23, 12, 27, 21, tzinfo=UK),
        destid="2303",
        sip_call_id="7f3a9c2b1e4d8a6f@sip.example.com",
    )


async def test_hang_up(client, router):
    """`hang_up` sends DELETE to the call and accepts the documented `{success: true}`."""
    route = router.delete(f"{BASE}/inprogress/abc-123").respond(
        json=example("DELETE", "/v3/voice/{ACCOUNT}/inprogress/{CALL_ID}")
    )
    assert await client.voice.hang_up("abc-123") is None
    assert route.call_count == 1


async def test_hang_up_reported_failure(client, router):
    """A hang-up the API reports as failed raises, and is not repeated."""
    route = router.delete(f"{BASE}/inprogress/abc").mock(
        side_effect=[httpx.Response(502), httpx.Response(200, json={"success": True})]
    )
    with pytest.raises(ServerError):
        await client.voice.hang_up("abc")
    assert route.call_count == 1


@pytest.mark.parametrize(
    "call_id",
    ["../current", "a/b", "", "a\x00", ".."],
    ids=["dotdot-slash", "slash", "empty", "nul", "dotdot"],
)
async def test_call_id_cannot_escape_its_segment(client, router, call_id):
    """A call id that is not a plain id sends nothing, for reading or hanging up."""
    with pytest.raises(InvalidInputError, match="call_id"):
        await client.voice.call(call_id)
    with pytest.raises(InvalidInputError, match="call_id"):
        await client.voice.hang_up(call_id)
    assert router.calls.call_count == 0


#: The `channels` list real in-progress answers carry besides the documented keys (OBSERVED.md).
OBSERVED_CHANNELS = [
    {"call_id": "c1", "trunk": "930000-L001", "to": "447700900123", "start": "x", "codec": "G711"},
    {"call_id": "c2", "trunk": "930000-L002", "to": "441632960001"},
]


async def test_calls_in_progress_observed_channels(client, router):
    """The observed `channels` array decodes into calls, keeping keys the model does not name."""
    router.get(f"{BASE}/inprogress/current").respond(
        json={**_repaired(INPROGRESS), "channels": OBSERVED_CHANNELS, "later": {"a": 1}}
    )
    result = await client.voice.calls_in_progress()
    assert result.channels == (
        InProgressCall(
            call_id="c1",
            trunk="930000-L001",
            to="447700900123",
            extra={"start": "x", "codec": "G711"},
        ),
        InProgressCall(call_id="c2", trunk="930000-L002", to="441632960001"),
    )
    assert result.extra == {"later": {"a": 1}}
    assert result.callcount == 107


@pytest.mark.parametrize("as_strings", [False, True], ids=["numbers", "strings"])
async def test_calls_in_progress_numbers_or_strings(client, router, as_strings):
    """Amounts and counts decode the same whether sent as JSON numbers or as strings."""
    data = _repaired(INPROGRESS)
    if as_strings:
        for key in ("total", "callcount", "balance", "percent_available"):
            data[key] = str(data[key])
        for row in [*data["calls"].values(), *data["countries"].values()]:
            row["total"], row["callcount"] = str(row["total"]), str(row["callcount"])
    router.get(f"{BASE}/inprogress/current").respond(json=data)
    result = await client.voice.calls_in_progress()
    assert (result.total, result.callcount, result.balance) == (
        Decimal("1.164"),
        107,
        Decimal("24.406"),
    )
    assert result.calls["1739"].total == Decimal("0.85")
    assert result.countries["GB"].callcount == 104


async def test_limits_keep_keys_they_do_not_name(client, router):
    """Limits and dynamic limits the model does not know are kept in `extra`, not dropped."""
    data = {**LIMITS, "limit_concurrent_sms": 4}
    data["dynamic"] = {**LIMITS["dynamic"], "limit_rate_out_hotspot": "1/1h"}
    router.get(f"{BASE}/limits").respond(json=data)
    result = await client.voice.limits()
    assert result.extra == {"limit_concurrent_sms": 4}
    assert result.dynamic is not None
    assert result.dynamic.extra == {"limit_rate_out_hotspot": "1/1h"}
    assert result.dynamic.limit_rate_out == "30/10s"
    assert client.converter.unstructure(result)["limit_concurrent_sms"] == 4


async def test_limits_without_dynamic(client, router):
    """Limits without a `dynamic` object decode with `dynamic` None."""
    data = {k: v for k, v in LIMITS.items() if k != "dynamic"}
    router.get(f"{BASE}/limits").respond(json=data)
    assert (await client.voice.limits()).dynamic is None


async def test_call_keeps_keys_it_does_not_name(client, router):
    """A call in progress keeps unknown keys in `extra`."""
    data = example("GET", "/v3/voice/{ACCOUNT}/inprogress/{CALL_ID}")
    data = {**data, "data": {**data["data"], "trunk": "930000-L001"}}
    router.get(f"{BASE}/inprogress/abc").respond(json=data)
    assert (await client.voice.call("abc")).extra == {"trunk": "930000-L001"}
