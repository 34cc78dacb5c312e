"""Building one request: the body encodings (form, JSON, `payload`, multipart) and headers.

`Transport` sends what is built here (with the credentials, `request_headers`): an
`httpx.Request`, or for the fast transport's lean path (`_fast.py`) a `DirectRequest`. Nothing
here does I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

import httpx

from simwood_async import _json
from simwood_async._http import encode_params
from simwood_async.exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from simwood_async._fast import DirectRequest, DirectSender

__all__ = ["UrlCache", "build_request", "default_headers", "request_headers"]

_MAX_CACHED_URLS: Final = 1024


class UrlCache:
    """Parsed URLs by their text, shared by a transport and its views.

    Parsing a URL is about half the cost of building a request, and calls repeat the same
    few paths (URLs are immutable, so sharing them is safe).
    """

    __slots__ = ("_urls",)

    def __init__(self) -> None:
        self._urls: dict[str, httpx.URL] = {}

    def __call__(self, text: str) -> httpx.URL:
        """The parsed URL of `text`."""
        url = self._urls.get(text)
        if url is None:
            if len(self._urls) >= _MAX_CACHED_URLS:
                self._urls.clear()
            url = self._urls[text] = httpx.URL(text)
        return url


def build_request(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    params: Mapping[str, Any] | None,
    data: Mapping[str, Any] | None,
    json: Any,
    payload: Any,
    files: Any,
    timeout: httpx.Timeout | None,
    direct: DirectSender | None,
    url_of: Callable[[str], httpx.URL],
) -> httpx.Request | DirectRequest:
    """A request with its body encoded (see `Transport.request` for the arguments).

    `headers` is the request's own copy (the content type is added to it). With a `direct`
    sender, a request it can take (any but multipart) is prepared for it instead of httpx;
    `url_of` parses (and caches) the URL for httpx.
    """
    content: bytes | None = None
    form: dict[str, list[str]] | None = None
    fields = encode_params(data) if data else []
    if payload is not None:
        # The API's fallback for JSON where a JSON body is impossible: a form variable.
        fields.append(("payload", _json.dumps(payload).decode()))
    if json is not None:
        if fields or files:
            raise TypeError("a request has either a JSON body or form fields, not both")
        content = _json.dumps(json)
        headers["content-type"] = "application/json"
    elif files:
        form = {}
        for key, value in fields:
            form.setdefault(key, []).append(value)
    elif fields:
        content = urlencode(fields).encode("ascii")
        headers["content-type"] = "application/x-www-form-urlencoded"
    if direct is not None and form is None:
        # The fast transport's lean path: no httpx.Request at all (see `_fast.py`).
        query = encode_params(params) if params else None
        prepared = direct.prepare(
            method, url, query=query, headers=headers, content=content, timeout=timeout
        )
        if prepared is not None:
            return prepared
    extensions = {"timeout": timeout.as_dict()} if timeout is not None else None
    return httpx.Request(
        method,
        url_of(url),
        params=encode_params(params) if params else None,  # type: ignore[arg-type]
        data=form,
        content=content,
        files=files,
        headers=headers,
        extensions=extensions,
    )


def default_headers(http: httpx.AsyncClient) -> dict[str, str]:
    """The client's own headers, with the SDK's User-Agent unless the user set another."""
    headers = dict(http.headers.items())
    agent = headers.get("user-agent", "")
    if not agent or agent.startswith("python-httpx/"):
        headers["user-agent"] = f"simwood-async/{_version()} {agent}".strip()
    return headers


def request_headers(
    headers: dict[str, str], auth_header: str | None, *, auth: bool
) -> dict[str, str]:
    """A copy of `headers` for one request, with the credentials if `auth`.

    Raises:
        ConfigurationError: `auth` is asked for and no credentials are configured.
    """
    headers = headers.copy()
    if auth:
        if auth_header is None:
            raise ConfigurationError(
                "no Simwood credentials configured: pass username= and password= "
                "or set SIMWOOD_API_USER and SIMWOOD_API_PASSWORD"
            )
        headers["authorization"] = auth_header
    return headers


def _version() -> str:
    from simwood_async import __version__  # noqa: PLC0415 - the package imports this module

    return __version__
