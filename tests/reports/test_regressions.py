"""Regression tests for the report engine's failure modes (issue 10), one per defect.

Each test names its defect. They run against a respx router in virtual time, except where a
real event (a gate) stands for a slow download.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import anyio
import httpx
import pytest

from simwood_async import ReportTimeoutError
from simwood_async.reports import CallbackReceiver, InMemoryReportStore, ReportRequest
from tests.conftest import ACCOUNT
from tests.reports.conftest import VirtualTime, respx_client
from tests.reports.test_sequences import HASHES, POST_PATH, envelope, wire_rows

if TYPE_CHECKING:
    import respx

DAYS = ["2026-03-12", "2026-03-13", "2026-03-14"]
LISTING = f"files/{ACCOUNT}"


@pytest.fixture
def vtime() -> VirtualTime:
    """Virtual time on a plain number."""
    return VirtualTime()


def by_date(router: respx.Router) -> None:
    """The report POST answers hash a, b or c for the three DAYS."""

    def answer(request: httpx.Request) -> httpx.Response:
        day = parse_qs(request.content.decode())["date"][0]
        return httpx.Response(200, json=envelope(HASHES[DAYS.index(day)]))

    router.post(POST_PATH).mock(side_effect=answer)


def ready_after(router: respx.Router, vtime: VirtualTime, seconds: float) -> None:
    """Every file answers 204 until `seconds` of virtual time have passed, then 200 once."""
    start = vtime.clock()
    taken: set[str] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        if vtime.clock() - start < seconds:
            return httpx.Response(204)
        if name in taken:
            return httpx.Response(404)
        taken.add(name)
        return httpx.Response(200, json=wire_rows())

    for h in HASHES:
        router.get(f"files/{ACCOUNT}/{h}").mock(side_effect=answer)


def listings(router: respx.Router) -> int:
    """How many listings the router saw."""
    return sum(call.request.url.path == f"/v3/{LISTING}" for call in router.calls)


async def get_all(client: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
    """The three DAYS' reports, concurrently."""
    results: dict[str, tuple[Any, ...]] = {}

    async def one(day: str) -> None:
        """Run one caller."""
        results[day] = await client.reports.voice_cdr_day(date=day, **kwargs)

    async with anyio.create_task_group() as tg:
        for day in DAYS:
            tg.start_soon(one, day)
    return [results[d] for d in DAYS]


async def test_defect1_a_raw_library_error_in_the_listing_never_ends_the_users_block(router, vtime):
    """Defect 1: a listing failing with an untranslated httpx error no longer kills the client."""
    by_date(router)
    ready_after(router, vtime, 30)
    router.get(LISTING).mock(side_effect=httpx.ProxyError("proxy refused"))
    user_work_done = False
    async with respx_client(router, vtime) as client, vtime.running():
        results = await get_all(client)
        await vtime.sleep(1)
        user_work_done = True  # the user's own code in the block was never cancelled
    assert user_work_done
    assert [len(rows) for rows in results] == [3, 3, 3]


async def test_defect1_a_bug_in_a_background_task_fails_flights_not_the_users_block(router, vtime):
    """Defect 1: an unexpected error in the scheduler fails the affected flights cleanly."""
    by_date(router)
    ready_after(router, vtime, 5)
    start = vtime.clock()
    router.get(LISTING).mock(
        side_effect=lambda _: httpx.Response(
            200, json=[{"name": h} for h in HASHES] if vtime.clock() - start >= 5 else []
        )
    )
    failures = itertools.count()

    def flaky_random() -> float:
        """Jitter that fails in the first two rounds (a bug in injected code)."""
        if next(failures) < 2:
            raise ZeroDivisionError("a bug")
        return 0.5

    async with respx_client(router, vtime, random=flaky_random) as client, vtime.running():
        results = await get_all(client, deadline=600)
        await vtime.sleep(1)  # the user's block goes on
    assert [len(rows) for rows in results] == [3, 3, 3]


