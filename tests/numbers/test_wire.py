"""The numbers area on the wire (respx): exact requests, and decoding the documented examples."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from simwood_async import NotFoundError, ServerError
from simwood_async._types import UK
from simwood_async.numbers import (
    AllocatedNumber,
    AllocatedNumberRow,
    AvailableNumber,
    EmergencyAddress,
    FormattedNumber,
    LastCall,
    NumberBasic,
    NumberLookup,
    NumberRange,
    NumberValidation,
    OfcomInfo,
    RoutingConfig,
    ServiceLink,
    SmsConfig,
    pstn,
    sip,
)
from tests.conftest import ACCOUNT, example

N = f"numbers/{ACCOUNT}"
NUMBER = "442079460000"
DOCS = "/v3/numbers/{ACCOUNT}"
#: An available-number row as the inventory sketches it (no example in the docs).
AVAILABLE_ROW = {
    "country_code": 44,
    "number": "2079460000",
    "recommended_gold_premium": "",
    "wholesale_gold_premium": "0.0000",
    "block": "8d18b988d2190e27139acf57bbe25e55",
    "bill_class": "DDI",
    "SMS": 0,
}
#: One allocated number, as the PHP client's wiki shows it (OBSERVED.md).
ALLOCATED = {
    "basic": {
        "link": f"/v3/numbers/{ACCOUNT}/allocated/{NUMBER}/basic",
        "country_code": "44",
        "number": "2079460000",
        "block": "8d18b988d2190e27139acf57bbe25e55",
        "bill_class": "DDI",
        "SMS": 0,
        "recommended_gold_premium": "",
        "wholesale_gold_premium": "0.0000",
    },
    "voice": {"link": "/voice", "app": "Custom", "appdata": "Advanced Routing"},
    "fax": {"link": "/fax"},
    "sms": {"link": "/sms"},
    "999": {"link": "/999"},
}
#: The allocated-numbers report, as observed (envelope and one row).
ENVELOPE = {
    "quantity": 10,
    "mode": "nlsn",
    "pattern": "1983*",
    "type": "nlist",
    "account": ACCOUNT,
    "format": "json",
    "hash": "a" * 32,
    "link": f"/v3/files/{ACCOUNT}/{'a' * 32}",
}
REPORT_ROW = {
    "country_code": 44,
    "number": "1983632140",
    "gold_price": 0,
    "block": "b" * 32,
    "type": "DDI",
    "SMS": 0,
}


async def test_ranges(client, router):
    """`ranges` GETs /ranges and decodes the documented example."""
    route = router.get(f"{N}/ranges").respond(json=example("GET", f"{DOCS}/ranges"))
    ranges = await client.numbers.ranges()
    assert ranges[0] == NumberRange(
        id="03dd542cafcecf43fc06024ee6099311424c71cf",
        prefix="113403",
        sabc="1134",
        description="Geographic - Leeds",
        chargeband="geo",
    )
    assert len(ranges) == 2
    assert route.calls.last.request.url.query == b""


@pytest.mark.parametrize(
    ("kwargs", "path", "query"),
    [
        ({}, "available/all/10", {"country_code": "44"}),
        (
            {"tier": "gold", "count": 1, "pattern": "20*"},
            "available/gold/1",
            {"country_code": "44", "pattern": "20*"},
        ),
        (
            {"tier": "standard", "count": 100, "pattern": "212*", "country_code": 1},
            "available/standard/100",
            {"country_code": "1", "pattern": "212*"},
        ),
    ],
    ids=["defaults", "uk-gold", "nanp"],
)
async def test_available_sends_the_country_code_always(client, router, kwargs, path, query):
    """`available` always sends `country_code`, so the API never guesses the country."""
    route = router.get(f"{N}/{path}").respond(json=[AVAILABLE_ROW])
    found = await client.numbers.available(**kwargs)
    assert dict(route.calls.last.request.url.params) == query
    assert found == (
        AvailableNumber(
            country_code="44",
            number="2079460000",
            recommended_gold_premium=None,
            wholesale_gold_premium=Decimal("0.0000"),
            block=AVAILABLE_ROW["block"],
            bill_class="DDI",
            sms=False,
        ),
    )
    assert found[0].e164 == NUMBER


async def test_allocated_report_through_the_engine(vclient, router):
    """`allocated` POSTs the report with its fields, then downloads and decodes the file."""
    post = router.post(f"{N}/allocated/10").respond(json=ENVELOPE)
    router.get(f"files/{ACCOUNT}/{'a' * 32}").respond(json=[REPORT_ROW])
    rows = await vclient.numbers.allocated(10, pattern="1983*", key="CUST-1", filter_config=True)
    assert rows == (
        AllocatedNumberRow(
            country_code="44",
            number="1983632140",
            gold_price=Decimal(0),
            block="b" * 32,
            type="DDI",
            sms=False,
        ),
    )
    # Sorted and canonical (the key lower-cased: keys are case-insensitive).
    assert post.calls.last.request.content == b"filter_config=1&key=cust-1&pattern=1983%2A"


async def test_allocated_all_and_consecutive_paths(vclient, router):
    """`allocated()` is `allocated/all`; `consecutive(20)` is `available/consecutive/20`."""
    envelope = {k: v for k, v in ENVELOPE.items() if k != "quantity"} | {"include_mobile_ott": 0}
    every = router.post(f"{N}/allocated/all").respond(json=envelope)
    block = router.post(f"{N}/available/consecutive/20").respond(
        json={**ENVELOPE, "hash": "c" * 32, "link": "x"}
    )
    router.get(f"files/{ACCOUNT}/{'a' * 32}").respond(json=[REPORT_ROW])
    router.get(f"files/{ACCOUNT}/{'c' * 32}").respond(json=[AVAILABLE_ROW])
    assert len(await vclient.numbers.allocated()) == 1
    assert (await vclient.numbers.consecutive(20, pattern="113*"))[0].number == "2079460000"
    assert every.calls.last.request.content == b""
    assert block.calls.last.request.content == b"pattern=113%2A"


async def test_get_allocate_release(client, router):
    """`get` GETs, `allocate` PUTs (no body) and `release` DELETEs the number's path."""
    got = router.get(f"{N}/allocated/{NUMBER}").respond(json=ALLOCATED)
    put = router.put(f"{N}/allocated/{NUMBER}").respond(json=ALLOCATED)
    deleted = router.delete(f"{N}/allocated/{NUMBER}").respond(json={"success": True})
    expected = AllocatedNumber(
        basic=NumberBasic(
            country_code="44",
            number="2079460000",
            link=ALLOCATED["basic"]["link"],
            block=ALLOCATED["basic"]["block"],
            bill_class="DDI",
            sms=False,
            recommended_gold_premium=None,
            wholesale_gold_premium=Decimal("0.0000"),
        ),
        voice=ServiceLink(link="/voice", app="Custom", appdata="Advanced Routing"),
        fax=ServiceLink(link="/fax"),
        sms=ServiceLink(link="/sms"),
        emergency=ServiceLink(link="/999"),
    )
    assert await client.numbers.get(NUMBER) == expected
    assert await client.numbers.allocate(int(NUMBER)) == expected
    assert await client.numbers.release(NUMBER) is None
    assert put.calls.last.request.content == b""
    assert (got.call_count, put.call_count, deleted.call_count) == (1, 1, 1)


