"""The learned generation-time model, the round planner, requests and options."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import pytest
import respx

from simwood_async import AuthenticationError, ConfigurationError, InvalidInputError
from simwood_async import reports as reports_package
from simwood_async.reports import GenerationModel, ReportOptions, ReportRequest
from simwood_async.reports._policy import next_round
from tests.conftest import ACCOUNT, BASE_URL
from tests.reports.conftest import VirtualTime, respx_client
from tests.reports.test_sequences import HASHES, POST_PATH, envelope


def trained(ready_at: float, n: int = 50) -> GenerationModel:
    """A model that has seen `n` reports become ready at `ready_at` seconds."""
    model = GenerationModel()
    for _ in range(n):
        model.record_pending(0.0, ready_at)
        model.record_ready(ready_at)
    return model


def test_the_model_learns_a_typical_generation_time():
    """After many reports ready at ~3 s, readiness before 2.5 s is unlikely and by 4 s likely."""
    model = trained(3.0)
    assert model.ready_by(0.0, 2.5) < 0.1
    assert model.ready_by(0.0, 4.0) > 0.6
    assert 2.5 < model.quantile(0.5) < 3.5
    assert model.observations == 50


def test_pending_reports_lower_the_hazard():
    """Exposure without readiness (censored reports) makes readiness less likely, not more."""
    fresh = GenerationModel()
    waited = GenerationModel()
    for _ in range(100):
        waited.record_pending(0.0, 10.0)
    assert waited.hazard(5.0) < fresh.hazard(5.0) / 5
    assert waited.survival(10.0) > fresh.survival(10.0)


def test_an_untrained_model_backs_off():
    """With nothing learned, the hazard falls with elapsed time (the prior is a backoff)."""
    model = GenerationModel()
    assert model.hazard(1.0) > model.hazard(10.0) > model.hazard(100.0) > 0


@pytest.mark.parametrize("ready_at", [3.0, 12.0], ids=["3s", "12s"])
def test_one_report_is_checked_just_after_it_is_expected(ready_at):
    """For one report of a learned kind, the first round is close after its usual time."""
    kwargs = {"last_round": 0.0, "delay_cost": 1.0, "min_interval": 0.25, "max_interval": 60.0}
    at = next_round([(trained(ready_at), 0.0, 0.0)], **kwargs)
    # The per-bin prior still holds ~15 % of readiness before 10 s after 50 reports at 12 s.
    assert ready_at * 0.75 < at < ready_at * 1.2 + 1.0
    untrained = next_round([(GenerationModel(), 0.0, 0.0)], **kwargs)
    assert untrained > 3.0 * 1.2 + 1.0  # an unknown kind is not assumed to be quick


def test_more_pending_reports_mean_more_frequent_rounds():
    """A round serves every pending report, so many pending reports make rounds sooner."""
    model = GenerationModel()
    for i in range(100):  # ready times spread evenly over 1-120 s
        model.record_pending(0.0, 1.0 + 1.19 * i)
        model.record_ready(1.0 + 1.19 * i)
    kwargs = {"last_round": 30.0, "delay_cost": 1.0, "min_interval": 0.25, "max_interval": 10.0}
    one = next_round([(model, 0.0, 30.0)], **kwargs)
    many = next_round([(model, 0.0, 30.0)] * 300, **kwargs)
    assert 30.25 <= many < one <= 40.0


def test_a_tail_cost_shortens_shared_rounds_only():
    """A finite tail_delay brings a listing round for many reports sooner, not a lone check."""
    model = GenerationModel()
    for i in range(100):  # ready times spread evenly over 1-120 s
        model.record_pending(0.0, 1.0 + 1.19 * i)
        model.record_ready(1.0 + 1.19 * i)
    kwargs = {"last_round": 30.0, "delay_cost": 1.0, "min_interval": 0.25, "max_interval": 10.0}
    many = [(model, 0.0, 30.0)] * 300
    assert next_round(many, tail_delay=0.5, **kwargs) < next_round(many, **kwargs)
    lone = [(model, 0.0, 30.0)]
    assert next_round(lone, tail_delay=0.5, **kwargs) == next_round(lone, **kwargs)


def test_rounds_stay_within_the_bounds():
    """The planned round is never sooner than min_interval nor later than max_interval."""
    kwargs = {"last_round": 5.0, "delay_cost": 1.0, "min_interval": 0.5, "max_interval": 8.0}
    assert next_round([], **kwargs) == 13.0
    assert next_round([(trained(1.0), 0.0, 0.1)] * 1000, **kwargs) == 5.5


def test_equal_requests_are_one_key():
    """A date object and its ISO string build equal, equally hashed requests."""
    a = ReportRequest.voice_cdr_day(date=dt.date(2026, 3, 14))
    b = ReportRequest.voice_cdr_day(date="2026-03-14")
    assert a == b
    assert hash(a) == hash(b)
    assert a != ReportRequest.voice_cdr_day()
    assert a.kind == "reports/voice/cdr/day"
    assert ReportRequest.voice_cdr_latest(100).endpoint[-1] == "100"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_interval": 5.0, "max_interval": 1.0},
        {"max_interval": 200.0},
        {"safety_interval": 150.0},
        {"deadline": 0.0},
        {"delay_cost": -1.0},
        {"lone_delay_cost": 0.0},
        {"worst_delay": 0.0},
        {"callback_url": "ftp://example.com/x"},
    ],
    ids=[
        "min-above-max",
        "max-near-expiry",
        "safety-near-expiry",
        "no-deadline",
        "cost",
        "lone-cost",
        "worst-delay",
        "url",
    ],
)
def test_options_refuse_unsafe_settings(kwargs):
    """Options that could miss the 5-minute window or make no sense are refused."""
    with pytest.raises(ConfigurationError):
        ReportOptions(**kwargs)


def test_prepay_dates_must_be_in_order():
    """A prepay summary from a later day to an earlier one is refused before any request."""
    with pytest.raises(InvalidInputError, match="after"):
        ReportRequest.prepay_summary(from_date="2026-03-02", to_date="2026-03-01")


def test_the_package_exports_a_sorted_all():
    """`simwood_async.reports.__all__` is sorted and every name exists."""
    names = reports_package.__all__
    assert list(names) == sorted(names, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(reports_package, name) for name in names)


async def test_a_failure_its_caller_receives_is_not_logged_as_a_warning(caplog):
    """A failure raised to its caller is logged at INFO, not WARNING (the CLI printed it twice)."""
    router = respx.Router(base_url=BASE_URL, assert_all_called=False)
    router.post(POST_PATH).mock(
        side_effect=[httpx.Response(200, json=envelope(HASHES[0])), httpx.Response(401)]
    )
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").respond(401)
    vtime = VirtualTime()
    caplog.set_level(logging.INFO, logger="simwood_async")
    async with respx_client(router, vtime) as client, vtime.running():
        with pytest.raises(AuthenticationError):
            await client.reports.voice_cdr_day(date="2026-03-14")
    failed = [r for r in caplog.records if f"{HASHES[0]} failed:" in r.getMessage()]
    assert [r.levelno for r in failed] == [logging.INFO]
