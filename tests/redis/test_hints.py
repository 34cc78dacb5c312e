"""Callback hints travel through Redis: a callback landing on one worker wakes the owner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import httpx

from simwood_async.reports import CallbackReceiver, ReportOptions
from simwood_async.sandbox import Sandbox, ScaledClock
from tests.redis.conftest import in_process_client, open_store

if TYPE_CHECKING:
    from simwood_async import SimwoodClient

H = "0123456789abcdef0123456789abcdef"
TOKEN = "fleet-wide-token-0123456789"


async def test_a_hint_reaches_the_other_stores_but_not_its_own(redis_server, prefix):
    """`share_hint` calls the handlers of every other store on the prefix, not the sender's."""
    heard: dict[str, list[str]] = {"sender": [], "other": []}
    async with (
        open_store(redis_server, prefix) as sender,
        open_store(redis_server, prefix) as other,
        open_store(redis_server, "elsewhere:" + prefix) as unrelated,
    ):
        got = anyio.Event()

        def on_other(report_hash: str) -> None:
            """Record the hint and stop waiting."""
            heard["other"].append(report_hash)
            got.set()

        sender.listen_hints(heard["sender"].append)
        other.listen_hints(on_other)
        unrelated.listen_hints(heard["sender"].append)
        with anyio.fail_after(10):
            await sender.share_hint(H)
            await got.wait()
        other.ignore_hints(on_other)
        await sender.share_hint(H)
        await other.share_hint("ffff")  # a round trip, so the second hint was delivered too
        await anyio.sleep(0.1)
    assert heard == {"sender": ["ffff"], "other": [H]}


async def test_a_callback_on_another_worker_wakes_the_owner(redis_server, prefix):
    """The owner trusts callbacks (polls once a minute); the callback lands on the follower.

    Only the hint shared through Redis can make the owner download within seconds.
    """
    receivers = [CallbackReceiver(TOKEN), CallbackReceiver(TOKEN)]
    sandbox = Sandbox(
        seed=4,
        clock=ScaledClock(1.0),
        report_delay=0.3,
        cdr_rows_per_day=10,
        callback_transport=httpx.ASGITransport(receivers[1]),  # always the second worker
    )
    got: list[Any] = []

    def client(store: Any, receiver: CallbackReceiver) -> SimwoodClient:
        """A worker's client: callbacks on, slow safety polling."""
        return in_process_client(
            sandbox,
            reports=ReportOptions(
                store=store,
                callback_url="http://workers.example/simwood/callbacks",
                callback_receiver=receiver,
                min_interval=0.05,
                max_interval=60.0,
                safety_interval=60.0,
            ),
        )

    async def fetch(client: SimwoodClient) -> None:
        """Await the report."""
        got.append(await client.reports.voice_cdr_day(date="2026-03-14"))

    async with (
        open_store(redis_server, prefix) as first,
        open_store(redis_server, prefix) as second,
        client(first, receivers[0]) as owner,
        client(second, receivers[1]) as follower,
    ):
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(fetch, owner)
                while not owner.reports.stats.timings:  # noqa: ASYNC110 - no event to wait on
                    await anyio.sleep(0.01)
                tg.start_soon(fetch, follower)
                await anyio.sleep(0.5)  # the report is ready; its callback is due
                assert await sandbox.deliver_callbacks() == 1
    assert receivers[0].accepted == 0
    assert receivers[1].accepted == 1
    assert owner.reports.stats.downloads == 1
    assert follower.reports.stats.downloads == 0
    assert owner.reports.stats.callbacks_matched == 1
    assert got[0] == got[1]
    assert got[0]
