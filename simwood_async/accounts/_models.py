"""Models of the account endpoints. Money is `Decimal`; ids are strings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["AccountType", "Balance", "BalanceAlert", "Invoice", "InvoiceList", "LockedBalance"]


@attrs.frozen(kw_only=True)
class AccountType:
    """The account's type and the limits that come with it.

    Attributes:
        account_type: `developer`, `startup`, `virtual_interconnect` or `managed_interconnect`.
        extra: Keys the API sent that are not modelled here (e.g. newer limits), kept as sent.

    .. versionadded:: 0.1.0
    """

    account_type: str
    number_limit: int | None = None
    channel_limit: int | None = None
    min_prepay: Decimal | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class Invoice:
    """One credit-account invoice.

    .. versionadded:: 0.1.0
    """

    invoice_number: str
    date: dt.date
    due_date: dt.date
    currency: str
    net: Decimal
    vat: Decimal
    total: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    amount_due: Decimal


@attrs.frozen(kw_only=True)
class InvoiceList:
    """Invoices and the totals due, per currency.

    Attributes:
        total_overdue: None when nothing is overdue (the API sends `null`).

    .. versionadded:: 0.1.0
    """

    invoices: tuple[Invoice, ...]
    total_due: dict[str, Decimal] = attrs.field(factory=dict)
    total_overdue: dict[str, Decimal] | None = None


@attrs.frozen(kw_only=True)
class Balance:
    """The prepay balance.

    .. versionadded:: 0.1.0
    """

    balance: Decimal
    currency: str


@attrs.frozen(kw_only=True)
class BalanceAlert:
    """The low-balance alert threshold.

    .. versionadded:: 0.1.0
    """

    account: str
    alert_balance: Decimal | None


@attrs.frozen(kw_only=True)
class LockedBalance:
    """How much of the prepay balance is locked (reserved) and how much is available.

    .. versionadded:: 0.1.0
    """

    account: str
    balance: Decimal
    locked: Decimal
    available: Decimal
