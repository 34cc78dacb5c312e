"""Every error the SDK raises, in one tree.

```
SimwoodError
├── InvalidInputError (also ValueError)   bad arguments, raised before any request is sent
│   └── ConfigurationError                missing credentials, unsafe base URL, ...
├── TransportError                        the request did not produce a complete response
│   ├── ConnectError
│   ├── RequestTimeoutError               one attempt timed out
│   │   └── DeadlineExceededError         the call's overall deadline passed
│   └── IncompleteBodyError               the connection broke mid-body (truncated download)
├── ResponseError                         a response arrived and it is an error
│   ├── StatusError                       an HTTP error status
│   │   ├── BadRequestError               400
│   │   ├── AuthenticationError           401
│   │   ├── PermissionDeniedError         403
│   │   ├── NotFoundError                 404
│   │   ├── RateLimitedError              429 (with retry_after)
│   │   ├── ClientError                   any other 4xx
│   │   └── ServerError                   5xx
│   ├── ApiError                          {"success": false, "errors": [...]} with a 2xx status
│   └── DecodeError                       bad JSON, an HTML error page, an unexpected shape
├── PullFailedError                       one account of a many-account pull failed off the API
└── ReportError                           an asynchronous report could not be delivered
    ├── ReportExpiredError                gone (404) and the re-request budget is spent
    ├── ReportTimeoutError                not ready by the report's deadline
    └── ReportDownloadError               every download attempt broke or failed to decode
```

Every error that concerns a request names it (`error.request`: method and path, never a
credential). Response errors carry `status_code` and the (size-limited) `body` text.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "ConfigurationError",
    "ConnectError",
    "DeadlineExceededError",
    "DecodeError",
    "IncompleteBodyError",
    "InvalidInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "PullFailedError",
    "RateLimitedError",
    "ReportDownloadError",
    "ReportError",
    "ReportExpiredError",
    "ReportTimeoutError",
    "RequestInfo",
    "RequestTimeoutError",
    "ResponseError",
    "ServerError",
    "SimwoodError",
    "StatusError",
    "TransportError",
]

#: Bodies quoted in errors are cut to this many characters.
MAX_BODY_CHARS = 2000


@attrs.frozen
class RequestInfo:
    """What an error says about the request that caused it: never headers or credentials.

    Attributes:
        method: The HTTP method, upper case.
        path: The URL path (and query string, if any) relative to the host.
    """

    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class SimwoodError(Exception):
    """The root of every error the SDK raises."""

    def __init__(self, message: str, *, request: RequestInfo | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request

    def __str__(self) -> str:
        if self.request is None:
            return self.message
        return f"{self.message} ({self.request})"


class InvalidInputError(SimwoodError, ValueError):
    """An argument is invalid; raised before any request is sent."""


class ConfigurationError(InvalidInputError):
    """The client is not configured for this call (credentials, account, base URL)."""


class TransportError(SimwoodError):
    """The request did not produce a complete response.

    The message names the server (`scheme://host:port`) and the cause (connection refused,
    DNS lookup failed, TLS error, timed out, ...). The chained `__cause__` keeps only the HTTP
    library's exception type and message, never the request or its headers.

    Attributes:
        status_code: The response status if the headers had arrived (a broken body), else None.
    """

    def __init__(
        self, message: str, *, request: RequestInfo | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message, request=request)
        self.status_code = status_code


class ConnectError(TransportError):
    """The connection could not be established, or was reset before a response."""


class RequestTimeoutError(TransportError):
    """An attempt timed out (connect, read, write or waiting for a pooled connection)."""


class DeadlineExceededError(RequestTimeoutError):
    """The call's overall deadline passed (it covers every attempt and every backoff)."""


class IncompleteBodyError(TransportError):
    """The connection broke while the body was being received."""


class ResponseError(SimwoodError):
    """A response arrived, and it reports a failure or cannot be understood."""

    def __init__(
        self,
        message: str,
        *,
        request: RequestInfo | None = None,
        status_code: int,
        body: str = "",
        errors: Sequence[str] = (),
    ) -> None:
        super().__init__(message, request=request)
        self.status_code = status_code
        self.body = body[:MAX_BODY_CHARS]
        self.errors = tuple(errors)


class StatusError(ResponseError):
    """The response has an HTTP error status."""


class BadRequestError(StatusError):
    """400: the API rejected the request."""


class AuthenticationError(StatusError):
    """401: the credentials were missing or wrong."""


class PermissionDeniedError(StatusError):
    """403: the credentials do not allow this."""


class NotFoundError(StatusError):
    """404: no such resource (or a report that expired or was already collected)."""


class RateLimitedError(StatusError):
    """429: too many requests.

    Attributes:
        retry_after: Seconds the server asked us to wait, if it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ClientError(StatusError):
    """Any other 4xx status."""


class ServerError(StatusError):
    """A 5xx status.

    Attributes:
        retry_after: Seconds the server asked us to wait (`Retry-After`, e.g. on a 503), if it
            said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ApiError(ResponseError):
    """The API answered `{"success": false, "errors": [...]}` with a success status."""


class DecodeError(ResponseError):
    """The body could not be decoded: bad JSON, an HTML error page, an unexpected shape."""


class PullFailedError(SimwoodError):
    """One account of `pull_accounts` failed on something other than the API.

    For example its file could not be written; the original error is `__cause__`.
    """


class ReportError(SimwoodError):
    """An asynchronous report could not be delivered.

    Attributes:
        report_hash: The last hash the server gave for the report, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        request: RequestInfo | None = None,
        report_hash: str | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.report_hash = report_hash


class ReportExpiredError(ReportError):
    """The report expired or was collected elsewhere, and the re-request budget is spent."""


class ReportTimeoutError(ReportError):
    """The report was not ready by its deadline."""


class ReportDownloadError(ReportError):
    """Every download attempt broke mid-body or returned an undecodable body."""
