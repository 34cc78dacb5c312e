"""Rate endpoints (`/v3/accounts/{ACCOUNT}/rates/...` and `.../rate/{NUMBER}`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation

from simwood_async._area import Area, unwrap
from simwood_async._http import ApiResponse, path
from simwood_async._operation import operation
from simwood_async._validate import e164, plain_id
from simwood_async.exceptions import DecodeError
from simwood_async.rates._models import (
    DestinationRates,
    RateCard,
    RateCardRow,
    Tariff,
)

__all__ = ["RatesApi"]

_EFFECTIVE = re.compile(r"\s*Effective:\s*(\d{4}-\d{2}-\d{2})\s*$")
_COLUMNS = (
    "prefix",
    "location",
    "day",
    "evening",
    "weekend",
    "connection",
    "minimum_sec",
    "increment_sec",
)


class RatesApi(Area):
    """`client.rates`: tariffs, CSV ratecards and per-number rate lookup.

    .. versionadded:: 0.1.0
    """

    __slots__ = ()

    @operation("GET", "/v3/accounts/{ACCOUNT}/rates/tariffs")
    async def tariffs(self) -> tuple[Tariff, ...]:
        """The tariffs available to the account."""
        response = await self._t.request(
            "GET", path("accounts", self._t.account, "rates", "tariffs"), retry=True
        )
        return self._decode(response, tuple[Tariff, ...], unwrap(response.json()))

    @operation("GET", "/v3/accounts/{ACCOUNT}/rates/csv/[default|silver|platinum|gold|{name}]")
    async def ratecard(self, deck: str = "default") -> RateCard:
        """Download and parse a CSV ratecard.

        Args:
            deck: `default`, `platinum`, `gold`, `silver`, or a tariff's CSV name (as in the
                `url` of `tariffs()`, e.g. `Simwood_Gold.csv`).
        """
        name = plain_id(deck, name="deck")
        response = await self._t.request(
            "GET", path("accounts", self._t.account, "rates", "csv", name), retry=True
        )
        return parse_ratecard(response)

    @operation("GET", "/v3/accounts/{ACCOUNT}/rate/{NUMBER}")
    async def destination(self, number: str | int) -> DestinationRates:
        """The rates of the destination that `number` (E.164, no `+`) belongs to."""
        digits = e164(number)
        response = await self._t.request(
            "GET", path("accounts", self._t.account, "rate", digits), retry=True
        )
        return self._decode(response, DestinationRates, unwrap(response.json()))


def parse_ratecard(response: ApiResponse) -> RateCard:
    """Parse the CSV ratecard body: an `Effective: YYYY-MM-DD` line, a header, then rows."""
    text = response.content.decode("utf-8-sig", errors="replace")
    first, _, rest = text.partition("\n")
    match = _EFFECTIVE.match(first)
    try:
        if match is None:
            raise ValueError("the first line is not 'Effective: YYYY-MM-DD'")
        effective = dt.date.fromisoformat(match.group(1))
        reader = csv.reader(io.StringIO(rest))
        header = tuple(h.strip() for h in next(reader))
        if header != _COLUMNS:
            raise ValueError(f"unexpected header {header!r}")
        rows = tuple(
            RateCardRow(
                prefix=r[0],
                location=r[1],
                day=Decimal(r[2]),
                evening=Decimal(r[3]),
                weekend=Decimal(r[4]),
                connection=Decimal(r[5]),
                minimum_sec=int(r[6]),
                increment_sec=int(r[7]),
            )
            for r in reader
            if r
        )
    except (ValueError, IndexError, StopIteration, InvalidOperation) as err:
        raise DecodeError(
            f"unreadable ratecard CSV: {err!r}",
            request=response.request,
            status_code=response.status_code,
            body=response.text,
        ) from err
    return RateCard(effective=effective, rows=rows)