@pytest.mark.parametrize("status", [500, 403], ids=["5xx", "4xx"])
async def test_defect2_a_failing_listing_falls_back_to_probes_and_backs_off(router, vtime, status):
    """Defect 2: with the listing failing, due reports are probed directly; it backs off."""
    by_date(router)
    ready_after(router, vtime, 120)
    router.get(LISTING).respond(status)
    async with respx_client(router, vtime) as client, vtime.running():
        results = await get_all(client, deadline=600)
    assert [len(rows) for rows in results] == [3, 3, 3]
    assert listings(router) <= 10
    file_gets = len(router.calls) - listings(router) - 3
    assert file_gets <= 3 * 40


async def test_defect3_a_slow_listing_does_not_hold_up_deadlines(router, vtime):
    """Defect 3: while a listing waits (100 s here), callers' 20 s deadlines are still served."""
    by_date(router)
    ready_after(router, vtime, 10_000)

    async def slow_listing(request: httpx.Request) -> httpx.Response:
        """A listing that takes 100 s of virtual time."""
        await vtime.sleep(100)
        return httpx.Response(200, json=[])

    router.get(LISTING).mock(side_effect=slow_listing)
    ended: list[float] = []

    async def one(client: Any, day: str) -> None:
        """Run one caller."""
        with pytest.raises(ReportTimeoutError):
            await client.reports.voice_cdr_day(date=day, deadline=20)
        ended.append(vtime.clock())

    async with respx_client(router, vtime) as client, vtime.running():
        start = vtime.clock()
        async with anyio.create_task_group() as tg:
            for day in DAYS:
                tg.start_soon(one, client, day)
    assert len(ended) == 3
    assert max(ended) - start <= 21


async def test_defect4_a_dateless_request_is_pinned_to_the_day_of_the_call(router, vtime):
    """Defect 4: no date means the GMT day of the call, kept for re-requests after midnight."""
    today = [dt.date(2026, 3, 14)]
    forms: list[dict[str, list[str]]] = []
    hashes = iter(HASHES)

    def post(request: httpx.Request) -> httpx.Response:
        """Answer the report POST."""
        forms.append(parse_qs(request.content.decode()))
        return httpx.Response(200, json=envelope(next(hashes)))

    def first_file(request: httpx.Request) -> httpx.Response:
        """The first file: midnight passes, and it is gone."""
        today[0] = dt.date(2026, 3, 15)  # midnight passes while the first file is fetched
        return httpx.Response(404)

    router.post(POST_PATH).mock(side_effect=post)
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(side_effect=first_file)
    router.get(f"files/{ACCOUNT}/{HASHES[1]}").respond(json=wire_rows())
    router.get(f"files/{ACCOUNT}/{HASHES[2]}").respond(json=wire_rows())
    async with respx_client(router, vtime, today=lambda: today[0]) as client, vtime.running():
        await client.reports.voice_cdr_day()
        await client.reports.voice_cdr_day()  # after midnight: the new day
    assert [f["date"] for f in forms] == [["2026-03-14"], ["2026-03-14"], ["2026-03-15"]]
    pinned = client.reports._engine.pin(ReportRequest.voice_cdr_day())
    assert pinned == ReportRequest.voice_cdr_day(date="2026-03-15")


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectTimeout("slow connect"), httpx.PoolTimeout("no connection")],
    ids=["connect-timeout", "pool-timeout"],
)
async def test_defect5_a_timeout_on_a_status_check_is_not_a_broken_download(router, vtime, failure):
    """Defect 5: a check that timed out before any response spends no re-request."""
    router.post(POST_PATH).respond(json=envelope(HASHES[0]))
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(
        side_effect=[failure, failure, httpx.Response(204), httpx.Response(200, json=wire_rows())]
    )
    async with respx_client(router, vtime, rerequests=0) as client, vtime.running():
        rows = await client.reports.voice_cdr_day(date=DAYS[2])
    assert len(rows) == 3
    assert client.reports.stats.re_requests == 0


class StallingStore(InMemoryReportStore):
    """A store whose `release` never returns."""

    async def release(self, report_hash: str, claim: object) -> None:  # noqa: ARG002
        """Stall forever."""
        await anyio.sleep_forever()


