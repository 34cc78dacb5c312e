"""The coverage table: every documented operation against the SDK and the sandbox.

The documented operations are data (`operations.json` beside this module, derived once from
the API inventory). The SDK side comes from the `@operation` declarations on the public methods
of the areas that `SimwoodClient` exposes; the sandbox side from its route table, by routing
a sample request of each operation exactly as the sandbox app does (first matching template,
then the method). `python -m simwood_async._coverage` writes `docs/coverage.md`;
`tests/test_coverage.py` checks it and the covered areas.

Adding an area (the pattern of `numbers/` and `porting/`):

1. SDK: `<area>/_api.py` + `_models.py`; the client exposes it as a `cached_property`; every
   public method carries `@operation(METHOD, PATH)` for each documented operation it issues,
   spelt as in `operations.json` (a method without one fails the coverage test).
2. Sandbox: `sandbox/_<area>.py` with its own state and a `ROUTES` list, added to
   `sandbox._app.API_ROUTES` (and the state to `SandboxCore`); answers built from the
   documented examples, never through the SDK's converter.
3. Data: add the area to `covered` in `operations.json` (listing, with a reason, any operation
   knowingly left out), then run `python -m simwood_async._coverage`.
4. Tests, on asyncio and trio: a respx test of each exact request and of decoding its
   documented example; a sandbox round trip through the public method; a bad-input test (typed
   error, no request). `tests/sandbox/test_conformance.py` then compares the new routes with
   their examples (add `PLACEHOLDERS` / `BODIES` / `SETUP` entries it asks for), and
   `tests/test_documented_examples.py` wants a `READERS` entry per documented example.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from functools import cached_property
from importlib import resources
from typing import Final

import attrs

from simwood_async._area import Area
from simwood_async._operation import declared_operations

__all__ = [
    "Coverage",
    "Documented",
    "Operation",
    "Row",
    "coverage",
    "load_documented",
    "render",
    "sandbox_route_table",
    "sdk_declarations",
    "sdk_methods",
]

_ANY: Final = ("GET", "POST", "PUT", "DELETE")
_ALTERNATIVES: Final = re.compile(r"\[([^\]]*)\]")
_PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_-]+)\}")
#: Values that stand in for path parameters when routing a sample request.
_SAMPLES: Final = {
    "ACCOUNT": "930000",
    "NUMBER": "447700900123",
    "YYYY-MM-DD": "2026-01-05",
    "CLI": "447700900123",
    "IP": "192.0.2.1",
    "TRUNK": "930000-L001",
}


@attrs.frozen
class Operation:
    """One documented operation: its area, method (`GET`, `GET or POST`, `ANY`) and path."""

    area: str
    method: str
    path: str

    @property
    def key(self) -> str:
        """`METHOD path`, as the declarations and the `covered` exceptions spell it."""
        return f"{self.method} {self.path}"

    @property
    def methods(self) -> tuple[str, ...]:
        """The HTTP methods a server must accept for this operation."""
        if self.method == "ANY":
            return _ANY
        return tuple(self.method.split(" or "))

    def sample_path(self) -> str:
        """A concrete path of this operation (first enumerated value, sample parameters)."""
        text = _ALTERNATIVES.sub(lambda m: m.group(1).split("|")[0], self.path)
        return _PLACEHOLDER.sub(lambda m: _SAMPLES.get(m.group(1), "sample1"), text)


@attrs.frozen
class Documented:
    """The documented list: areas, operations, covered areas (with exceptions) and aliases."""

    areas: dict[str, str]
    operations: tuple[Operation, ...]
    covered: dict[str, dict[str, str]]
    aliases: tuple[Operation, ...]


def load_documented() -> Documented:
    """Read `operations.json` (shipped inside the package)."""
    text = resources.files(__package__).joinpath("operations.json").read_text("utf-8")
    data = json.loads(text)
    return Documented(
        areas=data["areas"],
        operations=tuple(
            Operation(area=o["area"], method=o["method"], path=o["path"])
            for o in data["operations"]
        ),
        covered=data["covered"],
        aliases=tuple(
            Operation(area="alias", method=a["method"], path=a["path"]) for a in data["aliases"]
        ),
    )


def sdk_methods() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every public method of the client's areas (`client.numbers.allocate`) -> declarations."""
    from simwood_async._client import SimwoodClient  # noqa: PLC0415 - the client imports areas

    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, member in sorted(vars(SimwoodClient).items()):
        getter = (
            member.func
            if isinstance(member, cached_property)
            else member.fget
            if isinstance(member, property)
            else None
        )
        if name.startswith("_") or getter is None:
            continue
        # The annotation is a string (postponed evaluation): look the name up in the
        # client's module, where every area class is imported at run time.
        annotation = getter.__annotations__.get("return")
        area = vars(sys.modules[SimwoodClient.__module__]).get(str(annotation))
        if not (inspect.isclass(area) and issubclass(area, Area)):
            continue
        for method_name, func in sorted(inspect.getmembers(area, inspect.isfunction)):
            if method_name.startswith("_"):
                continue
            found[f"client.{name}.{method_name}"] = declared_operations(func)
    return found


def sdk_declarations() -> dict[tuple[str, str], list[str]]:
    """`(method, path)` -> the public SDK methods declaring it, e.g. `client.numbers.allocate`."""
    found: dict[tuple[str, str], list[str]] = {}
    for method, declared in sdk_methods().items():
        for key in declared:
            found.setdefault(key, []).append(method)
    return found


