"""Sound priors for a cold client, and learned generation times saved and reloaded."""

from __future__ import annotations

import json

import pytest

from simwood_async import InvalidInputError
from simwood_async.reports import GenerationModel, ReportOptions, ReportProfile
from simwood_async.reports._policy import next_round
from simwood_async.sandbox import ManualClock, Sandbox

KIND = "reports/voice/cdr/latest/10"
LONE = {"delay_cost": 1.0, "min_interval": 0.25, "max_interval": 10.0, "tail_delay": 0.5}


def test_a_reports_own_negative_check_does_not_silence_a_cold_model():
    """After one check at 2.2 s found a fresh kind's report pending, the next comes within 4 s."""
    model = GenerationModel()
    first = next_round([(model, 0.0, 0.0)], last_round=0.0, **LONE)
    model.record_pending(0.0, first)
    second = next_round([(model, 0.0, first)], last_round=first, **LONE)
    assert 1.0 < first < 3.0
    assert second - first < 4.0  # it was 10 s: one check chained into a collapsed hazard


def test_a_cold_model_keeps_looking_at_a_steady_pace():
    """A lone report pending for two minutes is looked for every 6-9 s, not at the cap."""
    model = GenerationModel()
    checked, gaps = 0.0, []
    while checked < 120.0:
        at = next_round([(model, 0.0, checked)], last_round=checked, **LONE)
        model.record_pending(checked, at)
        gaps.append(at - checked)
        checked = at
    assert gaps[:4] == sorted(gaps[:4])  # a backoff at first (about 2, 3, 5, 6 s) ...
    assert max(gaps) < 9.0  # ... to a steady pace, never the 10 s cap (it was 10 s from 2 s on)
    assert len(gaps) <= 20


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
    assert warm_requests < cold_requests  # it no longer checks at 1.4, 3.6, 6.6 and 10 s
    assert 12.0 <= warm < 14.0
    assert cold >= 12.0
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
