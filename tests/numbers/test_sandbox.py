"""The numbers area against the sandbox: state changes are visible through the matching read."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from simwood_async import BadRequestError, NotFoundError
from simwood_async.numbers import (
    ConfigOptions,
    EmergencyAddress,
    RoutingConfig,
    Rule,
    SmsConfig,
    busy,
    pstn,
    reg,
    sip,
)
from tests.conftest import EXAMPLES

if TYPE_CHECKING:
    from decimal import Decimal

ADDRESS = EmergencyAddress(
    name="Doe", premises="104", thoroughfare="King Street", locality="Leeds", postcode="LS11 5DF"
)


async def _balance(local: Any) -> Decimal:
    """The prepay balance, read through the API."""
    return (await local.accounts.prepay_balance()).balance


async def test_allocation_moves_a_number_between_pools_and_charges_gold(local):
    """Allocating a gold number: gone from `available`, in `get` and the report, fee debited."""
    before = await _balance(local)
    candidate = (await local.numbers.available("gold", 1, pattern="20*"))[0]
    assert candidate.wholesale_gold_premium > 0
    await local.numbers.allocate(candidate)
    assert (await local.numbers.get(candidate)).basic.number == candidate.number
    assert candidate not in await local.numbers.available("gold", 100, pattern="20*")
    assert candidate.e164 in {row.e164 for row in await local.numbers.allocated()}
    assert await _balance(local) == before - candidate.wholesale_gold_premium
    with pytest.raises(NotFoundError):
        await local.numbers.allocate(candidate)  # no longer available


async def test_standard_numbers_are_free_and_release_is_final(local):
    """A standard number costs nothing; once released it is neither ours nor listed."""
    before = await _balance(local)
    candidate = (await local.numbers.available("standard", 1))[0]
    assert candidate.wholesale_gold_premium == 0
    await local.numbers.allocate(candidate)
    assert await _balance(local) == before
    await local.numbers.release(candidate)
    with pytest.raises(NotFoundError):
        await local.numbers.get(candidate)
    assert candidate.e164 not in {row.e164 for row in await local.numbers.allocated()}


async def test_available_is_cheapest_first_and_country_aware(local):
    """Search results are sorted by fee, and `country_code=1` searches NANP numbers."""
    found = await local.numbers.available("all", 100)
    fees = [n.wholesale_gold_premium for n in found]
    assert fees == sorted(fees)
    nanp = await local.numbers.available("all", 10, pattern="212*", country_code=1)
    assert nanp
    assert all(n.country_code == "1" and n.number.startswith("212") for n in nanp)
    assert await local.numbers.available("all", 10, pattern="212*") == ()  # not UK 0121 2...


async def test_ranges_list_the_uk_prefixes(local):
    """`ranges` lists UK prefixes only, with descriptions."""
    ranges = await local.numbers.ranges()
    assert {r.prefix for r in ranges} >= {"207946", "113496"}
    assert all(not r.prefix.startswith("212") for r in ranges)


async def test_consecutive_block_changes_when_a_number_is_taken(local):
    """A consecutive block is consecutive; allocating its first number moves the next block."""
    block = await local.numbers.consecutive(10, pattern="1134*")
    assert [int(n.number) - int(block[0].number) for n in block] == list(range(10))
    await local.numbers.allocate(block[0])
    after = await local.numbers.consecutive(10, pattern="1134*")
    assert block[0] not in after


async def test_allocated_report_filters_by_key_and_own_config(local):
    """`key` (case-insensitive) and `filter_config` select by the numbers' configs."""
    first, second = (await local.numbers.available("standard", 10))[:2]
    for n in (first, second):
        await local.numbers.allocate(n)
    config = RoutingConfig.to(busy(), meta={"key": "Cust-42", "note": "x"})
    await local.numbers.set_config(first, config)
    keyed = await local.numbers.allocated(key="CUST-42")
    assert [row.e164 for row in keyed] == [first.e164]
    configured = await local.numbers.allocated(filter_config=True)
    assert first.e164 in {r.e164 for r in configured}
    assert second.e164 not in {r.e164 for r in configured}
    assert len(await local.numbers.allocated(10)) <= 10


