"""The learned generation-time profile, kept in Redis for every process (opaque bytes, TTL)."""

from __future__ import annotations

import os

import anyio
import pytest

from simwood_async import ConfigurationError, SimwoodClient, _json
from simwood_async.reports import ReportOptions, ReportProfile
from simwood_async.reports._fleet import ProfileSharing
from simwood_async.sandbox import Sandbox, ScaledClock
from tests.redis.conftest import COREDIS_LEAKS, in_process_client, open_store

KIND = "reports/voice/cdr/day"


def client_of(sandbox: Sandbox, store: object, profile: ReportProfile | None) -> SimwoodClient:
    """A client of the in-process sandbox with this store and profile, polling quickly."""
    return in_process_client(
        sandbox,
        reports=ReportOptions(
            store=store,  # type: ignore[arg-type]
            profile=profile,
            min_interval=0.01,
            max_interval=0.05,
        ),
    )


def fast_sandbox() -> Sandbox:
    """Reports ready after 2 to 4 sandbox seconds, 40 times faster than real time."""
    return Sandbox(seed=4, clock=ScaledClock(40.0), report_delay=(2.0, 4.0), cdr_rows_per_day=5)


async def test_a_profile_saved_by_one_process_is_loaded_by_another(redis_server, prefix):
    """Bytes saved under a name by one store come back unchanged from another store."""
    data = os.urandom(4096)  # opaque: not UTF-8
    async with (
        open_store(redis_server, prefix) as first,
        open_store(redis_server, prefix) as second,
    ):
        assert isinstance(first, ProfileSharing)
        assert await second.load_profile("reports") is None
        await first.save_profile("reports", data)
        assert await second.load_profile("reports") == data
        await second.save_profile("reports", b"newer")
        assert await first.load_profile("reports") == b"newer"
        assert await first.load_profile("other") is None


async def test_a_profile_expires_after_profile_ttl(redis_server, prefix):
    """A profile nobody saved again for `profile_ttl` seconds is gone."""
    async with open_store(redis_server, prefix, profile_ttl=0.1) as store:
        await store.save_profile("reports", b"warm")
        assert await store.load_profile("reports") == b"warm"
        await anyio.sleep(0.3)  # on the Redis server's clock
        assert await store.load_profile("reports") is None


async def test_profiles_are_scoped_by_prefix_and_account(redis_server, prefix):
    """Another deployment or account does not see the profile."""
    async with (
        open_store(redis_server, prefix, account="930000") as mine,
        open_store(redis_server, prefix, account="930001") as other_account,
        open_store(redis_server, prefix + "other:", account="930000") as other_deployment,
    ):
        await mine.save_profile("reports", b"mine")
        assert await other_account.load_profile("reports") is None
        assert await other_deployment.load_profile("reports") is None


async def test_a_bad_profile_ttl_is_refused():
    """`profile_ttl` must be positive."""
    from simwood_async.reports import RedisReportStore  # noqa: PLC0415 - needs the extra

    with pytest.raises(ConfigurationError, match="profile_ttl"):
        async with RedisReportStore.open("redis://127.0.0.1:1/0", profile_ttl=0):
            pass  # pragma: no cover - never opened


@COREDIS_LEAKS
async def test_without_redis_a_profile_is_neither_saved_nor_loaded(
    spare_redis, prefix, caplog, coredis_leaks
):
    """Redis down: saving does nothing, loading gives None, and it is logged once."""
    async with open_store(spare_redis, prefix, command_timeout=1) as store:
        spare_redis.stop()
        await store.save_profile("reports", b"warm")
        assert await store.load_profile("reports") is None
        assert await store.load_profile("reports") is None
    assert sum("unavailable" in r.getMessage() for r in caplog.records) == 1


async def test_a_new_process_starts_from_what_the_fleet_learned(redis_server, prefix):
    """One client learns from three reports and closes; the next one opens warm with it."""
    sandbox = fast_sandbox()
    learned, fresh = ReportProfile(), ReportProfile()
    cold = fresh.snapshot()
    async with (
        open_store(redis_server, prefix) as first,
        client_of(sandbox, first, learned) as client,
    ):
        for day in ("2026-03-10", "2026-03-11", "2026-03-12"):
            await client.reports.voice_cdr_day(date=day)
    assert learned.snapshot()["kinds"][KIND]["observations"] >= 3
    async with (
        open_store(redis_server, prefix) as second,
        client_of(sandbox, second, fresh),
    ):
        assert fresh.snapshot() == learned.snapshot() != cold


async def test_without_a_profile_of_its_own_a_client_shares_one_anyway(redis_server, prefix):
    """A client with a profile-sharing store and no `profile` saves what it learned there."""
    sandbox = fast_sandbox()
    async with open_store(redis_server, prefix) as store:
        async with client_of(sandbox, store, None) as client:
            await client.reports.voice_cdr_day(date="2026-03-10")
        saved = await store.load_profile("reports")
    assert saved is not None
    assert _json.loads(saved)["kinds"][KIND]["observations"] >= 1


async def test_an_unreadable_shared_profile_is_ignored_with_a_warning(redis_server, prefix, caplog):
    """Garbage under the profile's key: the client starts from the prior and says so."""
    sandbox = fast_sandbox()
    profile = ReportProfile()
    cold = profile.snapshot()
    async with open_store(redis_server, prefix) as store:
        await store.save_profile("reports", b"not json at all")
        async with client_of(sandbox, store, profile):
            assert profile.snapshot() == cold
    assert "shared report profile was not loaded" in caplog.text
