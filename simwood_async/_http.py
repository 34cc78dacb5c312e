"""Request encoding and response interpretation: the pure half of the httpx seam.

Nothing here does I/O. `path()` and `encode_params()` build what is sent; `ApiResponse` holds
what came back; `error_for()` decides which error a response stands for, whatever its status
(the API reports `{"success": false, "errors": [...]}` with any status).
"""

from __future__ import annotations

import base64
import ipaddress
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlsplit

import attrs

from simwood_async import _json
from simwood_async._retry import parse_retry_after
from simwood_async.exceptions import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConfigurationError,
    DecodeError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestInfo,
    ResponseError,
    ServerError,
    StatusError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ApiResponse",
    "Credentials",
    "encode_params",
    "error_for",
    "path",
    "validate_base_url",
]

_STATUS_ERRORS: Final[dict[int, type[StatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitedError,
}
_FORBIDDEN_SEGMENTS: Final = frozenset({"", ".", ".."})
_CONTROL: Final = frozenset(chr(i) for i in [*range(0x20), 0x7F])


@attrs.frozen(repr=False)
class Credentials:
    """API credentials. The password never appears in `repr`, `str` or logs.

    .. versionadded:: 0.1.0
    """

    username: str
    password: str = attrs.field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***')"

    __str__ = __repr__

    def header(self) -> str:
        """The preemptive `Authorization` header value."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


def path(*segments: str | int) -> str:
    """Join URL path segments, each validated and percent-encoded so none can escape its place.

    Raises:
        InvalidInputError: A segment is empty, `.` or `..`, or contains a control character.
    """
    parts = []
    for segment in segments:
        text = str(segment)
        if text in _FORBIDDEN_SEGMENTS or not _CONTROL.isdisjoint(text):
            raise InvalidInputError(f"invalid path segment {text!r}")
        parts.append(quote(text, safe="-_.~"))
    return "/".join(parts)


def _field_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")  # `str()` can give `1E+2`, which the API would not parse
    return str(value)


def encode_params(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Encode query or form fields the way the API wants them.

    Lists and tuples become `key[]` repeated (the brackets are mandatory even for one value);
    None values are left out; booleans are `1`/`0`; Decimals are plain digits (no exponent);
    everything else is sent as `str(value)`.
    """
    encoded: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            name = key if key.endswith("[]") else f"{key}[]"
            encoded.extend((name, _field_text(item)) for item in value)
        else:
            encoded.append((key, _field_text(value)))
    return encoded


class ApiResponse:
    """A response whose body has been read, with no httpx types in its interface.

    Attributes:
        status_code: The HTTP status.
        headers: The response headers (case-insensitive mapping).
        content: The whole body.
        request: Which request this answers.
    """

    __slots__ = ("_json", "content", "headers", "request", "status_code")

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        content: bytes,
        request: RequestInfo,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.request = request
        self._json: Any = _UNSET

    @property
    def content_type(self) -> str:
        """The media type, lower case, without parameters."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body decoded as JSON.

        Raises:
            DecodeError: The body is not JSON (an HTML error page, a truncated body, ...).
        """
        if self._json is _UNSET:
            self._json = self._decode()
        return self._json

    def _decode(self) -> Any:
        try:
            return _json.loads(self.content)
        except _json.JSONDecodeError as err:
            head = self.content[:64].lstrip().lower()
            if head.startswith((b"<!doctype html", b"<html")):
                what = "an HTML page instead of JSON"
            elif not self.content:
                what = "an empty body instead of JSON"
            else:
                what = f"invalid JSON ({err})"
            raise DecodeError(
                f"the API returned {what}",
                request=self.request,
                status_code=self.status_code,
                body=self.text,
            ) from err


_UNSET: Final = object()


def error_for(response: ApiResponse) -> ResponseError | None:
    """The error a response stands for, or None if it is a success."""
    status = response.status_code
    errors: list[str] = []
    body = response.content
    # `{"success": false, "errors": [...]}` can come with any status: look before trusting it.
    if (
        body[:64].lstrip()[:1] == b"{"
        and b'"success"' in body[:4096]
        and response.content_type != "text/csv"
    ):
        try:
            decoded = response.json()
        except DecodeError:
            decoded = None
        if isinstance(decoded, dict) and decoded.get("success") is False:
            raw = decoded.get("errors") or decoded.get("error") or []
            errors = [str(e) for e in (raw if isinstance(raw, list) else [raw])]
            if status < 400:  # noqa: PLR2004
                return ApiError(
                    "the API reported failure: " + ("; ".join(errors) or "no reason given"),
                    request=response.request,
                    status_code=status,
                    body=response.text,
                    errors=errors,
                )
    if status < 400:  # noqa: PLR2004
        return None
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else ClientError  # noqa: PLR2004
    detail = "; ".join(errors) if errors else _reason(status)
    message = f"HTTP {status}: {detail}"
    kwargs: dict[str, Any] = {
        "request": response.request,
        "status_code": status,
        "body": response.text,
        "errors": errors,
    }
    if cls is RateLimitedError or cls is ServerError:
        # Honoured on 429 and on 5xx (a 503 with `Retry-After` says when to come back).
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return cls(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def _reason(status: int) -> str:
    from http import HTTPStatus  # noqa: PLC0415 - only on the error path

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def _is_loopback(host: str) -> bool:
    # A name such as `127.example.com` is not loopback: only literal addresses and localhost.
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str, *, allow_insecure_http: bool) -> str:
    """Check and normalise the base URL (trailing slash; https unless loopback or opted in).

    Raises:
        ConfigurationError: The URL is unusable or unsafe.
    """
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        # Checked first, and the URL is not quoted: it holds a secret.
        raise ConfigurationError("base_url must not contain credentials; pass them separately")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment, got {url!r}")
    loopback = _is_loopback(parts.hostname)
    if parts.scheme == "http" and not (loopback or allow_insecure_http):
        raise ConfigurationError(
            "plain http is only allowed for loopback hosts; pass allow_insecure_http=True "
            "to send credentials unencrypted"
        )
    return url if url.endswith("/") else url + "/"
