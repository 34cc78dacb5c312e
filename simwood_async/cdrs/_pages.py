"""Reading CDR pages without parsing every value: row identities and raw row texts.

A bulk pull reads each page twice at most: once when it arrives, for the identities of its
rows (what de-duplicates pages and checks page boundaries), and once when its rows are
handed on. Neither needs the values of a row: with msgspec (the `[fast]` extra) the page is
scanned in C for the four id keys only, and for the exact text of each row, which becomes
its JSON Lines line as it is. Without msgspec the standard library parses the page and the
same results are computed from the values; both give the same identities and bytes:

- a row's identity is `row_identity(row)` (a row carrying no id is parsed to hash it);
- a row's line is its JSON text as the API sent it, without insignificant whitespace; a row
  whose text holds a backslash escape is re-encoded from its parsed value, as the
  standard-library path does for every row. For the rows the API and the sandbox send
  (compact JSON, numbers in their shortest form) this is exactly `dumps(row)`.
"""

from __future__ import annotations

import json
from typing import Any, Final

from simwood_async import _json
from simwood_async._area import unwrap
from simwood_async.cdrs._identity import identity_of, row_identity

__all__ = ["BACKEND", "jsonl_lines", "page_identities", "page_rows"]

try:
    import msgspec
except ImportError:  # pragma: no cover - exercised on installs without the extra
    msgspec = None  # type: ignore[assignment]

_BACKSLASH: Final = 0x5C


def page_rows(content: bytes) -> list[dict[str, Any]]:
    """The rows of a CDR page: `{"success": 1, "count": N, "data": [...]}` or a bare array.

    Raises:
        ValueError: Bad JSON.
        TypeError: Not an array of rows.
    """
    rows = unwrap(_json.loads(content))
    if not isinstance(rows, list):
        raise TypeError(f"expected a JSON array of CDRs, got {type(rows).__name__}")
    return rows


def _compact(row: Any) -> bytes:
    # The standard library's compact form, which orjson's `dumps` matches byte for byte for
    # the values a page holds.
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode()


def _stdlib_identities(content: bytes) -> list[str]:
    rows = page_rows(content)
    return [row_identity(row) for row in rows]


def _stdlib_lines(content: bytes) -> list[tuple[str, bytes]]:
    rows = page_rows(content)
    return [(row_identity(row), _compact(row) + b"\n") for row in rows]


if msgspec is not None:
    BACKEND = "msgspec"

    class _Ids(msgspec.Struct, rename={"id_": "_id"}):
        reference: Any = None
        id_: Any = None
        cdr_id: Any = None
        call_id: Any = None

    class _IdPage(msgspec.Struct):
        data: list[_Ids]

    class _RawPage(msgspec.Struct):
        data: list[msgspec.Raw]

    _ID_PAGE = msgspec.json.Decoder(_IdPage)
    _ID_ROWS = msgspec.json.Decoder(list[_Ids])
    _RAW_PAGE = msgspec.json.Decoder(_RawPage)
    _RAW_ROWS = msgspec.json.Decoder(list[msgspec.Raw])
    _format = msgspec.json.format
    _DecodeError = msgspec.DecodeError

    def _decode(content: bytes, page: Any, rows: Any) -> Any:
        try:
            if content[:1] == b"[" or content.lstrip()[:1] == b"[":
                return rows.decode(content)
            return page.decode(content).data
        except _DecodeError as err:
            # Not the expected shape (or not JSON): the standard library says which.
            page_rows(content)
            raise ValueError(f"unexpected CDR page: {err}") from err

    def _identities(content: bytes, ids: list[Any], raws: list[Any] | None) -> list[str]:
        out: list[str] = []
        for index, found in enumerate(ids):
            ref = found.reference
            if ref.__class__ is str and ref:
                out.append(ref)
                continue
            key = (
                identity_of(ref)
                or identity_of(found.id_)
                or identity_of(found.cdr_id)
                or identity_of(found.call_id)
            )
            if key is None:  # no id: the hash of the whole row, so parse it
                raw = (
                    raws[index]
                    if raws is not None
                    else _decode(content, _RAW_PAGE, _RAW_ROWS)[index]
                )
                key = row_identity(_json.loads(bytes(raw)))
            out.append(key)
        return out

    def page_identities(content: bytes) -> list[str]:
        """The identity of every row of a page, in page order (`row_identity`).

        Raises:
            ValueError: Bad JSON, or rows that are not objects.
            TypeError: Not an array of rows.
        """
        return _identities(content, _decode(content, _ID_PAGE, _ID_ROWS), None)

    def jsonl_lines(content: bytes) -> list[tuple[str, bytes]]:
        """`(identity, line)` for every row of a page: its JSON text, newline-terminated.

        Raises:
            ValueError: Bad JSON, or rows that are not objects.
            TypeError: Not an array of rows.
        """
        raws = _decode(content, _RAW_PAGE, _RAW_ROWS)
        keys = _identities(content, _decode(content, _ID_PAGE, _ID_ROWS), raws)
        lines = []
        for raw in raws:
            text = _format(raw, indent=-1)
            if _BACKSLASH in text:  # escapes: encoded as the parsed value is
                text = _json.dumps(_json.loads(text))
            lines.append(text + b"\n")
        return list(zip(keys, lines, strict=True))

else:  # pragma: no cover - exercised on installs without the extra
    BACKEND = "json"  # type: ignore[unreachable]
    page_identities = _stdlib_identities
    jsonl_lines = _stdlib_lines
