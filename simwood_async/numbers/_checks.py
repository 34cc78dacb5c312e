"""Input checks of the numbers area, done before any request is sent."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from simwood_async._validate import e164, one_of
from simwood_async.exceptions import InvalidInputError
from simwood_async.numbers._models import AllocatedNumberRow, AvailableNumber, EmergencyAddress

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "EMERGENCY_LIMITS",
    "emergency_fields",
    "number_of",
    "search_pattern",
    "sms_settings",
]

#: Maximum lengths of the 999 fields (the docs' table).
EMERGENCY_LIMITS: Final = {
    "title": 20,
    "forename": 20,
    "name": 50,
    "bussuffix": 50,
    "premises": 60,
    "thoroughfare": 55,
    "locality": 30,
    "postcode": 12,
}
_MANDATORY: Final = ("name", "premises", "thoroughfare", "locality", "postcode")
# Royal Mail's form: out-code, one space, in-code (`LS11 5DF`, `S9 5AD`, `EC1A 1BB`).
_POSTCODE: Final = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")
_PATTERN: Final = re.compile(r"[0-9*]{1,20}")
_URL: Final = re.compile(r"https?://[^\s/]+\S*")


def number_of(value: str | int | AvailableNumber | AllocatedNumberRow) -> str:
    """The E.164 digits of a number given as text, int or a search/report row."""
    if isinstance(value, (AvailableNumber, AllocatedNumberRow)):
        return value.e164
    return e164(value)


def search_pattern(pattern: str | None, country_code: int) -> str | None:
    """Check a search pattern against the country it will be read in.

    The API reads a pattern as national digits of `country_code` (the SDK always sends it,
    so `1212*` never silently means the UK's 0121 2...): a UK pattern cannot start with `0`
    (drop the trunk prefix) or `44` (no UK number does: that is the country code); a NANP
    pattern cannot start with `0` or `1` (no area code does).
    """
    one_of("country_code", country_code, (44, 1))
    if pattern is None:
        return None
    given: object = pattern
    if not isinstance(given, str) or not _PATTERN.fullmatch(given):
        raise InvalidInputError(
            f"pattern must be digits with '*' wildcards, e.g. '20*' or '*203*'; got {pattern!r}"
        )
    if country_code == 44 and pattern.startswith(("0", "44")):  # noqa: PLR2004
        raise InvalidInputError(
            "pattern is read as UK national digits without the leading 0 or 44 "
            f"(e.g. '20*' for 020); got {pattern!r}"
        )
    if country_code == 1 and pattern.startswith(("0", "1")):
        raise InvalidInputError(
            "pattern is read as NANP digits without the country code 1 "
            f"(e.g. '212*' for New York); got {pattern!r}"
        )
    return pattern


def emergency_fields(address: EmergencyAddress) -> dict[str, str]:
    """The 999 PUT fields, checked: mandatory fields, maximum lengths, postcode form."""
    if not isinstance(address, EmergencyAddress):
        raise InvalidInputError(
            f"address must be an EmergencyAddress; got {type(address).__name__}"
        )
    fields: dict[str, str] = {}
    for name, limit in EMERGENCY_LIMITS.items():
        value = getattr(address, name)
        if value is None or value == "":
            if name in _MANDATORY:
                raise InvalidInputError(f"address.{name} is mandatory for a 999 record")
            continue
        if not isinstance(value, str):
            raise InvalidInputError(f"address.{name} must be text; got {value!r}")
        text = value.strip()
        if len(text) > limit:
            raise InvalidInputError(
                f"address.{name} must be at most {limit} characters; got {len(text)}"
            )
        fields[name] = text
    postcode = fields["postcode"].upper()
    if not _POSTCODE.fullmatch(postcode):
        raise InvalidInputError(
            "address.postcode must be a full UK postcode with one space between out-code and "
            f"in-code, e.g. 'LS11 5DF'; got {address.postcode!r}"
        )
    fields["postcode"] = postcode
    return fields


def sms_settings(mode: str, endpoint: str) -> Mapping[str, Any]:
    """The SMS PUT body, checked: a known mode, an http(s) URL, TLS only with `http_json`."""
    one_of("mode", mode, ("http_json", "http"))
    given: object = endpoint
    if not isinstance(given, str) or not _URL.fullmatch(given):
        raise InvalidInputError(f"endpoint must be an http(s) URL; got {endpoint!r}")
    if mode == "http" and endpoint.startswith("https:"):
        raise InvalidInputError(
            "the legacy 'http' mode cannot deliver to TLS (https) endpoints; use "
            "mode='http_json' (JSON body, TLS and Unicode supported)"
        )
    return {"mode": mode, "endpoint": endpoint}
