"""Sound priors for a cold client, and learned generation times saved and reloaded."""

from __future__ import annotations

import itertools
import json

import pytest

from simwood_async import InvalidInputError
from simwood_async.reports import GenerationModel, ReportOptions, ReportProfile
from simwood_async.reports._policy import LATE_SHARE, latest_check, next_round
from simwood_async.sandbox import ManualClock, Sandbox

KIND = "reports/voice/cdr/latest/10"
DEFAULTS = ReportOptions()
#: The longest gap the worst-delay bound allows where readiness is plausible (1 % may be late).
LONGEST = DEFAULTS.worst_delay / (1.0 - LATE_SHARE)


def lone_checks(model: GenerationModel, until: float, options: ReportOptions = DEFAULTS) -> list:
    """The checks a lone report gets up to elapsed `until`, planned as the scheduler plans them."""
    checked, times = 0.0, []
    while checked < until:
        at = next_round(
            [(model, 0.0, checked)],
            last_round=checked,
            delay_cost=options.lone_delay_cost,
            min_interval=options.min_interval,
            max_interval=options.max_interval,
            tail_delay=options.tail_delay,
        )
        limit = checked + options.max_interval
        at = min(
            at, latest_check(model, 0.0, checked, worst_delay=options.worst_delay, limit=limit)
        )
        model.record_pending(checked, at)
        times.append(at)
        checked = at
    return times


def spread_kind(reports: int = 200) -> GenerationModel:
    """A model that has seen `reports` reports ready at times spread evenly over 1-120 s."""
    model = GenerationModel()
    for i in range(reports):
        ready = 1.0 + 119.0 * (i + 0.5) / reports
        model.record_pending(0.0, ready)
        model.record_ready(ready)
    return model


def test_a_cold_lone_report_looks_once_early_then_every_worst_delay():
    """With nothing learned: one look for short reports at about 4 s, then one every 6 s."""
    times = lone_checks(GenerationModel(), 120.0)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 3.0 < times[0] < 4.5
    assert max(gaps) <= LONGEST  # it was 6.5-7 s: p99 6.9 s
    assert min(gaps) > DEFAULTS.worst_delay - 0.5  # no second early look (it was 2, 5, 10, 15 s)
    assert len(times) <= 21


def test_a_learned_kind_never_waits_longer_than_the_worst_delay():
    """A kind learned to take 1-120 s is looked for at least every 6 s (it was every 10 s)."""
    times = lone_checks(spread_kind(), 120.0)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert times[0] <= LONGEST + 1.0  # none ready before 1 s
    assert max(gaps) <= LONGEST
    assert min(gaps[-5:]) < 4.0  # closer together where its reports are most likely ready


def test_a_learned_kind_spends_no_more_looks_than_a_cold_one_and_waits_less():
    """Over reports of 1-120 s, the learned schedule costs no more and waits less than cold."""

    def expected(times: list) -> tuple[float, float, float]:
        """Mean looks, mean delay and p99 delay over ready times spread evenly over 1-120 s."""
        looks, delays = 0.0, []
        for i in range(1000):
            ready = 1.0 + 119.0 * (i + 0.5) / 1000
            seen = next(k for k, t in enumerate(times) if t >= ready)
            looks += seen + 1
            delays.append(times[seen] - ready)
        return looks / 1000, sum(delays) / 1000, sorted(delays)[990]

    cold_looks, cold_delay, cold_p99 = expected(lone_checks(GenerationModel(), 121.0))
    warm_looks, warm_delay, warm_p99 = expected(lone_checks(spread_kind(), 121.0))
    assert cold_looks < 11.0  # 12 requests a report with the POST
    assert cold_p99 < DEFAULTS.worst_delay
    assert warm_looks <= cold_looks
    assert warm_delay < cold_delay
    assert warm_p99 <= cold_p99


def test_a_kind_learned_to_be_slow_is_not_looked_for_while_it_cannot_be_ready():
    """The worst-delay bound holds only where readiness is plausible: not from 12 s to 29 s."""
    model = GenerationModel()
    for _ in range(200):
        model.record_pending(0.0, 30.0)
        model.record_ready(30.0)
    times = lone_checks(model, 31.0, ReportOptions(max_interval=60.0))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) > 2 * DEFAULTS.worst_delay
    assert 29.0 < times[-2] <= 30.0 < times[-1] < 30.0 + DEFAULTS.worst_delay


