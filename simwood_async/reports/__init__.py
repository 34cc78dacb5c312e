"""Asynchronous reports: request, wait, download once (`client.reports`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simwood_async.reports._api import ReportsApi
from simwood_async.reports._callbacks import CallbackReceiver
from simwood_async.reports._engine import ReportEngine
from simwood_async.reports._models import (
    PrepaySummaryRow,
    ReportEnvelope,
    ReportFile,
    VoiceSummaryRow,
)
from simwood_async.reports._options import ReportOptions
from simwood_async.reports._policy import GenerationModel
from simwood_async.reports._profile import ReportProfile
from simwood_async.reports._request import (
    LATEST_SIZES,
    Direction,
    LatestSize,
    ReportRequest,
    ReportTicket,
)
from simwood_async.reports._stats import ReportStats, ReportTiming
from simwood_async.reports._store import Claim, InMemoryReportStore, ReportStore, StoredOutcome

if TYPE_CHECKING:
    from simwood_async.reports._redis import RedisReportStore
    from simwood_async.reports._redis_limit import FleetLimiter

__all__ = [
    "LATEST_SIZES",
    "CallbackReceiver",
    "Claim",
    "Direction",
    "FleetLimiter",
    "GenerationModel",
    "InMemoryReportStore",
    "LatestSize",
    "PrepaySummaryRow",
    "RedisReportStore",
    "ReportEngine",
    "ReportEnvelope",
    "ReportFile",
    "ReportOptions",
    "ReportProfile",
    "ReportRequest",
    "ReportStats",
    "ReportStore",
    "ReportTicket",
    "ReportTiming",
    "ReportsApi",
    "StoredOutcome",
    "VoiceSummaryRow",
]


def __getattr__(name: str) -> Any:
    """`RedisReportStore` and `FleetLimiter` are imported on first use: they need `[redis]`."""
    if name in ("FleetLimiter", "RedisReportStore"):
        try:
            from simwood_async.reports._redis import RedisReportStore  # noqa: PLC0415
            from simwood_async.reports._redis_limit import FleetLimiter  # noqa: PLC0415
        except ImportError as err:
            raise ImportError(
                f"{name} needs the [redis] extra: pip install 'simwood-async[redis]'"
            ) from err
        return FleetLimiter if name == "FleetLimiter" else RedisReportStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
