"""CDR row models: tolerant decoding, the fast path equal to the general one, immutability."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import anyio
import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.cdrs.test_observed import OBSERVED_ROW
from tests.testing.conftest import DAY, make_sandbox

from simwood_async._converter import make_converter
from simwood_async.cdrs import SmsCdr, VoiceCdr
from simwood_async.cdrs._rows import VOICE_SPEC, structure_general, structure_voice
from simwood_async.reports import PrepaySummaryRow, VoiceSummaryRow

GMT = dt.timezone.utc


def test_observed_row_decodes_to_the_documented_types():
    """The observed row: aware GMT start from date + time, Decimal money, ints, nothing extra."""
    cdr = make_converter().structure(OBSERVED_ROW, VoiceCdr)
    assert cdr.reference == OBSERVED_ROW["reference"]
    assert cdr.date == dt.datetime(2015, 12, 10, 13, 27, 19, tzinfo=GMT)
    assert cdr.calldate == dt.datetime(2015, 12, 10, 13, 27, 0, tzinfo=GMT)
    assert (cdr.from_, cdr.to, cdr.destid, cdr.to_iso) == (
        "01234567890",
        "441234567890",
        "1234",
        "GB",
    )
    assert (cdr.secs_call, cdr.secs_billed) == (60, 60)
    assert (cdr.rate_peak, cdr.rate_connection, cdr.chg_total) == (
        Decimal("0.00000"),
        Decimal("0.0000"),
        Decimal(0),
    )
    assert cdr.tag == ""
    assert cdr.extra == {}


def test_nothing_is_required_and_unknown_keys_are_kept():
    """An empty row decodes to Nones; unknown keys, and an `_id` that differs, stay in extra."""
    conv = make_converter(strict=True)
    assert conv.structure({}, VoiceCdr) == VoiceCdr()
    assert conv.structure({}, SmsCdr) == SmsCdr()
    row = {**OBSERVED_ROW, "_id": "other", "billing": {"a": [1]}, "secs_peak": ""}
    cdr = conv.structure(row, VoiceCdr)
    assert cdr.extra == {"_id": "other", "billing": {"a": [1]}}
    assert cdr.secs_peak is None
    assert conv.unstructure(cdr)["billing"] == {"a": [1]}


def test_push_event_spellings_are_aliases():
    """`cdr_id`, `dest_id` and `iso` (the `cdr` push event) fill the same fields."""
    row = {
        "call_id": "c1",
        "cdr_id": "r1",
        "calldate": "2026-01-02 03:04:05",
        "direction": "in",
        "dest_id": 77,
        "iso": "FR",
        "chg_total": 0.1,
        "secs_billed": "12",
    }
    cdr = make_converter().structure(row, VoiceCdr)
    assert (cdr.reference, cdr.call_id, cdr.destid, cdr.to_iso) == ("r1", "c1", "77", "FR")
    assert cdr.date == cdr.calldate == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=GMT)
    assert (cdr.chg_total, cdr.secs_billed, cdr.direction) == (Decimal("0.1"), 12, "in")
    assert cdr.extra == {}


def test_bad_values_fail_to_decode():
    """A value that is not what its field holds is a decode error, not a silent None."""
    with pytest.raises(ValueError, match="amount"):
        make_converter().structure({**OBSERVED_ROW, "chg_total": "lots"}, VoiceCdr)
    with pytest.raises(TypeError):
        make_converter().structure([OBSERVED_ROW], VoiceCdr)


VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["12", "0.00310", "2026-01-02", "2026-01-02 03:04:05", "0000-00-00 00:00:00"]),
    st.text(max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(
    changes=st.dictionaries(st.sampled_from(list(OBSERVED_ROW)), VALUES, max_size=3),
    dropped=st.sets(st.sampled_from(list(OBSERVED_ROW)), max_size=2),
)
def test_fast_path_gives_the_general_paths_result(changes, dropped):
    """For observed rows with odd values or missing keys, both paths agree, errors included."""
    row: dict[str, Any] = {k: v for k, v in {**OBSERVED_ROW, **changes}.items() if k not in dropped}

    def outcome(fn: Any) -> Any:
        """The row's fields (with types), or the error's type."""
        try:
            obj = fn(row)
        except Exception as err:  # noqa: BLE001 - comparing whatever is raised
            return type(err)
        return [(type(v), v) for v in attrs.astuple(obj, recurse=False)]

    assert outcome(structure_voice) == outcome(lambda r: structure_general(VOICE_SPEC, r))


@pytest.mark.parametrize(
    "model", [VoiceCdr, SmsCdr, VoiceSummaryRow, PrepaySummaryRow], ids=lambda m: m.__name__
)
def test_report_row_models_are_frozen(model):
    """Every row model a report returns refuses assignment."""
    assert attrs.has(model)
    assert model.__setattr__ is not object.__setattr__


async def test_a_shared_report_row_cannot_be_mutated():
    """Identical report calls share one result; neither its rows nor their extras can change."""
    sandbox = make_sandbox()
    results: list[Any] = []
    with anyio.fail_after(30):
        async with sandbox.client() as client, anyio.create_task_group() as tg:

            async def one() -> None:
                """One caller of the report."""
                results.append(await client.reports.voice_cdr_day(date=DAY))

            tg.start_soon(one)
            tg.start_soon(one)
    first, second = results
    assert first is second
    assert isinstance(first, tuple)
    assert first
    row = first[0]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        row.to = "447700900999"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del row.chg_total
    with pytest.raises(TypeError):
        row.extra["note"] = "changed"  # type: ignore[index]
    assert second[0].to != "447700900999"
