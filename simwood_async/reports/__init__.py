"""Asynchronous reports: request, wait, download once."""

from __future__ import annotations

from simwood_async.reports._models import (
    PrepaySummaryRow,
    ReportEnvelope,
    ReportFile,
    VoiceSummaryRow,
)

__all__ = ["PrepaySummaryRow", "ReportEnvelope", "ReportFile", "VoiceSummaryRow"]
