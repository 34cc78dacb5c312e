"""Every response model, fed malformed payloads, gives its value or a `SimwoodError`; nothing else.

Each API call below is answered (through respx) with a drawn status, content type and body:
mutated documented examples, arbitrary JSON, HTML error pages, truncated JSON, bytes that are
not UTF-8. Whatever comes back, the call returns or raises a `SimwoodError` subclass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings

from simwood_async import SimwoodClient, SimwoodError
from tests.conftest import BASE_URL
from tests.fuzz.clients import fuzz_client
from tests.fuzz.strategies import bodies, content_types, statuses
from tests.leaks import assert_clean

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

# Hypothesis wraps the coroutine, so the conftest's collection hook cannot see it: mark here.
pytestmark = pytest.mark.anyio
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: One call per response model (read and write operations), with valid arguments.
CALLS: dict[str, Callable[[SimwoodClient], Awaitable[Any]]] = {
    "accounts.account_type": lambda c: c.accounts.account_type(),
    "accounts.invoices": lambda c: c.accounts.invoices(),
    "accounts.invoice_pdf": lambda c: c.accounts.invoice_pdf("123456"),
    "accounts.prepay_balance": lambda c: c.accounts.prepay_balance(),
    "accounts.balance_alert": lambda c: c.accounts.balance_alert(),
    "accounts.set_balance_alert": lambda c: c.accounts.set_balance_alert("10.00"),
    "accounts.locked_balance": lambda c: c.accounts.locked_balance(),
    "accounts.lock_balance": lambda c: c.accounts.lock_balance("5"),
    "accounts.unlock_balance": lambda c: c.accounts.unlock_balance(),
    "accounts.prepayments": lambda c: c.accounts.prepayments(),
    "accounts.transfers": lambda c: c.accounts.transfers(latest=10),
    "rates.tariffs": lambda c: c.rates.tariffs(),
    "rates.ratecard": lambda c: c.rates.ratecard(),
    "rates.destination": lambda c: c.rates.destination("447700900123"),
    "voice.limits": lambda c: c.voice.limits(),
    "voice.set_limits": lambda c: c.voice.set_limits(inbound=5, outbound=5),
    "voice.channels": lambda c: c.voice.channels(),
    "voice.channel_history": lambda c: c.voice.channel_history(),
    "voice.calls_in_progress": lambda c: c.voice.calls_in_progress(),
    "voice.call": lambda c: c.voice.call("abc123"),
    "voice.hang_up": lambda c: c.voice.hang_up("abc123"),
    "tools.myip": lambda c: c.tools.myip(),
    "tools.time": lambda c: c.tools.time(),
    "tools.explain": lambda c: c.tools.explain(),
    "reports.files": lambda c: c.reports.files(),
    "cdrs.page": lambda c: c.cdrs.page("2026-03-14"),
}


async def answer_and_call(
    name: str, status: int, content_type: str, body: bytes
) -> BaseException | None:
    """Answer every request with the drawn response, make the call; what it raised."""
    router = respx.Router(base_url=BASE_URL, assert_all_called=False)
    headers = {"content-type": content_type} if content_type else {}
    router.route().mock(return_value=httpx.Response(status, headers=headers, content=body))
    async with fuzz_client(router) as client:
        try:
            await CALLS[name](client)
        except SimwoodError as err:
            assert_clean(err, f"the error of {name}")
            return err
    return None


@pytest.mark.parametrize("name", sorted(CALLS))
@FUZZ
@given(status=statuses, content_type=content_types, body=bodies())
async def test_malformed_responses_raise_only_simwood_errors(name, status, content_type, body):
    """Any status, content type and body: the call returns or raises a SimwoodError."""
    await answer_and_call(name, status, content_type, body)


@pytest.mark.parametrize("name", sorted(CALLS))
@FUZZ
@given(body=bodies())
async def test_malformed_success_bodies_are_decode_errors_or_values(name, body):
    """A 200 with a malformed JSON body is a value or a ResponseError (never a crash)."""
    err = await answer_and_call(name, 200, "application/json", body)
    assert err is None or isinstance(err, SimwoodError)