@pytest.mark.parametrize("method", ["allocate", "release", "set_emergency_address"])
async def test_chargeable_or_irrevocable_calls_are_never_retried(client, router, method):
    """A 503 on allocate, release or a 999 update is raised at once: one request only."""
    for path in (f"{N}/allocated/{NUMBER}", f"{N}/allocated/{NUMBER}/999"):
        router.put(path).respond(503)
        router.delete(path).respond(503)
    args: tuple[object, ...] = (NUMBER,)
    if method == "set_emergency_address":
        args += (
            EmergencyAddress(
                name="Doe",
                premises="1",
                thoroughfare="High Street",
                locality="Leeds",
                postcode="LS11 5DF",
            ),
        )
    with pytest.raises(ServerError, match="503"):
        await getattr(client.numbers, method)(*args)
    assert router.calls.call_count == 1


async def test_reads_are_retried(client, router):
    """A read such as `get` is retried after a 503 (the client's retry policy)."""
    route = router.get(f"{N}/allocated/{NUMBER}")
    route.side_effect = [httpx.Response(503), httpx.Response(200, json=ALLOCATED)]
    assert (await client.numbers.get(NUMBER)).basic.number == "2079460000"
    assert route.call_count == 2


async def test_allocate_taken_is_not_found(client, router):
    """A number no longer available answers 404: NotFoundError."""
    router.put(f"{N}/allocated/{NUMBER}").respond(404, json={"success": False, "errors": ["x"]})
    with pytest.raises(NotFoundError):
        await client.numbers.allocate(NUMBER)


