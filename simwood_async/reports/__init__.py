"""Asynchronous reports: request, wait, download once (`client.reports`)."""

from __future__ import annotations

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
from simwood_async.reports._request import LATEST_SIZES, ReportRequest, ReportTicket
from simwood_async.reports._stats import ReportStats, ReportTiming
from simwood_async.reports._store import Claim, InMemoryReportStore, ReportStore, StoredOutcome

__all__ = [
    "LATEST_SIZES",
    "CallbackReceiver",
    "Claim",
    "GenerationModel",
    "InMemoryReportStore",
    "PrepaySummaryRow",
    "ReportEngine",
    "ReportEnvelope",
    "ReportFile",
    "ReportOptions",
    "ReportRequest",
    "ReportStats",
    "ReportStore",
    "ReportTicket",
    "ReportTiming",
    "ReportsApi",
    "StoredOutcome",
    "VoiceSummaryRow",
]
