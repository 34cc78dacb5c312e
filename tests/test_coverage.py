"""The coverage table: the documented list, the SDK's declarations and the sandbox's routes."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

from simwood_async._coverage import (
    Operation,
    _route_for,
    coverage,
    load_documented,
    render,
    sandbox_route_table,
    sdk_declarations,
    sdk_methods,
)
from simwood_async._operation import declared_operations, operation

ROOT = Path(__file__).resolve().parent.parent

#: Operations per area, as the inventory's A.18 table counts them.
A18 = {
    "A.1": 2,
    "A.2": 3,
    "A.3": 14,
    "A.4": 3,
    "A.5": 5,
    "A.6": 1,
    "A.7": 9,
    "A.8": 11,
    "A.9": 6,
    "A.10": 12,
    "A.11": 28,
    "A.12": 25,
    "A.13": 7,
    "A.14": 5,
}


def test_the_documented_list_has_the_131_operations_of_the_inventory():
    """The data file holds 131 distinct operations, per area as the inventory's A.18 counts."""
    documented = load_documented()
    keys = [op.key for op in documented.operations]
    assert len(keys) == len(set(keys)) == 131
    assert collections.Counter(op.area for op in documented.operations) == A18
    assert set(documented.areas) == set(A18)


def test_the_committed_table_is_current():
    """docs/coverage.md is exactly what `python -m simwood_async._coverage` writes now."""
    committed = (ROOT / "docs" / "coverage.md").read_text("utf-8")
    assert committed == render(coverage()), "stale: run python -m simwood_async._coverage"


def test_the_sdk_declares_only_documented_operations():
    """Every `@operation` on a public SDK method names an operation of the documented list."""
    assert coverage().unknown_declarations == {}


def test_every_sandbox_route_serves_a_documented_operation_or_alias():
    """No route of the sandbox's API table serves something outside the documented list."""
    assert coverage().unknown_routes == ()


def test_every_operation_of_the_covered_areas_has_sdk_method_and_sandbox_route():
    """Covered areas are complete on both sides, apart from the gaps the data lists."""
    assert coverage().missing() == []


def test_the_listed_gaps_are_real():
    """A gap listed in the data is still a gap (drop it once implemented)."""
    assert coverage().stale_exceptions() == []


def test_declarations_name_the_client_attribute_path():
    """Declarations are found through the client's area attributes, as users call them."""
    found = sdk_declarations()
    assert found[("GET", "/v3/tools/myip")] == ["client.tools.myip"]
    assert (
        "client.accounts.prepayments"
        in found[("GET", "/v3/accounts/{ACCOUNT}/prepay/prepayments/all")]
    )


def test_stacked_declarations_keep_their_written_order():
    """Several `@operation` lines on one method are recorded top to bottom."""

    @operation("GET", "/a")
    @operation("PUT", "/b")
    def both() -> None:
        """A function declaring two operations."""

    assert declared_operations(both) == (("GET", "/a"), ("PUT", "/b"))
    assert declared_operations(print) == ()


@pytest.mark.parametrize(
    ("op", "sample"),
    [
        (
            Operation(area="x", method="GET", path="/v3/numbers/{ACCOUNT}/allocated/{NUMBER}"),
            "/v3/numbers/930000/allocated/447700900123",
        ),
        (
            Operation(area="x", method="GET", path="/v3/x/{ACCOUNT}/available/[all|gold]/[1|10]"),
            "/v3/x/930000/available/all/1",
        ),
        (
            Operation(area="x", method="GET", path="/v3/a/{ACCOUNT}/summary[/in|/out]/{KEY}"),
            "/v3/a/930000/summary/in/sample1",
        ),
    ],
    ids=["placeholders", "enumerations", "optional-segment"],
)
def test_sample_paths(op, sample):
    """A sample request takes the first enumerated value and a sample for each parameter."""
    assert op.sample_path() == sample


def test_a_route_shadowed_by_an_earlier_template_does_not_count():
    """Routing is first-match, as in the app: a shadowed route or a missing method is no route."""
    op = Operation(area="x", method="PUT", path="/v3/numbers/{ACCOUNT}/allocated/{NUMBER}")
    specific = (re.compile(r"^/v3/numbers/[^/]+/allocated/[^/]+$"), "specific", frozenset({"PUT"}))
    catch_all = (re.compile(r"^/v3/numbers/.*$"), "catch-all", frozenset({"GET"}))
    assert _route_for(op, [specific, catch_all]) == "specific"
    assert _route_for(op, [catch_all, specific]) is None
    any_op = Operation(area="x", method="ANY", path="/v3/tools/explain")
    get_only = (re.compile(r"^/v3/tools/explain$"), "explain", frozenset({"GET"}))
    assert _route_for(any_op, [get_only]) is None


def test_the_route_table_is_the_apps():
    """The table read for coverage is the one the sandbox app routes with, in its order."""
    templates = [template for _, template, _ in sandbox_route_table()]
    assert templates[:2] == ["/v3/voice/{account}/cdr", "/v3/voice/{account}/cdr/{date}"]
    assert "/v3/files/{account}/{hash}" in templates


#: Public methods that issue no fixed operation, and why.
GENERIC = {"client.reports.submit": "requests whichever report it is given"}


def test_every_public_area_method_declares_its_operations():
    """A public method without `@operation` would be invisible to the table: none is."""
    undeclared = [name for name, ops in sdk_methods().items() if not ops and name not in GENERIC]
    assert undeclared == []
    assert all(not sdk_methods()[name] for name in GENERIC)


def test_an_undocumented_declaration_is_reported():
    """A declaration of an operation outside the documented list is flagged, not tabled."""
    claims = {**sdk_declarations(), ("GET", "/v3/numbers/{ACCOUNT}/imaginary"): ["client.x.y"]}
    result = coverage(declarations=claims)
    assert result.unknown_declarations == {
        ("GET", "/v3/numbers/{ACCOUNT}/imaginary"): ["client.x.y"]
    }


def test_a_missing_sdk_method_or_route_in_a_covered_area_is_reported():
    """Dropping one SDK declaration and one sandbox route makes `missing()` name both."""
    claims = dict(sdk_declarations())
    del claims[("GET", "/v3/numbers/{ACCOUNT}/ranges")]
    table = [r for r in sandbox_route_table() if r[1] != "/v3/porting/{account}/lcps"]
    assert coverage(declarations=claims, table=table).missing() == [
        "GET /v3/numbers/{ACCOUNT}/ranges: no SDK method",
        "GET /v3/porting/{ACCOUNT}/lcps: no sandbox route",
    ]


def test_a_route_serving_nothing_documented_is_reported():
    """An extra sandbox route matching no documented operation or alias is flagged."""
    extra = (
        re.compile(r"^/v3/numbers/[^/]+/imaginary$"),
        "/v3/numbers/{account}/imaginary",
        frozenset({"GET"}),
    )
    assert coverage(table=[*sandbox_route_table(), extra]).unknown_routes == (
        "/v3/numbers/{account}/imaginary",
    )


def test_a_stale_table_is_detected():
    """Rendering differs as soon as one row changes (the committed table would be stale)."""
    claims = dict(sdk_declarations())
    del claims[("GET", "/v3/numbers/{ACCOUNT}/ranges")]
    assert render(coverage(declarations=claims)) != render(coverage())
