"""A pytest plugin: fixtures for a Simwood sandbox and a client wired to it.

Installed with the package (a `pytest11` entry point), so in your tests:

```python
async def test_balance(simwood_client):
    balance = await simwood_client.accounts.prepay_balance()
    assert balance.currency == "GBP"
```

Async tests need an async test runner (anyio's pytest plugin, which comes with anyio, or
pytest-asyncio). Configure the sandbox per test with the `simwood_sandbox` marker:

```python
@pytest.mark.simwood_sandbox(seed=7, cdr_rows_per_day=1000, report_delay=5.0)
async def test_cdrs(simwood_sandbox, simwood_client): ...
```

The sandbox uses a `ManualClock` unless the marker passes another `clock`. Then the client
waits in the sandbox's virtual time (`simwood_sandbox.virtual_time`): report polling and
retry backoff pass sandbox time, and pass at once when every task is waiting, so a report
call simply completes, after its `report_delay` of sandbox time, on asyncio and trio alike:

```python
@pytest.mark.simwood_sandbox(report_delay=30.0)
async def test_report(simwood_sandbox, simwood_client):
    started = simwood_sandbox.now()
    rows = await simwood_client.reports.voice_cdr_day(date=yesterday)  # instant
    assert simwood_sandbox.now() - started >= dt.timedelta(seconds=30)
```

To step sandbox time yourself instead, use `simwood_sandbox.client(virtual_time=False)` and
`await simwood_sandbox.advance(seconds)`. The fixtures import the sandbox lazily, so this
plugin loads even without the `[sandbox]` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simwood_async import SimwoodClient
    from simwood_async.sandbox import Sandbox

__all__ = ["simwood_client", "simwood_sandbox"]

_MARKER = "simwood_sandbox"


def pytest_configure(config: pytest.Config) -> None:
    """Register the `simwood_sandbox` marker (so `--strict-markers` accepts it)."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**kwargs): arguments for the Sandbox built by the simwood_sandbox fixture",
    )


@pytest.fixture
def simwood_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """A fresh `Sandbox` on a `ManualClock` (seed 0), configured by the marker if any.

    .. versionadded:: 0.1.0
    """
    try:
        from simwood_async.sandbox import ManualClock, Sandbox  # noqa: PLC0415
    except ImportError as err:  # pragma: no cover - depends on the installed extras
        pytest.skip(f"the simwood-async[sandbox] extra is not installed ({err})")
    options: dict[str, Any] = {"seed": 0}
    marker = request.node.get_closest_marker(_MARKER)
    if marker is not None:
        options.update(marker.kwargs)
    options.setdefault("clock", ManualClock())
    return Sandbox(**options)


@pytest.fixture
async def simwood_client(simwood_sandbox: Sandbox) -> AsyncIterator[SimwoodClient]:
    """A `SimwoodClient` wired in-process to `simwood_sandbox`, closed after the test.

    On a `ManualClock` it waits in the sandbox's virtual time (see `Sandbox.client()`).

    .. versionadded:: 0.1.0
    """
    async with simwood_sandbox.client() as client:
        yield client
