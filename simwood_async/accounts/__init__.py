"""Account management: account type, credit invoices, prepay balances."""

from __future__ import annotations

from simwood_async.accounts._api import AccountsApi, InvoiceStatus
from simwood_async.accounts._models import (
    AccountType,
    Balance,
    BalanceAlert,
    Invoice,
    InvoiceList,
    LockedBalance,
)

__all__ = [
    "AccountType",
    "AccountsApi",
    "Balance",
    "BalanceAlert",
    "Invoice",
    "InvoiceList",
    "InvoiceStatus",
    "LockedBalance",
]
