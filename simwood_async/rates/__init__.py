"""Termination rates: tariffs, CSV ratecards, destination lookup."""

from __future__ import annotations

from simwood_async.rates._api import RatesApi
from simwood_async.rates._models import (
    DestinationRate,
    DestinationRates,
    RateCard,
    RateCardRow,
    Tariff,
)

__all__ = ["DestinationRate", "DestinationRates", "RateCard", "RateCardRow", "RatesApi", "Tariff"]
