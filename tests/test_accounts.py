"""The accounts area: account type, credit invoices and PDFs, prepay balances and history."""

from __future__ import annotations

import copy
import datetime as dt
import io
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from simwood_async import DecodeError, IncompleteBodyError, InvalidInputError, NotFoundError
from simwood_async.accounts import (
    AccountType,
    Balance,
    BalanceAlert,
    Invoice,
    InvoiceList,
    LockedBalance,
)
from tests.conftest import ACCOUNT, example, make_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

BASE = f"accounts/{ACCOUNT}"
INVOICES = example("GET", "/v3/accounts/{ACCOUNT}/credit/invoices/[unpaid|paid|all]")
PDF = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF\n"


def _repaired_invoices() -> Any:
    """The invoice sample with its impossible `2014-02-30` dates made real."""
    data = copy.deepcopy(INVOICES)
    data["Invoices"][0]["Date"] = "2014-02-28"
    data["Invoices"][0]["DueDate"] = "2014-03-30"
    return data


async def test_account_type(client, router):
    """`account_type` GETs /type and unwraps the documented `{success, data}` envelope."""
    route = router.get(f"{BASE}/type").respond(json=example("GET", "/v3/accounts/{ACCOUNT}/type"))
    result = await client.accounts.account_type()
    assert result == AccountType(
        account_type="developer", number_limit=5, channel_limit=5, min_prepay=Decimal(50)
    )
    assert route.calls.last.request.method == "GET"


@pytest.mark.parametrize("status", ["all", "paid", "unpaid"])
async def test_invoices_by_status(client, router, status):
    """Each invoice status is its own path segment; the repaired sample decodes fully."""
    route = router.get(f"{BASE}/credit/invoices/{status}").respond(json=_repaired_invoices())
    result = await client.accounts.invoices(status)
    assert route.call_count == 1
    assert result == InvoiceList(
        invoices=(
            Invoice(
                invoice_number="I3010999999",
                date=dt.date(2014, 2, 28),
                due_date=dt.date(2014, 3, 30),
                currency="GBP",
                net=Decimal("200.00"),
                vat=Decimal("40.00"),
                total=Decimal("240.00"),
                amount_paid=Decimal("240.00"),
                amount_credited=Decimal("0.00"),
                amount_due=Decimal("0.00"),
            ),
        ),
        total_due={"GBP": Decimal(0)},
        total_overdue=None,
    )


async def test_invoices_default_to_all(client, router):
    """Without a status, all invoices are listed."""
    route = router.get(f"{BASE}/credit/invoices/all").respond(json=_repaired_invoices())
    await client.accounts.invoices()
    assert route.call_count == 1


async def test_documented_impossible_date_is_a_clear_decode_error(client, router):
    """The docs' own sample (dated 2014-02-30) fails with a DecodeError quoting that date."""
    router.get(f"{BASE}/credit/invoices/all").respond(json=INVOICES)
    with pytest.raises(DecodeError, match=r"InvoiceList: .*invalid date '2014-02-30'") as info:
        await client.accounts.invoices()
    assert "day is out of range for month" in str(info.value)


async def test_impossible_date_in_tolerant_mode(router, fake_time):
    """Tolerant decoding also refuses an impossible date, naming it."""
    router.get(f"{BASE}/credit/invoices/all").respond(json=INVOICES)
    async with make_client(router, fake_time, strict=False) as tolerant:
        with pytest.raises(DecodeError, match="invalid date '2014-02-30'"):
            await tolerant.accounts.invoices()


@pytest.mark.parametrize(
    "status", ["overdue", "ALL", "all/../paid", ""], ids=["unknown", "case", "path", "empty"]
)
async def test_invoices_refuse_other_statuses(client, router, status):
    """An invoice status outside all/paid/unpaid raises InvalidInputError and sends nothing."""
    with pytest.raises(InvalidInputError, match="status must be one of"):
        await client.accounts.invoices(status)
    assert router.calls.call_count == 0


async def test_invoice_pdf_to_bytes(client, router):
    """`invoice_pdf` streams `.../invoices/{number}.pdf` and returns the bytes."""
    route = router.get(f"{BASE}/credit/invoices/I3010999999.pdf").respond(
        content=PDF, content_type="application/pdf"
    )
    assert await client.accounts.invoice_pdf("I3010999999") == PDF
    assert route.calls.last.request.headers["authorization"].startswith("Basic ")


