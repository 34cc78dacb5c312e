"""The per-number service settings of `client.numbers`: billing trunk, inbound SMS, 999.

`NumbersApi` inherits them from `NumberServices`, with the paths and the `Number` argument
type that every per-number call shares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from simwood_async._area import Area, single, unwrap
from simwood_async._http import path
from simwood_async._operation import operation
from simwood_async._validate import plain_id
from simwood_async.numbers._checks import emergency_fields, number_of, sms_settings
from simwood_async.numbers._models import (
    AllocatedNumberRow,
    AvailableNumber,
    EmergencyAddress,
    SmsConfig,
)

if TYPE_CHECKING:
    from simwood_async._transport import ApiResponse

__all__ = ["NUMBERS_PATH", "ONE_NUMBER_PATH", "Number", "NumberServices", "nothing_configured"]

#: A number: E.164 digits without `+` (`str` or `int`), or a row that names one.
Number = str | int | AvailableNumber | AllocatedNumberRow
NUMBERS_PATH: Final = "/v3/numbers/{ACCOUNT}"
ONE_NUMBER_PATH: Final = f"{NUMBERS_PATH}/allocated/{{NUMBER}}"
_ONE = ONE_NUMBER_PATH


def nothing_configured(data: Any) -> bool:
    """Whether an answer says "nothing configured" (PHP sends `[]`, `{}` or null)."""
    return data in (None, [], {}, "")


class NumberServices(Area):
    """Trunk, SMS and 999 settings of one allocated number (part of `NumbersApi`)."""

    __slots__ = ()

    def _path(self, *segments: str | int) -> str:
        return path("numbers", self._t.account, *segments)

    async def _get(self, *segments: str | int) -> ApiResponse:
        return await self._t.request("GET", self._path(*segments), retry=True)

    @operation("GET", f"{_ONE}/trunk")
    async def trunk(self, number: Number) -> str | None:
        """The trunk the number is associated with for billing (None if none)."""
        response = await self._get("allocated", number_of(number), "trunk")
        data = unwrap(response.json())
        return None if nothing_configured(data) or not data.get("trunk") else str(data["trunk"])

    @operation("PUT", f"{_ONE}/trunk")
    async def set_trunk(self, number: Number, trunk: str) -> str:
        """Associate the number with a trunk, for billing and CDRs only (not routing)."""
        name = plain_id(trunk, name="trunk")
        url = self._path("allocated", number_of(number), "trunk")
        response = await self._t.request("PUT", url, json={"trunk": name}, retry=True)
        data = unwrap(response.json())
        return str(data["trunk"]) if isinstance(data, dict) and "trunk" in data else name

    @operation("DELETE", f"{_ONE}/trunk")
    async def remove_trunk(self, number: Number) -> None:
        """Remove the number's trunk association."""
        url = self._path("allocated", number_of(number), "trunk")
        await self._t.request("DELETE", url, retry=False)

    @operation("GET", f"{_ONE}/sms")
    async def sms_config(self, number: Number) -> SmsConfig | None:
        """Where inbound SMS to this mobile number are delivered (None if nowhere)."""
        response = await self._get("allocated", number_of(number), "sms")
        data = unwrap(response.json())
        return None if nothing_configured(data) else self._decode(response, SmsConfig, data)

    @operation("PUT", f"{_ONE}/sms")
    async def set_sms_config(
        self, number: Number, endpoint: str, *, mode: Literal["http_json", "http"] = "http_json"
    ) -> None:
        """Deliver inbound SMS to `endpoint` (mobile and OTT numbers only).

        Args:
            number: The number.
            endpoint: The URL receiving a POST per message.
            mode: `http_json` (JSON body; the only mode with TLS and Unicode) or the legacy
                `http` (form-encoded, plain-http endpoints only).

        Raises:
            InvalidInputError: An unknown mode, a bad URL, or https with `http` mode.
        """
        body = sms_settings(mode, endpoint)
        url = self._path("allocated", number_of(number), "sms")
        await self._t.request("PUT", url, json=dict(body), retry=True)

    @operation("DELETE", f"{_ONE}/sms")
    async def delete_sms_config(self, number: Number) -> None:
        """Stop delivering inbound SMS for this number (destroys the setting; never retried)."""
        url = self._path("allocated", number_of(number), "sms")
        await self._t.request("DELETE", url, retry=False)

    @operation("GET", f"{_ONE}/999")
    async def emergency_address(self, number: Number) -> EmergencyAddress | None:
        """The number's 999 name and address (None if none is registered)."""
        response = await self._get("allocated", number_of(number), "999")
        data = single(response.json())
        return None if nothing_configured(data) else self._decode(response, EmergencyAddress, data)

    @operation("PUT", f"{_ONE}/999")
    async def set_emergency_address(self, number: Number, address: EmergencyAddress) -> None:
        """Replace the number's 999 details. **Chargeable** per submission; never retried.

        Raises:
            InvalidInputError: A mandatory field missing, a field too long, or a postcode not
                in the `OUT IN` form (before any request).
        """
        fields = emergency_fields(address)
        url = self._path("allocated", number_of(number), "999")
        await self._t.request("PUT", url, json=fields, retry=False)  # chargeable: never retried