def sandbox_route_table() -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
    """The sandbox's API routes in matching order: pattern, template, methods."""
    from starlette.routing import compile_path  # noqa: PLC0415 - [sandbox] extra

    from simwood_async.sandbox._app import API_ROUTES  # noqa: PLC0415

    return [
        (compile_path(template)[0], template, frozenset(handlers))
        for template, handlers in API_ROUTES
    ]


def _route_for(
    op: Operation, table: list[tuple[re.Pattern[str], str, frozenset[str]]]
) -> str | None:
    sample = op.sample_path()
    for pattern, template, methods in table:
        if pattern.match(sample):
            # The app dispatches on the first matching template, as here.
            return template if set(op.methods) <= methods else None
    return None


@attrs.frozen
class Row:
    """One line of the table."""

    operation: Operation
    sdk: tuple[str, ...]
    route: str | None


@attrs.frozen
class Coverage:
    """The whole picture, and what is wrong with it."""

    documented: Documented
    rows: tuple[Row, ...]
    #: Declarations that name no documented operation.
    unknown_declarations: dict[tuple[str, str], list[str]]
    #: Sandbox route templates that serve no documented operation nor alias.
    unknown_routes: tuple[str, ...]

    def missing(self) -> list[str]:
        """Operations of the covered areas lacking an SDK method or a sandbox route."""
        out = []
        for row in self.rows:
            exceptions = self.documented.covered.get(row.operation.area)
            if exceptions is None or row.operation.key in exceptions:
                continue
            lacks = [
                what
                for what, ok in (("SDK method", row.sdk), ("sandbox route", row.route))
                if not ok
            ]
            if lacks:
                out.append(f"{row.operation.key}: no {' and no '.join(lacks)}")
        return out

    def stale_exceptions(self) -> list[str]:
        """`covered` exceptions that are now implemented (or name no operation)."""
        rows = {row.operation.key: row for row in self.rows}
        out = []
        for area, exceptions in self.documented.covered.items():
            for key in exceptions:
                row = rows.get(key)
                if row is None or row.operation.area != area:
                    out.append(f"{key}: not an operation of {area}")
                elif row.sdk and row.route:
                    out.append(f"{key}: implemented now; drop it from the exceptions")
        return out


def coverage(
    *,
    declarations: dict[tuple[str, str], list[str]] | None = None,
    table: list[tuple[re.Pattern[str], str, frozenset[str]]] | None = None,
) -> Coverage:
    """Match the documented list against the SDK's declarations and the sandbox's routes.

    Args:
        declarations: Instead of the SDK's (tests pass their own).
        table: Instead of the sandbox's route table (tests pass their own).
    """
    documented = load_documented()
    declarations = sdk_declarations() if declarations is None else declarations
    table = sandbox_route_table() if table is None else table
    rows = tuple(
        Row(
            operation=op,
            sdk=tuple(declarations.get((op.method, op.path), ())),
            route=_route_for(op, table),
        )
        for op in documented.operations
    )
    known = {(op.method, op.path) for op in documented.operations}
    serving = {row.route for row in rows} | {_route_for(a, table) for a in documented.aliases}
    return Coverage(
        documented=documented,
        rows=rows,
        unknown_declarations={k: v for k, v in declarations.items() if k not in known},
        unknown_routes=tuple(t for _, t, _ in table if t not in serving),
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(result: Coverage) -> str:
    """The Markdown of `docs/coverage.md`."""
    rows = result.rows
    total = len(rows)
    sdk = sum(1 for r in rows if r.sdk)
    sandbox = sum(1 for r in rows if r.route)
    both = sum(1 for r in rows if r.sdk and r.route)
    covered = result.documented.covered
    lines = [
        "# API coverage",
        "",
        "Generated by `python -m simwood_async._coverage` from the `@operation` declarations on",
        "the SDK's public methods, the sandbox's route table and the documented operation list",
        "(`simwood_async/_coverage/operations.json`, from the API inventory). Do not edit by hand:",
        "`tests/test_coverage.py` fails when this file is stale.",
        "",
        (
            f"Of {total} documented operations, {sdk} have an SDK method, "
            f"{sandbox} a sandbox route, {both} both."
        ),
        "",
        (
            f"Covered areas (every operation must have both, except those listed): "
            f"{', '.join(covered)}."
        ),
        "",
    ]
    exceptions = [(key, why) for area in covered.values() for key, why in area.items()]
    if exceptions:
        lines += ["Known gaps in covered areas:", ""]
        lines += [f"- `{_cell(key)}`: {why}" for key, why in exceptions]
        lines.append("")
    for area, title in result.documented.areas.items():
        mine = [r for r in rows if r.operation.area == area]
        done = sum(1 for r in mine if r.sdk and r.route)
        mark = " (covered)" if area in covered else ""
        lines += [
            f"## {area} {title}{mark}: {done}/{len(mine)}",
            "",
            "| Method | Path | SDK method | Sandbox route |",
            "|---|---|---|---|",
        ]
        for r in mine:
            sdk_cell = ", ".join(f"`{name}`" for name in r.sdk) or "—"
            route_cell = f"`{_cell(r.route)}`" if r.route else "—"
            path_cell = f"`{_cell(r.operation.path)}`"
            lines.append(f"| {r.operation.method} | {path_cell} | {sdk_cell} | {route_cell} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write (or with `--check`, compare) `docs/coverage.md` in the current directory."""
    from pathlib import Path  # noqa: PLC0415

    args = sys.argv[1:] if argv is None else argv
    target = Path("docs/coverage.md")
    text = render(coverage())
    if "--check" in args:
        current = target.read_text("utf-8") if target.exists() else ""
        if current != text:
            sys.stderr.write(f"{target} is stale: run python -m simwood_async._coverage\n")
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")
    return 0
