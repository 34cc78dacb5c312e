"""Models of the tools endpoints."""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = ["MyIp", "ServerTime"]


@attrs.frozen(kw_only=True)
class MyIp:
    """The address the API sees requests coming from.

    .. versionadded:: 0.1.0
    """

    ip: str


@attrs.frozen(kw_only=True)
class ServerTime:
    """The API server's clock.

    Attributes:
        timestamp: Unix time in seconds.
        rfc: The same instant as RFC 2822 text.
        api: The API version, where the server sends it.

    .. versionadded:: 0.1.0
    """

    timestamp: int
    rfc: str
    api: str | None = None

    @property
    def datetime(self) -> dt.datetime:
        """The server time as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.timestamp, tz=dt.timezone.utc)
