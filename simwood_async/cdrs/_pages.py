"""Reading CDR pages without parsing every value: row identities and raw row texts.

A bulk pull reads a page when it arrives, for the identities of its rows (what
de-duplicates pages and checks page boundaries), and again only if its body had to wait on
disk. With msgspec (the `[fast]` extra) the page is scanned in C for the four id keys only
and split into the exact text of each row, which becomes its JSON Lines line as it is; no
value is turned into a Python object. Without msgspec the standard library parses the page
and finds the same texts. Both give the same identities and the same bytes:

- a row's identity is `row_identity(row)` (a row carrying no id is parsed to hash it);
- a row's line is its JSON text as the API sent it, when the page holds no line break, tab
  or backslash escape (compact JSON: what the API and the sandbox send); otherwise every
  row of the page is re-encoded compactly from its parsed value (as before). For compact
  rows whose numbers are in their shortest form the two are the same bytes, `dumps(row)`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from simwood_async import _json
from simwood_async._area import unwrap
from simwood_async.cdrs._identity import identity_of, row_identity

__all__ = ["BACKEND", "jsonl_lines", "jsonl_rows", "jsonl_scan", "page_identities", "page_rows"]

try:
    import msgspec
except ImportError:  # pragma: no cover - exercised on installs without the extra
    msgspec = None  # type: ignore[assignment]

_DATA: Final = re.compile(r'"data"\s*:\s*\[')
_SPACE: Final = re.compile(r"\s*")
_DECODER: Final = json.JSONDecoder()


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


def _clean(content: bytes) -> bool:
    # No line break, tab or escape (memchr scans: far faster than a regular expression).
    return not (b"\n" in content or b"\\" in content or b"\r" in content or b"\t" in content)


def _stdlib_texts(content: bytes, count: int) -> list[bytes]:
    """The exact text of each row of a (valid) page, found by the standard library."""
    text = content.decode()
    found = _DATA.search(text)
    index = found.end() if found is not None and text.lstrip()[:1] == "{" else text.index("[") + 1
    texts = []
    for _ in range(count):
        index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
        _, end = _DECODER.raw_decode(text, index)
        texts.append(text[index:end].encode())
        index = _SPACE.match(text, end).end() + 1  # type: ignore[union-attr] # the comma
    return texts


def _stdlib_identities(content: bytes) -> list[str]:
    return [row_identity(row) for row in page_rows(content)]


def _stdlib_rows(content: bytes, cache: Any) -> list[tuple[str, Any]]:
    rows = page_rows(content)
    keys = cache if cache is not None else [row_identity(row) for row in rows]
    if _clean(content):
        return list(zip(keys, _stdlib_texts(content, len(rows)), strict=True))
    return list(zip(keys, map(_json.dumps, rows), strict=True))


def _stdlib_scan(content: bytes) -> tuple[list[str], Any]:
    keys = _stdlib_identities(content)
    return keys, keys


if msgspec is not None:
    BACKEND = "msgspec"

    class _Ids(msgspec.Struct, rename={"id_": "_id"}):
        reference: Any = None
        id_: Any = None
        cdr_id: Any = None
        call_id: Any = None

    class _IdPage(msgspec.Struct):
        data: list[_Ids]

    class _Ref(msgspec.Struct):
        reference: str | None = None

    class _RefPage(msgspec.Struct):
        data: list[_Ref]

    class _RawPage(msgspec.Struct):
        data: list[msgspec.Raw]

    _ID_PAGE = msgspec.json.Decoder(_IdPage)
    _ID_ROWS = msgspec.json.Decoder(list[_Ids])
    _REF_PAGE = msgspec.json.Decoder(_RefPage)
    _REF_ROWS = msgspec.json.Decoder(list[_Ref])
    _RAW_PAGE = msgspec.json.Decoder(_RawPage)
    _RAW_ROWS = msgspec.json.Decoder(list[msgspec.Raw])
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

    def _identities(content: bytes, raws: list[Any] | None) -> list[str]:
        try:
            refs = [found.reference for found in _decode(content, _REF_PAGE, _REF_ROWS)]
        except ValueError:  # a `reference` that is not text: the general reading decides
            refs = [None]
        if None not in refs and "" not in refs:
            return refs  # every row has a text `reference`
        ids = _decode(content, _ID_PAGE, _ID_ROWS)
        out: list[str] = []
        for index, found in enumerate(ids):
            key = (
                identity_of(found.reference)
                or identity_of(found.id_)
                or identity_of(found.cdr_id)
                or identity_of(found.call_id)
            )
            if key is None:  # no id: the hash of the whole row, so parse it
                if raws is None:
                    raws = _decode(content, _RAW_PAGE, _RAW_ROWS)
                key = row_identity(_json.loads(bytes(raws[index])))
            out.append(key)
        return out

    def page_identities(content: bytes) -> list[str]:
        """The identity of every row of a page, in page order (`row_identity`).

        Raises:
            ValueError: Bad JSON, or rows that are not objects.
            TypeError: Not an array of rows.
        """
        return _identities(content, None)

    def jsonl_scan(content: bytes) -> tuple[list[str], Any]:
        """A page's identities, and what `jsonl_rows` reuses if the page stays in memory.

        Raises:
            ValueError: Bad JSON, or rows that are not objects.
            TypeError: Not an array of rows.
        """
        raws = _decode(content, _RAW_PAGE, _RAW_ROWS)
        keys = _identities(content, raws)
        return keys, (keys, raws)

    def jsonl_rows(content: bytes, cache: Any) -> list[tuple[str, Any]]:
        """`(identity, text)` of every row: its JSON text, without a newline.

        The texts are bytes-like (join them): a clean page's rows are slices of it.
        """
        keys, raws = cache if cache is not None else jsonl_scan(content)[1]
        if _clean(content):
            return list(zip(keys, raws, strict=True))
        return [
            (key, _json.dumps(_json.loads(bytes(raw)))) for key, raw in zip(keys, raws, strict=True)
        ]

else:  # pragma: no cover - exercised on installs without the extra
    BACKEND = "json"  # type: ignore[unreachable]
    page_identities = _stdlib_identities
    jsonl_scan = _stdlib_scan
    jsonl_rows = _stdlib_rows


def jsonl_lines(content: bytes) -> list[tuple[str, bytes]]:
    """`(identity, line)` of every row of a page, each line newline-terminated."""
    return [(key, bytes(text) + b"\n") for key, text in jsonl_rows(content, None)]
