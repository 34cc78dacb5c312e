"""Exact request sequences against a respx router (virtual time, no sandbox)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import anyio
import httpx
import pytest

from simwood_async import ReportDownloadError
from simwood_async.cdrs import VoiceCdr
from simwood_async.reports import CallbackReceiver, ReportRequest
from tests.conftest import ACCOUNT
from tests.reports.conftest import START, VirtualTime, make_sandbox, respx_client

if TYPE_CHECKING:
    import respx

DAY = "2026-03-14"
POST_PATH = f"accounts/{ACCOUNT}/reports/voice/cdr/day"
HASHES = ["a" * 32, "b" * 32, "c" * 32]


def wire_rows() -> list[dict[str, object]]:
    """A few real voice CDR wire rows (from the sandbox's generator)."""
    rows = list(make_sandbox().voice_cdrs(START.date()))
    return rows[:3]


def envelope(report_hash: str) -> dict[str, object]:
    """The documented report envelope for a hash."""
    return {
        "mode": "vcdrd",
        "date": DAY,
        "type": "voice_cdr",
        "account": ACCOUNT,
        "format": "json",
        "hash": report_hash,
        "link": f"/v3/files/{ACCOUNT}/{report_hash}",
    }


class BrokenStream(httpx.AsyncByteStream):
    """A body that sends a few bytes and then loses the connection."""

    async def __aiter__(self):
        """Yield part of a JSON array, then fail."""
        yield b'[{"reference": "'
        raise httpx.ReadError("connection lost mid-body")


def sequence(router: respx.Router) -> list[str]:
    """The requests the router saw, as 'METHOD path' (hashes shortened to their letter)."""
    seen = []
    for call in router.calls:
        path = call.request.url.path.removeprefix("/v3/")
        for h in HASHES:
            path = path.replace(h, h[0])
        seen.append(f"{call.request.method} {path}")
    return seen


@pytest.fixture
def vtime() -> VirtualTime:
    """Virtual time on a plain number."""
    return VirtualTime()


def posts(router: respx.Router, *hashes: str) -> respx.Route:
    """The report POST answers with these hashes in turn."""
    answers = [httpx.Response(200, json=envelope(h)) for h in hashes]
    return router.post(POST_PATH).mock(side_effect=answers)


async def test_post_then_204_then_200(router, vtime):
    """A report is one POST with the date, checks answered 204, then one 200 with the rows."""
    posts(router, HASHES[0])
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(
        side_effect=[
            httpx.Response(204),
            httpx.Response(204),
            httpx.Response(200, json=wire_rows()),
        ]
    )
    async with respx_client(router, vtime) as client, vtime.running():
        rows = await client.reports.voice_cdr_day(date=DAY)
    assert [row.reference for row in rows] == [r["reference"] for r in wire_rows()]
    assert all(isinstance(row, VoiceCdr) for row in rows)
    assert sequence(router) == [f"POST {POST_PATH}"] + [f"GET files/{ACCOUNT}/a"] * 3
    form = parse_qs(router.calls[0].request.content.decode())
    assert form == {"date": [DAY]}


@pytest.mark.parametrize(
    "broken",
    [
        httpx.Response(200, stream=BrokenStream()),
        httpx.Response(404, json={"success": False, "errors": ["not found"]}),
        httpx.Response(200, json=[{"reference": "x", "secs_call": "many"}]),
        httpx.Response(200, json={"success": True}),
        httpx.Response(200, text="<html>oops</html>"),
    ],
    ids=["stream-breaks", "404-gone", "row-misfit", "not-an-array", "html"],
)
async def test_a_lost_download_is_never_retried_but_requested_afresh(router, vtime, broken):
    """A broken, gone or undecodable file is not fetched again: the report is requested anew."""
    posts(router, HASHES[0], HASHES[1])
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(side_effect=[broken])
    router.get(f"files/{ACCOUNT}/{HASHES[1]}").mock(
        side_effect=[httpx.Response(200, json=wire_rows())]
    )
    async with respx_client(router, vtime) as client, vtime.running():
        rows = await client.reports.voice_cdr_day(date=DAY)
    assert len(rows) == 3
    assert sequence(router) == [
        f"POST {POST_PATH}",
        f"GET files/{ACCOUNT}/a",
        f"POST {POST_PATH}",
        f"GET files/{ACCOUNT}/b",
    ]
    assert client.reports.stats.re_requests == 1


async def test_posts_are_retried_downloads_are_not(router, vtime):
    """A 503 on the POST is retried (the API de-duplicates); a download that broke is not."""
    router.post(POST_PATH).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json=envelope(HASHES[0])),
            httpx.Response(200, json=envelope(HASHES[0])),
        ]
    )
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(
        side_effect=[
            httpx.Response(200, stream=BrokenStream()),
            httpx.Response(200, json=wire_rows()),
        ]
    )
    async with respx_client(router, vtime) as client, vtime.running():
        rows = await client.reports.voice_cdr_day(date=DAY)
    assert rows
    assert sequence(router) == [
        f"POST {POST_PATH}",
        f"POST {POST_PATH}",
        f"GET files/{ACCOUNT}/a",
        f"POST {POST_PATH}",
        f"GET files/{ACCOUNT}/a",
    ]


