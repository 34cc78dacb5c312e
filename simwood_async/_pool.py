"""What a transport and every `with_options` view of it share: the pool, the caps, the caches."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import attrs
import httpx

from simwood_async._build import UrlCache
from simwood_async._limits import RequestLimiter, SharedSlot, Slot, slot

if TYPE_CHECKING:
    # attrs never resolves `SharedPool`'s annotations, so this import stays type-only.
    from simwood_async._fast import DirectSender  # noqa: TC004

__all__ = ["SharedPool"]


@attrs.define
class SharedPool:
    """State shared by a transport and every `with_options` copy of it."""

    http: httpx.AsyncClient
    owns_http: bool
    max_concurrency: int
    limiter: anyio.CapacityLimiter | None = None
    url: UrlCache = attrs.field(factory=UrlCache)
    # The fast transport's direct path to aiohttp (`_fast.py`), for a client we own.
    direct: DirectSender | None = None
    shared_limiter: RequestLimiter | None = None  # e.g. a fleet's cap, in Redis

    def slot(self) -> Slot | SharedSlot:
        """One request's slot of the limiter, and of the shared one if any."""
        return slot(self.get_limiter(), self.shared_limiter)

    def get_limiter(self) -> anyio.CapacityLimiter:
        # Created lazily: a CapacityLimiter needs a running event loop.
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(self.max_concurrency)
        return self.limiter
