"""Every sandbox route answers in the shape of its documented example (tests/data/examples.json).

Data-driven: each documented response example (method + path) is expanded into concrete
requests (`[in|out]` alternatives, placeholders filled from the sandbox's state). When the
sandbox routes the request, its answer is compared with the example recursively: keys missing
or extra, leaf types (null, bool, number, string; strings further told apart as a datetime, a
date or a decimal amount), array vs object, objects keyed by ids compared as maps. Differences
fail unless listed in `ALLOWED` with a reason. Examples of paths the sandbox does not emulate
are skipped by design (listed with `pytest -rs`), and their requests must answer the sandbox's
"not emulated" 404. Routes added later are checked the same way, with no change here unless a
new placeholder needs a value (`PLACEHOLDERS`) or a request a body (`BODIES`).
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any, Final

import attrs
import httpx
import pytest

from simwood_async.sandbox import WIRE_FORMS
from simwood_async.sandbox._app import NOT_EMULATED_HEADER
from tests.conftest import EXAMPLES
from tests.sandbox.conftest import PASSWORD, make_sandbox

if TYPE_CHECKING:
    from collections.abc import Callable

    from simwood_async.sandbox import Sandbox

#: Reviewed differences between the sandbox and a documented example:
#: (method, documented path, JSON path) -> why it is right.
ALLOWED: Final[dict[tuple[str, str, str], str]] = {
    ("GET", "/v3/accounts/{ACCOUNT}/credit/invoices/[unpaid|paid|all]", "$.TotalOverDue"): (
        "the docs' account owes nothing overdue (null); the sandbox's account has overdue "
        "invoices, sent per currency like TotalDue"
    ),
}

#: Values for the docs' path placeholders, from the sandbox's state.
PLACEHOLDERS: Final[dict[str, Callable[[Sandbox], str]]] = {
    "ACCOUNT": lambda sb: sb.account,
    "NUMBER": lambda _: "447700900123",
    "CALL_ID": lambda sb: next(iter(sb._core.account_state.calls(sb._core.now()))),
    "name": lambda _: "Simwood_Gold.csv",
    "ORDER_REFERENCE": lambda sb: next(iter(sb._core.porting.gnp)),
    "PAC": lambda _: "ABC1234567",
}

#: Form bodies a request needs, by (method, route template).
BODIES: Final[dict[tuple[str, str], Callable[[Sandbox], dict[str, str]]]] = {
    ("PUT", "/v3/voice/{account}/limits"): lambda sb: {
        "limit_concurrent_in": "10",
        "limit_concurrent_out": str(sb._core.account_state.limits.channel_allocation - 10),
    },
    ("PUT", "/v3/numbers/{account}/allocated/{number}/trunk"): lambda sb: {
        "trunk": f"{sb.account}-ACME"
    },
    ("PUT", "/v3/numbers/{account}/allocated/{number}/sms"): lambda _: {
        "mode": "http_json",
        "endpoint": "https://sms.example.com/in",
    },
    ("POST", "/v3/porting/{account}/mnp"): lambda _: {
        "msisdn": "447700900124",
        "pac": "DEF1234567",
        "contact_email": "ops@example.com",
    },
}

#: JSON bodies (where the docs say the body is a JSON object), by (method, route template).
JSON_BODIES: Final[dict[tuple[str, str], Callable[[], Any]]] = {
    ("POST", "/v3/porting/{account}/gnp"): lambda: _request_example(
        "POST", "/v3/porting/{ACCOUNT}/gnp"
    ),
}


def _request_example(method: str, path: str) -> Any:
    """The documented request example of an operation."""
    return next(
        e["json"]
        for e in EXAMPLES
        if (e["method"], e["path"], e["kind"]) == (method, path, "request")
    )


async def _ready_report(sb: Sandbox, http: httpx.AsyncClient) -> None:
    """A report the files listing can show: requested, then generated."""
    response = await http.post(f"accounts/{sb.account}/reports/voice/summary/day/in")
    assert response.status_code == 200
    await sb.advance(5)


async def _held_number(sb: Sandbox, http: httpx.AsyncClient) -> None:
    """The placeholder number allocated an hour ago, with a config and SMS delivery."""
    number = f"numbers/{sb.account}/allocated/{PLACEHOLDERS['NUMBER'](sb)}"
    assert (await http.put(number)).status_code == 200
    config = next(
        e["json"]
        for e in EXAMPLES
        if (e["method"], e["path"]) == ("GET", "/v3/numbers/{ACCOUNT}/allocated/{NUMBER}/config")
    )
    assert (await http.put(f"{number}/config", json=config)).status_code == 200
    sms = {"mode": "http", "endpoint": "http://sms.example.com/in"}
    assert (await http.put(f"{number}/sms", data=sms)).status_code == 200
    await sb.advance(3600)  # calls arrive an hour after allocation


async def _port_orders(sb: Sandbox, http: httpx.AsyncClient) -> None:
    """A GNP order (the docs' example) and an MNP port, a day into their progress."""
    order = _request_example("POST", "/v3/porting/{ACCOUNT}/gnp")
    assert (await http.post(f"porting/{sb.account}/gnp", json=order)).status_code == 200
    mnp = {"msisdn": "447700900123", "pac": "ABC1234567", "contact_email": "ops@example.com"}
    assert (await http.post(f"porting/{sb.account}/mnp", data=mnp)).status_code == 200
    await sb.advance(86400 + 3600)


_N: Final = "/v3/numbers/{account}/allocated/{number}"
_P: Final = "/v3/porting/{account}"

#: State a route needs before its answer shows every documented part, by route template.
SETUP: Final = {
    "/v3/files/{account}": _ready_report,
    **dict.fromkeys((f"{_N}/lastcall", f"{_N}/config", f"{_N}/trunk", f"{_N}/sms"), _held_number),
    **dict.fromkeys(
        (f"{_P}/gnp", f"{_P}/gnp/{{ref}}", f"{_P}/mnp", f"{_P}/mnp/{{pac}}"), _port_orders
    ),
}

#: Routes with several wire forms: the form whose top level is an array, by route template.
ARRAY_FORMS: Final = {
    "/v3/accounts/{account}/prepay/balance": "prepay/balance",
    "/v3/accounts/{account}/prepay/balance/alert": "prepay/balance/alert",
    "/v3/accounts/{account}/prepay/balance/locked": "prepay/balance/locked",
}

_ALTERNATIVES: Final = re.compile(r"\[([^\]]*)\]")
_PLACEHOLDER: Final = re.compile(r"\{(\w+)\}")
_ID_KEY: Final = re.compile(r"\d+|[A-Z]{2,3}|[0-9a-f]{32}")
_STRING_KINDS: Final = (
    ("datetime", re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")),
    ("date", re.compile(r"\d{4}-\d{2}-\d{2}")),
    ("decimal", re.compile(r"-?\d+\.\d+")),
)


def expand(path: str) -> list[str]:
    """The concrete path templates of a documented path: one per `[a|b]` alternative.

    A bracket whose alternatives start with `/` is optional (`summary[/in|/out]/{KEY}`).
    """
    groups = _ALTERNATIVES.findall(path)
    options = []
    for group in groups:
        parts = group.split("|")
        options.append(["", *parts] if all(p.startswith("/") for p in parts) else parts)
    pieces = _ALTERNATIVES.split(path)
    return [
        "".join(p + (choice[i] if i < len(choice) else "") for i, p in enumerate(pieces[::2]))
        for choice in itertools.product(*options)
    ]


def fill(template: str, values: Callable[[str], str]) -> str:
    """The path with each `{PLACEHOLDER}` replaced."""
    return _PLACEHOLDER.sub(lambda m: values(m.group(1)), template)


@attrs.frozen
class Case:
    """One concrete request derived from a documented example."""

    example: dict[str, Any]
    template: str  # the documented path with one alternative chosen, placeholders kept
    route: str | None  # the sandbox route that serves it; None: not emulated

    @property
    def id(self) -> str:
        """A readable test id."""
        return f"{self.example['method']} {self.template} @{self.example['line']}"


def _cases() -> list[Case]:
    """Every concrete request of every documented response example, with its route."""
    app = make_sandbox().app
    cases = []
    for example in EXAMPLES:
        if example["kind"] != "response":
            continue
        for template in expand(example["path"]):
            concrete = fill(template, lambda _: "1")  # any value routes the same
            cases.append(Case(example, template, app.route(example["method"], concrete)))
    return cases


CASES: Final = _cases()
EMULATED: Final = [c for c in CASES if c.route is not None]
NOT_EMULATED: Final = [c for c in CASES if c.route is None]


# --- shapes ---------------------------------------------------------------------------------


def kind(value: Any) -> str:
    """The JSON type of a leaf; strings are told apart as datetime, date or decimal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        for name, pattern in _STRING_KINDS:
            if pattern.fullmatch(value):
                return f"string:{name}"
        return "string"
    return type(value).__name__


@attrs.frozen
class Obj:
    """An object with named keys; `required` are the keys every example occurrence has."""

    keys: dict[str, Any]
    required: frozenset[str]


@attrs.frozen
class Map:
    """An object keyed by ids (`calls`, `countries`, file hashes, rate decks)."""

    value: Any
    key_kinds: frozenset[str]


@attrs.frozen
class Arr:
    """An array; `item` is None when the example's is empty."""

    item: Any


@attrs.frozen
class Leaf:
    """A scalar: the kinds seen in the example."""

    kinds: frozenset[str]


@attrs.frozen
class Elided:
    """A value the docs elide (`{ ... }`, "as submitted"): anything matches."""


def _key_kind(key: str) -> str:
    """What an id key is: digits (destination ids, decks), a hash, or a code (ISO, currency)."""
    if key.isdigit():
        return "digits"
    return "hash" if len(key) == 32 else "code"


def schema(value: Any, *, elided: bool = False) -> Any:
    """The shape of an example value (with `elided`, its empty `{}` / `[]` match anything)."""
    if elided and value in ({}, []):
        return Elided()
    if isinstance(value, dict):
        if value and all(_ID_KEY.fullmatch(k) for k in value):
            merged = _merge_all([schema(v, elided=elided) for v in value.values()])
            return Map(merged, frozenset(_key_kind(k) for k in value))
        return Obj({k: schema(v, elided=elided) for k, v in value.items()}, frozenset(value))
    if isinstance(value, list):
        return Arr(_merge_all([schema(v, elided=elided) for v in value]) if value else None)
    return Leaf(frozenset({kind(value)}))


def _merge_all(shapes: list[Any]) -> Any:
    """One shape accepting each of `shapes`."""
    merged = shapes[0]
    for shape in shapes[1:]:
        merged = merge(merged, shape)
    return merged


def merge(a: Any, b: Any) -> Any:
    """One shape accepting both (keys absent from one side become optional)."""
    if isinstance(a, Obj) and isinstance(b, Obj):
        keys = {k: merge(a.keys[k], b.keys[k]) if k in a.keys and k in b.keys else
                a.keys.get(k, b.keys.get(k)) for k in {**a.keys, **b.keys}}  # fmt: skip
        return Obj(keys, a.required & b.required)
    if isinstance(a, Map) and isinstance(b, Map):
        return Map(merge(a.value, b.value), a.key_kinds | b.key_kinds)
    if isinstance(a, Arr) and isinstance(b, Arr):
        if a.item is None or b.item is None:
            return a if b.item is None else b
        return Arr(merge(a.item, b.item))
    if isinstance(a, Leaf) and isinstance(b, Leaf):
        return Leaf(a.kinds | b.kinds)
    raise AssertionError(f"the example mixes shapes {a!r} and {b!r}")


def differences(value: Any, shape: Any, where: str = "$") -> list[tuple[str, str]]:
    """Where `value` differs from `shape`: (JSON path, what differs)."""
    if isinstance(shape, Elided):
        return []
    if isinstance(shape, Obj):
        if not isinstance(value, dict):
            return [(where, f"an object in the docs, {kind(value)} here")]
        found = [(f"{where}.{k}", "missing") for k in sorted(shape.required - set(value))]
        found += [(f"{where}.{k}", "not in the docs") for k in sorted(set(value) - set(shape.keys))]
        for key in sorted(set(value) & set(shape.keys)):
            found += differences(value[key], shape.keys[key], f"{where}.{key}")
        return found
    if isinstance(shape, Map):
        if not isinstance(value, dict):
            return [(where, f"an object keyed by id in the docs, {kind(value)} here")]
        if not value:
            return [(where, "empty here: nothing to compare (set up the state it needs)")]
        found = []
        for key in sorted(value):
            if _key_kind(key) not in shape.key_kinds or not _ID_KEY.fullmatch(key):
                found.append((f"{where}[{key}]", f"keyed by {sorted(shape.key_kinds)} in the docs"))
            found += differences(value[key], shape.value, f"{where}[{key}]")
        return found
    if isinstance(shape, Arr):
        if not isinstance(value, list):
            return [(where, f"an array in the docs, {kind(value)} here")]
        if shape.item is None:
            return []  # the docs' array is empty: no item to compare with
        if not value:
            return [(where, "empty here: nothing to compare (set up the state it needs)")]
        return [
            d
            for i, item in enumerate(value)
            for d in differences(item, shape.item, f"{where}[{i}]")
        ]
    assert isinstance(shape, Leaf)
    if isinstance(value, (dict, list)) or kind(value) not in shape.kinds:
        return [(where, f"{'/'.join(sorted(shape.kinds))} in the docs, {kind(value)} here")]
    return []


# --- the tests ---------------------------------------------------------------------------------


async def _answer(case: Case) -> httpx.Response:
    """The sandbox's answer to the case's request (with the wire form the example shows)."""
    example, route = case.example, case.route
    assert route is not None
    forms = {}
    if route in ARRAY_FORMS and isinstance(example["json"], list):
        forms[ARRAY_FORMS[route]] = "array"
    sb = make_sandbox(wire_forms=forms)

    def value(name: str) -> str:
        """The placeholder's value, or a failure saying which one is missing."""
        if name not in PLACEHOLDERS:
            pytest.fail(f"{case.id}: the sandbox routes it, but no value for {{{name}}}: add one")
        return PLACEHOLDERS[name](sb)

    params = {"pretty": "true"} if "?pretty=true" in (example["note"] or "") else {}
    body = BODIES.get((example["method"], route))
    json_body = JSON_BODIES.get((example["method"], route))
    async with httpx.AsyncClient(
        transport=sb.transport(), base_url="http://sandbox.local/v3/", auth=(sb.username, PASSWORD)
    ) as http:
        if route in SETUP:
            await SETUP[route](sb, http)
        # After the set-up: a placeholder may name what it created (an order reference).
        path = fill(case.template, value).removeprefix("/v3/")
        if _is_error(example):  # the documented error answer: send an empty order
            return await http.request(example["method"], path, json={})
        return await http.request(
            example["method"],
            path,
            params=params,
            data=body(sb) if body else None,
            json=json_body() if json_body else None,
        )


def _is_error(example: dict[str, Any]) -> bool:
    """Whether the example is the documented `{"success": false, "errors": [...]}` answer."""
    return isinstance(example["json"], dict) and example["json"].get("success") is False


@pytest.mark.parametrize("case", EMULATED, ids=[c.id for c in EMULATED])
async def test_answer_has_the_documented_shape(case):
    """The sandbox's answer has the example's keys, nesting and types (or a reviewed reason)."""
    example = case.example
    response = await _answer(case)
    # The docs give no status for `{success: false}`; the sandbox answers 400 (BadInputError).
    assert response.status_code == (400 if _is_error(example) else 200), response.text
    media = response.headers["content-type"].split(";")[0]
    assert media == example["content_type"]
    if example["json"] is None:  # a CSV ratecard or the explain tool's text
        if media == "text/csv":
            first, header = response.text.splitlines()[:2]
            documented = example["raw"].splitlines()
            assert re.fullmatch(r"Effective: \d{4}-\d{2}-\d{2}", first)
            assert header == documented[1]
        return
    elided = any("replaced elided" in repair for repair in example["repairs"])
    found = differences(response.json(), schema(example["json"], elided=elided))
    key = (example["method"], example["path"])
    allowed = {where for (m, p, where) in ALLOWED if (m, p) == key}
    unexplained = [(where, what) for where, what in found if where not in allowed]
    assert unexplained == [], f"{case.id}: the sandbox's answer differs from the docs"
    stale = allowed - {where for where, _ in found}
    assert not stale, f"allow-list entries no longer needed: {sorted(stale)}"


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id) for c in NOT_EMULATED],
)
async def test_examples_without_a_route_are_not_emulated(case):
    """A documented path the sandbox lacks answers its "not emulated" 404 (skipped by design)."""
    sb = make_sandbox()
    path = fill(case.template, lambda name: PLACEHOLDERS.get(name, lambda _: "1")(sb))
    async with httpx.AsyncClient(
        transport=sb.transport(), base_url="http://sandbox.local", auth=(sb.username, PASSWORD)
    ) as http:
        response = await http.request(case.example["method"], path)
    if response.status_code == 405:
        pytest.skip(f"skipped by design: the sandbox does not emulate {case.id} (method)")
    assert response.status_code == 404
    assert response.headers[NOT_EMULATED_HEADER] == "1"
    assert "Not emulated by the sandbox" in response.json()["errors"][0]
    pytest.skip(f"skipped by design: the sandbox does not emulate {case.id} yet")


