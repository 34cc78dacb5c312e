"""The identity of a CDR row: what de-duplicates pages, in every path that reads CDRs.

One rule, used by the typed pulls, the JSON Lines and CSV writers, the page engine and the
checkpointed file pulls alike: the first present (non-empty) of `reference`, `_id`, `cdr_id`,
`call_id`; for a row that carries none of them, a stable hash of the row's canonical JSON
(keys sorted, compact, UTF-8), so the same row always gets the same identity.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["ID_KEYS", "canonical_json", "identity_of", "row_identity"]

#: The keys that name a row, in order of preference.
ID_KEYS: Final = ("reference", "_id", "cdr_id", "call_id")


def canonical_json(row: Mapping[str, Any]) -> bytes:
    """The row's canonical JSON: keys sorted, no spaces, non-ASCII as UTF-8.

    The standard library's encoder, whatever JSON backend is installed, so the hash of a
    row does not depend on the install.
    """
    return json.dumps(
        row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def identity_of(value: object) -> str | None:
    """An id value as the identity string, or None if it does not name the row."""
    if value is None or value == "" or isinstance(value, (bool, dict, list)):
        return None
    return value if isinstance(value, str) else str(value)


def row_identity(row: Mapping[str, Any]) -> str:
    """The identity of a decoded CDR row (a JSON object as a dict).

    Returns:
        The first present of `reference`, `_id`, `cdr_id`, `call_id` (as text), else
        `#` and the BLAKE2b-128 hex digest of `canonical_json(row)`.

    Raises:
        TypeError: The row is not a JSON object.
    """
    if not isinstance(row, Mapping):
        raise TypeError(f"expected a CDR row (a JSON object), got {type(row).__name__}")
    reference = row.get("reference")
    if reference.__class__ is str and reference:
        return reference  # the common case, first
    for key in ID_KEYS:
        found = identity_of(row.get(key))
        if found is not None:
            return found
    return "#" + hashlib.blake2b(canonical_json(row), digest_size=16).hexdigest()
