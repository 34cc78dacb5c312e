"""How the CDR pulls read pages: typed rows, identities, overlap, and decode errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simwood_async.cdrs._decode import RowDecoder
from simwood_async.cdrs._identity import row_identity
from simwood_async.cdrs._models import VoiceCdr
from simwood_async.cdrs._pages import page_identities, page_rows
from simwood_async.exceptions import DecodeError

if TYPE_CHECKING:
    from collections.abc import Callable

    from cattrs import Converter

__all__ = ["guarded", "identities", "keyed_decoder", "overlap", "typed_decoder"]


def typed_decoder(converter: Converter) -> Callable[[bytes], list[VoiceCdr]]:
    # The one place typed pages are decoded: the fast compiled row path (cdrs/_rows.py).
    return RowDecoder(VoiceCdr, converter)


def keyed_decoder(converter: Converter) -> Callable[[bytes, Any], list[tuple[str, VoiceCdr]]]:
    """Typed rows with their identities (`row_identity` of each wire row), for pulls."""
    structure = RowDecoder(VoiceCdr, converter).structure

    def decode(content: bytes, keys: list[str] | None) -> list[tuple[str, VoiceCdr]]:
        rows = page_rows(content)
        if keys is None:
            keys = [row_identity(row) for row in rows]
        return list(zip(keys, structure(rows), strict=True))

    return decode


def identities(content: bytes) -> tuple[list[str], list[str]]:
    keys = page_identities(content)
    return keys, keys


def overlap(page_size: int) -> int:
    """Rows neighbouring pages share: 1 %, at least 2 (so page boundaries can be checked)."""
    return min(max(2, page_size // 100), page_size - 1)


def guarded(decode: Callable[[bytes, Any], Any]) -> Callable[[bytes, Any], Any]:
    """`decode`, its failures raised as DecodeError (pages are decoded after they arrive)."""

    def run(content: bytes, cache: Any) -> Any:
        try:
            return decode(content, cache)
        except Exception as err:  # bad rows: values of the wrong type
            raise DecodeError(
                f"unexpected CDR page: {type(err).__name__}: {err}",
                status_code=200,
                body=content[:2000].decode(errors="replace"),
            ) from err

    return run
