"""Pulls to JSON Lines and CSV files, and resuming an interrupted pull from its checkpoint."""

from __future__ import annotations

import csv
import datetime as dt
import json

import anyio
import attrs
import httpx
import pytest
from tests.cdrs.conftest import DAY_SIZES, FIRST_DAY, now

from simwood_async import InvalidInputError, ServerError
from simwood_async._converter import make_converter
from simwood_async.cdrs import CSV_COLUMNS, VoiceCdr
from simwood_async.cdrs._checkpoint import checkpoint_path, partial_path

LAST_DAY = FIRST_DAY + dt.timedelta(days=9)
TOTAL = sum(DAY_SIZES.values())


def read_jsonl(path) -> list[dict]:
    """The rows of a JSON Lines file."""
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def by_time(rows) -> list[dict]:
    """Rows sorted as the file should hold them: oldest first."""
    return sorted(rows, key=lambda r: r["date"])


@pytest.mark.parametrize("concurrency", [1, 8], ids=["c1", "c8"])
async def test_jsonl_holds_every_row_once_oldest_first(client, fake, tmp_path, concurrency):
    """The JSON Lines file has each row exactly once, as the API sent it, oldest first."""
    out = tmp_path / "cdrs.jsonl"
    result = await client.cdrs.pull_to_file(
        out, FIRST_DAY, LAST_DAY, now=now, page_size=100, concurrency=concurrency
    )
    rows = read_jsonl(out)
    assert len(rows) == result.rows == TOTAL
    assert {r["reference"]: r for r in rows} == {r["reference"]: r for r in fake.rows}
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert result.size == out.stat().st_size
    assert (result.windows, result.windows_resumed) == (10, 0)
    assert not checkpoint_path(out).exists()


async def test_csv_has_a_stable_header_and_every_row(client, fake, tmp_path):
    """The CSV file starts with the fixed header and holds every row's wire values."""
    out = tmp_path / "cdrs.csv"
    await client.cdrs.pull_to_file(out, FIRST_DAY, LAST_DAY, now=now, format="csv")
    with out.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    assert tuple(header) == CSV_COLUMNS
    assert len(rows) == TOTAL
    first = dict(zip(header, rows[0], strict=True))
    expected = by_time(fake.rows)[0]
    assert first["reference"] == expected["reference"]
    assert first["toISO"] == expected["toISO"]
    assert first["tag"] == ""  # None


def test_csv_columns_are_the_wire_keys_of_voice_cdr():
    """The CSV header is exactly the converter's wire keys for VoiceCdr, in field order."""
    sample = VoiceCdr(
        reference="r",
        date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
        direction="in",
        from_="1",
        to="2",
    )
    assert tuple(make_converter().unstructure(sample)) == CSV_COLUMNS
    assert len(CSV_COLUMNS) == len(attrs.fields(VoiceCdr))


async def test_interrupted_pull_resumes_without_refetching_or_duplicates(client, fake, tmp_path):
    """Cancelled after some days, a second run fetches only the rest and writes no row twice."""
    out = tmp_path / "cdrs.jsonl"
    with anyio.CancelScope() as scope:

        def stop_after_four_days(progress):
            """Cancel the pull once four days are finished."""
            if progress.windows_done >= 4:
                scope.cancel()

        await client.cdrs.pull_to_file(
            out, FIRST_DAY, LAST_DAY, now=now, page_size=100, on_progress=stop_after_four_days
        )
    assert scope.cancelled_caught
    saved = json.loads(checkpoint_path(out).read_bytes())
    assert len(saved["done"]) >= 4
    assert partial_path(out).stat().st_size >= saved["size"]
    assert not out.exists()  # the target appears only when the pull completes
    finished_days = {key[:10] for key in saved["done"]}
    fake.requests.clear()
    result = await client.cdrs.pull_to_file(out, FIRST_DAY, LAST_DAY, now=now, page_size=100)
    assert {q["date_start"][:10] for q in fake.requests}.isdisjoint(finished_days)
    rows = read_jsonl(out)
    assert len(rows) == len({r["reference"] for r in rows}) == TOTAL
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert result.windows_resumed == len(saved["done"])
    assert not checkpoint_path(out).exists()


