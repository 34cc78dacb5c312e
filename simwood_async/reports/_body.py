"""Decoding what the report endpoints return: envelopes, listings and report bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simwood_async import _json
from simwood_async._validate import plain_id
from simwood_async.exceptions import DecodeError
from simwood_async.reports._models import ReportEnvelope

if TYPE_CHECKING:
    from cattrs import Converter

    from simwood_async._transport import ApiResponse
    from simwood_async.exceptions import RequestInfo

__all__ = ["decode_rows", "envelope_hash", "listed_files"]


def envelope_hash(converter: Converter, response: ApiResponse) -> str:
    """The hash of a report request's envelope (checked to be a plain identifier).

    Raises:
        DecodeError: The envelope is not the documented shape.
    """
    try:
        envelope = converter.structure(response.json(), ReportEnvelope)
        plain_id(envelope.hash, name="hash")
    except DecodeError:
        raise
    except Exception as err:  # cattrs raises many types; all mean "unexpected shape"
        raise DecodeError(
            f"unexpected report envelope: {err}",
            request=response.request,
            status_code=response.status_code,
            body=response.text,
        ) from err
    return envelope.hash


def listed_files(response: ApiResponse) -> dict[str, Any]:
    """`GET /v3/files/{ACCOUNT}` as {hash: file object} (a list of file objects tolerated)."""
    data = response.json() if response.content.strip() else {}
    if isinstance(data, list):
        return {str(item.get("name")): item for item in data if isinstance(item, dict)}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items()}


def decode_rows(
    converter: Converter, body: bytes, row_type: type[Any] | None, info: RequestInfo
) -> tuple[Any, ...]:
    """A report body as a tuple of `row_type` rows (or of JSON values when None).

    Raises:
        DecodeError: Not JSON, not an array, or a row that does not fit the model.
    """
    try:
        rows = _json.loads(body)
    except _json.JSONDecodeError as err:
        raise DecodeError(
            "invalid JSON", request=info, status_code=200, body=body[:200].decode(errors="replace")
        ) from err
    if not isinstance(rows, list):
        raise DecodeError(
            f"expected a JSON array of rows, got {type(rows).__name__}",
            request=info,
            status_code=200,
            body=body[:200].decode(errors="replace"),
        )
    if row_type is None:
        return tuple(rows)
    structure = converter.get_structure_hook(row_type)
    try:
        return tuple([structure(row, row_type) for row in rows])
    except Exception as err:  # cattrs raises many types; all mean "unexpected shape"
        raise DecodeError(
            f"a row does not fit {row_type.__name__}: {err}", request=info, status_code=200
        ) from err
