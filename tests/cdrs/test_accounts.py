"""Many accounts in one run: own credentials, one global limit, one file and checkpoint each."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import anyio
import httpx
import pytest

from simwood_async import InvalidInputError, PullFailedError, RetryPolicy, ServerError
from simwood_async.cdrs import AccountPull, MultiPullProgress, pull_accounts, row_identity
from simwood_async.cdrs._checkpoint import checkpoint_path, complete_path
from simwood_async.sandbox import ManualClock, Sandbox

GMT = dt.timezone.utc
START = dt.datetime(2026, 11, 20, 15, 30, 0, tzinfo=GMT)
DAYS = [START.date() - dt.timedelta(days=d) for d in range(6, 0, -1)]


class Counted(httpx.AsyncBaseTransport):
    """A sandbox transport that counts requests in flight (shared counter) and can fail."""

    def __init__(self, sandbox: Sandbox, flight: dict[str, int]) -> None:
        self._inner = sandbox.transport()
        self._flight = flight
        self.fail_from: str | None = None  # 503 for windows starting at or after this

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count, yield a few times (so requests overlap), maybe fail, forward."""
        self._flight["now"] += 1
        self._flight["peak"] = max(self._flight["peak"], self._flight["now"])
        try:
            for _ in range(3):
                await anyio.lowlevel.checkpoint()
            start = request.url.params.get("date_start", "")
            if self.fail_from is not None and start >= self.fail_from:
                return httpx.Response(503, json={"success": False, "errors": ["down"]})
            return await self._inner.handle_async_request(request)
        finally:
            self._flight["now"] -= 1


def truth(sandbox: Sandbox) -> list[str]:
    """Identities of every row of the pulled days in a sandbox."""
    return [row_identity(r) for day in DAYS for r in sandbox.voice_cdrs(day)]


def written(path: Any) -> list[str]:
    """Identities of the rows of a JSON Lines file."""
    return [row_identity(json.loads(line)) for line in path.read_bytes().splitlines()]


async def test_two_accounts_one_fails_half_way_and_resumes(tmp_path):
    """Both accounts are pulled under one limit; the failed one resumes; rows exactly once."""
    alice = Sandbox(
        seed=1, account="930001", username="alice", password="pw-a", clock=ManualClock(START)
    )
    bob = Sandbox(
        seed=2, account="930002", username="bob", password="pw-b", clock=ManualClock(START)
    )
    flight = {"now": 0, "peak": 0}
    transports = {"alice": Counted(alice, flight), "bob": Counted(bob, flight)}
    transports["bob"].fail_from = f"{DAYS[3]} 00:00:00"
    files = {name: tmp_path / f"{name}.jsonl" for name in transports}
    seen: list[MultiPullProgress] = []
    retry = RetryPolicy(attempts=1)
    async with (
        alice.client(transport=transports["alice"], retry=retry) as a,
        bob.client(transport=transports["bob"], retry=retry) as b,
    ):
        assert (a.account, b.account) == ("930001", "930002")
        pulls = [
            AccountPull(client=a, file=files["alice"], name="alice"),
            AccountPull(client=b, file=files["bob"], name="bob"),
        ]
        first = await pull_accounts(
            pulls, DAYS[0], DAYS[-1], now=alice.now, concurrency=3, page_size=50,
            on_progress=seen.append,
        )  # fmt: skip
        assert isinstance(first["bob"], ServerError)
        assert not isinstance(first["alice"], Exception)
        assert checkpoint_path(files["bob"]).exists()
        assert not checkpoint_path(files["alice"]).exists()
        transports["bob"].fail_from = None
        second = await pull_accounts(
            pulls, DAYS[0], DAYS[-1], now=alice.now, concurrency=3, page_size=50
        )
    assert flight["peak"] == 3  # one global limit, reached across both accounts
    result = second["bob"]
    assert not isinstance(result, Exception)
    assert 1 <= result.windows_resumed <= 3  # the days before the failure are kept
    for name, sandbox in (("alice", alice), ("bob", bob)):
        rows = written(files[name])
        assert len(rows) == len(set(rows)) == len(truth(sandbox))
        assert set(rows) == set(truth(sandbox))
        assert not checkpoint_path(files[name]).exists()
    assert set(truth(alice)).isdisjoint(truth(bob))
    last = seen[-1]
    assert set(last.accounts) == {"alice", "bob"}
    assert last.rows == sum(p.rows for p in last.accounts.values()) > 0


@pytest.mark.parametrize(
    "case", ["none", "same-name", "same-file", "format", "concurrency"], ids=str
)
async def test_bad_account_lists_are_refused_before_any_request(tmp_path, case):
    """No accounts, repeated names or files, or bad options raise InvalidInputError at once."""
    sandbox = Sandbox(seed=1, clock=ManualClock(START))
    async with sandbox.client() as client:
        one = AccountPull(client=client, file=tmp_path / "a.jsonl")
        pulls = {
            "none": [],
            "same-name": [one, AccountPull(client=client, file=tmp_path / "b.jsonl")],
            "same-file": [one, AccountPull(client=client, file=tmp_path / "a.jsonl", name="x")],
        }.get(case, [one])
        options: dict[str, Any] = {"format": "xml"} if case == "format" else {}
        if case == "concurrency":
            options["concurrency"] = 0
        with pytest.raises(InvalidInputError):
            await pull_accounts(pulls, DAYS[0], DAYS[-1], now=sandbox.now, **options)
    assert sandbox.stats.total == 0