async def test_last_call(client, router):
    """`last_call` decodes the documented example (string numbers, UK local time)."""
    router.get(f"{N}/allocated/{NUMBER}/lastcall").respond(
        json=example("GET", f"{DOCS}/allocated/{{NUMBER}}/lastcall")
    )
    assert await client.numbers.last_call(NUMBER) == LastCall(
        calldate=dt.datetime(2017, 5, 1, 12, 34, 1, tzinfo=UK),  # type: ignore[arg-type]
        cli="07700900123",
        disposition="NORMAL_CLEARING",
        billsec=64,
        duration=68,
    )


@pytest.mark.parametrize("path", ["allocated/{NUMBER}/config", "default/config"])
async def test_config_read_write_delete(client, router, path):
    """Configs: GET decodes the documented example, PUT sends JSON, DELETE sends nothing."""
    url = f"{N}/" + path.replace("{NUMBER}", NUMBER)
    documented = example("GET", f"{DOCS}/allocated/{{NUMBER}}/config")
    router.get(url).respond(json=documented)
    put = router.put(url).respond(json={"success": True})
    deleted = router.delete(url).respond(json={"success": True})
    number = path.startswith("allocated")
    api = client.numbers
    config = await (api.config(NUMBER) if number else api.default_config())
    assert client.converter.unstructure(config) == documented
    new = RoutingConfig.to(sip("user@host.com", timeout=20) >> pstn("447700900123"))
    await (api.set_config(NUMBER, new) if number else api.set_default_config(new))
    assert put.calls.last.request.headers["content-type"] == "application/json"
    assert json.loads(put.calls.last.request.content) == {
        "routing": {
            "default": [
                [{"type": "sip", "endpoint": "user@host.com", "timeout": 20}],
                [{"type": "pstn", "number": "447700900123"}],
            ]
        }
    }
    await (api.delete_config(NUMBER) if number else api.delete_default_config())
    assert deleted.calls.last.request.content == b""


async def test_config_none_when_empty(client, router):
    """An empty answer (`[]`) means no configuration: None."""
    router.get(f"{N}/allocated/{NUMBER}/config").respond(json=[])
    assert await client.numbers.config(NUMBER) is None


async def test_trunk(client, router):
    """Trunk association: GET and PUT decode the documented example; PUT sends JSON."""
    documented = example("GET", f"{DOCS}/allocated/{{NUMBER}}/trunk")
    url = f"{N}/allocated/{NUMBER}/trunk"
    router.get(url).respond(json=documented)
    put = router.put(url).respond(json=example("PUT", f"{DOCS}/allocated/{{NUMBER}}/trunk"))
    router.delete(url).respond(json={"success": True})
    assert await client.numbers.trunk(NUMBER) == "930XXX-ACMEPRODUCTS"
    assert await client.numbers.set_trunk(NUMBER, "930000-ACME") == "930XXX-ACMEPRODUCTS"
    assert json.loads(put.calls.last.request.content) == {"trunk": "930000-ACME"}
    await client.numbers.remove_trunk(NUMBER)


async def test_sms_config(client, router):
    """SMS: GET decodes the documented example; PUT sends the documented request body."""
    url = f"{N}/allocated/{NUMBER}/sms"
    router.get(url).respond(json=example("GET", f"{DOCS}/allocated/{{NUMBER}}/sms"))
    put = router.put(url).respond(json=example("PUT", f"{DOCS}/allocated/{{NUMBER}}/sms"))
    router.delete(url).respond(json={"success": True})
    assert await client.numbers.sms_config(NUMBER) == SmsConfig(
        mode="http", endpoint="http://api.yourdomain.com/path/to/mtsms.cgi"
    )
    await client.numbers.set_sms_config(NUMBER, "https://secure.api.yourdomain.com/path/to/mt")
    assert json.loads(put.calls.last.request.content) == example(
        "PUT", f"{DOCS}/allocated/{{NUMBER}}/sms", kind="request"
    )
    await client.numbers.delete_sms_config(NUMBER)


