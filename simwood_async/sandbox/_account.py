"""The account's synthetic non-CDR data and its small mutable state.

Invoices, a valid PDF, tariffs, a CSV ratecard, per-number rates, balances, prepayments and
transfers, channel counts and calls in progress: all derived from the seed and the clock.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from decimal import Decimal
from typing import Any, Final, TypeAlias

from simwood_async._types import GMT, UK
from simwood_async.accounts._models import (
    AccountType,
    Balance,
    BalanceAlert,
    Invoice,
    InvoiceList,
    LockedBalance,
)
from simwood_async.rates._models import DestinationRate, DestinationRates, Tariff
from simwood_async.sandbox._data import DESTINATIONS, mix
from simwood_async.voice._models import (
    CallInProgress,
    ChannelCount,
    CountryCalls,
    DestinationCalls,
    DynamicLimits,
    InProgressSummary,
    VoiceLimits,
)

__all__ = ["AccountState", "SummaryDay", "minimal_pdf"]

#: One day of the prepay summary: date, opening, prepayments, transfers, charges, closing.
SummaryDay: TypeAlias = tuple[dt.date, Decimal, Decimal, Decimal, Decimal, Decimal]

_CENT: Final = Decimal("0.01")
_MILLI: Final = Decimal("0.00001")
_DECKS: Final = {"platinum": Decimal("1.15"), "gold": Decimal("1.0"), "silver": Decimal("0.85")}


def minimal_pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing `text` (ASCII)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 720 Td ({safe}) Tj ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class AccountState:
    """Everything about the account that is not a CDR or a report."""

    def __init__(self, *, seed: int, account: str) -> None:
        self.seed = seed
        self.account = account
        self._rng = random.Random(f"{seed}:account")  # noqa: S311
        self.lock = threading.Lock()
        self.balance = Decimal(self._rng.randrange(5000_00000, 50000_00000)) * _MILLI
        self.alert_balance: Decimal | None = Decimal(50)
        self.locked = Decimal(0)
        self.limits = VoiceLimits(
            channel_allocation=30,
            channel_allocation_adjustable=True,
            channel_allocation_global_numbers=10,
            limit_concurrent_in=10,
            limit_concurrent_out=20,
            limit_concurrent_out_per_number=10,
            limit_concurrent_out_international=3,
            limit_concurrent_out_hotspot=2,
            limit_rate_out="10/1s",
            limit_rate_out_international=None,
            limit_rate_out_hotspot="2/12h",
            # What the platform applies on its own (the balance is filled in when read).
            dynamic=DynamicLimits(limit_concurrent_out=3, limit_rate_out="30/10s"),
        )
        self.hung_up: set[str] = set()
        #: What chargeable operations debited from the balance: (description, amount).
        self.charges: list[tuple[str, Decimal]] = []

    # --- account, invoices, balance --------------------------------------------------

    def account_type(self) -> AccountType:
        """The account's type."""
        return AccountType(
            account_type="virtual_interconnect",
            number_limit=1000,
            channel_limit=30,
            min_prepay=Decimal(50),
        )

    def invoices(self, today: dt.date) -> list[Invoice]:
        """Twelve monthly invoices, newest first; the latest two are unpaid."""
        rng = random.Random(f"{self.seed}:invoices")  # noqa: S311
        out = []
        first = today.replace(day=1)
        for n in range(12):
            month = (first.year * 12 + first.month - 1) - n
            date = dt.date(month // 12, month % 12 + 1, 1)
            net = (Decimal(rng.randrange(5000, 90000)) * _CENT).quantize(_CENT)
            vat = (net * Decimal("0.2")).quantize(_CENT)
            total = net + vat
            paid = total if n >= 2 else Decimal("0.00")  # noqa: PLR2004
            out.append(
                Invoice(
                    invoice_number=f"I30{self.account[-4:]}{month % 10000:04d}",
                    date=date,
                    due_date=date + dt.timedelta(days=30),
                    currency="GBP",
                    net=net,
                    vat=vat,
                    total=total,
                    amount_paid=paid,
                    amount_credited=Decimal("0.00"),
                    amount_due=total - paid,
                )
            )
        return out

    def invoice_list(self, status: str, today: dt.date) -> InvoiceList:
        """Invoices filtered by `all`, `paid` or `unpaid`, with the totals due."""
        every = self.invoices(today)
        due = sum((i.amount_due for i in every), Decimal("0.00"))
        overdue = sum((i.amount_due for i in every if i.due_date < today), Decimal("0.00"))
        chosen = [
            i
            for i in every
            if status == "all" or (status == "paid") == (i.amount_due == Decimal(0))
        ]
        return InvoiceList(
            invoices=tuple(chosen),
            total_due={"GBP": due},
            total_overdue={"GBP": overdue} if overdue else None,
        )

    def charge(self, amount: Decimal, description: str) -> None:
        """Debit the prepay balance for a chargeable operation (e.g. a gold number's fee)."""
        with self.lock:
            self.balance -= amount
            self.charges.append((description, amount))

    def balance_row(self) -> Balance:
        """The prepay balance."""
        return Balance(balance=self.balance, currency="GBP")

    def alert(self) -> BalanceAlert:
        """The balance alert."""
        return BalanceAlert(account=self.account, alert_balance=self.alert_balance)

    def locked_row(self) -> LockedBalance:
        """The locked balance."""
        return LockedBalance(
            account=self.account,
            balance=self.balance,
            locked=self.locked,
            available=self.balance - self.locked,
        )

    def movements(self, kind: str, today: dt.date) -> list[dict[str, Any]]:
        """Prepayments or transfers (the API documents no shape: plausible rows), newest first."""
        rng = random.Random(f"{self.seed}:{kind}")  # noqa: S311
        rows = []
        for n in range(15):
            date = today - dt.timedelta(days=7 * n + rng.randrange(7))
            amount = Decimal(rng.randrange(20, 500)) if kind == "prepayments" else None
            row: dict[str, Any] = {
                "id": f"{kind[0].upper()}{mix(self.seed ^ n ^ len(kind)) % 10**8:08d}",
                "date": f"{date.isoformat()} 10:{n:02d}:00",
                "currency": "GBP",
            }
            if kind == "prepayments":
                row.update(amount=str(amount), method=rng.choice(["card", "bank_transfer"]))
            else:
                row.update(
                    amount=str(Decimal(rng.randrange(-20000, 20000)) * _CENT),
                    other_account=str(930001 + rng.randrange(5)),
                )
            rows.append(row)
        return rows

    def prepay_summary(self, first: dt.date, last: dt.date) -> list[SummaryDay]:
        """One row per day; each day's opening balance is the previous day's closing.

        Rows are (date, opening, prepayments, transfers, charges, closing).
        """

        def closing(day: dt.date) -> Decimal:
            return Decimal(100_00000 + mix(self.seed ^ day.toordinal()) % 900_00000) * _MILLI

        rows = []
        day = first
        while day <= last:
            opening = closing(day - dt.timedelta(days=1))
            close = closing(day)
            h = mix(self.seed ^ day.toordinal() ^ 0xABCDEF)
            charges = Decimal(h % 30_00000) * _MILLI
            transfers = Decimal(0) if h % 7 else Decimal(-10)
            prepayments = close - opening + charges - transfers
            if prepayments < 0:
                charges -= prepayments
                prepayments = Decimal(0)
            rows.append((day, opening, prepayments, transfers, charges, close))
            day += dt.timedelta(days=1)
        return rows

    # --- rates ---------------------------------------------------------------------------

    def tariffs(self) -> list[Tariff]:
        """The tariffs available to the account."""
        return [
            Tariff(
                description=f"GBP {deck.title()}",
                servicelevel=level,
                quality=deck.title(),
                prefix=str(999000 + level),
                url=f"/v3/accounts/{self.account}/rates/csv/Simwood_{deck.title()}.csv",
                default=deck == "gold",
            )
            for level, deck in enumerate(_DECKS, start=1)
        ]

    def ratecard_csv(self, name: str, today: dt.date) -> str | None:
        """A CSV ratecard for a deck or tariff CSV name; None if unknown."""
        deck = name.lower().removeprefix("simwood_").removesuffix(".csv")
        deck = "gold" if deck == "default" else deck
        factor = _DECKS.get(deck)
        if factor is None:
            return None
        header = '"prefix","location","day","evening","weekend","connection"'
        lines = [
            f"Effective: {today.replace(day=1).isoformat()}",
            header + ',"minimum_sec","increment_sec"',
        ]
        for dest in DESTINATIONS:
            day_rate = (dest.rate * factor).quantize(Decimal("0.000001"))
            evening = (day_rate * Decimal("0.8")).quantize(Decimal("0.000001"))
            lines.append(
                f'{dest.prefix},"{dest.location}",{day_rate},{evening},{evening},0.0000,1,1'
            )
        return "\n".join(lines) + "\n"

    def rate_for(self, number: str) -> DestinationRates | None:
        """The rates of the destination a number belongs to (longest prefix), if any."""
        best = max(
            (d for d in DESTINATIONS if number.startswith(d.prefix[:4])),
            key=lambda d: len(d.prefix),
            default=None,
        )
        if best is None:
            return None
        rates = {}
        for key, factor in zip(("1", "2", "3"), _DECKS.values(), strict=True):
            price = (best.rate * factor).quantize(_MILLI)
            rates[key] = DestinationRate(
                peak=price, offpeak=price, weekend=price, connection=Decimal("0.0000")
            )
        return DestinationRates(description=best.location, rates=rates)

    # --- channels and calls in progress ---------------------------------------------------

    def channels_at(self, moment: dt.datetime) -> ChannelCount:
        """Channels in use at a moment (UK local time, whole minutes)."""
        minute = int(moment.timestamp()) // 60
        h = mix(self.seed ^ minute ^ 0x77)
        inbound, outbound = h % 8, (h >> 8) % 15
        local = dt.datetime.fromtimestamp(minute * 60, UK)
        return ChannelCount(
            datetime=local,  # type: ignore[arg-type]
            channels=inbound + outbound,
            channels_in=inbound,
            channels_out=outbound,
        )

    def channel_history(self, now: float, interval: str) -> list[ChannelCount]:
        """About the last 24 hours, newest first."""
        step = {"1m": 60, "5m": 300, "1h": 3600}[interval]
        last = int(now) // step * step
        return [
            self.channels_at(dt.datetime.fromtimestamp(last - n * step, GMT))
            for n in range(86400 // step)
        ]

    def calls(self, now: float) -> dict[str, CallInProgress]:
        """The calls in progress now, by call id (hung-up ones excluded)."""
        minute = int(now) // 60
        out = {}
        for n in range(5):
            h = mix(self.seed ^ (minute << 8) ^ n)
            call_id = f"{h:032x}"[:24]
            if call_id in self.hung_up:
                continue
            dest = DESTINATIONS[h % len(DESTINATIONS)]
            start = dt.datetime.fromtimestamp(int(now) - 5 - h % 50, UK)
            out[call_id] = CallInProgress(
                to=f"{dest.prefix}{(h >> 16) % 10**6:06d}",
                start=start,  # type: ignore[arg-type]
                destid=dest.destid,
                progress=start + dt.timedelta(seconds=2),  # type: ignore[arg-type]
                answered=start + dt.timedelta(seconds=4),  # type: ignore[arg-type]
                sip_call_id=f"{h:016x}@sip.sandbox.invalid",
            )
        return out

    def in_progress(self, now: float) -> InProgressSummary:
        """The in-progress summary: calls by destination and by country."""
        calls = self.calls(now)
        by_dest: dict[str, DestinationCalls] = {}
        by_country: dict[str, CountryCalls] = {}
        per_call = Decimal("0.012")
        for call in calls.values():
            dest = next(d for d in DESTINATIONS if d.destid == call.destid)
            old = by_dest.get(dest.destid)
            by_dest[dest.destid] = DestinationCalls(
                location=dest.location,
                country=dest.iso,
                total=(old.total if old else 0) + per_call,
                callcount=(old.callcount if old else 0) + 1,
            )
            seen = by_country.get(dest.iso)
            by_country[dest.iso] = CountryCalls(
                total=(seen.total if seen else 0) + per_call,
                callcount=(seen.callcount if seen else 0) + 1,
            )
        total = per_call * len(calls)
        return InProgressSummary(
            datetime=dt.datetime.fromtimestamp(int(now), UK),  # type: ignore[arg-type]
            total=total,
            callcount=len(calls),
            balance=self.balance,
            percent_available=Decimal("0.25"),
            approx_seconds_remaining=int(self.balance / Decimal("0.01") * 60),
            calls=by_dest,
            countries=by_country,
        )
