"""Routing-config models: the docs' examples round-trip; builders; what the API would reject."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from simwood_async import InvalidInputError
from simwood_async._converter import make_converter
from simwood_async.numbers import (
    ConfigOptions,
    FaxLeg,
    OtherLeg,
    PstnLeg,
    RoutingConfig,
    Rule,
    SipLeg,
    busy,
    fax,
    pstn,
    reg,
    sip,
    teams,
)
from tests.conftest import ACCOUNT, EXAMPLES

CONFIG_PATHS = {
    "/v3/numbers/{ACCOUNT}/allocated/{NUMBER}/config",
    "/v3/numbers/{ACCOUNT}/default/config",
    "/v3/voice/{ACCOUNT}/trunks/{TRUNK}/config",
}
#: Every parsed config example of the docs (partial ones get a routing block, as a PUT needs).
DOC_CONFIGS = [e for e in EXAMPLES if e["path"] in CONFIG_PATHS and e["json"] is not None]
BUSY = {"default": [[{"type": "busy"}]]}


def _whole(example: dict[str, Any]) -> dict[str, Any]:
    """The example as a full configuration (a `routing` block added where it is partial)."""
    data = copy.deepcopy(example)
    data.setdefault("routing", copy.deepcopy(BUSY))
    for name in data.get("rules", {}):
        data["routing"].setdefault(name, copy.deepcopy(BUSY["default"]))
    return data


def test_the_docs_have_config_examples():
    """The examples file holds the docs' config examples (a dozen and more)."""
    assert len(DOC_CONFIGS) >= 12


@pytest.mark.parametrize(
    "example", DOC_CONFIGS, ids=[f"line{e['line']}-{e['source']}" for e in DOC_CONFIGS]
)
def test_every_doc_config_round_trips(example):
    """Structuring then unstructuring a documented config gives back exactly the same JSON."""
    conv = make_converter(strict=True)
    wire = _whole(example["json"])
    config = conv.structure(wire, RoutingConfig)
    assert conv.unstructure(config) == wire
    assert config.check() is config  # the docs' examples are valid configurations


def test_the_annotated_example_decodes_into_typed_legs():
    """The joined annotated example: rules, three plans, options and meta are typed."""
    joined = next(e for e in DOC_CONFIGS if e["source"] == "joined-blocks")["json"]
    config = make_converter(strict=True).structure(joined, RoutingConfig)
    office = config.routing["mon__fri_0700__1700"]
    assert [type(leg).__name__ for ring in office.steps for leg in ring.legs] == [
        "RegLeg",
        "SipLeg",
        "PstnLeg",
    ]
    assert config.rules == {
        "mon__fri_0700__1700": (Rule(dow=(1, 2, 3, 4, 5), time=("0700", "1700")),)
    }
    assert config.options == ConfigOptions(
        enabled=True, block_payphone=False, acr=False, icr=False, beta_in=True
    )
    assert config.meta == []


def test_sip_then_mobile_after_20s_in_one_expression():
    """`sip(...) >> pstn(...)` is the docs' first worked example, key for key."""
    config = RoutingConfig.to(
        sip("user@host.com", timeout=20)
        >> pstn("447700900123", cli="442921202120", maxcpm=Decimal("0.02"))
    )
    worked = next(e for e in DOC_CONFIGS if e["line"] == 2364)["json"]
    assert make_converter().unstructure(config.check()) == worked


def test_parallel_legs_with_a_delay():
    """`a | b` rings legs at once; a leg's own `delay` makes it join later."""
    config = RoutingConfig.to(sip("%e164@pbx.example.com") | pstn("447700900123", delay=20))
    assert make_converter().unstructure(config) == {
        "routing": {
            "default": [
                [
                    {"type": "sip", "endpoint": "%e164@pbx.example.com"},
                    {"type": "pstn", "number": "447700900123", "delay": 20},
                ]
            ]
        }
    }


