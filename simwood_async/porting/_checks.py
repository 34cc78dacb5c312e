"""Input checks of the porting area (before any request): GNP orders and MNP submissions."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Final

from simwood_async._converter import format_wire_datetime
from simwood_async._types import UK
from simwood_async._validate import day, one_of
from simwood_async.exceptions import InvalidInputError
from simwood_async.porting._models import GnpCustomer, GnpOrder

if TYPE_CHECKING:
    from cattrs import Converter

__all__ = ["gnp_body", "mnp_body", "pac"]

_UK_GEOGRAPHIC: Final = re.compile(r"0[12][0-9]{8,9}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_POSTCODE: Final = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")
_UK_MOBILE: Final = re.compile(r"447[1-9][0-9]{8}")
# PACs are three letters and six digits; the docs' example has seven digits.
_PAC: Final = re.compile(r"[A-Z]{3}[0-9]{6,7}")
_CUSTOMER_LIMITS: Final = {
    "title": 20,
    "forename": 20,
    "name": 50,
    "company": 50,
    "bussuffix": 50,
    "premises": 60,
    "thoroughfare": 55,
    "locality": 30,
    "postcode": 12,
}
_CUSTOMER_MANDATORY: Final = ("premises", "thoroughfare", "locality", "postcode")


def _postcode(name: str, value: object) -> str:
    text = value.strip().upper() if isinstance(value, str) else ""
    if not _POSTCODE.fullmatch(text):
        raise InvalidInputError(
            f"{name} must be a full UK postcode such as 'LS11 5DF'; got {value!r}"
        )
    return text


def _customer(customer: GnpCustomer) -> None:
    if not isinstance(customer, GnpCustomer):
        raise InvalidInputError(f"order.customer must be a GnpCustomer; got {customer!r}")
    for name, limit in _CUSTOMER_LIMITS.items():
        value = getattr(customer, name)
        if not value and name in _CUSTOMER_MANDATORY:
            raise InvalidInputError(f"order.customer.{name} is mandatory")
        if value and len(value) > limit:
            raise InvalidInputError(f"order.customer.{name} must be at most {limit} characters")
    _postcode("order.customer.postcode", customer.postcode)


def gnp_body(order: GnpOrder, converter: Converter) -> dict[str, Any]:
    """The POST body of a GNP order, checked as far as the docs allow."""
    if not isinstance(order, GnpOrder):
        raise InvalidInputError(f"order must be a GnpOrder; got {type(order).__name__}")
    if not _UK_GEOGRAPHIC.fullmatch(order.mbn):
        raise InvalidInputError(
            f"order.mbn must be a UK geographic number in national format (01... or 02...); "
            f"got {order.mbn!r}"
        )
    one_of("order.type", order.type, ("single", "multi", "sub_single", "sub_multi"))
    for name in ("lines", "channels"):
        value = getattr(order, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInputError(f"order.{name} must be a positive integer; got {value!r}")
    cupid = str(order.lcp_cupid)
    if not cupid.isdigit() or len(cupid) > 3 or isinstance(order.lcp_cupid, bool):  # noqa: PLR2004
        raise InvalidInputError(
            f"order.lcp_cupid must be a CUPID such as 1 or '001'; got {cupid!r}"
        )
    if not order.lcp or not order.account_number:
        raise InvalidInputError("order.lcp and order.account_number are mandatory")
    if not _EMAIL.fullmatch(order.contact_email):
        raise InvalidInputError(
            f"order.contact_email must be an email address; got {order.contact_email!r}"
        )
    _postcode("order.billing_postcode", order.billing_postcode)
    _customer(order.customer)
    mbns = [n for n in order.numbers if n.type == "mbn"]
    if len(mbns) != 1 or mbns[0].number != order.mbn:
        raise InvalidInputError("order.numbers must hold the mbn exactly once, with type 'mbn'")
    for n, number in enumerate(order.numbers):
        where = f"order.numbers[{n}]"
        if not _UK_GEOGRAPHIC.fullmatch(number.number):
            raise InvalidInputError(f"{where}.number must be UK national (01.../02...)")
        one_of(f"{where}.type", number.type, ("mbn", "associated", "other"))
        one_of(f"{where}.action", number.action, ("port", "retain", "drop"))
        if number.action == "retain" and number.type != "other":
            raise InvalidInputError(f"{where}: only 'other' numbers can be retained")
    if order.port_date is not None and not isinstance(order.port_date, dt.datetime):
        raise InvalidInputError("order.port_date must be a datetime (the CRD)")
    body = converter.unstructure(order)
    body["port_date"] = (
        None if order.port_date is None else format_wire_datetime(order.port_date, UK)
    )
    body["billing_postcode"] = order.billing_postcode.strip().upper()
    body["customer"] = {k: v for k, v in body["customer"].items() if v not in (None, "")}
    return {k: v for k, v in body.items() if v is not None}


def pac(value: object) -> str:
    """A PAC (Porting Authorisation Code), e.g. `ABC123456`."""
    text = value.strip().upper() if isinstance(value, str) else ""
    if not _PAC.fullmatch(text):
        raise InvalidInputError(
            f"pac must be three letters and six digits, e.g. 'ABC123456'; got {value!r}"
        )
    return text


def mnp_body(
    msisdn: object, pac_code: object, contact_email: object, port_date: dt.date | str | None
) -> dict[str, str]:
    """The POST body of an MNP submission, checked."""
    if not isinstance(msisdn, str) or not _UK_MOBILE.fullmatch(msisdn):
        raise InvalidInputError(
            f"msisdn must be a UK mobile in E.164 without '+', e.g. '447700900123'; got {msisdn!r}"
        )
    if not isinstance(contact_email, str) or not _EMAIL.fullmatch(contact_email):
        raise InvalidInputError(f"contact_email must be an email address; got {contact_email!r}")
    body = {"msisdn": msisdn, "pac": pac(pac_code), "contact_email": contact_email}
    if port_date is not None:
        body["port_date"] = day(port_date, name="port_date")
    return body
