"""A first end-to-end check of the client over a mocked transport."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import example


async def test_prepay_balance_decodes_the_documented_array(client, router):
    """The balance endpoint's documented array form decodes to a Balance with Decimal money."""
    route = router.get("accounts/930000/prepay/balance").respond(
        json=example("GET", "/v3/accounts/{ACCOUNT}/prepay/balance")
    )
    balance = await client.accounts.prepay_balance()
    assert balance.balance == Decimal("12.32")
    assert balance.currency == "GBP"
    assert route.call_count == 1
    assert route.calls.last.request.headers["authorization"].startswith("Basic ")
