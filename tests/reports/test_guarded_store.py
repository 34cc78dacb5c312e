"""A report store that fails degrades to local de-duplication instead of ending the client."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from simwood_async.reports import ReportOptions
from simwood_async.reports._store import Claim, GuardedStore, StoredOutcome
from simwood_async.sandbox import ManualClock, Sandbox


class BrokenStore:
    """A store whose every call fails, like a coordination service that is down."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    async def claim(self, report_hash: str, owner: str, *, ttl: float) -> Claim:
        """Fail."""
        self.calls.append(("claim", report_hash, owner, ttl))
        raise OSError("store down")

    async def publish(self, report_hash: str, claim: Claim, outcome: StoredOutcome) -> None:
        """Fail."""
        self.calls.append(("publish", report_hash, claim, outcome))
        raise OSError("store down")

    async def release(self, report_hash: str, claim: Claim) -> None:
        """Fail."""
        self.calls.append(("release", report_hash, claim))
        raise OSError("store down")

    async def wait(self, report_hash: str, generation: int) -> StoredOutcome | None:
        """Fail."""
        self.calls.append(("wait", report_hash, generation))
        raise OSError("store down")


async def test_guarded_claim_failure_owns_locally_and_settles_nothing():
    """A failed claim yields a local claim; publishing it never touches the store."""
    broken = BrokenStore()
    guarded = GuardedStore(broken)
    claim = await guarded.claim("h", "me", ttl=5.0)
    assert (claim.owned, claim.generation, claim.owner) == (True, 0, "me")
    await guarded.publish("h", claim, StoredOutcome(status="gone"))
    await guarded.release("h", claim)
    assert [c[0] for c in broken.calls] == ["claim"]


async def test_guarded_settle_and_wait_failures_are_logged_not_raised(caplog):
    """Failures of publish, release and wait are warnings; wait then answers None."""
    broken = BrokenStore()
    guarded = GuardedStore(broken)
    claim = Claim(owned=True, generation=3, owner="me")
    with caplog.at_level(logging.WARNING, logger="simwood_async"):
        await guarded.publish("h", claim, StoredOutcome(status="gone"))
        await guarded.release("h", claim)
        assert await guarded.wait("h", 3) is None
    assert [c[0] for c in broken.calls] == ["publish", "release", "wait"]
    assert len([r for r in caplog.records if "store" in r.getMessage()]) == 3


@pytest.mark.parametrize("kind", ["voice_cdr_day"], ids=["voice-cdr-day"])
async def test_report_is_delivered_when_the_store_is_down(kind):
    """With a store that fails every call, a report is still requested, polled and delivered."""
    start = dt.datetime(2026, 3, 15, 12, tzinfo=dt.timezone.utc)
    sandbox = Sandbox(seed=3, clock=ManualClock(start=start))
    broken = BrokenStore()
    async with sandbox.client(reports=ReportOptions(store=broken)) as client:
        rows = await getattr(client.reports, kind)(date="2026-03-14")
    assert rows
    assert "claim" in [c[0] for c in broken.calls]
    assert sandbox.reports.downloads
