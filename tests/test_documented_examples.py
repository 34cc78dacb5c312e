"""Every documented response example of an operation the SDK reads is decoded, in every form.

Table-driven over tests/data/examples.json: each example of a path in `READERS` is served by a
respx route and read through the client's own method (or, for report envelopes, through the
converter as the report engine does), strictly. Where the SDK reads a one-object answer the
docs show both as `{...}` and as `[{...}]`, both forms are fed. A test fails when an example
of an area the SDK implements has no reader, so new examples cannot be skipped silently.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import attrs
import pytest

from simwood_async import ApiError
from simwood_async.reports import ReportEnvelope
from tests.conftest import ACCOUNT, EXAMPLES
from tests.porting.test_wire import documented_order


@attrs.frozen
class Reader:
    """How the SDK reads one operation."""

    read: Callable[[Any], Any] | None = None  # None: a report envelope, see `envelope`
    one_object: bool = False  # read with `single()`: `{...}` and `[{...}]` are both fed
    envelope: bool = False  # a report envelope: decoded by the converter, not over HTTP
    setup: Callable[[Any], None] | None = None  # extra routes the call needs


def _limits_first(router: Any) -> None:
    """`set_limits` reads the limits before it PUTs: serve an adjustable allocation of 30."""
    limits = next(e["json"] for e in EXAMPLES if e["path"] == "/v3/voice/{ACCOUNT}/limits")
    router.get(f"voice/{ACCOUNT}/limits").respond(
        json={**limits, "channel_allocation_adjustable": True}
    )


_N: Final = "/v3/numbers/{ACCOUNT}"
_P: Final = "/v3/porting/{ACCOUNT}"
_NUM: Final = "447700900123"

#: Operations the SDK reads, by (method, documented path).
READERS: Final[dict[tuple[str, str], Reader]] = {
    ("GET", "/v3/tools/time"): Reader(lambda c: c.tools.time()),
    ("GET", "/v3/accounts/{ACCOUNT}/type"): Reader(lambda c: c.accounts.account_type()),
    ("GET", "/v3/accounts/{ACCOUNT}/credit/invoices/[unpaid|paid|all]"): Reader(
        lambda c: c.accounts.invoices("unpaid")
    ),
    ("GET", "/v3/accounts/{ACCOUNT}/prepay/balance"): Reader(
        lambda c: c.accounts.prepay_balance(), one_object=True
    ),
    ("GET", "/v3/accounts/{ACCOUNT}/prepay/balance/alert"): Reader(
        lambda c: c.accounts.balance_alert(), one_object=True
    ),
    ("GET", "/v3/accounts/{ACCOUNT}/prepay/balance/locked"): Reader(
        lambda c: c.accounts.locked_balance(), one_object=True
    ),
    ("POST", "/v3/accounts/{ACCOUNT}/prepay/summary"): Reader(envelope=True),
    ("POST", "/v3/accounts/{ACCOUNT}/reports/voice/summary/day/[in|out]"): Reader(envelope=True),
    ("GET", "/v3/files/{ACCOUNT}"): Reader(lambda c: c.reports.files()),
    ("GET", "/v3/accounts/{ACCOUNT}/rates/tariffs"): Reader(lambda c: c.rates.tariffs()),
    ("GET", "/v3/accounts/{ACCOUNT}/rates/csv/[default|silver|platinum|gold|{name}]"): Reader(
        lambda c: c.rates.ratecard("default")
    ),
    ("GET", "/v3/accounts/{ACCOUNT}/rate/{NUMBER}"): Reader(
        lambda c: c.rates.destination("447700900123")
    ),
    ("GET", "/v3/voice/{ACCOUNT}/limits"): Reader(lambda c: c.voice.limits()),
    ("PUT", "/v3/voice/{ACCOUNT}/limits"): Reader(
        lambda c: c.voice.set_limits(inbound=10, outbound=20), setup=_limits_first
    ),
    ("GET", "/v3/voice/{ACCOUNT}/channels/current"): Reader(
        lambda c: c.voice.channels(), one_object=True
    ),
    ("GET", "/v3/voice/{ACCOUNT}/channels/history"): Reader(lambda c: c.voice.channel_history()),
    ("GET", "/v3/voice/{ACCOUNT}/inprogress/current"): Reader(
        lambda c: c.voice.calls_in_progress()
    ),
    ("GET", "/v3/voice/{ACCOUNT}/inprogress/{CALL_ID}"): Reader(lambda c: c.voice.call("c1")),
    ("DELETE", "/v3/voice/{ACCOUNT}/inprogress/{CALL_ID}"): Reader(lambda c: c.voice.hang_up("c1")),
    ("GET", f"{_N}/ranges"): Reader(lambda c: c.numbers.ranges()),
    ("GET", f"{_N}/allocated/{{NUMBER}}/lastcall"): Reader(lambda c: c.numbers.last_call(_NUM)),
    ("GET", f"{_N}/allocated/{{NUMBER}}/config"): Reader(lambda c: c.numbers.config(_NUM)),
    ("GET", f"{_N}/allocated/{{NUMBER}}/trunk"): Reader(lambda c: c.numbers.trunk(_NUM)),
    ("PUT", f"{_N}/allocated/{{NUMBER}}/trunk"): Reader(
        lambda c: c.numbers.set_trunk(_NUM, "930000-ACME")
    ),
    ("GET", f"{_N}/allocated/{{NUMBER}}/sms"): Reader(lambda c: c.numbers.sms_config(_NUM)),
    ("PUT", f"{_N}/allocated/{{NUMBER}}/sms"): Reader(
        lambda c: c.numbers.set_sms_config(_NUM, "https://sms.example.com/in")
    ),
    ("GET", f"{_N}/validate/{{NUMBER}}"): Reader(lambda c: c.numbers.validate(_NUM)),
    ("GET", f"{_N}/lookup/{{NUMBER}}"): Reader(lambda c: c.numbers.lookup(_NUM)),
    ("POST", f"{_P}/gnp"): Reader(lambda c: c.porting.submit_gnp(documented_order())),
    ("GET", f"{_P}/gnp"): Reader(lambda c: c.porting.gnp_orders()),
    ("GET", f"{_P}/gnp/{{ORDER_REFERENCE}}"): Reader(lambda c: c.porting.gnp_order("12345")),
    ("GET", f"{_P}/lcps"): Reader(lambda c: c.porting.losing_providers()),
    ("POST", f"{_P}/mnp"): Reader(
        lambda c: c.porting.submit_mnp(_NUM, "ABC1234567", contact_email="ops@example.com")
    ),
    ("GET", f"{_P}/mnp"): Reader(lambda c: c.porting.mnp_ports()),
    ("GET", f"{_P}/mnp/{{PAC}}"): Reader(lambda c: c.porting.mnp_port("ABC1234567")),
}

#: Paths of the areas the SDK implements: every example under them must have a reader.
SDK_AREAS: Final = re.compile(
    r"/v3/(tools/|files/|accounts/\{ACCOUNT\}/(type|credit|prepay|rates?/|reports/)"
    r"|voice/\{ACCOUNT\}/(limits|channels|inprogress)|numbers/|porting/)"
)
#: Documented examples the SDK reads but that are not for decoding, with the reason.
NOT_DECODED: Final = {
    ("GET", "/v3/tools/explain"): "a plain-text report whose format the docs call unstable",
}
_PLACEHOLDERS: Final = {
    "ACCOUNT": ACCOUNT,
    "NUMBER": "447700900123",
    "CALL_ID": "c1",
    "ORDER_REFERENCE": "12345",
    "PAC": "ABC1234567",
}
#: The docs' impossible sample dates, and real ones (decoding them is tested elsewhere).
_IMPOSSIBLE: Final = {"2014-02-30": "2014-02-28", "2015-02-29": "2015-02-28"}


def _concrete(path: str) -> str:
    """The request path the reader's call sends: the first `[a|b]` alternative, ids filled."""
    path = re.sub(r"\[([^|\]]*)[^\]]*\]", lambda m: m.group(1), path)
    path = re.sub(r"\{(\w+)\}", lambda m: _PLACEHOLDERS[m.group(1)], path)
    return path.removeprefix("/v3/")


