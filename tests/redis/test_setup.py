"""Opening and closing the Redis store: settings, URLs, clients, secrets, outages, the extra."""

from __future__ import annotations

import importlib
import logging
import sys
import uuid

import anyio
import pytest

coredis = pytest.importorskip("coredis", reason="coredis is not installed ([redis] extra)")

import simwood_async.reports  # noqa: E402 - after the skip
from simwood_async import ConfigurationError, ConnectError  # noqa: E402
from simwood_async.reports import Claim, RedisReportStore, StoredOutcome  # noqa: E402
from tests.redis.conftest import COREDIS_LEAKS, free_port, open_store  # noqa: E402

H = "fedcba9876543210fedcba9876543210"
SECRET = "redis-pw-Xq7-never-log-me"


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("redis://127.0.0.1:1/0",), {"lease": 0}),
        (("redis://127.0.0.1:1/0",), {"recheck": -1.0}),
        (("redis://127.0.0.1:1/0",), {"result_ttl": 0}),
        (("redis://127.0.0.1:1/0",), {"command_timeout": 0}),
        (("redis://127.0.0.1:1/0",), {"account": "93 0000"}),
        (("redis://127.0.0.1:1/0",), {"account": ""}),
        (("http://127.0.0.1:1/0",), {}),
        (("redis:///0",), {}),
        (("redis://127.0.0.1:notaport/0",), {}),
        ((), {}),
    ],
    ids=[
        "lease",
        "recheck",
        "result-ttl",
        "command-timeout",
        "account-space",
        "account-empty",
        "http-url",
        "no-host",
        "bad-port",
        "neither-url-nor-client",
    ],
)
async def test_bad_settings_are_refused_before_any_io(args, kwargs):
    """Bad settings raise ConfigurationError (a ValueError) without touching the network."""
    with pytest.raises(ConfigurationError):
        async with RedisReportStore.open(*args, **kwargs):
            pass  # pragma: no cover - never opened


async def test_a_url_and_a_client_together_are_refused(redis_server):
    """`url=` and `client=` are alternatives."""
    async with coredis.Redis.from_url(redis_server.url) as client:
        with pytest.raises(ConfigurationError, match="exactly one"):
            async with RedisReportStore.open(redis_server.url, client=client):
                pass  # pragma: no cover - never opened


async def test_a_closed_store_refuses_to_claim_or_wait(redis_server, prefix):
    """Using the store outside its `async with` block is a ConfigurationError."""
    async with open_store(redis_server, prefix) as store:
        assert "open=True" in repr(store)
    assert "open=False" in repr(store)
    with pytest.raises(ConfigurationError, match="not open"):
        await store.claim(H, "alpha", ttl=60)
    with pytest.raises(ConfigurationError, match="not open"):
        await store.wait(H, 1)


@COREDIS_LEAKS
async def test_an_unreachable_redis_fails_at_open(coredis_leaks):
    """Nobody listening: ConnectError naming the server, raised from `open()` itself."""
    port = free_port()
    with pytest.raises(ConnectError, match=f"127.0.0.1:{port}"):
        async with RedisReportStore.open(f"redis://127.0.0.1:{port}/0", command_timeout=2):
            pass  # pragma: no cover - never opened


async def test_the_password_never_shows(redis_server, prefix, caplog):
    """A password in the URL is used but appears in no repr, log line or error."""
    user = f"u{uuid.uuid4().hex[:8]}"
    async with coredis.Redis.from_url(redis_server.url) as admin:
        await admin.acl_setuser(user, "on", f">{SECRET}", "~*", "&*", "+@all")
    caplog.set_level(logging.DEBUG, logger="simwood_async")
    url = f"redis://{user}:{SECRET}@127.0.0.1:{redis_server.port}/0"
    async with RedisReportStore.open(url, prefix=prefix) as store:
        claim = await store.claim(H, "alpha", ttl=60)
        await store.publish(H, claim, StoredOutcome(status="gone", detail="404"))
        shown = repr(store)
    wrong = url.replace(SECRET, "not-" + SECRET)
    with pytest.raises(ConnectError) as caught:
        async with RedisReportStore.open(wrong, prefix=prefix):
            pass  # pragma: no cover - never opened
    assert claim.owned
    assert f"127.0.0.1:{redis_server.port}" in shown
    for text in (shown, caplog.text, str(caught.value), repr(caught.value)):
        assert SECRET not in text
        assert user not in text


