"""The JSON codec: orjson when installed (the `[fast]` extra), the standard library otherwise."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["BACKEND", "JSONDecodeError", "dumps", "loads"]

orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - exercised on the stdlib-only install
    orjson = None

JSONDecodeError: tuple[type[Exception], ...]


def _default(obj: Any) -> Any:
    # Money is Decimal; the API takes amounts as JSON strings (it sends them that way too).
    if isinstance(obj, Decimal):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


if orjson is not None:
    BACKEND = "orjson"
    JSONDecodeError = (orjson.JSONDecodeError, UnicodeDecodeError)

    def loads(data: bytes | str) -> Any:
        """Decode JSON bytes or text."""
        return orjson.loads(data)

    def dumps(obj: Any) -> bytes:
        """Encode to compact JSON bytes (non-ASCII kept as UTF-8)."""
        return orjson.dumps(obj, default=_default)  # type: ignore[no-any-return]

else:  # pragma: no cover - exercised on the stdlib-only install
    BACKEND = "json"
    JSONDecodeError = (json.JSONDecodeError, UnicodeDecodeError)

    def loads(data: bytes | str) -> Any:
        """Decode JSON bytes or text."""
        return json.loads(data)

    def dumps(obj: Any) -> bytes:
        """Encode to compact JSON bytes (non-ASCII kept as UTF-8)."""
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=_default).encode()