def _repaired(data: Any) -> Any:
    """The sample with the docs' impossible day replaced by a real one."""
    if isinstance(data, str):
        for impossible, real in _IMPOSSIBLE.items():
            data = data.replace(impossible, real)
        return data
    if isinstance(data, list):
        return [_repaired(v) for v in data]
    if isinstance(data, dict):
        return {k: _repaired(v) for k, v in data.items()}
    return data


def _forms(example: dict[str, Any], reader: Reader) -> list[tuple[str, Any]]:
    """The bodies to feed: the example, and its other one-object form where the SDK has one."""
    data = _repaired(
        copy.deepcopy(example["json"] if example["json"] is not None else example["raw"])
    )
    forms = [("documented", data)]
    if reader.one_object:
        other = data[0] if isinstance(data, list) else [data]
        forms.append(("object" if isinstance(data, list) else "array", other))
    return forms


CASES: Final = [
    pytest.param(example, form, body, id=f"{example['method']} {example['path']} {form}"
                 f" @{example['line']}")
    for example in EXAMPLES
    if example["kind"] == "response" and (example["method"], example["path"]) in READERS
    for form, body in _forms(example, READERS[example["method"], example["path"]])
]  # fmt: skip


@pytest.mark.parametrize(("example", "form", "body"), CASES)
async def test_documented_example_decodes(client, router, example, form, body):
    """The SDK decodes the example (and its other form) strictly, every value read."""
    del form
    reader = READERS[example["method"], example["path"]]
    if reader.envelope:
        envelope = client.converter.structure(body, ReportEnvelope)
        assert envelope.hash == body["hash"]
        assert envelope.link == body["link"]
        assert (envelope.mode, envelope.type) == (body["mode"], body["type"])
        return
    if reader.setup is not None:
        reader.setup(router)
    path = _concrete(example["path"])
    pattern = getattr(router, example["method"].lower())(path)
    if isinstance(body, str):
        route = pattern.respond(text=body, headers={"content-type": example["content_type"]})
    else:
        route = pattern.respond(json=body)
    assert reader.read is not None
    if isinstance(body, dict) and body.get("success") is False:  # a documented error answer
        with pytest.raises(ApiError) as caught:
            await reader.read(client)
        assert list(caught.value.errors) == body["errors"]
        return
    result = await reader.read(client)
    assert route.call_count == 1
    if result is not None:
        _every_value_read(result, body)