def test_every_response_example_is_checked_or_listed():
    """Each documented response example is either compared with the sandbox or listed as skipped."""
    responses = [e for e in EXAMPLES if e["kind"] == "response"]
    covered = {id(c.example) for c in CASES}
    assert covered == {id(e) for e in responses}
    assert EMULATED, "no documented example has a sandbox route"


def test_allow_list_is_short_and_reasoned():
    """The reviewed allow-list stays a few entries, each with a reason and a documented path."""
    assert len(ALLOWED) <= 5
    documented = {(e["method"], e["path"]) for e in EXAMPLES}
    for (method, path, where), reason in ALLOWED.items():
        assert (method, path) in documented
        assert where.startswith("$")
        assert len(reason) > 20


DOCS: Final = "in the docs"


@pytest.mark.parametrize(
    ("value", "example", "expected"),
    [
        ({"a": "1"}, {"a": 1}, [("$.a", "number in the docs, string here")]),
        ({"a": 1, "b": 2}, {"a": 1}, [("$.b", "not in the docs")]),
        ({}, {"a": 1}, [("$.a", "missing")]),
        ([{"a": 1}], {"a": 1}, [("$", "an object in the docs, list here")]),
        ({"a": 1}, [{"a": 1}], [("$", "an array in the docs, dict here")]),
        ({"12": {"t": 1}}, {"7": {"t": 2}, "9": {"t": 3}}, []),
        ({"x1": {"t": 1}}, {"7": {"t": 2}}, [("$[x1]", "keyed by ['digits'] in the docs")]),
        ({"7": {"t": "1.5"}}, {"7": {"t": 2}}, [("$[7].t", f"number {DOCS}, string:decimal here")]),
        ([], [{"a": 1}], [("$", "empty here: nothing to compare (set up the state it needs)")]),
        ([{"a": 1}, {"a": 2, "d": True}], [{"a": 1}, {"a": 1, "d": True}], []),
        ([{"d": True}], [{"a": 1}, {"a": 1, "d": True}], [("$[0].a", "missing")]),
        ({"t": "2024-01-01"}, {"t": "2014-02-30 12:34:35"},
         [("$.t", f"string:datetime {DOCS}, string:date here")]),
        ({"m": None}, {"m": None}, []),
        ({"m": ""}, {"m": None}, [("$.m", "null in the docs, string here")]),
    ],
    ids=["type", "extra", "missing", "array-for-object", "object-for-array", "map", "map-key",
         "map-value", "empty", "optional-key", "required-key", "string-kind", "null", "not-null"],
)  # fmt: skip
def test_differences(value, example, expected):
    """The comparison finds each kind of difference and nothing else."""
    assert differences(value, schema(example)) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v3/a/[in|out]", ["/v3/a/in", "/v3/a/out"]),
        ("/v3/s[/in|/out]/{KEY}", ["/v3/s/{KEY}", "/v3/s/in/{KEY}", "/v3/s/out/{KEY}"]),
        ("/v3/x", ["/v3/x"]),
    ],
    ids=["alternatives", "optional", "plain"],
)
def test_expand(path, expected):
    """Documented path alternatives expand to every concrete path."""
    assert expand(path) == expected


