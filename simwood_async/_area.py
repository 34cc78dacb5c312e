"""The base every API area builds on: decoding helpers over the transport and converter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from simwood_async.exceptions import DecodeError

if TYPE_CHECKING:
    from cattrs import Converter

    from simwood_async._transport import ApiResponse, Transport

__all__ = ["Area", "single", "unwrap"]

T = TypeVar("T")


def unwrap(data: Any) -> Any:
    """The payload of a `{"success": true, "data": ...}` envelope, or `data` itself."""
    if isinstance(data, dict) and "success" in data and "data" in data:
        return data["data"]
    return data


def single(data: Any) -> Any:
    """One object from a response the docs show both as `[{...}]` and as `{...}`."""
    data = unwrap(data)
    if isinstance(data, list) and len(data) == 1:
        return data[0]
    return data


class Area:
    """An API area: receives the transport (never the client) and the converter."""

    __slots__ = ("_conv", "_t")

    def __init__(self, transport: Transport, converter: Converter) -> None:
        self._t = transport
        self._conv = converter

    def _decode(self, response: ApiResponse, cls: type[T], data: Any = None) -> T:
        """Structure `data` (default: the response's JSON) into `cls`, or raise DecodeError."""
        if data is None:
            data = response.json()
        try:
            return self._conv.structure(data, cls)
        except Exception as err:  # cattrs raises many types; all mean "unexpected shape"
            raise DecodeError(
                f"unexpected response shape for {getattr(cls, '__name__', cls)}: {err}",
                request=response.request,
                status_code=response.status_code,
                body=response.text,
            ) from err
