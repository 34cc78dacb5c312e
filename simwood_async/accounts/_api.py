"""Account endpoints (`/v3/accounts/{ACCOUNT}/...`): type, invoices, prepay."""

from __future__ import annotations

import os
from contextlib import aclosing
from decimal import Decimal
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, overload

import anyio

from simwood_async._area import Area, single, unwrap
from simwood_async._http import path
from simwood_async._operation import operation
from simwood_async._validate import amount, one_of, plain_id
from simwood_async.accounts._models import (
    AccountType,
    Balance,
    BalanceAlert,
    InvoiceList,
    LockedBalance,
)
from simwood_async.exceptions import DecodeError

if TYPE_CHECKING:
    from simwood_async._transport import ApiResponse, ByteStream

__all__ = ["AccountsApi"]

#: Which invoices `AccountsApi.invoices` lists.
InvoiceStatus = Literal["all", "paid", "unpaid"]
_LATEST = (1, 10)


class AccountsApi(Area):
    """`client.accounts`: account type, credit invoices and the prepay balance.

    .. versionadded:: 0.1.0
    """

    __slots__ = ()

    def _path(self, *segments: str | int) -> str:
        return path("accounts", self._t.account, *segments)

    async def _get(self, *segments: str | int) -> ApiResponse:
        return await self._t.request("GET", self._path(*segments), retry=True)

    @operation("GET", "/v3/accounts/{ACCOUNT}/type")
    async def account_type(self) -> AccountType:
        """The account's type and its number, channel and prepay limits."""
        response = await self._get("type")
        return self._decode(response, AccountType, unwrap(response.json()))

    @operation("GET", "/v3/accounts/{ACCOUNT}/credit/invoices/[unpaid|paid|all]")
    async def invoices(self, status: InvoiceStatus = "all") -> InvoiceList:
        """Credit-account invoices.

        Args:
            status: `all`, `paid` or `unpaid`.
        """
        one_of("status", status, ("all", "paid", "unpaid"))
        response = await self._get("credit", "invoices", status)
        return self._decode(response, InvoiceList, unwrap(response.json()))

    @overload
    async def invoice_pdf(self, invoice_number: str, destination: None = None) -> bytes: ...

    @overload
    async def invoice_pdf(
        self, invoice_number: str, destination: str | os.PathLike[str] | BinaryIO
    ) -> int: ...

    @operation("GET", "/v3/accounts/{ACCOUNT}/credit/invoices/{INVOICE_NUMBER}[.pdf]")
    async def invoice_pdf(
        self,
        invoice_number: str,
        destination: str | os.PathLike[str] | BinaryIO | None = None,
    ) -> bytes | int:
        """Download an invoice as PDF, streaming it.

        A path is written through a `.part` file renamed into place at the end, so it never
        holds a partial or non-PDF body.

        Args:
            invoice_number: The invoice, e.g. `I3010999999`.
            destination: A path or a binary file to stream into; None to return the bytes.

        Returns:
            The PDF bytes, or the number of bytes written to `destination`.

        Raises:
            DecodeError: The body is not a PDF.
            IncompleteBodyError: The connection broke mid-body.
        """
        number = plain_id(invoice_number, name="invoice_number")
        url = self._path("credit", "invoices", f"{number}.pdf")
        async with self._t.stream("GET", url) as body:
            if isinstance(destination, (str, os.PathLike)):
                return await _pdf_to_path(body, anyio.Path(destination))
            chunks: list[bytes] = []
            written = 0
            async with aclosing(body.iter_bytes()) as stream:
                async for chunk in stream:
                    written = _check_pdf(written, chunk, body)
                    if destination is None:
                        chunks.append(chunk)
                    else:
                        destination.write(chunk)
            _check_pdf_end(written, body)
            return b"".join(chunks) if destination is None else written

    @operation("GET", "/v3/accounts/{ACCOUNT}/prepay/balance")
    async def prepay_balance(self) -> Balance:
        """The prepay balance."""
        response = await self._get("prepay", "balance")
        return self._decode(response, Balance, single(response.json()))

    @operation("GET", "/v3/accounts/{ACCOUNT}/prepay/balance/alert")
    async def balance_alert(self) -> BalanceAlert:
        """The low-balance alert threshold."""
        response = await self._get("prepay", "balance", "alert")
        return self._decode(response, BalanceAlert, single(response.json()))

    @operation("PUT", "/v3/accounts/{ACCOUNT}/prepay/balance/alert")
    async def set_balance_alert(self, alert_balance: Decimal | int | str) -> BalanceAlert:
        """Set the low-balance alert threshold (at most one alert is sent per day)."""
        value = amount(alert_balance, name="alert_balance", minimum=Decimal(0))
        response = await self._t.request(
            "PUT",
            self._path("prepay", "balance", "alert"),
            data={"alert_balance": value},
            retry=True,  # setting a value is idempotent
        )
        return self._decode(response, BalanceAlert, single(response.json()))

    @operation("GET", "/v3/accounts/{ACCOUNT}/prepay/balance/locked")
    async def locked_balance(self) -> LockedBalance:
        """How much of the balance is locked."""
        response = await self._get("prepay", "balance", "locked")
        return self._decode(response, LockedBalance, single(response.json()))

    @operation("PUT", "/v3/accounts/{ACCOUNT}/prepay/balance/locked")
    async def lock_balance(self, balance: Decimal | int | str) -> LockedBalance:
        """Lock (reserve) this much of the prepay balance."""
        value = amount(balance, name="balance", minimum=Decimal(0))
        response = await self._t.request(
            "PUT", self._path("prepay", "balance", "locked"), data={"balance": value}, retry=True
        )
        return self._decode(response, LockedBalance, single(response.json()))

    @operation("DELETE", "/v3/accounts/{ACCOUNT}/prepay/balance/locked")
    async def unlock_balance(self) -> None:
        """Remove the balance lock."""
        await self._t.request("DELETE", self._path("prepay", "balance", "locked"), retry=True)

    @operation("GET", "/v3/accounts/{ACCOUNT}/prepay/prepayments/all")
    @operation("GET", "/v3/accounts/{ACCOUNT}/prepay/prepayments/latest/[1|10]")
    async def prepayments(self, latest: Literal[1, 10] | None = None) -> list[dict[str, Any]]:
        """Prepayments made: all, or the latest 1 or 10 (the API documents no row shape).

        Args:
            latest: 1 or 10 for the latest prepayments; None for all.
        """
        return await self._history("prepayments", latest)

    @operation("GET", "/v3/accounts/{ACCOUNT}/prepay/transfers/all")
    @operation("GET", "/v3/accounts/{ACCOUNT}/prepay/transfers/latest/[1|10]")
    async def transfers(self, latest: Literal[1, 10] | None = None) -> list[dict[str, Any]]:
        """Balance transfers: all, or the latest 1 or 10 (the API documents no row shape).

        Args:
            latest: 1 or 10 for the latest transfers; None for all.
        """
        return await self._history("transfers", latest)

    async def _history(self, kind: str, latest: int | None) -> list[dict[str, Any]]:
        if latest is None:
            response = await self._get("prepay", kind, "all")
        else:
            one_of("latest", latest, _LATEST)
            response = await self._get("prepay", kind, "latest", latest)
        data = unwrap(response.json())
        if isinstance(data, dict):
            data = (
                list(data.values()) if all(isinstance(v, dict) for v in data.values()) else [data]
            )
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise DecodeError(
                f"expected a list of {kind}",
                request=response.request,
                status_code=response.status_code,
                body=response.text,
            )
        return data


async def _pdf_to_path(body: ByteStream, target: anyio.Path) -> int:
    part = target.with_name(target.name + ".part")
    written = 0
    try:
        async with await part.open("wb") as out, aclosing(body.iter_bytes()) as stream:
            async for chunk in stream:
                written = _check_pdf(written, chunk, body)
                await out.write(chunk)
        _check_pdf_end(written, body)
        await part.replace(target)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await part.unlink(missing_ok=True)
        raise
    return written


def _check_pdf(written: int, chunk: bytes, body: ByteStream) -> int:
    if written == 0 and chunk and not chunk.startswith(b"%PDF"):
        raise DecodeError(
            "the API did not return a PDF",
            request=body.request,
            status_code=body.status_code,
            body=chunk[:200].decode("utf-8", "replace"),
        )
    return written + len(chunk)


def _check_pdf_end(written: int, body: ByteStream) -> None:
    if written == 0:
        raise DecodeError(
            "the API returned an empty body instead of a PDF",
            request=body.request,
            status_code=body.status_code,
        )
