"""`simwood reports run KIND`: request a report, wait for it, show or save its rows."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anyio
import click

from simwood_async._cli import _connection, _jsonable, _run, _with_sandbox, cli
from simwood_async.exceptions import SimwoodError

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from typing_extensions import Self

    from simwood_async._client import SimwoodClient

__all__ = ["reports"]


REPORT_KINDS: Final = (
    "voice-summary",
    "voice-cdr",
    "voice-cdr-latest",
    "sms-cdr",
    "sms-cdr-latest",
    "prepay-summary",
)
_TABLE_ROWS: Final = 20


@cli.group()
def reports() -> None:
    """Asynchronous reports: requested, awaited and downloaded in one command."""


def _report_call(client: SimwoodClient, kind: str, options: dict[str, Any]) -> Awaitable[Any]:
    api = client.reports
    deadline = options["deadline"]
    if kind == "voice-summary":
        return api.voice_summary_day(options["direction"], date=options["date"], deadline=deadline)
    if kind in ("voice-cdr", "sms-cdr"):
        day_report = api.voice_cdr_day if kind == "voice-cdr" else api.sms_cdr_day
        return day_report(date=options["date"], deadline=deadline)
    if kind in ("voice-cdr-latest", "sms-cdr-latest"):
        latest = api.voice_cdr_latest if kind == "voice-cdr-latest" else api.sms_cdr_latest
        return latest(options["count"], deadline=deadline)
    return api.prepay_summary(
        from_date=options["from_date"], to_date=options["to_date"], deadline=deadline
    )


@reports.command("run")
@click.argument("kind", type=click.Choice(REPORT_KINDS))
@click.option("--date", help="The day (YYYY-MM-DD; default today) for day reports.")
@click.option("--direction", type=click.Choice(["in", "out"]), help="For voice-summary.")
@click.option(
    "--count",
    type=click.Choice(["10", "100", "1000", "10000"]),
    default="100",
    show_default=True,
    help="For the -latest reports.",
)
@click.option("--from", "from_date", help="For prepay-summary: first day (YYYY-MM-DD).")
@click.option("--to", "to_date", help="For prepay-summary: last day (YYYY-MM-DD).")
@click.option("--deadline", type=float, default=600.0, show_default=True, help="Seconds.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    help="Write the rows as JSON Lines to this file (`-`: stdout).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="A spinner with the report's state and elapsed time (default: on a terminal).",
)
@_connection
@click.pass_context
def reports_run(ctx: click.Context, /, kind: str, **options: Any) -> None:
    """Request a report, wait until it is ready, download it, and show or save its rows.

    KIND is one of: voice-summary, voice-cdr, voice-cdr-latest, sms-cdr, sms-cdr-latest,
    prepay-summary. Rows go to a table, to stdout as JSON Lines (--json), or to a file (-o).
    """
    options["count"] = int(options["count"])
    if kind == "voice-summary" and options["direction"] is None:
        raise click.UsageError("voice-summary needs --direction in|out")
    _refuse_unused(kind)
    output: Path | None = options["output"]
    to_stdout = output is not None and str(output) == "-"
    if output is not None and not to_stdout:
        _check_writable(output)

    show = options["progress"]
    if show is None:
        show = not options["json_output"] and sys.stderr.isatty()

    async def job(client: SimwoodClient) -> list[dict[str, Any]]:
        failure: SimwoodError | None = None
        with _Waiting(kind, client, enabled=show) as waiting:
            async with anyio.create_task_group() as group:
                group.start_soon(waiting.run)
                try:
                    rows = await _report_call(client, kind, options)
                except SimwoodError as err:  # raised below, not wrapped in a group
                    failure = err
                finally:
                    group.cancel_scope.cancel()
        if failure is not None:
            raise failure
        return [_jsonable(client.converter.unstructure(row)) for row in rows]

    rows = _run(ctx, job, interrupted="interrupted (the report was not saved)")
    if output is not None and not to_stdout:
        partial = output.with_name(output.name + ".partial")
        with partial.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
        partial.replace(output)  # a complete file, or the earlier one
        summary = _with_sandbox(ctx, {"kind": kind, "rows": len(rows), "path": str(output)})
        if options["json_output"]:
            click.echo(json.dumps(summary))
        else:
            noun = "row" if len(rows) == 1 else "rows"
            click.echo(f"{len(rows):,} {noun} written to {output}")
    elif options["json_output"] or to_stdout:
        for row in rows:
            click.echo(json.dumps(row))
    else:
        _table(kind, rows)


#: Options each kind takes (the others are refused rather than silently ignored).
_TAKES: Final = {
    "voice-summary": {"date", "direction"},
    "voice-cdr": {"date"},
    "sms-cdr": {"date"},
    "voice-cdr-latest": {"count"},
    "sms-cdr-latest": {"count"},
    "prepay-summary": {"from_date", "to_date"},
}
_FLAGS: Final = {
    "date": "--date",
    "direction": "--direction",
    "count": "--count",
    "from_date": "--from",
    "to_date": "--to",
}


def _refuse_unused(kind: str) -> None:
    ctx = click.get_current_context()
    for name, flag in _FLAGS.items():
        given = ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
        if given and name not in _TAKES[kind]:
            takes = ", ".join(_FLAGS[n] for n in sorted(_TAKES[kind])) or "no options"
            raise click.UsageError(f"{kind} does not take {flag} (it takes {takes})")


def _check_writable(output: Path) -> None:
    """Refuse an output file that cannot be written, before the report is requested."""
    folder = output.parent if str(output.parent) else Path()
    if not folder.is_dir():
        raise click.BadParameter(f"folder {str(folder)!r} does not exist", param_hint="-o")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise click.BadParameter(f"{str(output)!r} is not writable", param_hint="-o")


class _Waiting:
    """A spinner on stderr while a report is pending: its state, checks and elapsed time."""

    def __init__(self, kind: str, client: SimwoodClient, *, enabled: bool) -> None:
        self._kind = kind
        self._stats = client.reports.stats
        self._status: Any = None
        self._started = time.monotonic()
        if enabled:
            from rich.console import Console  # noqa: PLC0415 - only when drawing

            self._console = Console(stderr=True, force_terminal=True)
            self._status = self._console.status(self._text())

    def _text(self) -> str:
        stats = self._stats
        if stats.downloads:
            state = "downloading"
        elif stats.report_requests:
            checks = stats.polls + stats.listings
            state = f"pending ({checks} check{'' if checks == 1 else 's'})"
        else:
            state = "requesting"
        return f"{self._kind}: {state}, {time.monotonic() - self._started:.1f} s"

    async def run(self) -> None:
        """Refresh the spinner's text until cancelled."""
        while self._status is not None:
            self._status.update(self._text())
            await anyio.sleep(0.1)

    def __enter__(self) -> Self:
        if self._status is not None:
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
            self._console.print(
                f"{self._kind}: done after {time.monotonic() - self._started:.1f} s"
            )


