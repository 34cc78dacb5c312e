"""`client.numbers.provision`: search, allocate, route, 999, end to end on the sandbox."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from simwood_async import RetryPolicy
from simwood_async.numbers import (
    EmergencyAddress,
    ProvisioningError,
    RoutingConfig,
    pstn,
    sip,
)

ADDRESS = EmergencyAddress(
    name="Acme Ltd", premises="1", thoroughfare="Station Road", locality="Leeds",
    postcode="LS1 4DY",
)  # fmt: skip
ROUTE = sip("%e164@pbx.example.com", timeout=20) >> pstn("447700900123")


class TakenAfterSearch(httpx.AsyncBaseTransport):
    """Forwards to the sandbox; right after each search, another customer takes candidates."""

    def __init__(self, sandbox: Any, taken: int) -> None:
        self._inner = sandbox.transport()
        self._sandbox = sandbox
        self._taken = taken
        self.stolen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request; after a search, take the first `taken` numbers it found."""
        response = await self._inner.handle_async_request(request)
        if request.method == "GET" and "/available/" in request.url.path:
            rows = json.loads(await response.aread())
            for row in rows[: self._taken]:
                e164 = f"{row['country_code']}{row['number']}"
                assert self._sandbox.numbers.take(e164)
                self.stolen.append(e164)
        return response


def _client(sandbox: Any, transport: httpx.AsyncBaseTransport | None = None) -> Any:
    """A strict, non-retrying client on the sandbox (optionally through `transport`)."""
    extra = {} if transport is None else {"transport": transport}
    return sandbox.client(strict=True, retry=RetryPolicy(attempts=1), **extra)


async def test_provision_end_to_end(sandbox):
    """One call allocates a number, routes it and registers its 999 details."""
    async with _client(sandbox) as api:
        done = await api.numbers.provision(ROUTE, emergency=ADDRESS, pattern="1134*")
        assert [s.action for s in done.steps] == ["search", "allocate", "configure", "emergency"]
        assert all(s.ok for s in done.steps)
        assert done.e164.startswith("441134")
        assert (await api.numbers.get(done.e164)).basic.number == done.candidate.number
        assert await api.numbers.config(done.e164) == RoutingConfig.to(ROUTE)
        stored = await api.numbers.emergency_address(done.e164)
        assert stored is not None
        assert stored.name == "Acme Ltd"


async def test_a_candidate_taken_meanwhile_is_skipped_for_the_next(sandbox):
    """The first search result is taken before we allocate it: the second one is provisioned."""
    race = TakenAfterSearch(sandbox, taken=1)
    async with _client(sandbox, race) as api:
        done = await api.numbers.provision(ROUTE, pattern="2079*", tier="all")
    assert [(s.action, s.ok) for s in done.steps] == [
        ("search", True), ("allocate", False), ("allocate", True), ("configure", True),
    ]  # fmt: skip
    assert done.steps[1].number == race.stolen[0]
    assert "taken meanwhile" in done.steps[1].detail
    assert done.e164 != race.stolen[0]
    assert done.e164 in sandbox.numbers.allocated
    assert race.stolen[0] not in sandbox.numbers.allocated


async def test_gives_up_after_the_attempts_bound(sandbox):
    """When every candidate within `attempts` is taken, nothing is allocated and steps say so."""
    race = TakenAfterSearch(sandbox, taken=2)
    before = set(sandbox.numbers.allocated)
    async with _client(sandbox, race) as api:
        with pytest.raises(ProvisioningError, match="all 2 candidate") as caught:
            await api.numbers.provision(ROUTE, attempts=2)
    assert caught.value.number is None
    assert [s.action for s in caught.value.steps] == ["search", "allocate", "allocate"]
    assert set(sandbox.numbers.allocated) == before


async def test_a_failure_after_allocation_reports_what_was_done(sandbox):
    """If routing fails the number stays allocated, and the error says which and why."""
    sandbox.faults.add("error", route="/v3/numbers/{account}/allocated/{number}/config", status=503)
    async with _client(sandbox) as api:
        with pytest.raises(
            ProvisioningError, match="was allocated but the configure step"
        ) as caught:
            await api.numbers.provision(ROUTE, emergency=ADDRESS)
    error = caught.value
    assert error.number in sandbox.numbers.allocated
    assert [(s.action, s.ok) for s in error.steps] == [
        ("search", True), ("allocate", True), ("configure", False),
    ]  # fmt: skip
    assert error.number not in sandbox.numbers.emergency  # stopped before the 999 step


async def test_no_candidate(sandbox):
    """A search with no result stops before any allocation."""
    async with _client(sandbox) as api:
        with pytest.raises(ProvisioningError, match="no available number"):
            await api.numbers.provision(ROUTE, pattern="999*")
