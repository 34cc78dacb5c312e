"""The `ReportStore` protocol on Redis: claims, generations, leases, outcomes, notifications."""

from __future__ import annotations

import os

import anyio
import pytest

from simwood_async.reports import Claim, StoredOutcome
from tests.redis.conftest import log_signal, open_store

H = "0123456789abcdef0123456789abcdef"
READY = StoredOutcome(status="ready", body=b'[{"a": 1}]')


async def test_a_claim_is_owned_and_a_second_owner_follows_it(redis_server, prefix):
    """The first claim owns generation 1 of a hash; another owner is told who owns it."""
    async with open_store(redis_server, prefix) as store:
        first = await store.claim(H, "alpha", ttl=60)
        second = await store.claim(H, "beta", ttl=60)
    assert first == Claim(owned=True, generation=1, owner="alpha")
    assert second == Claim(owned=False, generation=1, owner="alpha")


async def test_a_waiter_is_woken_by_the_publication_with_the_body_as_is(redis_server, prefix):
    """A parked waiter gets the published bytes (3 MB, not UTF-8) by notification, not recheck."""
    body = os.urandom(3_000_000)
    got: list[StoredOutcome | None] = []
    async with (
        open_store(redis_server, prefix, recheck=600) as owner_store,
        open_store(redis_server, prefix, recheck=600) as waiter_store,
    ):
        claim = await owner_store.claim(H, "alpha", ttl=60)
        followed = await waiter_store.claim(H, "beta", ttl=60)

        async def waiter() -> None:
            """Wait for the generation beta follows."""
            got.append(await waiter_store.wait(H, followed.generation))

        # Far below the 600 s recheck: only the notification can wake the parked waiter.
        with anyio.fail_after(10), log_signal("pending elsewhere") as parked:
            async with anyio.create_task_group() as tg:
                tg.start_soon(waiter)
                await parked.wait()
                await owner_store.publish(H, claim, StoredOutcome(status="ready", body=body))
    assert got == [StoredOutcome(status="ready", body=body)]


async def test_a_late_waiter_still_reads_the_outcome(redis_server, prefix):
    """Waiting for a generation already published returns its outcome at once."""
    async with open_store(redis_server, prefix) as store:
        claim = await store.claim(H, "alpha", ttl=60)
        await store.publish(H, claim, StoredOutcome(status="gone", detail="404"))
        assert await store.wait(H, claim.generation) == StoredOutcome(status="gone", detail="404")


async def test_release_gives_waiters_none_and_the_next_claim_a_new_generation(redis_server, prefix):
    """A released generation has no outcome; whoever claims next owns a fresh generation."""
    async with open_store(redis_server, prefix, recheck=600) as store:
        claim = await store.claim(H, "alpha", ttl=60)
        got: list[StoredOutcome | None] = []

        async def waiter() -> None:
            """Wait for the generation alpha owns."""
            got.append(await store.wait(H, claim.generation))

        with anyio.fail_after(10), log_signal("pending elsewhere") as parked:
            async with anyio.create_task_group() as tg:
                tg.start_soon(waiter)
                await parked.wait()
                await store.release(H, claim)
        after = await store.claim(H, "beta", ttl=60)
    assert got == [None]
    assert after == Claim(owned=True, generation=claim.generation + 1, owner="beta")


async def test_a_lapsed_claim_lets_another_owner_claim_a_new_generation(redis_server, prefix):
    """When the owner's claim lapses (ttl over, never renewed), waiters get None and move on."""
    async with open_store(redis_server, prefix) as store:
        claim = await store.claim(H, "alpha", ttl=0.05)
        with anyio.fail_after(10):
            assert await store.wait(H, claim.generation) is None
        taken = await store.claim(H, "beta", ttl=60)
    assert taken == Claim(owned=True, generation=claim.generation + 1, owner="beta")


async def test_a_late_publish_of_an_old_generation_is_ignored(redis_server, prefix):
    """An owner whose claim lapsed publishes too late: the new generation is not disturbed."""
    async with open_store(redis_server, prefix) as store:
        old = await store.claim(H, "alpha", ttl=0.05)
        with anyio.fail_after(10):
            assert await store.wait(H, old.generation) is None
        new = await store.claim(H, "beta", ttl=60)
        await store.publish(H, old, StoredOutcome(status="ready", body=b"stale"))
        assert await store.claim(H, "gamma", ttl=60) == Claim(
            owned=False, generation=new.generation, owner="beta"
        )
        assert await store.wait(H, old.generation) is None
        await store.publish(H, new, READY)
        assert await store.wait(H, new.generation) == READY


