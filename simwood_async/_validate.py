"""Input validation, done before any request is sent."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

from simwood_async.exceptions import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = ["amount", "day", "e164", "one_of", "plain_id"]

T = TypeVar("T")

_E164 = re.compile(r"[1-9][0-9]{6,14}")
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}")


def one_of(name: str, value: T, allowed: Collection[T]) -> T:
    """Check that `value` is one of `allowed` (enumerated path segments are strict)."""
    # `True == 1`: without the type check, `latest=True` would pass as 1 and be sent as "True".
    if value not in allowed or (
        isinstance(value, bool) and not any(isinstance(a, bool) for a in allowed)
    ):
        choices = ", ".join(repr(a) for a in allowed)
        raise InvalidInputError(f"{name} must be one of {choices}; got {value!r}")
    return value


def e164(number: str | int, *, name: str = "number") -> str:
    """A number in E.164 without `+`, e.g. `447700900123`."""
    text = str(number)
    if not _E164.fullmatch(text):
        hint = " (drop the leading '+')" if text.startswith("+") else ""
        raise InvalidInputError(
            f"{name} must be E.164 digits without '+', e.g. '447700900123'{hint}; got {text!r}"
        )
    return text


def plain_id(value: str | int, *, name: str) -> str:
    """An opaque identifier that must fit in one path segment."""
    text = str(value)
    if not _PLAIN_ID.fullmatch(text):
        raise InvalidInputError(f"{name} must be a plain identifier; got {text!r}")
    return text


def amount(value: Decimal | int | str, *, name: str, minimum: Decimal | None = None) -> Decimal:
    """A money amount as Decimal (floats are refused: they cannot hold pence exactly)."""
    if isinstance(value, (float, bool)):
        raise InvalidInputError(f"{name} must be a Decimal, int or str, not {type(value).__name__}")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as err:
        raise InvalidInputError(f"{name} must be an amount; got {value!r}") from err
    if not result.is_finite():
        raise InvalidInputError(f"{name} must be finite; got {value!r}")
    if minimum is not None and result < minimum:
        raise InvalidInputError(f"{name} must be at least {minimum}; got {value!r}")
    return result


def day(value: dt.date | str, *, name: str = "date") -> str:
    """A calendar day as `YYYY-MM-DD`."""
    if isinstance(value, dt.datetime):
        raise InvalidInputError(f"{name} must be a date, not a datetime")
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError) as err:
        raise InvalidInputError(f"{name} must be a date or 'YYYY-MM-DD'; got {value!r}") from err
