"""simwood-async: an async SDK for the Simwood wholesale telephony API (v3).

```python
from simwood_async import SimwoodClient

async with SimwoodClient() as client:  # credentials from SIMWOOD_API_USER/PASSWORD/ACCOUNT
    print(await client.accounts.prepay_balance())
```
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from simwood_async._client import DEFAULT_LIMITS, DEFAULT_TIMEOUT, NOT_GIVEN, SimwoodClient
from simwood_async._config import DEFAULT_BASE_URL
from simwood_async._http import Credentials
from simwood_async._limits import RequestLimiter
from simwood_async._retry import RetryPolicy, set_testing
from simwood_async._types import GMT, UK, UkDateTime, UtcDateTime
from simwood_async.exceptions import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConfigurationError,
    ConnectError,
    DeadlineExceededError,
    DecodeError,
    IncompleteBodyError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PullFailedError,
    RateLimitedError,
    ReportDownloadError,
    ReportError,
    ReportExpiredError,
    ReportTimeoutError,
    RequestInfo,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    SimwoodError,
    StatusError,
    TransportError,
)

try:
    __version__ = version("simwood-async")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "GMT",
    "NOT_GIVEN",
    "UK",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "ConfigurationError",
    "ConnectError",
    "Credentials",
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
    "RequestLimiter",
    "RequestTimeoutError",
    "ResponseError",
    "RetryPolicy",
    "ServerError",
    "SimwoodClient",
    "SimwoodError",
    "StatusError",
    "TransportError",
    "UkDateTime",
    "UtcDateTime",
    "__version__",
    "set_testing",
]