async def test_invoice_pdf_to_path(client, router, tmp_path):
    """Given a path, the PDF is written there and the byte count returned; no .part remains."""
    router.get(f"{BASE}/credit/invoices/I1.pdf").respond(content=PDF)
    target = tmp_path / "invoice.pdf"
    assert await client.accounts.invoice_pdf("I1", target) == len(PDF)
    assert target.read_bytes() == PDF
    assert [p.name for p in tmp_path.iterdir()] == ["invoice.pdf"]


async def test_invoice_pdf_to_str_path(client, router, tmp_path):
    """A path given as a string works too."""
    router.get(f"{BASE}/credit/invoices/I1.pdf").respond(content=PDF)
    target = tmp_path / "invoice.pdf"
    assert await client.accounts.invoice_pdf("I1", str(target)) == len(PDF)
    assert target.read_bytes() == PDF


async def test_invoice_pdf_to_file_object(client, router):
    """Given a binary file object, the PDF is written into it."""
    router.get(f"{BASE}/credit/invoices/I1.pdf").respond(content=PDF)
    out = io.BytesIO()
    assert await client.accounts.invoice_pdf("I1", out) == len(PDF)
    assert out.getvalue() == PDF


@pytest.mark.parametrize("to_path", [False, True], ids=["bytes", "path"])
@pytest.mark.parametrize(
    "body",
    [
        (b"<html><body>Error</body></html>", "did not return a PDF"),
        (b'{"success": true}', "did not return a PDF"),
        (b"", "empty body instead of a PDF"),
    ],
    ids=["html", "json", "empty"],
)
async def test_non_pdf_body_is_a_decode_error(client, router, tmp_path, to_path, body):
    """A body that is not a PDF raises DecodeError, and no file is left behind."""
    content, message = body
    router.get(f"{BASE}/credit/invoices/I1.pdf").respond(content=content)
    target = tmp_path / "invoice.pdf"
    with pytest.raises(DecodeError, match=message) as info:
        await client.accounts.invoice_pdf("I1", target if to_path else None)
    assert info.value.request is not None
    assert str(info.value.request) == f"GET /v3/{BASE}/credit/invoices/I1.pdf"
    assert list(tmp_path.iterdir()) == []


