"""Porting: geographic (GNP) orders, losing providers, mobile (MNP) ports."""

from __future__ import annotations

from simwood_async.porting._api import PortingApi
from simwood_async.porting._models import (
    GnpCustomer,
    GnpNumber,
    GnpOrder,
    GnpOrderDetail,
    GnpOrderSummary,
    GnpSubmission,
    LosingProvider,
    MnpPort,
    NumberAction,
    NumberType,
    PortEvent,
    PortType,
)

__all__ = [
    "GnpCustomer",
    "GnpNumber",
    "GnpOrder",
    "GnpOrderDetail",
    "GnpOrderSummary",
    "GnpSubmission",
    "LosingProvider",
    "MnpPort",
    "NumberAction",
    "NumberType",
    "PortEvent",
    "PortType",
    "PortingApi",
]