# --- the SDK against every wire form --------------------------------------------------------

#: How the SDK reads each operation that has several wire forms.
READERS: Final[dict[str, Callable[[Any], Any]]] = {
    "prepay/balance": lambda c: c.accounts.prepay_balance(),
    "prepay/balance/alert": lambda c: c.accounts.balance_alert(),
    "prepay/balance/locked": lambda c: c.accounts.locked_balance(),
    "voice/inprogress/current": lambda c: c.voice.calls_in_progress(),
    "rate": lambda c: c.rates.destination("447700900123"),
}
FORMS: Final = [(op, form) for op, forms in WIRE_FORMS.items() for form in forms[1:]]


def test_every_wire_form_has_a_reader():
    """Each multi-form operation is read by the SDK in the test below."""
    assert set(READERS) == set(WIRE_FORMS)


@pytest.mark.parametrize(("operation", "form"), FORMS, ids=[f"{o}={f}" for o, f in FORMS])
async def test_sdk_decodes_every_wire_form(operation, form):
    """The strict SDK decodes the other wire form to what it decodes from the default one."""
    results = []
    for forms in ({}, {operation: form}):
        sb = make_sandbox(wire_forms=forms)
        assert sb.wire_forms[operation] == forms.get(operation, WIRE_FORMS[operation][0])
        async with sb.client(strict=True) as client:
            results.append(await READERS[operation](client))
    default, other = results
    if form != "observed":
        assert other == default
        return
    # The observed form adds what real answers carry; the rest decodes the same.
    if operation == "rate":
        assert (other.account_type, other.currency) == ("virtual_interconnect", "GBP")
        assert attrs.evolve(other, account_type=None, currency=None) == default
    else:
        assert [c.call_id for c in other.channels] == list(
            sb._core.account_state.calls(sb._core.now())
        )
        assert all(
            c.trunk == f"{sb.account}-L001" and c.extra.keys() == {"start"} for c in other.channels
        )
        assert attrs.evolve(other, channels=()) == default


@pytest.mark.parametrize(
    ("forms", "message"),
    [
        ({"prepay/nothing": "array"}, "unknown operation 'prepay/nothing'"),
        ({"prepay/balance": "observed"}, r"must be one of \('object', 'array'\)"),
    ],
    ids=["operation", "form"],
)
def test_unknown_wire_forms_are_refused(forms, message):
    """An unknown operation or form is a ValueError naming what is allowed."""
    with pytest.raises(ValueError, match=message):
        make_sandbox(wire_forms=forms)


def test_elided_values_match_anything():
    """Where the docs elide a value (`{ ... }`), any answer matches; elsewhere `{}` is exact."""
    example = {"customer": {}, "numbers": []}
    answer = {"customer": {"name": "Doe"}, "numbers": [{"number": "01632960100"}]}
    assert differences(answer, schema(example, elided=True)) == []
    assert differences(answer, schema(example)) == [("$.customer.name", "not in the docs")]
