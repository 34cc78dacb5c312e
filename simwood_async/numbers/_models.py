"""Models of the numbers endpoints. Numbers are strings; money is `Decimal`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from simwood_async._types import UkDateTime

__all__ = [
    "AllocatedNumber",
    "AllocatedNumberRow",
    "AvailableNumber",
    "EmergencyAddress",
    "FormattedNumber",
    "LastCall",
    "NumberBasic",
    "NumberLookup",
    "NumberRange",
    "NumberValidation",
    "OfcomInfo",
    "ServiceLink",
    "SmsConfig",
]


@attrs.frozen(kw_only=True)
class NumberRange:
    """A UK number range, e.g. `113403` "Geographic - Leeds".

    .. versionadded:: 0.1.0
    """

    id: str
    prefix: str
    sabc: str | None = None
    description: str | None = None
    chargeband: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class AvailableNumber:
    """A number available for allocation (`number` is national, without the country code).

    Attributes:
        recommended_gold_premium: The suggested resale premium of a gold number.
        wholesale_gold_premium: The activation fee charged when allocating it (0 for standard).
        sms: Whether the number can receive SMS.

    .. versionadded:: 0.1.0
    """

    country_code: str
    number: str
    recommended_gold_premium: Decimal | None = None
    wholesale_gold_premium: Decimal | None = None
    block: str | None = None
    bill_class: str | None = None
    sms: bool | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def e164(self) -> str:
        """The number in E.164 without `+` (what the other endpoints take)."""
        return f"{self.country_code}{self.number}"


@attrs.frozen(kw_only=True)
class AllocatedNumberRow:
    """One row of an allocated-numbers report.

    .. versionadded:: 0.1.0
    """

    country_code: str
    number: str
    gold_price: Decimal | None = None
    block: str | None = None
    type: str | None = None
    sms: bool | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def e164(self) -> str:
        """The number in E.164 without `+`."""
        return f"{self.country_code}{self.number}"


@attrs.frozen(kw_only=True)
class NumberBasic:
    """The basic facts of an allocated number.

    .. versionadded:: 0.1.0
    """

    country_code: str
    number: str
    link: str | None = None
    block: str | None = None
    bill_class: str | None = None
    sms: bool | None = None
    recommended_gold_premium: Decimal | None = None
    wholesale_gold_premium: Decimal | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def e164(self) -> str:
        """The number in E.164 without `+`."""
        return f"{self.country_code}{self.number}"


@attrs.frozen(kw_only=True)
class ServiceLink:
    """Where a service of a number is configured (`app` / `appdata` describe the voice set-up).

    .. versionadded:: 0.1.0
    """

    link: str | None = None
    app: str | None = None
    appdata: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class AllocatedNumber:
    """An allocated number and the links to its services.

    Attributes:
        emergency: The `999` service link.

    .. versionadded:: 0.1.0
    """

    basic: NumberBasic
    voice: ServiceLink | None = None
    fax: ServiceLink | None = None
    sms: ServiceLink | None = None
    emergency: ServiceLink | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class LastCall:
    """The most recent call to a number (`calldate` in UK local time, as in-progress data).

    .. versionadded:: 0.1.0
    """

    calldate: UkDateTime
    cli: str | None = None
    disposition: str | None = None
    billsec: int | None = None
    duration: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class SmsConfig:
    """Inbound SMS delivery of a mobile number.

    Attributes:
        mode: `http_json` (a JSON body; the only mode that supports TLS endpoints) or the
            legacy `http` (form-encoded, no modern TLS, no Unicode).
        endpoint: The URL receiving a POST per message.

    .. versionadded:: 0.1.0
    """

    mode: str
    endpoint: str
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class EmergencyAddress:
    """999 details of a number: the name and address the emergency services will see.

    `name` (surname or business name), `premises`, `thoroughfare`, `locality` and `postcode`
    (Royal Mail form `OUT IN`, e.g. `LS11 5DF`) are mandatory; `title` and `forename` are
    for individuals, `bussuffix` for businesses. Maximum lengths: title 20, forename 20,
    name 50, bussuffix 50, premises 60, thoroughfare 55, locality 30, postcode 12.

    Attributes:
        status: The record's status, when the API reports one.
        valid_from: When the record took effect (wire `from`), as the API gives it.
        valid_to: When it stopped applying (wire `to`), as the API gives it.

    .. versionadded:: 0.1.0
    """

    name: str = ""
    premises: str = ""
    thoroughfare: str = ""
    locality: str = ""
    postcode: str = ""
    title: str | None = None
    forename: str | None = None
    bussuffix: str | None = None
    honours: str | None = None
    status: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class FormattedNumber:
    """A number written three ways.

    .. versionadded:: 0.1.0
    """

    e164: str | None = None
    national: str | None = None
    international: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class OfcomInfo:
    """What Ofcom's numbering plan says about a UK number (`valid_cli`: usable as caller ID).

    .. versionadded:: 0.1.0
    """

    status: str | None = None
    use: str | None = None
    rh: str | None = None
    date: dt.date | None = None
    valid_cli: bool | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class NumberValidation:
    """Whether a number is well formed, with its type, original carrier and zones.

    Not a live lookup: `valid` says nothing about whether the number is in service.

    .. versionadded:: 0.1.0
    """

    valid: bool
    country_code: str | None = None
    iso: str | None = None
    national_number: str | None = None
    type: str | None = None
    carrier: str | None = None
    timezones: tuple[str, ...] = ()
    formatted: FormattedNumber | None = None
    ofcom: OfcomInfo | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class NumberLookup:
    """The range holder of a number or range (`rh`), which may not be its current provider.

    .. versionadded:: 0.1.0
    """

    formatted: str | None = None
    code: str | None = None
    prefix: str | None = None
    rh: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