async def test_last_call(local):
    """A number held before the session had calls; a new one has none yet."""
    held = (await local.numbers.allocated())[0]
    call = await local.numbers.last_call(held)
    assert call is not None
    assert call.duration == call.billsec + 4
    fresh = (await local.numbers.available("standard", 1))[0]
    await local.numbers.allocate(fresh)
    assert await local.numbers.last_call(fresh) is None


async def test_number_config_round_trip(local):
    """A config set is read back equal; deleting it leaves none; a new one replaces it."""
    number = (await local.numbers.allocated())[0]
    config = RoutingConfig.to(
        sip("%e164@pbx.example.com", timeout=20) >> pstn("447700900123"),
        options=ConfigOptions(enabled=True, acr=False),
    ).when("weekend", Rule(dow=(6, 7)), reg("930000-ALICE") | busy(delay=30))
    await local.numbers.set_config(number, config)
    assert await local.numbers.config(number) == config
    assert (await local.numbers.get(number)).voice.appdata == "Advanced Routing"
    await local.numbers.delete_config(number)
    assert await local.numbers.config(number) is None


async def test_default_config_round_trip(local):
    """The account default config: set, read back, delete."""
    config = RoutingConfig.to(sip("pbx@sip.example.com"))
    await local.numbers.set_default_config(config)
    assert await local.numbers.default_config() == config
    await local.numbers.delete_default_config()
    assert await local.numbers.default_config() is None


@pytest.fixture
async def raw(sandbox: Any) -> Any:
    """A raw httpx client into the sandbox (to send what the SDK would refuse)."""
    async with httpx.AsyncClient(
        transport=sandbox.transport(),
        base_url=f"http://sandbox.local/v3/numbers/{sandbox.account}/",
        auth=(sandbox.username, sandbox.password),
    ) as client:
        yield client


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            {"routing": {"default": [[{"type": "voicemail"}]]}},
            "Routing block 'default' entry 0 has an invalid type 'voicemail'.",
        ),
        (
            {
                "routing": {
                    "default": [
                        [{"type": "fax", "method": "mail", "endpoint": "a@b.c"}, {"type": "busy"}]
                    ]
                }
            },
            "A fax endpoint cannot be used in conjunction with any other endpoint.",
        ),
        (
            {"rules": {"weekend": [{"dow": 6}]}, "routing": {"default": [[{"type": "busy"}]]}},
            "Rule 'weekend' entry 0 parameter 'dow' is invalid.",
        ),
        (
            {"options": {"colour": "red"}, "routing": {"default": [[{"type": "busy"}]]}},
            "Invalid parameter 'colour' in settings",
        ),
        ({"rules": {}}, "Section 'routing' is mandatory."),
        (
            {"routing": {"night": [[{"type": "busy"}]]}},
            "Routing block 'night' does not match any specified rules (or default)",
        ),
        (
            {"routing": {"default": [[{"type": "busy"}]]}, "notes": 1},
            "Unknown section 'notes' in configuration.",
        ),
    ],
    ids=["leg-type", "fax-beside", "rule-not-array", "option", "no-routing", "orphan", "section"],
)
async def test_sandbox_rejects_a_bad_config_whole(local, raw, config, error):
    """The sandbox judges raw JSON as the API does: 400, the docs' wording, old config kept."""
    number = (await local.numbers.allocated())[0]
    kept = RoutingConfig.to(busy())
    await local.numbers.set_config(number, kept)
    response = await raw.put(f"allocated/{number.e164}/config", json=config)
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert error in response.json()["errors"]
    assert await local.numbers.config(number) == kept


async def test_config_in_the_payload_form_variable(local, raw):
    """A config sent as the form variable `payload` is accepted like a JSON body."""
    number = (await local.numbers.allocated())[0]
    wire = {"routing": {"default": [[{"type": "pstn", "number": "447700900123"}]]}}
    response = await raw.put(f"allocated/{number.e164}/config", data={"payload": json.dumps(wire)})
    assert response.json() == {"success": True}
    assert local.converter.unstructure(await local.numbers.config(number)) == wire


async def test_trunk_association_round_trip(local):
    """Without an association the default trunk shows; set, read, remove."""
    number = (await local.numbers.allocated())[0]
    assert await local.numbers.trunk(number) == "930000-L001"
    assert await local.numbers.set_trunk(number, "930000-ACME") == "930000-ACME"
    assert await local.numbers.trunk(number) == "930000-ACME"
    await local.numbers.remove_trunk(number)
    assert await local.numbers.trunk(number) == "930000-L001"


