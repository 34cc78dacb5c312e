"""Request counts by method, route template and status: `sandbox.stats`."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, NamedTuple

__all__ = ["RequestKey", "Stats"]


class RequestKey(NamedTuple):
    """What a request count is keyed by.

    .. versionadded:: 0.1.0
    """

    method: str
    route: str
    status: int


class Stats:
    """Request counts, readable from Python and over `GET /_sandbox/stats`.

    ```python
    assert sandbox.stats.count(route="/v3/files/{account}/{hash}", status=200) == 1
    ```

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self._counts: Counter[RequestKey] = Counter()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Stats total={self.total}>"

    def record(self, method: str, route: str, status: int) -> None:
        """Count one request."""
        key = RequestKey(method, route, status)
        with self._lock:
            self._counts[key] += 1

    @property
    def counts(self) -> dict[RequestKey, int]:
        """A snapshot of every count."""
        with self._lock:
            return dict(self._counts)

    @property
    def total(self) -> int:
        """Requests counted since the last reset."""
        with self._lock:
            return sum(self._counts.values())

    def count(
        self, *, method: str | None = None, route: str | None = None, status: int | None = None
    ) -> int:
        """Requests matching every given criterion (None matches anything)."""
        return sum(
            n
            for key, n in self.counts.items()
            if (method is None or key.method == method)
            and (route is None or key.route == route)
            and (status is None or key.status == status)
        )

    def reset(self) -> None:
        """Set every count back to zero."""
        with self._lock:
            self._counts.clear()

    def as_json(self) -> dict[str, Any]:
        """The counts as a JSON-ready object (what `GET /_sandbox/stats` returns)."""
        rows = [
            {"method": k.method, "route": k.route, "status": k.status, "count": n}
            for k, n in sorted(self.counts.items())
        ]
        return {"total": sum(r["count"] for r in rows), "requests": rows}
