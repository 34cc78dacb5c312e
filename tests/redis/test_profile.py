"""The learned generation-time profile, kept in Redis for every process (opaque bytes, TTL)."""

from __future__ import annotations

import os

import anyio
import pytest

from simwood_async import ConfigurationError
from simwood_async.reports._fleet import ProfileSharing
from tests.redis.conftest import COREDIS_LEAKS, open_store


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
