"""`simwood cdrs pull`: every voice CDR of a period to a file, with a progress bar."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from simwood_async._cli import (
    GMT,
    SANDBOX_ROWS_PER_DAY,
    State,
    _connection,
    _run,
    _with_sandbox,
    cli,
    days_bar,
)
from simwood_async._cli_accounts import profile_outputs, pull_profiles

if TYPE_CHECKING:
    from typing_extensions import Self

    from simwood_async._client import SimwoodClient
    from simwood_async.cdrs import PullProgress

__all__ = ["cdrs"]


@cli.group()
def cdrs() -> None:
    """Voice call records."""


def _parse_when(text: str, *, name: str) -> dt.datetime | dt.date:
    """A date (`2026-11-01`) or a GMT time (`2026-11-01T10:00`, `2026-11-01 10:00:00`)."""
    text = text.strip()
    try:
        if len(text) == 10:  # noqa: PLR2004 - YYYY-MM-DD
            return dt.date.fromisoformat(text)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise click.BadParameter(
            f"{text!r} is not YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss] (GMT)", param_hint=name
        ) from err
    # The command line works in GMT, like the API: a time without a zone is GMT.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=GMT)


class _Progress:
    """Renders `PullProgress` with a rich bar on stderr (or not at all)."""

    def __init__(self, *, enabled: bool) -> None:
        self._bar: Any = None
        self._task: Any = None
        if enabled:
            self._bar = days_bar("[bold]CDRs[/bold]", "{task.fields[rate]:>9,.0f} rows/s")

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task("pull", total=None, rows=0, rate=0.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, progress: PullProgress) -> None:
        if self._bar is not None:
            self._bar.update(
                self._task,
                total=progress.windows_total,
                completed=progress.windows_done,
                rows=progress.rows,
                rate=progress.rows_per_second,
            )


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _recorded_days(
    output: Path, days: int, *, complete: bool = False
) -> tuple[dt.date, dt.date] | None:
    """The range of an unfinished `--days N` pull to `output`, if its checkpoint has one.

    With `complete`, the range a many-account run recorded for it as completed instead.
    """
    from simwood_async.cdrs._checkpoint import load_checkpoint, partial_path  # noqa: PLC0415

    saved = load_checkpoint(output, complete=complete)
    if saved is None or not (output if complete else partial_path(output)).exists():
        return None
    start, end = saved.identity.get("start"), saved.identity.get("end")
    try:
        first = dt.datetime.fromisoformat(start or "")
        last = dt.date.fromisoformat(end or "")
    except ValueError:
        return None
    if first.time() != dt.time(0) or (last - first.date()).days + 1 != days:
        return None
    return first.date(), last


def _resumed(
    options: dict[str, Any], targets: dict[str, Path], today: tuple[dt.date, dt.date]
) -> dict[str, tuple[dt.date, dt.date]]:
    """Each target's own `--days N` range where it differs from today's: the one recorded.

    An unfinished pull resumes its range (said on stderr); a profile a many-account run
    completed keeps its range, so it is not pulled again while the others finish.
    """
    days = options["days"]
    if days is None or options["restart"] or str(options["output"]) == "-":
        return {}
    periods = {}
    for name, output in targets.items():
        recorded = _recorded_days(output, days)
        if recorded is not None and recorded != today:
            click.echo(
                f"resuming the unfinished pull of {recorded[0]} to {recorded[1]} recorded for "
                f"{output} (--restart to pull the last days instead)",
                err=True,
            )
        elif name:
            recorded = _recorded_days(output, days, complete=True)
        if recorded is not None and recorded != today:
            periods[name] = recorded
    return periods


def _period(
    ctx: click.Context, options: dict[str, Any]
) -> tuple[dt.datetime | dt.date, dt.datetime | dt.date | None]:
    """`--from`/`--to`, or `--days N` (the N days before today)."""
    state = ctx.ensure_object(State)
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date | None
    if options["days"] is not None:
        if options["start"] or options["end"]:
            raise click.UsageError("use either --days or --from/--to")
        today = state.now().astimezone(GMT).date()
        start, end = today - dt.timedelta(days=options["days"]), today - dt.timedelta(days=1)
    elif options["start"]:
        start = _parse_when(options["start"], name="--from")
        end = _parse_when(options["end"], name="--to") if options["end"] else None
    else:
        raise click.UsageError("give --from (and optionally --to), or --days")
    return start, end


@cdrs.command("pull")
@click.option("--from", "start", help="First day or GMT time (YYYY-MM-DD[Thh:mm[:ss]]).")
@click.option("--to", "end", help="Last day (included) or GMT end time (excluded); default now.")
@click.option(
    "--days",
    type=click.IntRange(1, 90),
    help="Instead of --from/--to: the N whole days before today (GMT).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(writable=True, allow_dash=True, path_type=Path),
    help="Output file, replaced when the pull completes (`-`: stdout); with --account-profile "
    "a directory or a template such as `cdrs-{account}.jsonl`.",
)
@click.option(
    "--account-profile",
    "account_profiles",
    multiple=True,
    metavar="NAME",
    help="Pull the config file's [accounts.NAME] profile; repeat for several accounts, "
    "pulled concurrently, one file and checkpoint each.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["jsonl", "csv"]),
    default=None,
    help="File format (default: from the file's extension, else jsonl).",
)
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 5000), default=500, show_default=True)
@click.option(
    "--restart",
    "--no-resume",
    "restart",
    is_flag=True,
    help="Drop an unfinished pull's checkpoint and partial file, and start afresh.",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@click.option(
    "--cdr-rows-per-day",
    "--sandbox-rows-per-day",
    "sandbox_rows_per_day",
    type=click.IntRange(0, 10**6),
    default=SANDBOX_ROWS_PER_DAY,
    show_default=True,
    help="Voice CDRs a day of the embedded sandbox (as `simwood sandbox serve`).",
)
@_connection
@click.pass_context
def cdrs_pull(ctx: click.Context, /, **options: Any) -> None:
    """Pull every voice CDR of a period to a JSON Lines or CSV file, with a progress bar.

    Times are GMT. The API serves the last 90 days. Rows go to FILE.partial, which replaces
    FILE when the pull completes; an interrupted pull resumes when the same command runs
    again (`--days N` resumes the range it recorded, even after midnight). Example:

        simwood cdrs pull --from 2026-11-01 --to 2026-11-07 -o cdrs.jsonl

    Several accounts (profiles of the config file) under one --concurrency limit:

        simwood cdrs pull --account-profile main --account-profile r7 --days 7 -o cdrs/
    """
    state = ctx.ensure_object(State)
    output: Path = options["output"]
    to_stdout = str(output) == "-"
    names = list(dict.fromkeys(options["account_profiles"]))
    if names:
        targets, file_format = profile_outputs(output, names, options["file_format"])
    elif output.is_dir():
        raise click.BadParameter(f"File {str(output)!r} is a directory.", param_hint="'-o'")
    else:
        targets = {"": output}
    start, end = _period(ctx, options)
    periods = (
        _resumed(options, targets, (start, end))  # type: ignore[arg-type] # dates with --days
        if options["days"] is not None
        else {}
    )
    json_output = options["json_output"]
    show = options["progress"]
    if show is None:
        show = not json_output and sys.stderr.isatty()
    if names:
        pull_profiles(ctx, targets, start, end, periods=periods, file_format=file_format, show=show)
        return
    start, end = periods.get("", (start, end))
    file_format = options["file_format"] or ("csv" if output.suffix.lower() == ".csv" else "jsonl")

    async def job(client: SimwoodClient) -> Any:
        started = time.monotonic()
        with contextlib.ExitStack() as stack:
            target = output
            if to_stdout:
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="simwood-"))
                target = Path(folder) / f"cdrs.{file_format}"
            with _Progress(enabled=show) as bar:
                result = await client.cdrs.pull_to_file(
                    target,
                    start,
                    end,
                    format=file_format,
                    concurrency=options["concurrency"],
                    page_size=options["page_size"],
                    resume=not options["restart"],
                    on_progress=bar,
                    now=state.now,
                )
            if to_stdout:
                stream = sys.stdout.buffer
                with target.open("rb") as source:
                    while chunk := source.read(1 << 20):
                        stream.write(chunk)
        return result, time.monotonic() - started

    interrupted = (
        "interrupted (run the same `cdrs pull` again to resume it)"
        if not to_stdout
        else "interrupted"
    )
    result, seconds = _run(
        ctx, job, sandbox_rows_per_day=options["sandbox_rows_per_day"], interrupted=interrupted
    )
    summary = _with_sandbox(
        ctx,
        {
            "path": "-" if to_stdout else str(result.path),
            "format": result.format,
            "rows": result.rows,
            "pages": result.pages,
            "days": result.windows,
            "days_resumed": result.windows_resumed,
            "bytes": result.size,
            "start": result.start.isoformat(),
            "until": result.until.isoformat(),
            "seconds": round(seconds, 3),
            "rows_per_s": round(result.rows / seconds) if seconds > 0 else None,
        },
    )
    if json_output:
        click.echo(json.dumps(summary), err=to_stdout)
    else:
        resumed = f" ({result.windows_resumed:,} resumed)" if result.windows_resumed else ""
        where = "stdout" if to_stdout else str(result.path)
        click.echo(
            f"{_plural(result.rows, 'row')} from {_plural(result.windows, 'day')}{resumed} "
            f"written to {where} ({_plural(result.size, 'byte')}, {seconds:.1f} s)",
            err=to_stdout,
        )
