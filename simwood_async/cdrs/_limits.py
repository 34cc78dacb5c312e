"""The bounds of a CDR pull's numbers, and their check."""

from __future__ import annotations

from typing import Final

from simwood_async.exceptions import InvalidInputError

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "MAX_CONCURRENCY",
    "MAX_PAGE_SIZE",
    "check_int",
]

DEFAULT_PAGE_SIZE: Final = 500
MAX_PAGE_SIZE: Final = 5000
DEFAULT_CONCURRENCY: Final = 8
MAX_CONCURRENCY: Final = 256


def check_int(name: str, value: int, low: int, high: int) -> int:
    """`value` if it is an int (not a bool) from `low` to `high`, else `InvalidInputError`."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:  # type: ignore[redundant-expr]
        raise InvalidInputError(f"{name} must be an int from {low} to {high}; got {value!r}")
    return value