def _every_value_read(result: Any, body: Any) -> None:
    """No documented key was left behind: models have no `extra` from a documented answer."""
    for value in _walk(result):
        extra = getattr(value, "extra", None)
        assert not extra, f"{type(value).__name__} did not model {sorted(extra)}"
    if isinstance(body, (dict, list)):
        assert result not in ((), {}, None)


def _walk(value: Any) -> list[Any]:
    """Every model nested in a decoded result."""
    if attrs.has(type(value)):
        found = [value]
        for field in attrs.fields(type(value)):
            found += _walk(getattr(value, field.name))
        return found
    if isinstance(value, (list, tuple)):
        return [m for item in value for m in _walk(item)]
    if isinstance(value, dict):
        return [m for item in value.values() for m in _walk(item)]
    return []


def test_every_example_of_the_sdk_areas_has_a_reader():
    """An example under an area the SDK implements is decoded here (or its exclusion reasoned)."""
    missing = (
        {
            (e["method"], e["path"])
            for e in EXAMPLES
            if e["kind"] == "response" and SDK_AREAS.match(e["path"] or "")
        }
        - set(READERS)
        - set(NOT_DECODED)
    )
    assert missing == set()


async def test_invoice_totals_decode_as_decimals(client, router):
    """The documented invoice totals (numbers) decode to Decimals, TotalOverDue null to None."""
    example = next(e for e in EXAMPLES if "credit/invoices" in (e["path"] or ""))
    router.get(f"accounts/{ACCOUNT}/credit/invoices/unpaid").respond(
        json=_repaired(example["json"])
    )
    result = await client.accounts.invoices("unpaid")
    assert result.total_due == {"GBP": Decimal(0)}
    assert result.total_overdue is None