async def test_defect8_a_stalled_store_release_cannot_hold_up_client_exit(router, vtime):
    """Defect 8: a store call that stalls is bounded; the client's exit is not held up."""
    router.post(POST_PATH).respond(json=envelope(HASHES[0]))
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").respond(204)
    options = {"store": StallingStore(), "store_timeout": 0.2}
    with anyio.fail_after(10):
        async with (
            respx_client(router, vtime, **options) as client,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(partial(client.reports.voice_cdr_day, date=DAYS[2]))
            await vtime.sleep(5)
            tg.cancel_scope.cancel()  # the caller gives up: the claim is released
    # Reached: the release was given up after 0.2 s instead of holding the exit forever.


async def test_defect10_submit_never_returns_a_dead_hash(router, vtime):
    """Defect 10: while a flight requests its report again, `submit` waits for the new hash."""
    second_post = anyio.Event()
    calls = itertools.count()

    async def post(request: httpx.Request) -> httpx.Response:
        """Answer the report POST."""
        if next(calls) == 1:
            second_post.set()
            await vtime.sleep(50)  # a slow re-request
            return httpx.Response(200, json=envelope(HASHES[1]))
        return httpx.Response(200, json=envelope(HASHES[0]))

    router.post(POST_PATH).mock(side_effect=post)
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").respond(404)
    router.get(f"files/{ACCOUNT}/{HASHES[1]}").respond(json=wire_rows())
    request = ReportRequest.voice_cdr_day(date=DAYS[2])
    tickets: list[Any] = []

    async def submit(client: Any) -> None:
        """Submit the request and keep the ticket."""
        tickets.append(await client.reports.submit(request))

    async with (
        respx_client(router, vtime) as client,
        vtime.running(),
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(client.reports.get, request)
        while not second_post.is_set():  # the first hash is dead: requested again
            await vtime.sleep(0.5)
        tg.start_soon(submit, client)
        await vtime.sleep(5)
        assert not tickets  # old code: returned the dead hash at once
    assert [t.report_hash for t in tickets] == [HASHES[1]]


async def test_defect11_a_joined_callers_deadline_bounds_its_own_wait(router, vtime):
    """Defect 11: a caller that joins a flight with a shorter deadline stops at its own."""
    router.post(POST_PATH).respond(json=envelope(HASHES[0]))
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").respond(204)
    ended: dict[str, float] = {}

    async def call(client: Any, name: str, deadline: float) -> None:
        """One caller with its own deadline."""
        with pytest.raises(ReportTimeoutError):
            await client.reports.voice_cdr_day(date=DAYS[2], deadline=deadline)
        ended[name] = vtime.clock()

    async with respx_client(router, vtime) as client, vtime.running():
        start = vtime.clock()
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, client, "long", 300)
            await vtime.sleep(1)
            tg.start_soon(call, client, "short", 20)
    assert 20 <= ended["short"] - start <= 22
    assert ended["long"] - start >= 300
    assert len([c for c in router.calls if c.request.method == "POST"]) == 1


async def test_defect11_the_flight_does_not_inherit_a_callers_call_deadline(router, vtime):
    """Defect 11: the shared flight's requests are not cut by one caller's per-call deadline."""
    router.post(POST_PATH).respond(json=envelope(HASHES[0]))
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").respond(204)
    async with respx_client(router, vtime) as client, vtime.running():
        hurried = client.with_options(deadline=0.5)
        flight_transport: list[Any] = []
        engine = client.reports._engine
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(hurried.reports.voice_cdr_day, date=DAYS[2]))
            await vtime.sleep(1)
            flight_transport += [f.transport for f in engine._flights.values()]
            tg.cancel_scope.cancel()
    assert flight_transport
    assert all(t.deadline is None for t in flight_transport)


