"""`simwood reports run KIND`: request a report, wait for it, show or save its rows."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click

from simwood_async._cli import _connection, _jsonable, _run, _with_sandbox, cli

if TYPE_CHECKING:
    from collections.abc import Awaitable

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

    async def job(client: SimwoodClient) -> list[dict[str, Any]]:
        rows = await _report_call(client, kind, options)
        return [_jsonable(client.converter.unstructure(row)) for row in rows]

    rows = _run(ctx, job, interrupted="interrupted (the report was not saved)")
    if output is not None and not to_stdout:
        with output.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
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


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console  # noqa: PLC0415 - only when drawing
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=f"{title}: {len(rows):,} rows")
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column)
    for row in rows[:_TABLE_ROWS]:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console = Console()
    console.print(table)
    if len(rows) > _TABLE_ROWS:
        console.print(f"... and {len(rows) - _TABLE_ROWS:,} more (use --json or -o FILE)")