def _pair(tmp_path: Any) -> tuple[dict[str, Sandbox], dict[str, Counted], dict[str, Any]]:
    """Two accounts' sandboxes, their counted transports and their output files."""
    boxes = {
        "alice": Sandbox(
            seed=1, account="930001", username="alice", password="pw-a", clock=ManualClock(START)
        ),
        "bob": Sandbox(
            seed=2, account="930002", username="bob", password="pw-b", clock=ManualClock(START)
        ),
    }
    flight = {"now": 0, "peak": 0}
    links = {name: Counted(box, flight) for name, box in boxes.items()}
    return boxes, links, {name: tmp_path / f"{name}.jsonl" for name in boxes}


async def test_a_file_error_fails_that_account_alone(tmp_path):
    """An OSError on one account's file is its typed result; the other account completes."""
    boxes, links, files = _pair(tmp_path)
    files["alice"].mkdir()  # the finished pull cannot replace a directory: an OSError
    (files["alice"] / "keep").write_text("")
    retry = RetryPolicy(attempts=1)
    async with (
        boxes["alice"].client(transport=links["alice"], retry=retry) as a,
        boxes["bob"].client(transport=links["bob"], retry=retry) as b,
    ):
        pulls = [
            AccountPull(client=a, file=files["alice"], name="alice"),
            AccountPull(client=b, file=files["bob"], name="bob"),
        ]
        results = await pull_accounts(pulls, DAYS[0], DAYS[-1], now=lambda: START)
    failed = results["alice"]
    assert isinstance(failed, PullFailedError)
    assert isinstance(failed.__cause__, OSError)
    assert str(failed).startswith(f"{type(failed.__cause__).__name__}: ")
    assert checkpoint_path(files["alice"]).exists()  # kept for a resume
    done = results["bob"]
    assert not isinstance(done, Exception)
    assert set(written(files["bob"])) == set(truth(boxes["bob"]))
    assert not complete_path(files["alice"]).exists()
    assert complete_path(files["bob"]).exists()  # recorded while alice is unfinished


async def test_cancelling_the_run_is_not_an_account_failure(tmp_path):
    """Cancelling the caller's scope mid-pull cancels every account; it is no result."""
    boxes, links, files = _pair(tmp_path)
    returned: list[Any] = []
    async with (
        boxes["alice"].client(transport=links["alice"]) as a,
        boxes["bob"].client(transport=links["bob"]) as b,
    ):
        pulls = [
            AccountPull(client=a, file=files["alice"], name="alice"),
            AccountPull(client=b, file=files["bob"], name="bob"),
        ]
        with anyio.CancelScope() as scope:

            def on_progress(progress: MultiPullProgress) -> None:
                """Cancel once any page has arrived."""
                if progress.pages:
                    scope.cancel()

            returned.append(
                await pull_accounts(
                    pulls, DAYS[0], DAYS[-1], now=lambda: START, on_progress=on_progress,
                    page_size=50, concurrency=1,
                )
            )  # fmt: skip
    assert scope.cancelled_caught
    assert returned == []
    assert not files["alice"].exists()
    assert not files["bob"].exists()


async def test_an_account_that_fails_at_once_shows_the_days_it_resumed(tmp_path):
    """Each account reports progress when it starts: a resumed one that fails shows 3/6 days."""
    boxes, links, files = _pair(tmp_path)
    links["bob"].fail_from = f"{DAYS[3]} 00:00:00"
    retry = RetryPolicy(attempts=1)
    async with (
        boxes["alice"].client(transport=links["alice"], retry=retry) as a,
        boxes["bob"].client(transport=links["bob"], retry=retry) as b,
    ):
        pulls = [
            AccountPull(client=a, file=files["alice"], name="alice"),
            AccountPull(client=b, file=files["bob"], name="bob"),
        ]
        first = await pull_accounts(pulls, DAYS[0], DAYS[-1], now=lambda: START, concurrency=1)
        assert isinstance(first["bob"], ServerError)
        seen: list[MultiPullProgress] = []
        second = await pull_accounts(
            pulls, DAYS[0], DAYS[-1], now=lambda: START, concurrency=1, on_progress=seen.append
        )
    assert isinstance(second["bob"], ServerError)
    bob = seen[-1].accounts["bob"]
    assert (bob.windows_done, bob.windows_total, bob.rows) == (3, 6, 0)
    alice = seen[-1].accounts["alice"]  # already complete: not pulled again
    assert (alice.windows_done, alice.windows_total, alice.pages) == (6, 6, 0)
    assert not isinstance(second["alice"], Exception)
    assert second["alice"].rows == 0
