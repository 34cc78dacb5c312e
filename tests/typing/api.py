"""Type-checked usage of the public API (run through `mypy --strict`, never executed)."""

from __future__ import annotations

from decimal import Decimal

from simwood_async import RetryPolicy, SimwoodClient
from simwood_async.accounts import Balance


async def balance() -> Decimal:
    """The documented quick start type-checks and returns Decimal money."""
    async with SimwoodClient("930000", retry=RetryPolicy(attempts=2)) as client:
        result: Balance = await client.with_options(deadline=5.0).accounts.prepay_balance()
        return result.balance
