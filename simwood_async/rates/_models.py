"""Models of the rate endpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["DestinationRate", "DestinationRates", "RateCard", "RateCardRow", "Tariff"]

#: Rate decks by the key the API uses in `rate/{NUMBER}`.
DECKS = {"1": "platinum", "2": "gold", "3": "silver"}


@attrs.frozen(kw_only=True)
class Tariff:
    """A tariff available to the account, with the URL of its CSV ratecard.

    Attributes:
        prefix: The dialling prefix that selects this tariff (the API sends a number).

    .. versionadded:: 0.1.0
    """

    description: str
    servicelevel: int
    quality: str
    prefix: str
    url: str
    default: bool = False


@attrs.define(kw_only=True)
class RateCardRow:
    """One destination of a ratecard; per-minute prices.

    Slotted but not frozen (ratecards are large and frozen `__init__` is slow): treat as
    read-only.

    .. versionadded:: 0.1.0
    """

    prefix: str
    location: str
    day: Decimal
    evening: Decimal
    weekend: Decimal
    connection: Decimal
    minimum_sec: int
    increment_sec: int


@attrs.frozen(kw_only=True)
class RateCard:
    """A CSV ratecard and the day it takes effect.

    .. versionadded:: 0.1.0
    """

    effective: dt.date
    rows: tuple[RateCardRow, ...]


@attrs.frozen(kw_only=True)
class DestinationRate:
    """Prices for one deck: peak, off-peak, weekend and connection.

    .. versionadded:: 0.1.0
    """

    peak: Decimal
    offpeak: Decimal
    weekend: Decimal
    connection: Decimal


@attrs.frozen(kw_only=True)
class DestinationRates:
    """The rates for the destination a number belongs to.

    Attributes:
        description: The destination, e.g. `UK - fm3 - Mobile (T-Mobile)`.
        rates: Prices keyed by deck (`"1"` platinum, `"2"` gold, `"3"` silver).
        account_type: The account's type, where the API sends it (real answers do).
        currency: The prices' currency, where the API sends it (real answers do).
        extra: Keys the API sent that are not modelled here, kept as sent.

    .. versionadded:: 0.1.0
    """

    description: str
    rates: dict[str, DestinationRate]
    account_type: str | None = None
    currency: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    def by_quality(self) -> dict[str, DestinationRate]:
        """The same prices keyed by deck name (`platinum`, `gold`, `silver`)."""
        return {DECKS.get(key, key): rate for key, rate in self.rates.items()}