async def test_a_partly_written_day_is_cut_back_on_resume(client, fake, tmp_path):
    """Bytes after the last finished day (a day cut off half way) are truncated on resume."""
    out = tmp_path / "cdrs.jsonl"

    def fail_day_six(query):
        """Refuse every page of day six after its first."""
        if query["date_start"].startswith("2026-11-06") and query["start"] != "0":
            return httpx.Response(400, json={"success": False, "errors": ["nope"]})
        return None

    fake.before_answer = fail_day_six
    with pytest.raises(Exception, match="nope"):
        await client.cdrs.pull_to_file(out, FIRST_DAY, LAST_DAY, now=now, page_size=100)
    saved = json.loads(checkpoint_path(out).read_bytes())
    with partial_path(out).open(
        "ab"
    ) as handle:  # as if a partial day had been written before a crash
        handle.write(b'{"reference": "half-written"}\n{"refer')
    fake.before_answer = None
    await client.cdrs.pull_to_file(out, FIRST_DAY, LAST_DAY, now=now, page_size=100)
    rows = read_jsonl(out)
    assert len(rows) == len({r["reference"] for r in rows}) == TOTAL
    assert "half-written" not in {r["reference"] for r in rows}
    assert saved["done"]
    assert saved["done"][-1] < "2026-11-06"


async def test_a_different_pull_is_refused_unless_resume_is_false(client, fake, tmp_path):
    """A checkpoint left by another pull (here: another range) is refused, not dropped."""
    out = tmp_path / "cdrs.jsonl"
    with anyio.CancelScope() as scope:

        def stop_after_three_days(progress):
            """Cancel the pull once three days are finished."""
            if progress.windows_done >= 3:
                scope.cancel()

        await client.cdrs.pull_to_file(
            out, FIRST_DAY, LAST_DAY, now=now, page_size=100, on_progress=stop_after_three_days
        )
    assert checkpoint_path(out).exists()
    fake.requests.clear()
    other_end = FIRST_DAY + dt.timedelta(days=2)
    with pytest.raises(InvalidInputError, match="unfinished pull of 2026-11-01"):
        await client.cdrs.pull_to_file(out, FIRST_DAY, other_end, now=now, page_size=100)
    assert fake.requests == []
    result = await client.cdrs.pull_to_file(
        out, FIRST_DAY, other_end, now=now, page_size=100, resume=False
    )
    assert result.windows_resumed == 0
    assert len(read_jsonl(out)) == sum(DAY_SIZES[FIRST_DAY + dt.timedelta(d)] for d in range(3))
    assert any(q["date_start"].startswith("2026-11-01") for q in fake.requests)


async def test_resume_false_ignores_the_checkpoint(client, fake, tmp_path):
    """`resume=False` always starts from the beginning."""
    out = tmp_path / "cdrs.csv"
    fake.before_answer = lambda q: (
        httpx.Response(503) if q["date_start"].startswith("2026-11-08") else None
    )
    with pytest.raises(ServerError):
        await client.cdrs.pull_to_file(out, FIRST_DAY, LAST_DAY, now=now, format="csv")
    fake.before_answer = None
    result = await client.cdrs.pull_to_file(
        out, FIRST_DAY, LAST_DAY, now=now, format="csv", resume=False
    )
    assert result.windows_resumed == 0
    assert len(out.read_text().splitlines()) == TOTAL + 1


async def test_unwritable_file_is_an_input_error(client, fake, tmp_path):
    """A path that cannot be written raises InvalidInputError before any request."""
    with pytest.raises(InvalidInputError, match="cannot write"):
        await client.cdrs.pull_to_file(
            tmp_path / "missing" / "x.jsonl", FIRST_DAY, LAST_DAY, now=now
        )
    assert fake.requests == []


def test_encoded_lines_cost_about_their_own_size():
    """A page's encoded lines hold about as much memory as their text (no 4 KiB buffers)."""
    import tracemalloc  # noqa: PLC0415

    from tests.cdrs.fakeapi import make_row  # noqa: PLC0415

    from simwood_async.cdrs._writers import line_decoder  # noqa: PLC0415

    when = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    body = json.dumps([make_row(f"ref-{i}", when) for i in range(500)]).encode()
    decode = line_decoder("jsonl")
    tracemalloc.start()
    try:
        lines = decode(body)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    text = sum(len(line) for _, line in lines)
    assert held < 2 * text