async def test_defect12_a_started_download_survives_its_last_caller(router, vtime):
    """Defect 12: cancelling the last waiter mid-download finishes it and keeps the rows."""
    started = anyio.Event()
    gate = anyio.Event()
    answers = itertools.count()

    async def file(request: httpx.Request) -> httpx.Response:
        """Answer the file's checks in turn."""
        n = next(answers)
        if n == 0:
            return httpx.Response(204)
        if n == 1:
            started.set()
            await gate.wait()  # a slow body: the server deletes the file once it is sent
            return httpx.Response(200, json=wire_rows())
        return httpx.Response(404)

    router.post(POST_PATH).respond(json=envelope(HASHES[0]))
    route = router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(side_effect=file)
    async with respx_client(router, vtime, rerequests=0) as client, vtime.running():
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(client.reports.voice_cdr_day, date=DAYS[2]))
            await started.wait()
            tg.cancel_scope.cancel()  # the only caller gives up mid-download
        gate.set()
        await vtime.sleep(1)
        rows = await client.reports.voice_cdr_day(date=DAYS[2])  # the caller comes back
    assert len(rows) == 3
    assert route.call_count == 2  # the file was fetched once, never lost


async def test_defect13_callback_hints_are_coalesced_per_hash(router, vtime):
    """Defect 13: 50 callbacks for one pending hash cost a few checks, not 50 GETs."""
    receiver = CallbackReceiver("tok-" + "h" * 20)
    router.post(POST_PATH).respond(json=envelope(HASHES[0]))
    route = router.get(f"files/{ACCOUNT}/{HASHES[0]}").respond(204)
    options = {"callback_url": "https://example.com/cb", "callback_receiver": receiver}
    body = {"payload": json.dumps({"app": "reports", "id": HASHES[0], "data": None})}
    transport = httpx.ASGITransport(receiver)
    async with (
        respx_client(router, vtime, **options) as client,
        vtime.running(),
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(partial(client.reports.voice_cdr_day, date=DAYS[2]))
        await vtime.sleep(1)
        before = route.call_count
        async with httpx.AsyncClient(transport=transport, base_url="http://cb") as http:
            for _ in range(50):
                await http.post(f"/{receiver.token}", data=body)
                await vtime.sleep(0.01)
        await vtime.sleep(0.5)
        checks = route.call_count - before
        tg.cancel_scope.cancel()
    assert receiver.accepted == 50
    assert checks <= 2


async def test_defect13_refused_callbacks_do_not_flood_the_log(caplog):
    """Defect 13: 200 refused requests log one WARNING (then DEBUG until the interval passes)."""
    now = [0.0]
    receiver = CallbackReceiver("tok-" + "r" * 20, log_interval=60, clock=lambda: now[0])
    transport = httpx.ASGITransport(receiver)
    caplog.set_level(logging.DEBUG, logger="simwood_async")
    async with httpx.AsyncClient(transport=transport, base_url="http://cb") as http:
        for _ in range(200):
            await http.post("/wrong-token-xxxxxxxxxxxx", data={"payload": "{}"})
        now[0] = 61.0
        await http.post("/wrong-token-xxxxxxxxxxxx", data={"payload": "{}"})
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert receiver.refused == 201
    assert len(warnings) == 2
    assert "199 more refused" in warnings[1].getMessage()


@pytest.mark.parametrize("status", [429, 503], ids=["429", "503"])
async def test_defect14_retry_after_on_a_file_check_is_honoured(router, vtime, status):
    """Defect 14: a check answered with Retry-After is not repeated before that time."""
    seen: list[float] = []

    def file(request: httpx.Request) -> httpx.Response:
        """Answer the file's checks in turn."""
        seen.append(vtime.clock())
        if len(seen) == 1:
            return httpx.Response(status, headers={"Retry-After": "30"})
        return httpx.Response(200, json=wire_rows())

    router.post(POST_PATH).respond(json=envelope(HASHES[0]))
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(side_effect=file)
    async with respx_client(router, vtime) as client, vtime.running():
        rows = await client.reports.voice_cdr_day(date=DAYS[2])
    assert len(rows) == 3
    assert seen[1] - seen[0] >= 30 - 1e-9  # float: (t + 30) - t
