"""The tools endpoints (`/v3/tools/...`)."""

from __future__ import annotations

from typing import Any

from simwood_async._area import Area
from simwood_async._operation import operation
from simwood_async._validate import one_of
from simwood_async.tools._models import MyIp, ServerTime

__all__ = ["ToolsApi"]

_EXPLAIN_METHODS = ("GET", "POST", "PUT", "DELETE")


class ToolsApi(Area):
    """`client.tools`: diagnostics that need no credentials.

    .. versionadded:: 0.1.0
    """

    __slots__ = ()

    @operation("GET", "/v3/tools/myip")
    async def myip(self) -> MyIp:
        """The IP address the API sees you connecting from."""
        response = await self._t.request("GET", "tools/myip", retry=True, auth=False)
        return self._decode(response, MyIp)

    @operation("GET", "/v3/tools/time")
    async def time(self) -> ServerTime:
        """The API server's current time."""
        response = await self._t.request("GET", "tools/time", retry=True, auth=False)
        return self._decode(response, ServerTime)

    @operation("ANY", "/v3/tools/explain")
    async def explain(self, method: str = "GET", /, **params: Any) -> str:
        """A human-readable echo of a request, for debugging (its format is not stable).

        Args:
            method: The HTTP method to send (GET, POST, PUT or DELETE).
            **params: Sent as the query string (GET, DELETE) or form fields (POST, PUT).

        Returns:
            The plain-text report.
        """
        method = one_of("method", method.upper(), _EXPLAIN_METHODS)
        query = method in ("GET", "DELETE")
        response = await self._t.request(
            method,
            "tools/explain",
            params=params if query else None,
            data=None if query else params,
            retry=method == "GET",
            auth=False,
        )
        return response.text
