"""A small chaos run on each backend: every fault at once, and every invariant holds.

The full run (`nox -s chaos`, `python benchmarks/chaos.py`) prints the figures; this one keeps
the invariants in the test suite: delivered reports equal the sandbox's ground truth, every
other caller ends in a typed error within its deadline or was cancelled by us, no CDR is
missing or duplicated, no task is left running and no credential shows anywhere.
"""

from __future__ import annotations

from tests.chaos.harness import ChaosConfig, run_chaos, violations

SMALL = ChaosConfig(requests=60, distinct=12, rows=3000, scale=40.0, bound_s=90.0, seed=3)


async def test_every_invariant_holds_under_every_fault_at_once():
    """A small chaos run breaks no invariant, and its faults did fire."""
    figures = await run_chaos(SMALL)
    assert violations(figures) == []
    assert figures["rows_delivered"] == figures["rows_expected"] == 3000
    assert sum(figures["faults"].values()) > 0
    assert figures["reports_delivered"] > 0