async def test_sms_config_round_trip_on_a_mobile_number(local):
    """SMS delivery on a mobile number: set, read, delete; a geographic number is refused."""
    mobile = (await local.numbers.available("all", 1, pattern="7700*"))[0]
    await local.numbers.allocate(mobile)
    await local.numbers.set_sms_config(mobile, "https://sms.example.com/in")
    assert await local.numbers.sms_config(mobile) == SmsConfig(
        mode="http_json", endpoint="https://sms.example.com/in"
    )
    await local.numbers.delete_sms_config(mobile)
    assert await local.numbers.sms_config(mobile) is None
    geographic = (await local.numbers.allocated())[0]
    with pytest.raises(BadRequestError, match="Only mobile or OTT numbers"):
        await local.numbers.set_sms_config(geographic, "https://sms.example.com/in")


async def test_emergency_address_round_trip(local, raw):
    """999 details are stored and read back; the sandbox refuses an over-long field too."""
    number = (await local.numbers.allocated())[0]
    assert await local.numbers.emergency_address(number) is None
    await local.numbers.set_emergency_address(number, ADDRESS)
    stored = await local.numbers.emergency_address(number)
    assert stored is not None
    assert (stored.name, stored.postcode, stored.locality) == ("Doe", "LS11 5DF", "Leeds")
    fields = {
        "name": "Doe",
        "premises": "1",
        "thoroughfare": "x" * 56,
        "locality": "Leeds",
        "postcode": "LS115DF",
    }
    response = await raw.put(f"allocated/{number.e164}/999", json=fields)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "Field 'thoroughfare' must be at most 55 characters",
        "Field 'postcode' must be a full postcode in the form 'LS11 5DF'",
    ]


async def test_validate_and_lookup(local):
    """`validate` classifies a number; `lookup` names its range holder."""
    checked = await local.numbers.validate("447700900123")
    assert (checked.valid, checked.type, checked.formatted.e164) == (
        True,
        "mobile",
        "+447700900123",
    )
    assert (await local.numbers.validate("4412345678")).valid is False
    assert (await local.numbers.lookup("443301223000")).prefix == "330122"


def _shape(value: Any) -> Any:
    """The keys and value types of a JSON value (lists by their first item)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


DOCUMENTED = [
    e
    for e in EXAMPLES
    if e["kind"] == "response"
    and (e["path"] or "").startswith("/v3/numbers/")
    and e["json"] is not None
]


@pytest.mark.parametrize(
    "entry",
    DOCUMENTED,
    ids=[f"{e['method']}-{e['path'].split('{ACCOUNT}/')[1]}" for e in DOCUMENTED],
)
async def test_sandbox_answers_take_the_documented_shape(local, raw, entry):
    """Every numbers route with a documented example answers with its keys and value types."""
    held = (await local.numbers.allocated())[0].e164
    mobile = (await local.numbers.available("all", 1, pattern="7700*"))[0]
    await local.numbers.allocate(mobile)
    await local.numbers.set_sms_config(mobile, "http://local.example.com/mt", mode="http")
    await local.numbers.set_config(
        held,
        local.converter.structure(
            next(e["json"] for e in EXAMPLES if e["method"] == "GET" and e["path"] == entry["path"])
            if entry["path"].endswith("/config")
            else {"routing": {"default": [[{"type": "busy"}]]}},
            RoutingConfig,
        ),
    )
    number = mobile.e164 if entry["path"].endswith("/sms") else held
    path = entry["path"].split("{ACCOUNT}/", 1)[1].replace("{NUMBER}", number)
    if path.startswith(("validate", "lookup")):
        path = path.rsplit("/", 1)[0] + "/443301223000"
    body = {"trunk": "930000-ACME"} if path.endswith("trunk") else None
    if path.endswith("sms") and entry["method"] == "PUT":
        body = {"mode": "http_json", "endpoint": "https://local.example.com/mt"}
    answer = await raw.request(entry["method"], path, json=body)
    assert answer.status_code == 200
    assert _shape(answer.json()) == _shape(entry["json"])