def test_rules_with_when():
    """`when()` adds a named rule and its plan beside the default block."""
    config = RoutingConfig.to(pstn("447700900123")).when(
        "officehours", Rule(dow=(1, 2, 3, 4, 5), time=(900, 1700)), reg("930000-ALICE") | teams()
    )
    wire = make_converter().unstructure(config.check())
    assert wire["rules"] == {"officehours": [{"dow": [1, 2, 3, 4, 5], "time": [900, 1700]}]}
    assert wire["routing"]["officehours"] == [
        [{"type": "reg", "user": "930000-ALICE"}, {"type": "teams"}]
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (RoutingConfig.to(OtherLeg(type="voicemail")), "unknown leg type 'voicemail'"),
        (RoutingConfig.to(fax("fax@example.com") | busy()), "'fax' leg cannot be used"),
        (RoutingConfig.to(fax("fax@example.com") >> busy()), "'fax' leg cannot be used"),
        (
            RoutingConfig.to(busy()).when("weekend", Rule(dow=6), busy()),  # type: ignore[arg-type]
            r"rules\['weekend'\]\[0\].dow must be an array, e.g. \[6\] not 6",
        ),
        (
            RoutingConfig.to(busy()).when("Office Hours", Rule(dow=(1,)), busy()),
            "rule names may only use a-z, 0-9",
        ),
        (
            RoutingConfig(routing={"default": busy() >> busy(), "night": busy() >> busy()}),
            r"routing\['night'\] matches no rule",
        ),
        (RoutingConfig(routing={}), "routing is mandatory"),
        (RoutingConfig.to(sip("a@b", zone="mars")), "zone must be one of slo, lon, ny, sj"),
        (RoutingConfig.to(sip("a@b", timeout=0)), "timeout must be a whole number"),
        (RoutingConfig.to(pstn("+447700900123")), "number must be E.164"),
        (RoutingConfig.to(FaxLeg(method="carrier-pigeon", endpoint="x")), "method must be"),
        (
            RoutingConfig.to(busy(), options=ConfigOptions(extra={"colour": "red"})),
            "invalid parameter 'colour'",
        ),
        (
            RoutingConfig(routing={"default": busy() >> busy()}, extra={"notes": 1}),
            "unknown section 'notes'",
        ),
        (RoutingConfig.to(SipLeg(endpoint="a@b", extra={"colour": 1})), "'colour' is not valid"),
    ],
    ids=[
        "unknown-type",
        "fax-parallel",
        "fax-sequence",
        "rule-not-array",
        "rule-name",
        "orphan-block",
        "no-routing",
        "zone",
        "timeout",
        "pstn-plus",
        "fax-method",
        "unknown-option",
        "unknown-section",
        "unknown-leg-field",
    ],
)
def test_check_rejects_what_the_api_would(config, message):
    """`check()` raises InvalidInputError naming where the problem is."""
    with pytest.raises(InvalidInputError, match=message):
        config.check()


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (
            {"routing": {"default": [[{"type": "busy"}]]}, "rules": {"x": [{"dow": 3}]}},
            r"rules\['x'\]\[0\].dow must be an array, e.g. \[3\] not 3",
        ),
        (
            {"routing": {"default": [{"type": "busy"}]}},
            r"routing\['default'\]\[0\] must be an array",
        ),
        (
            {"routing": {"default": [[{"number": "447700900123"}]]}},
            "must be an object with a 'type'",
        ),
        ({"rules": {}}, "routing must be an object"),
        ([], "a configuration is a JSON object"),
    ],
    ids=["rule-value", "block-not-nested", "leg-without-type", "no-routing", "not-an-object"],
)
async def test_set_config_refuses_bad_json_before_any_request(client, router, wire, message):
    """A raw JSON config with a shape error is a typed error naming where, and sends nothing."""
    with pytest.raises(InvalidInputError, match=message):
        await client.numbers.set_config("442079460000", wire)
    assert router.calls.call_count == 0


async def test_set_config_refuses_unknown_leg_type_before_any_request(client, router):
    """A leg of unknown `type` in raw JSON decodes as OtherLeg and is refused, with no request."""
    wire = {"routing": {"default": [[{"type": "voicemail", "box": 1}]]}}
    with pytest.raises(InvalidInputError, match=r"config: routing\['default'\]\[0\]\[0\]: unknown"):
        await client.numbers.set_config("442079460000", wire)
    assert router.calls.call_count == 0


def test_decoding_keeps_what_it_does_not_model():
    """Unknown leg keys, rule keys and option keys are kept, so a read config writes back as is."""
    wire = {
        "routing": {
            "default": [
                [{"type": "sip", "endpoint": "a@b", "future": 1}],
                [{"type": "hologram", "x": 2}],
            ]
        },
        "options": {"enabled": True, "future_option": "y"},
    }
    conv = make_converter(strict=True)
    config = conv.structure(wire, RoutingConfig)
    assert config.routing["default"].steps[0].legs[0] == SipLeg(endpoint="a@b", extra={"future": 1})
    assert config.routing["default"].steps[1].legs[0] == OtherLeg(type="hologram", fields={"x": 2})
    assert conv.unstructure(config) == wire


def test_money_and_numbers_from_strings():
    """A pstn leg's `maxcpm` decodes as Decimal; string timeouts as int (decoding is tolerant)."""
    wire = {
        "routing": {
            "default": [
                [{"type": "pstn", "number": "447700900123", "maxcpm": "0.05", "timeout": "30"}]
            ]
        }
    }
    leg = make_converter().structure(wire, RoutingConfig).routing["default"].steps[0].legs[0]
    assert leg == PstnLeg(number="447700900123", maxcpm=Decimal("0.05"), timeout=30)


def test_ring_only_takes_legs():
    """Ringing something that is not a leg is a typed error."""
    with pytest.raises(InvalidInputError, match="can only ring legs"):
        sip("a@b") | "447700900123"  # type: ignore[operator]
    assert ACCOUNT  # the module's account constant is the client's


@pytest.mark.parametrize(
    ("time", "valid"),
    [
        (("0900", "1700"), True),
        ((900, 1700), True),
        (("0", "2400"), True),
        (("0900", "2430"), False),
        (("0960", "1700"), False),
        (("9am", "5pm"), False),
        (("0900",), False),
    ],
    ids=["text", "numbers", "whole-day", "past-midnight", "minutes", "words", "one-value"],
)
def test_rule_times(time, valid):
    """Rule times are HHMM from 0000 to 2400, as text or numbers, and always two of them."""
    config = RoutingConfig.to(busy()).when("day", Rule(time=time), busy())
    if valid:
        assert config.check() is config
    else:
        with pytest.raises(InvalidInputError, match=r"rules\['day'\]\[0\]\.time"):
            config.check()