async def test_every_download_breaking_ends_in_download_error(router, vtime):
    """With the re-request budget spent, the caller gets ReportDownloadError and the history."""
    posts(router, *HASHES)
    for h in HASHES:
        router.get(f"files/{ACCOUNT}/{h}").mock(
            side_effect=[httpx.Response(200, stream=BrokenStream())]
        )
    async with respx_client(router, vtime, rerequests=2) as client, vtime.running():
        with pytest.raises(ReportDownloadError) as caught:
            await client.reports.voice_cdr_day(date=DAY)
    assert caught.value.report_hash == HASHES[2]
    assert str(caught.value).count("broke") == 3
    assert len(router.calls) == 6


async def test_the_callback_url_carries_the_receiver_token(router, vtime):
    """With a receiver, every report request carries `callback=<url>/<token>`."""
    receiver = CallbackReceiver("tok-" + "z" * 20)
    posts(router, HASHES[0])
    router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(
        side_effect=[httpx.Response(200, json=wire_rows())]
    )
    options = {"callback_url": "https://example.com/cb/", "callback_receiver": receiver}
    async with respx_client(router, vtime, **options) as client, vtime.running():
        await client.reports.voice_cdr_day(date=DAY)
        assert client.reports.callback_url == f"https://example.com/cb/{receiver.token}"
    form = parse_qs(router.calls[0].request.content.decode())
    assert form == {"date": [DAY], "callback": [f"https://example.com/cb/{receiver.token}"]}


async def test_submit_sends_only_the_post(router, vtime):
    """`submit()` returns a ticket after the POST alone; the file is fetched on demand."""
    posts(router, HASHES[0])
    route = router.get(f"files/{ACCOUNT}/{HASHES[0]}").mock(
        side_effect=[httpx.Response(200, json=wire_rows())]
    )
    async with respx_client(router, vtime) as client, vtime.running():
        ticket = await client.reports.submit(ReportRequest.voice_cdr_day(date=DAY))
        await vtime.sleep(60)
        assert route.call_count == 0
        rows = await client.reports.wait(ticket)
    assert ticket.report_hash == HASHES[0]
    assert len(rows) == 3
    assert route.call_count == 1


async def test_pending_reports_share_listings(router, vtime):
    """Several pending reports are checked by listings; each file is fetched once, when listed."""
    counter = itertools.count()
    router.post(POST_PATH).mock(
        side_effect=lambda _request: httpx.Response(200, json=envelope(HASHES[next(counter)]))
    )
    listing_answers = iter([{}, {}, {h: {"name": h} for h in HASHES}])
    router.get(f"files/{ACCOUNT}").mock(
        side_effect=lambda _request: httpx.Response(200, json=next(listing_answers, {}))
    )
    for h in HASHES:
        router.get(f"files/{ACCOUNT}/{h}").mock(
            side_effect=[httpx.Response(204), httpx.Response(200, json=wire_rows())]
        )
    days = ["2026-03-12", "2026-03-13", "2026-03-14"]
    async with respx_client(router, vtime) as client, vtime.running():
        tickets = [await client.reports.submit(ReportRequest.voice_cdr_day(date=d)) for d in days]
        async with anyio.create_task_group() as tg:
            for ticket in tickets:
                tg.start_soon(ticket.result)
    seen = sequence(router)
    probes = sorted(f"GET files/{ACCOUNT}/{h[0]}" for h in HASHES)
    # Three POSTs; each ticket's first look is a direct check (a known hash may be ready or
    # gone); then only listings until all three are listed; then one download each.
    assert seen[:3] == [f"POST {POST_PATH}"] * 3
    assert sorted(seen[3:6]) == probes
    assert seen[6:9] == [f"GET files/{ACCOUNT}"] * 3
    assert sorted(seen[9:]) == probes
    assert client.reports.stats.listings == 3
    assert client.reports.stats.downloads == 3
