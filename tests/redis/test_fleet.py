"""A fleet: 8 worker processes, one Redis, one loopback sandbox process; owners SIGKILLed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from tests.redis.fleet import Fleet, days, run_fleet, truth

if TYPE_CHECKING:
    from pathlib import Path

    from tests.redis.conftest import RedisServer


def check_data(fleet: Fleet, reports: int) -> None:
    """Every surviving caller got every report, equal to the sandbox's ground truth."""
    expected = truth(days(reports))
    assert fleet.failed_callers == 0, [r["failures"] for r in fleet.reports]
    for report in fleet.reports:
        assert report["digests"] == {day: [d] for day, d in expected.items()}


def test_eight_processes_of_fifty_callers_share_twenty_reports(redis_server, prefix, tmp_path):
    """400 callers in 8 processes ask for the same 20 reports: 20 POSTs and 20 downloads."""
    fleet = anyio.run(fleet_of(redis_server, prefix, tmp_path, workers=8, callers=50, reports=20))
    assert all(fleet.done)
    assert fleet.ok == 8 * 50 * 20
    check_data(fleet, 20)
    assert fleet.posts == 20
    assert fleet.downloads == 20
    assert fleet.generations == 20
    assert sum(r["posts"] for r in fleet.reports) == 20
    assert sum(r["downloads"] for r in fleet.reports) == 20


def test_the_owner_killed_while_it_waits_is_taken_over(redis_server, prefix, tmp_path):
    """SIGKILL the report's owner while it waits: the others get it within lease + one round."""
    lease, poll = 1.0, 0.25
    fleet = anyio.run(
        fleet_of(
            redis_server,
            prefix,
            tmp_path,
            workers=3,
            callers=5,
            reports=1,
            report_delay="1.5",
            lease=lease,
            poll=poll,
            kill="waiting",
        )
    )
    assert fleet.killed is not None
    assert sum(fleet.done) == 2
    assert not fleet.done[fleet.killed]
    check_data(fleet, 1)
    assert fleet.posts == 1  # the report it requested is the one the others download
    assert fleet.downloads == 1
    delivered = max(r["delivered"][days(1)[0]] for r in fleet.reports)
    # Ready 1.5 s after the POST (before the kill); taken over once the lease lapses; the new
    # owner probes at once. Plus the recheck (one poll round) and slack for a busy machine.
    assert delivered - fleet.killed_at < lease + poll + 0.25 + 2.0


def test_the_owner_killed_mid_download_is_replaced_by_a_new_request(redis_server, prefix, tmp_path):
    """SIGKILL the owner during its download: the file is gone, so another process re-requests."""
    lease, poll, body = 1.0, 0.25, 1.5
    fleet = anyio.run(
        fleet_of(
            redis_server,
            prefix,
            tmp_path,
            workers=3,
            callers=5,
            reports=1,
            report_delay="0.5",
            lease=lease,
            poll=poll,
            faults=(f"slow_body,seconds={body},chunks=3,route=/v3/files/*/*",),
            kill="downloading",
        )
    )
    assert fleet.killed is not None
    assert sum(fleet.done) == 2
    check_data(fleet, 1)
    assert fleet.downloads == 2  # the dead owner's, cut short, and the new one
    assert fleet.posts == 2  # one re-request for the whole fleet
    delivered = max(r["delivered"][days(1)[0]] for r in fleet.reports)
    # The lease lapses; the new owner's probe finds the file gone (404); one process requests
    # it again (0.5 s to generate) and probes it (each probe, a 204 too, is slowed by the body
    # fault) until it downloads it; about 5.5 s on an idle machine. Plus slack for a busy one.
    assert delivered - fleet.killed_at < lease + poll + 0.5 + 3 * body + 4.0


def fleet_of(server: RedisServer, prefix: str, tmp_path: Path, **kwargs: object) -> object:
    """A no-argument coroutine function running `run_fleet` against `server`."""

    async def run() -> Fleet:
        """Run the fleet."""
        return await run_fleet(
            redis_url=server.url,
            prefix=prefix,
            log=tmp_path / "children.log",
            **kwargs,  # type: ignore[arg-type]
        )

    return run