@pytest.mark.parametrize("worst_delay", [6.0, 3.0], ids=["6s", "3s"])
async def test_the_worst_delay_holds_through_the_engine_and_its_jitter(worst_delay):
    """A lone report on a fresh client is downloaded within `worst_delay`, jitter at its widest."""
    for ready_after in (7.5, 20.0, 44.4, 61.3, 97.0):
        sandbox = Sandbox(seed=3, clock=ManualClock(), report_delay=ready_after)
        options = ReportOptions(random=lambda: 0.999, worst_delay=worst_delay)
        async with sandbox.client(reports=options) as client:
            started = sandbox.now()
            await client.reports.voice_cdr_latest(10)
            took = (sandbox.now() - started).total_seconds()
        assert ready_after <= took <= ready_after + worst_delay + 1e-3, ready_after


def test_a_snapshot_restores_the_same_model():
    """`restore(snapshot())` gives a model with the same hazards, through JSON."""
    model = GenerationModel()
    for i in range(40):
        model.record_pending(0.0, 5.0 + i)
        model.record_ready(5.0 + i)
    copy = GenerationModel()
    copy.restore(json.loads(json.dumps(model.snapshot())))
    assert copy.observations == 40
    assert [copy.hazard(t) for t in (1, 10, 30, 60)] == pytest.approx(
        [model.hazard(t) for t in (1, 10, 30, 60)], rel=1e-4
    )


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param({}, id="empty"),
        pytest.param({"version": 99, "layout": "x", "events": [], "exposure": []}, id="version"),
        pytest.param({**GenerationModel().snapshot(), "events": [1.0]}, id="bins"),
    ],
)
def test_a_bad_snapshot_is_refused(snapshot):
    """A snapshot of another version or bin layout is an InvalidInputError."""
    with pytest.raises(InvalidInputError):
        GenerationModel().restore(snapshot)


def test_a_profile_file_that_cannot_be_read_starts_afresh(tmp_path, caplog):
    """A corrupt profile file is logged and ignored; the client starts from the prior."""
    path = tmp_path / "profile.json"
    path.write_text("{not json")
    profile = ReportProfile(path)
    assert profile.model(KIND).observations == 0
    assert "not loaded" in caplog.text


async def run_reports(sandbox: Sandbox, profile, count: int) -> list[float]:
    """Run `count` reports, each on a fresh client, and return each one's seconds to the rows."""
    took = []
    for _ in range(count):
        async with sandbox.client(reports=ReportOptions(profile=profile)) as client:
            started = sandbox.now()
            await client.reports.voice_cdr_latest(10)
            took.append((sandbox.now() - started).total_seconds())
    return took


async def test_a_new_client_starts_from_the_saved_profile(tmp_path):
    """Clients save what they learned on close; a new client loads it and waits like them."""
    path = tmp_path / "cache" / "report-profile.json"
    sandbox = Sandbox(seed=3, clock=ManualClock(), report_delay=12.0)
    await run_reports(sandbox, path, 30)
    saved = json.loads(path.read_bytes())
    assert saved["kinds"][KIND]["observations"] == 30
    sandbox.stats.reset()
    (warm,) = await run_reports(sandbox, path, 1)
    warm_requests = sandbox.stats.total
    sandbox.stats.reset()
    (cold,) = await run_reports(sandbox, None, 1)
    cold_requests = sandbox.stats.total
    assert warm_requests <= cold_requests
    assert 12.0 <= warm < 13.0 < cold  # cold looks at about 3.4, 9.4 and 15.4 s
    assert json.loads(path.read_bytes())["kinds"][KIND]["observations"] == 31


def test_a_profile_is_saved_atomically_and_shared_by_snapshot(tmp_path):
    """`save()` writes the file whole; another profile restores the same models from it."""
    profile = ReportProfile(tmp_path / "p.json")
    profile.model(KIND).record_pending(0.0, 3.0)
    profile.model(KIND).record_ready(3.0)
    profile.save()
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]
    other = ReportProfile()
    other.restore(json.loads((tmp_path / "p.json").read_bytes()))
    assert other.model(KIND).observations == 1
    assert other.snapshot() == profile.snapshot()
    with pytest.raises(InvalidInputError, match="needs a path"):
        other.save()
