"""Voice call records: single pages, concurrent bulk pulls, and pulls straight to a file."""

from __future__ import annotations

from simwood_async.cdrs._api import CdrsApi, PullResult
from simwood_async.cdrs._identity import row_identity
from simwood_async.cdrs._models import CdrFilter, SmsCdr, VoiceCdr
from simwood_async.cdrs._multi import (
    AccountProfile,
    AccountPull,
    MultiPullProgress,
    account_profiles,
    pull_accounts,
)
from simwood_async.cdrs._pull import CdrPull
from simwood_async.cdrs._puller import CdrChunk, PullProgress
from simwood_async.cdrs._windows import Window
from simwood_async.cdrs._writers import CSV_COLUMNS

__all__ = [
    "CSV_COLUMNS",
    "AccountProfile",
    "AccountPull",
    "CdrChunk",
    "CdrFilter",
    "CdrPull",
    "CdrsApi",
    "MultiPullProgress",
    "PullProgress",
    "PullResult",
    "SmsCdr",
    "VoiceCdr",
    "Window",
    "account_profiles",
    "pull_accounts",
    "row_identity",
]
