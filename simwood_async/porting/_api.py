"""The porting endpoints (`/v3/porting/{ACCOUNT}/...`): GNP orders, LCPs and MNP ports."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from simwood_async._area import Area, unwrap
from simwood_async._http import path
from simwood_async._operation import operation
from simwood_async._validate import plain_id
from simwood_async.exceptions import DecodeError
from simwood_async.porting._checks import gnp_body, mnp_body, pac
from simwood_async.porting._models import (
    GnpOrder,
    GnpOrderDetail,
    GnpOrderSummary,
    GnpSubmission,
    LosingProvider,
    MnpPort,
)

if TYPE_CHECKING:
    import datetime as dt

    from simwood_async._transport import ApiResponse

__all__ = ["PortingApi"]

_P = "/v3/porting/{ACCOUNT}"


class PortingApi(Area):
    """`client.porting`: port numbers in: geographic (GNP) orders and mobile (MNP) ports.

    Submitting an order is **chargeable** and never retried automatically. To resubmit a
    rejected GNP order, use `resubmit_gnp` (or set `orig_ref`): only then is it billed at the
    reduced resubmission rate.

    .. versionadded:: 0.1.0
    """

    __slots__ = ()

    def _path(self, *segments: str) -> str:
        return path("porting", self._t.account, *segments)

    async def _get(self, *segments: str) -> ApiResponse:
        return await self._t.request("GET", self._path(*segments), retry=True)

    @operation("GET", f"{_P}/gnp")
    async def gnp_orders(self) -> tuple[GnpOrderSummary, ...]:
        """GNP orders outstanding or completed within the last 90 days."""
        response = await self._get("gnp")
        return self._decode(response, tuple[GnpOrderSummary, ...], unwrap(response.json()))

    @operation("GET", f"{_P}/gnp/{{ORDER_REFERENCE}}")
    async def gnp_order(self, ref: str | int) -> GnpOrderDetail:
        """One GNP order as submitted, with its status and history (`events`)."""
        response = await self._get("gnp", plain_id(ref, name="ref"))
        return self._decode(response, GnpOrderDetail, unwrap(response.json()))

    @operation("POST", f"{_P}/gnp")
    async def submit_gnp(self, order: GnpOrder) -> GnpSubmission:
        """Submit a geographic port order. **Chargeable**; never retried automatically.

        Args:
            order: The order (see `GnpOrder`); `orig_ref` set for a resubmission.

        Returns:
            The order's reference, the ticket to track it by.

        Raises:
            InvalidInputError: The order breaks a documented rule (before any request).
            ResponseError: The API refused it (`errors` lists its reasons).
        """
        body = gnp_body(order, self._conv)
        response = await self._t.request("POST", self._path("gnp"), json=body, retry=False)
        data = response.json()
        if not isinstance(data, dict) or "ref" not in data:
            raise DecodeError(
                "expected {success, ref, url}",
                request=response.request,
                status_code=response.status_code,
                body=response.text,
            )
        return self._decode(response, GnpSubmission, {"ref": data["ref"], "url": data.get("url")})

    @operation("POST", f"{_P}/gnp")
    async def resubmit_gnp(self, orig_ref: str | int, order: GnpOrder) -> GnpSubmission:
        """Resubmit a rejected order under its original reference (the reduced rate).

        **Chargeable**; never retried automatically. Without `orig_ref` a resubmission is
        billed as a new order.
        """
        ref = plain_id(orig_ref, name="orig_ref")
        return await self.submit_gnp(attrs.evolve(order, orig_ref=ref))

    @operation("GET", f"{_P}/lcps")
    async def losing_providers(self) -> tuple[LosingProvider, ...]:
        """Providers Simwood can port from, with their CUPIDs (the list is under `cps`)."""
        response = await self._get("lcps")
        body = response.json()
        rows = body.get("cps", []) if isinstance(body, dict) else body
        return self._decode(response, tuple[LosingProvider, ...], rows)

    @operation("GET", f"{_P}/mnp")
    async def mnp_ports(self) -> tuple[MnpPort, ...]:
        """Mobile number ports outstanding or recently completed."""
        response = await self._get("mnp")
        return self._decode(response, tuple[MnpPort, ...], unwrap(response.json()))

    @operation("GET", f"{_P}/mnp/{{PAC}}")
    async def mnp_port(self, pac_code: str) -> MnpPort:
        """One mobile number port, by its PAC."""
        response = await self._get("mnp", pac(pac_code))
        return self._decode(response, MnpPort, unwrap(response.json()))

    @operation("POST", f"{_P}/mnp")
    async def submit_mnp(
        self,
        msisdn: str,
        pac_code: str,
        *,
        contact_email: str,
        port_date: dt.date | str | None = None,
    ) -> MnpPort:
        """Port a UK mobile number in with its PAC. **Chargeable**; never retried.

        Args:
            msisdn: The mobile number, E.164 without `+` (e.g. `447700900123`).
            pac_code: The PAC from the current provider (valid 30 days).
            contact_email: The submitter's address (yours, not your customer's).
            port_date: The day to port; as soon as possible (two working days) when None.

        Raises:
            InvalidInputError: A bad msisdn, PAC, address or date (before any request).
        """
        body = mnp_body(msisdn, pac_code, contact_email, port_date)
        response = await self._t.request("POST", self._path("mnp"), json=body, retry=False)
        return self._decode(response, MnpPort, unwrap(response.json()))