async def test_emergency_address(client, router):
    """999: GET decodes the array of one record; PUT sends the checked fields as JSON."""
    url = f"{N}/allocated/{NUMBER}/999"
    record = {
        "status": "active",
        "title": "Mr",
        "forename": "John",
        "name": "Doe",
        "honours": "",
        "bussuffix": "",
        "premises": "123",
        "thoroughfare": "Some Street",
        "locality": "Sometown",
        "postcode": "A12 3BC",
        "from": "2026-01-01",
        "to": "",
    }
    router.get(url).respond(json=[record])
    put = router.put(url).respond(json={"success": True})
    got = await client.numbers.emergency_address(NUMBER)
    assert got is not None
    assert (got.name, got.postcode, got.valid_from, got.status) == (
        "Doe",
        "A12 3BC",
        "2026-01-01",
        "active",
    )
    await client.numbers.set_emergency_address(
        NUMBER,
        EmergencyAddress(
            title="Mr",
            name="Doe",
            premises="123",
            thoroughfare="Some Street",
            locality="Sometown",
            postcode="a12 3bc",
        ),
    )
    assert json.loads(put.calls.last.request.content) == {
        "title": "Mr",
        "name": "Doe",
        "premises": "123",
        "thoroughfare": "Some Street",
        "locality": "Sometown",
        "postcode": "A12 3BC",
    }


async def test_validate_and_lookup(client, router):
    """`validate` and `lookup` decode the documented examples (lookup's `formatted` is merged)."""
    router.get(f"{N}/validate/443301223000").respond(
        json=example("GET", f"{DOCS}/validate/{{NUMBER}}")
    )
    router.get(f"{N}/lookup/443301223000").respond(json=example("GET", f"{DOCS}/lookup/{{NUMBER}}"))
    valid = await client.numbers.validate("443301223000")
    assert valid == NumberValidation(
        valid=True,
        country_code="44",
        iso="gb",
        national_number="3301229999",
        type="uan",
        carrier="Simwood",
        timezones=("Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"),
        formatted=FormattedNumber(
            e164="+443301229999", national="0330 122 9999", international="+44 330 122 9999"
        ),
        ofcom=OfcomInfo(
            status="allocated",
            use="national non-geographic",
            rh="Simwood eSMS Limited",
            date=dt.date(2010, 7, 20),
            valid_cli=True,
        ),
    )
    assert await client.numbers.lookup(443301223000) == NumberLookup(
        formatted="+44(0)330 1223000", code="3301", prefix="330122", rh="Simwood eSMS Limited"
    )


async def test_identical_number_reports_share_one_flight(vclient, router):
    """Two concurrent `allocated()` calls share one POST and one download (the engine)."""
    import anyio  # noqa: PLC0415

    post = router.post(f"{N}/allocated/all").respond(json=ENVELOPE)
    download = router.get(f"files/{ACCOUNT}/{'a' * 32}").respond(json=[REPORT_ROW])
    results = []

    async def one(key: str) -> None:
        """One caller (keys differ only in case: the same canonical request)."""
        results.append(await vclient.numbers.allocated(key=key))

    async with anyio.create_task_group() as tg:
        tg.start_soon(one, "Cust-1")
        tg.start_soon(one, "CUST-1")
    assert post.call_count == download.call_count == 1
    assert results[0] is results[1]


def test_number_report_requests_name_their_root():
    """Number reports live under `/v3/numbers/{ACCOUNT}/`; their kind says so."""
    from simwood_async.reports import ReportRequest  # noqa: PLC0415

    request = ReportRequest.numbers_allocated(100, pattern="20*")
    assert request.url_path(ACCOUNT) == f"numbers/{ACCOUNT}/allocated/100"
    assert request.kind == "numbers/allocated/100"
    classic = ReportRequest.voice_cdr_latest(10)
    assert classic.url_path(ACCOUNT) == f"accounts/{ACCOUNT}/reports/voice/cdr/latest/10"
    assert classic.kind == "reports/voice/cdr/latest/10"


async def test_unmodelled_keys_are_kept_even_strictly(client, router):
    """A key the docs do not show (a newer API) lands in `extra`, never an error, never lost."""
    body = example("GET", f"{DOCS}/validate/{{NUMBER}}")
    body = {
        **body,
        "data": {
            **body["data"],
            "ported": True,
            "ofcom": {**body["data"]["ofcom"], "block": "330122"},
        },
    }
    router.get(f"{N}/validate/443301223000").respond(json=body)
    checked = await client.numbers.validate("443301223000")
    assert checked.extra == {"ported": True}
    assert checked.ofcom is not None
    assert checked.ofcom.extra == {"block": "330122"}
