"""The fuzz tests' client: answered by a respx router, one attempt per call, no backoff."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio.lowlevel
import httpx

from simwood_async import RetryPolicy, SimwoodClient
from tests.conftest import ACCOUNT, BASE_URL, PASSWORD, USERNAME

if TYPE_CHECKING:
    import respx


async def no_wait(seconds: float) -> None:
    """A backoff that does not wait (fuzzing needs no real time to pass)."""
    del seconds
    await anyio.lowlevel.checkpoint()


def fuzz_client(router: respx.Router, **options: Any) -> SimwoodClient:
    """A client answered by `router`, one attempt per call; `options` are more client options."""
    return SimwoodClient(
        ACCOUNT,
        username=USERNAME,
        password=PASSWORD,
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
        retry=RetryPolicy(attempts=1, sleep=no_wait),
        env={},
        **options,
    )
