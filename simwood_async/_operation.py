"""`@operation`: what each public SDK method sends, declared beside the method.

Every public method of an API area names the documented operation(s) it issues, as
`@operation("GET", "/v3/numbers/{ACCOUNT}/ranges")`, with the method and path written exactly as
the documented list spells them (`simwood_async/_coverage/operations.json`, derived from the
API inventory). Those declarations are the single source of the coverage table
(`python -m simwood_async._coverage` writes `docs/coverage.md`) and of `tests/test_coverage.py`,
which fails when a declaration names an operation the docs do not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["OPERATIONS_ATTRIBUTE", "declared_operations", "operation"]

F = TypeVar("F", bound="Callable[..., Any]")

#: Where the declarations are kept on the decorated function.
OPERATIONS_ATTRIBUTE: Final = "__simwood_operations__"


def operation(method: str, path: str) -> Callable[[F], F]:
    """Declare that the decorated method issues `method path` (stack one per operation).

    Args:
        method: The HTTP method as documented (`GET`, `PUT`, ..., or `ANY`).
        path: The documented path template, e.g. `/v3/numbers/{ACCOUNT}/allocated/{NUMBER}`.

    Returns:
        A decorator that records the declaration and returns the function unchanged.
    """

    def declare(func: F) -> F:
        # Decorators apply bottom-up: prepending keeps the order in which they are written.
        earlier: tuple[tuple[str, str], ...] = getattr(func, OPERATIONS_ATTRIBUTE, ())
        setattr(func, OPERATIONS_ATTRIBUTE, ((method, path), *earlier))
        return func

    return declare


def declared_operations(func: object) -> tuple[tuple[str, str], ...]:
    """The `(method, path)` pairs declared on `func` (empty if none)."""
    found: tuple[tuple[str, str], ...] = getattr(func, OPERATIONS_ATTRIBUTE, ())
    return found
