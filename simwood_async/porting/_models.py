"""Models of the porting endpoints: GNP orders (geographic), MNP ports (mobile), LCPs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from simwood_async._types import UkDateTime

__all__ = [
    "GnpCustomer",
    "GnpNumber",
    "GnpOrder",
    "GnpOrderDetail",
    "GnpOrderSummary",
    "GnpSubmission",
    "LosingProvider",
    "MnpPort",
    "PortEvent",
]

#: A GNP order's type; a number's role in it; what happens to that number.
PortType = Literal["single", "multi", "sub_single", "sub_multi"]
NumberType = Literal["mbn", "associated", "other"]
NumberAction = Literal["port", "retain", "drop"]


@attrs.frozen(kw_only=True)
class GnpCustomer:
    """The end user on the losing provider's records (not the same as 999 details).

    Maximum lengths: title 20, forename 20, name 50, company 50, bussuffix 50, premises 60,
    thoroughfare 55, locality 30, postcode 12. `premises`, `thoroughfare`, `locality` and
    `postcode` are mandatory. For a business, `company` is the business and `forename` /
    `name` the LoA signatory.

    .. versionadded:: 0.1.0
    """

    premises: str = ""
    thoroughfare: str = ""
    locality: str = ""
    postcode: str = ""
    title: str | None = None
    forename: str | None = None
    name: str | None = None
    company: str | None = None
    bussuffix: str | None = None
    loa_initial: str | None = None
    loa_surname: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class GnpNumber:
    """A number of a GNP order, in UK national format (`01...` or `02...`).

    Attributes:
        type: `mbn` (the main billing number; exactly one), `associated` (e.g. another DDI of
            the line) or `other` (at the same address, not associated).
        action: `port` to Simwood, `retain` service as is (`other` numbers only), or `drop`
            (cease on the port date).

    .. versionadded:: 0.1.0
    """

    number: str
    type: NumberType
    action: NumberAction = "port"
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class GnpOrder:
    """A geographic number port order.

    ```python
    order = GnpOrder(
        mbn="01632960100", lcp="BT", lcp_cupid="001", contact_email="me@example.com",
        account_number="NA1234B32", billing_postcode="A12 3BC", type="multi", lines=1,
        channels=30, customer=GnpCustomer(premises="123", thoroughfare="Some Street",
        locality="Sometown", postcode="A12 3BC", name="Doe"),
        numbers=(GnpNumber(number="01632960100", type="mbn"),
                 GnpNumber(number="01632960101", type="associated")),
    )
    ```

    Attributes:
        mbn: The main billing number, UK national format; it is also in `numbers`.
        lcp: The losing provider's name (see `client.porting.losing_providers()`).
        lcp_cupid: Its CUPID (or the hosting network's), e.g. `1` or `"001"`.
        contact_email: The submitter's address (yours, not your customer's).
        type: `single`, `multi`, `sub_single` or `sub_multi` (subsequent ports, when the
            number was ported before).
        port_date: The date (CRD) to port on; as soon as possible when None.
        orig_ref: The reference of the rejected order this one resubmits (billed at the
            reduced resubmission rate only when given).

    .. versionadded:: 0.1.0
    """

    mbn: str
    lcp: str
    lcp_cupid: str | int
    contact_email: str
    account_number: str
    billing_postcode: str
    type: PortType
    lines: int
    channels: int
    customer: GnpCustomer
    numbers: tuple[GnpNumber, ...]
    port_date: dt.datetime | None = None
    orig_ref: str | None = None


@attrs.frozen(kw_only=True)
class GnpSubmission:
    """A submitted GNP order: its reference (the ticket to track) and its URL.

    .. versionadded:: 0.1.0
    """

    ref: str
    url: str | None = None


@attrs.frozen(kw_only=True)
class GnpOrderSummary:
    """A GNP order in the list (outstanding, or completed within 90 days).

    Attributes:
        date: When it was submitted.
        crd: The committed port date.

    .. versionadded:: 0.1.0
    """

    ref: str
    mbn: str
    date: dt.date | None = None
    crd: dt.date | None = None
    status_code: str | None = None
    status: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class PortEvent:
    """One step of an order's history.

    .. versionadded:: 0.1.0
    """

    date: UkDateTime
    status_code: str
    status: str | None = None
    info: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class GnpOrderDetail:
    """A GNP order as submitted, with its status, range holder and history (`events`).

    .. versionadded:: 0.1.0
    """

    mbn: str
    status: str | None = None
    status_code: str | None = None
    contact_email: str | None = None
    lcp: str | None = None
    rh: str | None = None
    account_number: str | None = None
    billing_postcode: str | None = None
    type: str | None = None
    lines: int | None = None
    channels: int | None = None
    customer: GnpCustomer | None = None
    numbers: tuple[GnpNumber, ...] = ()
    events: tuple[PortEvent, ...] = ()
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class LosingProvider:
    """A provider Simwood can port from, and its CUPID (use it as `lcp_cupid`).

    .. versionadded:: 0.1.0
    """

    name: str
    cupid: str
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class MnpPort:
    """A mobile number port (by PAC).

    .. versionadded:: 0.1.0
    """

    pac: str
    msisdn: str
    ref: str
    date_port: dt.date | None = None
    date_added: dt.date | None = None
    date_updated: dt.date | None = None
    status_code: str | None = None
    status: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
