"""Hypothesis strategies for hostile payloads: wrong types, missing and extra keys, non-JSON.

`bodies()` draws what a broken or hostile server might send: documented examples and sandbox
rows with keys deleted, added or given values of the wrong type; arbitrary JSON (huge numbers
included); HTML error pages; truncated JSON; bytes that are not UTF-8; empty bodies.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.conftest import EXAMPLES

#: Every documented response payload that is JSON.
DOCUMENTED = [e["json"] for e in EXAMPLES if e["kind"] == "response" and e["json"] is not None]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", "0", "-1", "1e400", "2026-13-45", "NaN", "true", "null", "\u0000"]),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A seed value with a few keys deleted, added or retyped, recursively."""
    value = draw(st.sampled_from(seeds)) if seeds else draw(json_values)
    return _mutate(draw, value, depth=0)


def _mutate(draw: st.DrawFn, value: Any, depth: int) -> Any:
    """`value` with keys dropped, added or retyped (recursively, a few levels deep)."""
    if depth > 4:
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "retype", "recurse"]))
            if action == "drop":
                continue
            if action == "retype":
                out[key] = draw(json_values)
            elif action == "recurse":
                out[key] = _mutate(draw, item, depth + 1)
            else:
                out[key] = item
        if draw(st.booleans()):
            out[draw(st.text(max_size=8))] = draw(json_values)  # an extra key
        return out
    if isinstance(value, list):
        items = [_mutate(draw, item, depth + 1) for item in value[:5]]
        if items and draw(st.booleans()):
            items[draw(st.integers(0, len(items) - 1))] = draw(json_values)
        return items
    return draw(st.one_of(st.just(value), json_values))


HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"


def encoded(seeds: list[Any]) -> st.SearchStrategy[bytes]:
    """JSON bodies built from `seeds` (mutated), or arbitrary JSON."""
    return st.one_of(mutated(seeds), json_values).map(lambda v: json.dumps(v).encode())


@st.composite
def truncated(draw: st.DrawFn, seeds: list[Any]) -> bytes:
    """A JSON body cut somewhere in the middle."""
    body = draw(encoded(seeds))
    if len(body) < 2:
        return b"{"
    return body[: draw(st.integers(1, len(body) - 1))]


def bodies(seeds: list[Any] | None = None) -> st.SearchStrategy[bytes]:
    """Everything a broken server might send as a body."""
    seeds = seeds if seeds is not None else DOCUMENTED
    return st.one_of(
        encoded(seeds),
        encoded(seeds),
        truncated(seeds),
        st.just(HTML),
        st.just(b""),
        st.binary(max_size=64),
        st.sampled_from([b"\xff\xfe\x00{", b'{"a": "\xc3\x28"}', b"[1e99999]", b"9" * 5000]),
    )


statuses = st.sampled_from([200, 200, 200, 200, 201, 204, 400, 401, 403, 404, 429, 500, 503])
content_types = st.sampled_from(
    ["application/json", "text/html", "text/plain", "application/json; charset=latin-1", ""]
)