#: Columns shown first in a table, by report kind (the rest follow while they fit).
_FIRST_COLUMNS: Final = {
    "voice-cdr": ("date", "direction", "from", "to", "seconds", "charge", "currency", "result"),
    "sms-cdr": ("date", "from", "to", "charge", "currency"),
    "voice-summary": ("destid", "calls", "minutes", "charges"),
}
_MAX_CELL: Final = 32


def _columns(kind: str, rows: list[dict[str, Any]], width: int) -> tuple[list[str], int]:
    """The columns that fit `width` at their natural width (capped), and how many did not."""
    every = list(rows[0]) if rows else []
    first = [c for c in _FIRST_COLUMNS.get(kind.removesuffix("-latest"), ()) if c in every]
    ordered = first + [c for c in every if c not in first]
    shown: list[str] = []
    used = 4  # the table's outer borders
    for column in ordered:
        natural = max([len(column), *(len(_cell(r.get(column))) for r in rows)])
        need = min(natural, _MAX_CELL) + 3  # padding and a border
        if shown and used + need > width:
            continue
        shown.append(column)
        used += need
    return shown, len(ordered) - len(shown)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console  # noqa: PLC0415 - only when drawing
    from rich.table import Table  # noqa: PLC0415

    console = Console()
    columns, hidden = _columns(title, rows[:_TABLE_ROWS], console.width)
    table = Table(title=f"{title}: {len(rows):,} row{'' if len(rows) == 1 else 's'}")
    for column in columns:
        table.add_column(column, no_wrap=True, overflow="ellipsis", max_width=_MAX_CELL)
    for row in rows[:_TABLE_ROWS]:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    console.print(table)
    more = []
    if len(rows) > _TABLE_ROWS:
        more.append(f"{len(rows) - _TABLE_ROWS:,} more rows")
    if hidden:
        more.append(f"{hidden} more column{'' if hidden == 1 else 's'}")
    if more:
        console.print(f"... and {' and '.join(more)} (use --json or -o FILE for everything)")
