"""Bulk pulls of call detail records."""

from __future__ import annotations

from simwood_async.cdrs._models import SmsCdr, VoiceCdr

__all__ = ["SmsCdr", "VoiceCdr"]
