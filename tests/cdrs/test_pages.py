"""Reading pages without parsing values: identities and JSON Lines bytes, fast and stdlib."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from tests.cdrs.test_observed import OBSERVED_ROW, push_spelling

from simwood_async import _json
from simwood_async.cdrs import _pages as pages
from simwood_async.cdrs import row_identity
from simwood_async.cdrs._spill import SpillStore
from simwood_async.sandbox import ManualClock, Sandbox

GMT = dt.timezone.utc
START = dt.datetime(2026, 11, 20, 15, 30, 0, tzinfo=GMT)


def sandbox_page() -> bytes:
    """A 1,000-row page from the sandbox, as it sends it."""
    sandbox = Sandbox(seed=9, clock=ManualClock(START), cdr_rows_per_day=1000)
    day = START.date() - dt.timedelta(days=1)
    source = sandbox._core.cdrs
    return source.page(source.segments(day, 0, 1 << 40, START.timestamp()), start=0, limit=1000)


def odd_rows() -> list[dict[str, Any]]:
    """Rows the fast path must not copy blindly: escapes, non-ASCII, floats, no id at all."""
    anonymous = {k: v for k, v in OBSERVED_ROW.items() if k not in ("_id", "reference")}
    return [
        OBSERVED_ROW,
        push_spelling(1, START),
        {**OBSERVED_ROW, "reference": "r2", "todesc": 'Caf\u00e9 "quoted" \\ back/slash\n'},
        {**OBSERVED_ROW, "reference": "r3", "chg_total": 0.1, "secs_call": 10**15},
        {**OBSERVED_ROW, "reference": "r4", "nested": {"a": [1, None, True]}},
        anonymous,
        {"call_id": 12345, "x": "y"},
    ]


def bodies() -> list[bytes]:
    """Pages as the API may send them: compact, indented, spaced, PHP-escaped, bare."""
    rows = odd_rows()
    plain = [r for r in rows if "todesc" not in r or "\\" not in r["todesc"]]
    envelope = {"success": 1, "count": len(rows), "data": rows}
    return [
        sandbox_page(),
        _json.dumps(envelope),
        json.dumps(envelope, indent=2).encode(),
        json.dumps({**envelope, "data": plain}, ensure_ascii=False).encode(),
        json.dumps(envelope).replace("/", "\\/").encode(),
        json.dumps(rows).encode(),
        json.dumps(plain, ensure_ascii=False).encode(),
    ]


@pytest.mark.parametrize(
    "index", range(7), ids=["sandbox", "compact", "indented", "spaced", "php", "bare", "bare-plain"]
)
def test_fast_and_stdlib_paths_give_the_same_identities_and_bytes(index):
    """Msgspec's scan and the standard library agree on every identity and output byte."""
    body = bodies()[index]
    rows = pages.page_rows(body)
    expected_keys = [row_identity(row) for row in rows]
    assert pages.page_identities(body) == expected_keys
    assert pages._stdlib_identities(body) == expected_keys
    fast = pages.jsonl_lines(body)
    slow = [(key, bytes(text) + b"\n") for key, text in pages._stdlib_rows(body, None)]
    assert fast == slow
    assert [key for key, _ in fast] == expected_keys
    assert [json.loads(line) for _, line in fast] == rows


def test_lines_are_byte_identical_to_encoding_each_parsed_row():
    """On the sandbox's rows, a line is exactly what `dumps(row)` gave (the old output)."""
    body = sandbox_page()
    old = [_json.dumps(row) + b"\n" for row in _json.loads(body)["data"]]
    assert [line for _, line in pages.jsonl_lines(body)] == old
    assert len(old) == 1000
    assert pages.BACKEND == "msgspec"


@pytest.mark.parametrize("body", [b"[{", b'{"success": 1}', b"[1, 2]", b"<html>"])
def test_bad_pages_are_value_or_type_errors(body):
    """A page that is not an array of rows raises what the pull turns into a DecodeError."""
    with pytest.raises((ValueError, TypeError)):
        pages.page_identities(body)
    with pytest.raises((ValueError, TypeError)):
        pages.jsonl_lines(body)


def test_spill_store_keeps_memory_bounded_and_reads_back():
    """Bodies past the memory bound go to the file, read back intact, and the file empties."""
    store = SpillStore(memory_limit=100)
    handles = [store.put(bytes([i]) * 40) for i in range(6)]
    assert store.held == 80
    assert store.spilled == 160
    assert [store.get(h) for h in handles] == [bytes([i]) * 40 for i in range(6)]
    for handle in handles:
        store.release(handle)
    assert store.held == 0
    store.close()