async def test_an_injected_client_is_used_and_left_open(redis_server, prefix):
    """A coredis client of yours (even one that decodes replies) is used, never closed."""
    body = bytes(range(256)) * 10
    async with coredis.Redis.from_url(redis_server.url, decode_responses=True) as client:
        async with RedisReportStore.open(client=client, prefix=prefix) as store:
            claim = await store.claim(H, "alpha", ttl=60)
            await store.publish(H, claim, StoredOutcome(status="ready", body=body))
            outcome = await store.wait(H, claim.generation)
        assert await client.ping() in ("PONG", b"PONG")
    assert outcome == StoredOutcome(status="ready", body=body)


@COREDIS_LEAKS
async def test_an_unopened_injected_client_is_a_connect_error(redis_server, coredis_leaks):
    """A client whose `async with` was never entered cannot be used: ConnectError at open."""
    client = coredis.Redis.from_url(redis_server.url)
    with pytest.raises(ConnectError, match="RuntimeError"):
        async with RedisReportStore.open(client=client):
            pass  # pragma: no cover - never opened


async def test_an_unreadable_shared_outcome_means_claim_again(redis_server, prefix, caplog):
    """An outcome written by something else (unknown status) is ignored with a warning."""
    async with open_store(redis_server, prefix) as store:
        claim = await store.claim(H, "alpha", ttl=60)
        async with coredis.Redis.from_url(redis_server.url) as raw:
            await raw.hset(f"{prefix}{H}:{claim.generation}:outcome", {"status": "weird"})
        assert await store.wait(H, claim.generation) is None
    assert "unreadable shared outcome" in caplog.text


@COREDIS_LEAKS
async def test_when_redis_goes_away_each_client_works_alone(
    spare_redis, prefix, caplog, coredis_leaks
):
    """During an outage claims are owned alone (generation 0); afterwards sharing resumes."""
    async with open_store(spare_redis, prefix, recheck=0.01, command_timeout=1) as store:
        before = await store.claim(H, "alpha", ttl=60)
        spare_redis.stop()
        alone = await store.claim(H, "beta", ttl=60)
        await store.publish(H, alone, StoredOutcome(status="gone"))
        await store.release(H, before)
        assert await store.wait(H, before.generation) is None
        spare_redis.start()
        with anyio.fail_after(10):
            after = await store.claim(H, "gamma", ttl=60)
            while after.generation == 0:  # the pool reconnects on a later command
                await anyio.sleep(0.05)
                after = await store.claim(H, "gamma", ttl=60)
    assert before == Claim(owned=True, generation=1, owner="alpha")
    assert alone == Claim(owned=True, generation=0, owner="beta")
    assert after.owned
    assert after.generation >= 1
    assert "working without coordination" in caplog.text


def test_the_package_imports_without_the_extra(monkeypatch):
    """Without coredis, `simwood_async.reports` imports; only its two Redis classes fail."""
    monkeypatch.setitem(sys.modules, "coredis", None)
    for name in [n for n in sys.modules if n.startswith("simwood_async.reports._redis")]:
        monkeypatch.delitem(sys.modules, name)
    reports = importlib.reload(simwood_async.reports)
    assert reports.InMemoryReportStore is not None
    with pytest.raises(ImportError, match=r"simwood-async\[redis\]"):
        _ = reports.RedisReportStore
    with pytest.raises(ImportError, match=r"FleetLimiter needs the \[redis\] extra"):
        _ = reports.FleetLimiter
    with pytest.raises(AttributeError):
        _ = reports.NoSuchThing