async def test_the_owner_renews_its_lease_while_it_works(redis_server, prefix):
    """A claim outlives many leases while its store is open, and lapses once it is closed."""
    async with open_store(redis_server, prefix, lease=0.6) as owner_store:
        claim = await owner_store.claim(H, "alpha", ttl=60)
        async with open_store(redis_server, prefix) as other:
            await anyio.sleep(1.5)  # two and a half leases, on the Redis server's clock
            assert await other.claim(H, "beta", ttl=60) == Claim(
                owned=False, generation=claim.generation, owner="alpha"
            )
    async with open_store(redis_server, prefix) as other:  # the owner's store is gone
        with anyio.fail_after(10):
            assert await other.wait(H, claim.generation) is None
        assert (await other.claim(H, "beta", ttl=60)).generation == claim.generation + 1


async def test_a_lease_is_renewed_past_the_claims_ttl_while_it_is_held(redis_server, prefix):
    """The claim's `ttl` only sets its first lease: it is renewed until published or released."""
    async with (
        open_store(redis_server, prefix, lease=0.15) as store,
        open_store(redis_server, prefix) as other,
    ):
        claim = await store.claim(H, "alpha", ttl=0.3)
        await anyio.sleep(1.0)  # three times the ttl, six leases
        assert await other.claim(H, "beta", ttl=60) == Claim(
            owned=False, generation=claim.generation, owner="alpha"
        )
        await store.release(H, claim)
        assert (await other.claim(H, "beta", ttl=60)).generation == claim.generation + 1


async def test_an_owner_whose_lease_lapsed_learns_it_before_downloading(redis_server, prefix):
    """`confirm` is False once another owner took the hash over, True for the new owner."""
    async with (
        open_store(redis_server, prefix, lease=5) as first,
        open_store(redis_server, prefix, lease=5) as second,
    ):
        import coredis  # noqa: PLC0415 - the tests of this folder need the extra

        old = await first.claim(H, "alpha", ttl=60)
        assert await first.confirm(H, old.generation, "alpha")
        async with coredis.Redis.from_url(redis_server.url) as raw:  # as if it froze a lease long
            await raw.delete([f"{prefix}{H}:claim"])
        new = await second.claim(H, "beta", ttl=60)
        assert new == Claim(owned=True, generation=old.generation + 1, owner="beta")
        assert not await first.confirm(H, old.generation, "alpha")
        assert await second.confirm(H, new.generation, "beta")


async def test_the_same_owner_claiming_again_opens_a_new_generation(redis_server, prefix):
    """Re-claiming ends the owner's old generation; its late release changes nothing."""
    async with open_store(redis_server, prefix) as store:
        old = await store.claim(H, "alpha", ttl=60)
        new = await store.claim(H, "alpha", ttl=60)
        assert new == Claim(owned=True, generation=old.generation + 1, owner="alpha")
        assert await store.wait(H, old.generation) is None
        await store.release(H, old)
        assert await store.claim(H, "beta", ttl=60) == Claim(
            owned=False, generation=new.generation, owner="alpha"
        )


async def test_outcomes_expire_after_result_ttl(redis_server, prefix):
    """A published outcome is dropped from Redis after `result_ttl` seconds."""
    async with open_store(redis_server, prefix, result_ttl=0.05) as store:
        claim = await store.claim(H, "alpha", ttl=60)
        await store.publish(H, claim, READY)
        assert await store.wait(H, claim.generation) == READY
        await anyio.sleep(0.1)  # on the Redis server's clock
        assert await store.wait(H, claim.generation) is None


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ({"account": "930000"}, {"account": "930000"}, True),
        ({"account": "930000"}, {"account": "930001"}, False),
        ({}, {"account": "930000"}, False),
    ],
    ids=["same-account", "other-account", "unscoped-and-scoped"],
)
async def test_accounts_scope_the_keys(redis_server, prefix, first, second, shared):
    """Stores of different accounts never share a claim on the same hash."""
    async with (
        open_store(redis_server, prefix, **first) as one,
        open_store(redis_server, prefix, **second) as two,
    ):
        await one.claim(H, "alpha", ttl=60)
        claim = await two.claim(H, "beta", ttl=60)
    assert claim.owned is not shared
