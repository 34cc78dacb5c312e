"""Shared fixtures: every async test runs on asyncio and on trio.

Transport-facing tests also run on the fast transport. A test gets a third `anyio_backend`
variant, `asyncio-fast`, when it is marked `@pytest.mark.fast_transport` (or its module sets
`pytestmark = pytest.mark.fast_transport`) or when it uses one of `FAST_TRANSPORT_FIXTURES`
(fixtures that talk to a real loopback server). In that variant every `SimwoodClient` built
without `fast=` (this conftest's, the sandbox's, a test's own) uses the fast transport, via
`simwood_async._fast.set_default_fast(True)`. Tests whose client injects its own transport
(respx's `MockTransport`, the sandbox's in-process `ASGITransport`) gain nothing from the
variant, so they are not given it.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from simwood_async import RetryPolicy, SimwoodClient
from simwood_async._fast import set_default_fast

# The credentials are distinctive, so a leak is easy to find (tests/leaks.py searches for them).
from tests.leaks import (
    PASSWORD,
    USERNAME,
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_warning_recorded,
)

ACCOUNT = "930000"
BASE_URL = "https://api.simwood.com/v3/"
EXAMPLES = json.loads((Path(__file__).parent / "data" / "examples.json").read_text())


#: Backend variants: anyio backend name and options, and whether clients use `fast=True`.
BACKENDS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "asyncio": ("asyncio", {}, False),
    "trio": ("trio", {}, False),
    "asyncio-fast": ("asyncio", {}, True),
}
#: Fixtures that open real loopback connections: tests using them also run on asyncio-fast.
FAST_TRANSPORT_FIXTURES = frozenset({"api", "loopback_server"})


@pytest.fixture(params=[pytest.param("asyncio", id="asyncio"), pytest.param("trio", id="trio")])
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    """Run each async test on both backends; trio is a test dependency, never skipped."""
    name, options, fast = BACKENDS[request.param]
    set_default_fast(True if fast else None)
    yield name, options
    set_default_fast(None)


def pytest_configure(config: pytest.Config) -> None:
    """Register the `fast_transport` marker."""
    config.addinivalue_line(
        "markers", "fast_transport: also run this test on asyncio with the fast transport"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give transport-facing tests the `asyncio-fast` variant of `anyio_backend`."""
    if "anyio_backend" not in metafunc.fixturenames:
        return
    marked = metafunc.definition.get_closest_marker("fast_transport") is not None
    if marked or not FAST_TRANSPORT_FIXTURES.isdisjoint(metafunc.fixturenames):
        # A parametrize mark (not a direct call) so the fixture's own params step aside.
        metafunc.definition.add_marker(
            pytest.mark.parametrize(
                "anyio_backend", list(BACKENDS), indirect=True, ids=list(BACKENDS)
            )
        )


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


__all__ = ["pytest_runtest_call", "pytest_runtest_makereport", "pytest_warning_recorded"]
