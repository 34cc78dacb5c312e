"""The base every API area builds on: decoding helpers over the transport and converter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

from cattrs import BaseValidationError, transform_error
from cattrs.v import format_exception

from simwood_async.exceptions import DecodeError

if TYPE_CHECKING:
    from cattrs import Converter

    from simwood_async._transport import ApiResponse, Transport

__all__ = ["Area", "describe_structure_error", "single", "unwrap"]

T = TypeVar("T")

_FROM_RESPONSE: Final[Any] = object()
#: At most this many structuring problems are listed in a DecodeError's message.
_MAX_PROBLEMS: Final = 5


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

    def _decode(self, response: ApiResponse, cls: type[T], data: Any = _FROM_RESPONSE) -> T:
        """Structure `data` (default: the response's JSON) into `cls`, or raise DecodeError."""
        if data is _FROM_RESPONSE:
            data = response.json()
        try:
            return self._conv.structure(data, cls)
        except Exception as err:  # cattrs raises many types; all mean "unexpected shape"
            raise DecodeError(
                f"unexpected response shape for {getattr(cls, '__name__', cls)}: "
                f"{describe_structure_error(err)}",
                request=response.request,
                status_code=response.status_code,
                body=response.text,
            ) from err


def _format_problem(exc: BaseException, target: type | None) -> str:
    # Our hooks raise ValueError/TypeError with messages that name the value; keep them.
    if isinstance(exc, (ValueError, TypeError)) and str(exc):
        return str(exc)
    return format_exception(exc, target)


def describe_structure_error(err: Exception) -> str:
    """A one-line description of a structuring failure, with where it happened if known."""
    if isinstance(err, BaseValidationError):
        problems = transform_error(err, format_exception=_format_problem)
        more = len(problems) - _MAX_PROBLEMS
        text = "; ".join(problems[:_MAX_PROBLEMS])
        return f"{text} (and {more} more)" if more > 0 else text
    return str(err) or type(err).__name__
