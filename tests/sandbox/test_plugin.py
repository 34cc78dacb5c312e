"""The pytest plugin's fixtures, as users see them."""

from __future__ import annotations

import pytest

from simwood_async import SimwoodClient
from simwood_async.sandbox import ManualClock, Sandbox


async def test_simwood_client_fixture_talks_to_the_sandbox(simwood_client, simwood_sandbox):
    """`simwood_client` is a SimwoodClient wired to `simwood_sandbox` with its credentials."""
    assert isinstance(simwood_client, SimwoodClient)
    assert simwood_client.account == simwood_sandbox.account
    balance = await simwood_client.accounts.prepay_balance()
    assert balance.currency == "GBP"
    assert simwood_sandbox.stats.total == 1


async def test_simwood_sandbox_defaults_to_a_manual_clock(simwood_sandbox):
    """The fixture's sandbox uses a manual clock and seed 0."""
    assert isinstance(simwood_sandbox.clock, ManualClock)
    assert simwood_sandbox.seed == 0
    before = simwood_sandbox.now()
    await simwood_sandbox.advance(5)
    assert (simwood_sandbox.now() - before).total_seconds() == 5


@pytest.mark.simwood_sandbox(seed=9, account="123456", cdr_rows_per_day=10)
def test_marker_configures_the_sandbox(simwood_sandbox):
    """The `simwood_sandbox` marker passes its keyword arguments to the Sandbox."""
    assert isinstance(simwood_sandbox, Sandbox)
    assert (simwood_sandbox.seed, simwood_sandbox.account) == (9, "123456")
    assert simwood_sandbox._core.cdrs.rows_per_day == 10


def test_plugin_is_registered_through_the_entry_point(pytestconfig):
    """The plugin is loaded from the `pytest11` entry point."""
    assert pytestconfig.pluginmanager.has_plugin("simwood_async")
