"""Shared fixtures: every async test runs on asyncio and on trio."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from simwood_async import RetryPolicy, SimwoodClient

ACCOUNT = "930000"
USERNAME = "api-user"
# Distinctive, so a leak is easy to find in any output.
PASSWORD = "pw-Zq8vX3-never-log-me"
BASE_URL = "https://api.simwood.com/v3/"
EXAMPLES = json.loads((Path(__file__).parent / "data" / "examples.json").read_text())


@pytest.fixture(
    params=[
        pytest.param(("asyncio", {}), id="asyncio"),
        pytest.param(("trio", {}), id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    """Run each async test on both backends; trio is a test dependency, never skipped."""
    return request.param


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Mark every coroutine test for anyio's plugin, at collection time.

    Marking later (in `pytest_collection_modifyitems`) makes anyio rebuild each item's
    parameters and lose the test's own `parametrize` values; marking here lets its
    `anyio_backend` parametrization combine with them.
    """
    if inspect.iscoroutinefunction(obj) and name.startswith("test"):
        pytest.mark.anyio(obj)


def example(method: str, path: str, index: int = 0, kind: str = "response") -> Any:
    """The `index`-th documented example payload for an endpoint (from the API docs)."""
    found = [
        e for e in EXAMPLES if e["method"] == method and e["path"] == path and e["kind"] == kind
    ]
    entry = found[index]
    return entry["json"] if entry["json"] is not None else entry["raw"]


class SleepRecorder:
    """A fake clock: `sleep` records waits and advances `now` instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        """Return the fake time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the wait and advance the clock."""
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> SleepRecorder:
    """A fake clock and sleep for retry tests."""
    return SleepRecorder()


@pytest.fixture
def router() -> respx.Router:
    """A respx router for the API's base URL; unmatched requests fail the test."""
    return respx.Router(base_url=BASE_URL, assert_all_called=False)


def make_client(router: respx.Router, fake_time: SleepRecorder, **overrides: Any) -> SimwoodClient:
    """A strict client whose requests go to `router`, with a fake clock and full jitter = 1."""
    options: dict[str, Any] = {
        "username": USERNAME,
        "password": PASSWORD,
        "transport": httpx.MockTransport(router.async_handler),
        "retry": RetryPolicy(jitter=lambda: 1.0, sleep=fake_time.sleep, clock=fake_time.clock),
        "strict": True,
        "env": {},
    }
    options.update(overrides)
    return SimwoodClient(options.pop("account", ACCOUNT), **options)


@pytest.fixture
async def client(router: respx.Router, fake_time: SleepRecorder) -> Any:
    """A strict client whose requests go to `router`, with a fake clock and full jitter = 1."""
    async with make_client(router, fake_time) as c:
        yield c