class _BrokenPdf(httpx.AsyncByteStream):
    """A PDF body cut off by a dropped connection."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield PDF[:1000]
        raise httpx.RemoteProtocolError("peer closed connection")


async def test_truncated_pdf_leaves_no_file(client, router, tmp_path):
    """A download broken mid-body raises IncompleteBodyError and leaves no partial file."""
    router.get(f"{BASE}/credit/invoices/I1.pdf").mock(
        side_effect=lambda _: httpx.Response(200, stream=_BrokenPdf())
    )
    existing = tmp_path / "invoice.pdf"
    existing.write_bytes(b"previous")
    with pytest.raises(IncompleteBodyError):
        await client.accounts.invoice_pdf("I1", existing)
    assert existing.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["invoice.pdf"]


async def test_missing_invoice_pdf(client, router):
    """A 404 for the PDF is a NotFoundError."""
    router.get(f"{BASE}/credit/invoices/I9.pdf").respond(404, json={"success": False})
    with pytest.raises(NotFoundError):
        await client.accounts.invoice_pdf("I9")


@pytest.mark.parametrize(
    "number",
    ["I1/../../x", "../I1", "I1\n", "", "I 1"],
    ids=["slash", "dotdot", "nl", "empty", "sp"],
)
async def test_invoice_number_cannot_escape_its_segment(client, router, number):
    """An invoice number that is not a plain id raises InvalidInputError and sends nothing."""
    with pytest.raises(InvalidInputError, match="invoice_number"):
        await client.accounts.invoice_pdf(number)
    assert router.calls.call_count == 0


@pytest.mark.parametrize(
    ("index", "expected"),
    [(0, Decimal("12.32")), (1, Decimal("12.32")), (2, Decimal("168.06100"))],
    ids=["array", "array-pretty", "object"],
)
async def test_prepay_balance_array_and_object_forms(client, router, index, expected):
    """Both documented forms of the balance (one-element array, bare object) decode."""
    route = router.get(f"{BASE}/prepay/balance").respond(
        json=example("GET", "/v3/accounts/{ACCOUNT}/prepay/balance", index)
    )
    assert await client.accounts.prepay_balance() == Balance(balance=expected, currency="GBP")
    assert route.calls.last.request.method == "GET"


async def test_prepay_balance_strict_vs_tolerant(client, router, fake_time):
    """An unknown key fails strict decoding and is ignored by the default decoding."""
    router.get(f"{BASE}/prepay/balance").respond(
        json=[{"balance": "1.00", "currency": "GBP", "new_field": True}]
    )
    with pytest.raises(DecodeError, match="new_field"):
        await client.accounts.prepay_balance()
    async with make_client(router, fake_time, strict=False) as tolerant:
        assert (await tolerant.accounts.prepay_balance()).balance == Decimal("1.00")


ALERT = example("GET", "/v3/accounts/{ACCOUNT}/prepay/balance/alert")
LOCKED = example("GET", "/v3/accounts/{ACCOUNT}/prepay/balance/locked")


@pytest.mark.parametrize("wrap", [False, True], ids=["object", "array"])
async def test_balance_alert(client, router, wrap):
    """The alert threshold decodes from both the object and the array form."""
    router.get(f"{BASE}/prepay/balance/alert").respond(json=[ALERT] if wrap else ALERT)
    result = await client.accounts.balance_alert()
    assert result == BalanceAlert(account="ACCOUNT", alert_balance=Decimal(90))


@pytest.mark.parametrize(
    ("value", "wire"),
    [(90, "90"), ("12.50", "12.50"), (Decimal("1E+2"), "100"), (Decimal(0), "0")],
    ids=["int", "str", "exponent", "zero"],
)
async def test_set_balance_alert(client, router, value, wire):
    """Setting the alert PUTs `alert_balance` as a form field, in plain digits."""
    route = router.put(f"{BASE}/prepay/balance/alert").respond(
        json={"account": ACCOUNT, "alert_balance": wire}
    )
    result = await client.accounts.set_balance_alert(value)
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == f"alert_balance={wire}".encode()
    assert result.alert_balance == Decimal(wire)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (12.5, "not float"),
        (True, "not bool"),
        ("-1", "at least 0"),
        ("ten", "must be an amount"),
        ("NaN", "must be finite"),
        ("Infinity", "must be finite"),
    ],
    ids=["float", "bool", "negative", "words", "nan", "infinity"],
)
async def test_bad_amounts_send_nothing(client, router, value, message):
    """Floats, negatives and non-numbers are refused before any request, for both setters."""
    with pytest.raises(InvalidInputError, match=message):
        await client.accounts.set_balance_alert(value)
    with pytest.raises(InvalidInputError, match=message):
        await client.accounts.lock_balance(value)
    assert router.calls.call_count == 0


@pytest.mark.parametrize("wrap", [False, True], ids=["object", "array"])
async def test_locked_balance(client, router, wrap):
    """The locked balance decodes from both forms, float money exactly."""
    router.get(f"{BASE}/prepay/balance/locked").respond(json=[LOCKED] if wrap else LOCKED)
    assert await client.accounts.locked_balance() == LockedBalance(
        account="ACCOUNT",
        balance=Decimal("10.4688"),
        locked=Decimal(5),
        available=Decimal("5.4688"),
    )


async def test_lock_balance(client, router):
    """Locking PUTs `balance` as a form field and decodes the new state."""
    route = router.put(f"{BASE}/prepay/balance/locked").respond(json=[LOCKED])
    result = await client.accounts.lock_balance(Decimal("5.00"))
    assert route.calls.last.request.content == b"balance=5.00"
    assert result.locked == Decimal(5)


async def test_unlock_balance(client, router):
    """Unlocking sends a DELETE to the locked-balance path."""
    route = router.delete(f"{BASE}/prepay/balance/locked").respond(json={"success": True})
    assert await client.accounts.unlock_balance() is None
    assert route.call_count == 1


ROWS = [{"amount": "100.00", "date": "2023-03-01"}, {"amount": "50.00", "date": "2023-02-01"}]


@pytest.mark.parametrize("kind", ["prepayments", "transfers"])
@pytest.mark.parametrize(
    ("latest", "suffix"),
    [(None, "all"), (1, "latest/1"), (10, "latest/10")],
    ids=["all", "1", "10"],
)
async def test_history_paths(client, router, kind, latest, suffix):
    """Prepayments and transfers GET all or latest/1|10 and return the rows as dicts."""
    route = router.get(f"{BASE}/prepay/{kind}/{suffix}").respond(json=ROWS)
    method = getattr(client.accounts, kind)
    assert await method(latest) == ROWS
    assert route.call_count == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"success": True, "data": ROWS},
        {"1": ROWS[0], "2": ROWS[1]},
    ],
    ids=["envelope", "keyed-object"],
)
async def test_history_shapes(client, router, payload):
    """An envelope or an object keyed by id is returned as a list of rows."""
    router.get(f"{BASE}/prepay/prepayments/all").respond(json=payload)
    assert await client.accounts.prepayments() == ROWS


async def test_history_single_object(client, router):
    """A single row sent as a bare object is returned as a one-row list."""
    router.get(f"{BASE}/prepay/transfers/latest/1").respond(json=ROWS[0])
    assert await client.accounts.transfers(1) == [ROWS[0]]


@pytest.mark.parametrize("payload", ["nope", [1, 2], 3], ids=["string", "scalars", "number"])
async def test_history_bad_shape(client, router, payload):
    """A history that is not a list of objects is a DecodeError."""
    router.get(f"{BASE}/prepay/transfers/all").respond(json=payload)
    with pytest.raises(DecodeError, match="expected a list of transfers"):
        await client.accounts.transfers()


@pytest.mark.parametrize("latest", [5, 0, "10", True, 100], ids=["5", "0", "str", "bool", "100"])
async def test_history_latest_is_enumerated(client, router, latest):
    """`latest` must be exactly 1 or 10; anything else sends nothing."""
    with pytest.raises(InvalidInputError, match="latest must be one of"):
        await client.accounts.prepayments(latest)
    with pytest.raises(InvalidInputError, match="latest must be one of"):
        await client.accounts.transfers(latest)
    assert router.calls.call_count == 0


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (None, None),
        ({"GBP": 12.5}, {"GBP": Decimal("12.5")}),
        ({"GBP": "7.00"}, {"GBP": Decimal("7.00")}),
    ],
    ids=["null", "number", "string"],
)
async def test_invoices_total_overdue_null_or_object(client, router, wire, expected):
    """`TotalOverDue` is null when nothing is overdue, else amounts per currency."""
    data = _repaired_invoices()
    data["TotalOverDue"] = wire
    data["TotalDue"] = {"GBP": "240.00"}
    router.get(f"{BASE}/credit/invoices/unpaid").respond(json=data)
    result = await client.accounts.invoices("unpaid")
    assert result.total_overdue == expected
    assert result.total_due == {"GBP": Decimal("240.00")}


@pytest.mark.parametrize(
    "min_prepay", [50, "50", "50.00", 50.0], ids=["int", "str", "str-2dp", "float"]
)
async def test_account_type_min_prepay_forms(client, router, min_prepay):
    """`min_prepay` (a number in the docs) decodes from a number or a string; extras are kept."""
    data = example("GET", "/v3/accounts/{ACCOUNT}/type")
    payload = {"success": True, "data": {**data["data"], "min_prepay": min_prepay, "sms_limit": 9}}
    router.get(f"{BASE}/type").respond(json=payload)
    result = await client.accounts.account_type()
    assert result.min_prepay == Decimal(50)
    assert result.extra == {"sms_limit": 9}


@pytest.mark.parametrize(
    "payload",
    [
        {"account": ACCOUNT, "balance": "10.4688", "locked": "5", "available": "5.4688"},
        {"account": int(ACCOUNT), "balance": 10.4688, "locked": 5.0, "available": 5.4688},
    ],
    ids=["strings", "numbers"],
)
async def test_locked_balance_numbers_or_strings(client, router, payload):
    """The locked balance decodes the same from string and number amounts, the account as text."""
    router.get(f"{BASE}/prepay/balance/locked").respond(json=payload)
    result = await client.accounts.locked_balance()
    assert result == LockedBalance(
        account=ACCOUNT, balance=Decimal("10.4688"), locked=Decimal(5), available=Decimal("5.4688")
    )
