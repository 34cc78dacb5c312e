"""`simwood cdrs pull --account-profile NAME ...`: several accounts in one run, one file each.

The accounts are the config file's named profiles (see `simwood_async._config`):

```toml
[accounts.main]
username = "api-user"
password_env = "MAIN_PASSWORD"     # or password = "..." (keep the file private)
account = "930000"

[accounts.reseller-7]
username = "other-user"
password_env = "R7_PASSWORD"
account = "930777"
```

`-o` names a directory (each account's file is `DIR/NAME.jsonl`, or `.csv`) or a template
containing `{account}` (`cdrs-{account}.jsonl`). Every file has its own checkpoint: running
the same command again resumes the accounts that did not finish.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anyio
import click

from simwood_async._cli import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    State,
    _default_client,
    _fail,
    days_bar,
)
from simwood_async._cli_config import CliConfig, default_config_path
from simwood_async._config import DEFAULT_BASE_URL, read_account_profiles
from simwood_async._http import validate_base_url
from simwood_async.exceptions import ConfigurationError, InvalidInputError, SimwoodError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    from typing_extensions import Self

    from simwood_async.cdrs import MultiPullProgress, PullResult
    from simwood_async.cdrs._writers import FileFormat

__all__ = ["ACCOUNT_FIELD", "profile_outputs", "pull_profiles"]

#: The placeholder of an `-o` template.
ACCOUNT_FIELD: Final = "{account}"
#: Single-account flags that several accounts (each with its own profile) cannot take.
_SINGLE_ONLY: Final = {
    "user": "--user",
    "account": "--account",
    "base_url": "--base-url",
    "password_stdin": "--password-stdin",
    "sandbox": "--sandbox",
}


def profile_outputs(
    output: Path, names: Sequence[str], file_format: FileFormat | None
) -> tuple[dict[str, Path], FileFormat]:
    """Each profile's output file: `-o` as a `{account}` template, else as a directory.

    Raises:
        click.BadParameter: `-o` is `-` or an existing file that is no template.
    """
    text = str(output)
    if text == "-" or (ACCOUNT_FIELD not in text and output.exists() and not output.is_dir()):
        raise click.BadParameter(
            f"with --account-profile, -o names a directory or a template with {ACCOUNT_FIELD} "
            f"(e.g. cdrs-{ACCOUNT_FIELD}.jsonl), not {text!r}",
            param_hint="'-o' / '--output'",
        )
    if ACCOUNT_FIELD in text:
        chosen: FileFormat = file_format or ("csv" if output.suffix.lower() == ".csv" else "jsonl")
        return {name: Path(text.replace(ACCOUNT_FIELD, name)) for name in names}, chosen
    chosen = file_format or "jsonl"
    return {name: output / f"{name}.{chosen}" for name in names}, chosen


class _Progress:
    """A rich bar per account and one for the total, on stderr (or nothing at all)."""

    def __init__(self, names: Sequence[str], *, enabled: bool) -> None:
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._names = names
        if enabled:
            self._bar = days_bar("[bold]{task.description}[/bold]")

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
            for name in [*self._names, "total"]:
                self._tasks[name] = self._bar.add_task(name, total=None, rows=0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, progress: MultiPullProgress) -> None:
        if self._bar is None:
            return
        for name, one in progress.accounts.items():
            self._bar.update(
                self._tasks[name],
                total=one.windows_total,
                completed=one.windows_done,
                rows=one.rows,
            )
        self._bar.update(
            self._tasks["total"],
            total=sum(p.windows_total for p in progress.accounts.values()),
            completed=sum(p.windows_done for p in progress.accounts.values()),
            rows=progress.rows,
        )


def _configs(ctx: click.Context, names: Sequence[str]) -> dict[str, CliConfig]:
    """Each named profile as a command configuration (exit 2 on any problem, before I/O)."""
    params = ctx.params
    json_output = bool(params.get("json_output"))
    clashing = [flag for key, flag in _SINGLE_ONLY.items() if params.get(key)]
    if clashing:
        _fail(
            f"{clashing[0]} cannot be combined with --account-profile (each profile has its own)",
            json_output=json_output,
            code=EXIT_USAGE,
        )
    path = params.get("config") or default_config_path(os.environ)
    try:
        profiles = read_account_profiles(path, names)
        configs = {}
        for profile in profiles:
            try:
                url = validate_base_url(
                    profile.base_url or DEFAULT_BASE_URL, allow_insecure_http=False
                )
            except ConfigurationError as err:
                msg = f"config file {str(path)!r}: [accounts.{profile.name}] base_url: {err}"
                raise ConfigurationError(msg) from err
            configs[profile.name] = CliConfig(
                username=profile.username,
                password=profile.password,
                account=profile.account,
                base_url=url,
            )
    except ConfigurationError as err:
        _fail(str(err), json_output=json_output, code=EXIT_USAGE)
    return configs


def _summary(result: PullResult | SimwoodError) -> dict[str, Any]:
    if isinstance(result, SimwoodError):
        return {"error": f"{type(result).__name__}: {result}"}
    return {
        "path": str(result.path),
        "format": result.format,
        "rows": result.rows,
        "pages": result.pages,
        "days": result.windows,
        "days_resumed": result.windows_resumed,
        "bytes": result.size,
        "start": result.start.isoformat(),
        "until": result.until.isoformat(),
    }


def pull_profiles(
    ctx: click.Context,
    targets: dict[str, Path],
    start: dt.datetime | dt.date,
    end: dt.datetime | dt.date | None,
    *,
    periods: dict[str, tuple[dt.date, dt.date]],
    file_format: FileFormat,
    show: bool,
) -> None:
    """Pull every profile's CDRs to its file under one limit, report, and exit 1 on a failure.

    A profile in `periods` pulls that range (the one its checkpoint recorded) instead.
    """
    from simwood_async.cdrs import AccountPull, pull_accounts  # noqa: PLC0415

    state: State = ctx.ensure_object(State)
    params = ctx.params
    json_output = bool(params.get("json_output"))
    configs = _configs(ctx, list(targets))
    opener = state.open_client or _default_client
    library_log = logging.getLogger("simwood_async")
    if not any(isinstance(h, logging.NullHandler) for h in library_log.handlers):
        library_log.addHandler(logging.NullHandler())

    async def main() -> dict[str, PullResult | SimwoodError]:
        for path in targets.values():
            await anyio.Path(path).parent.mkdir(parents=True, exist_ok=True)
        async with AsyncExitStack() as stack:
            pulls = [
                AccountPull(
                    client=await stack.enter_async_context(opener(config)),
                    file=targets[name],
                    name=name,
                    period=periods.get(name),
                )
                for name, config in configs.items()
            ]
            with _Progress(list(targets), enabled=show) as bar:
                return await pull_accounts(
                    pulls,
                    start,
                    end,
                    concurrency=params["concurrency"],
                    page_size=params["page_size"],
                    format=file_format,
                    resume=not params["restart"],
                    on_progress=bar,
                    now=state.now,
                )

    started = time.monotonic()
    try:
        results = anyio.run(main, backend="asyncio")
    except KeyboardInterrupt:
        msg = "interrupted (run the same `cdrs pull` again to resume the unfinished accounts)"
        _fail(msg, json_output=json_output, code=EXIT_INTERRUPTED)
    except SimwoodError as err:  # refused arguments, or opening a client
        code = EXIT_USAGE if isinstance(err, InvalidInputError) else EXIT_FAILURE
        _fail(f"{type(err).__name__}: {err}", json_output=json_output, code=code)
    seconds = time.monotonic() - started
    summaries = {name: _summary(result) for name, result in results.items()}
    failed = [name for name, item in summaries.items() if "error" in item]
    rows = sum(item.get("rows", 0) for item in summaries.values())
    if json_output:
        total = {"rows": rows, "failed": failed, "seconds": round(seconds, 3)}
        click.echo(json.dumps({"accounts": summaries, **total}))
    else:
        for name, item in summaries.items():
            if "error" in item:
                continue
            if item["rows"] == 0 and item["days_resumed"] == item["days"] > 0:
                click.echo(f"{name}: already complete ({item['days']:,} days) in {item['path']}")
            else:
                resumed = f" ({item['days_resumed']:,} resumed)" if item["days_resumed"] else ""
                click.echo(
                    f"{name}: {item['rows']:,} rows from {item['days']:,} days{resumed} "
                    f"written to {item['path']}"
                )
        done = len(summaries) - len(failed)
        failures = f", {len(failed)} failed" if failed else ""
        click.echo(f"total: {rows:,} rows from {done} account{'' if done == 1 else 's'}{failures}")
        for name in failed:
            click.echo(f"error: {name}: {summaries[name]['error']}", err=True)
    if failed:
        if not json_output:
            click.echo("run the same `cdrs pull` again to resume the failed accounts", err=True)
        ctx.exit(EXIT_FAILURE)
