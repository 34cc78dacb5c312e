"""The `simwood` command line (the `[cli]` extra: click and rich).

```console
$ simwood cdrs pull --days 7 -o cdrs.jsonl
$ simwood balance --json
$ simwood reports run voice-summary --direction out --date 2026-11-01
$ simwood sandbox serve --port 8080
```

Credentials come from flags (`--user`, `--account`), the environment (`SIMWOOD_API_USER`,
`SIMWOOD_API_PASSWORD`, `SIMWOOD_ACCOUNT`) or a TOML file (`$SIMWOOD_CONFIG`, default
`~/.config/simwood/config.toml`, keys `username`, `password`, `account`, `base_url`), in that
order. The password is never a flag (it would show in `ps`): use the environment, the file, or
`--password-stdin`. With no credentials at all, commands run against the embedded sandbox and
say so on stderr.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn
from urllib.parse import urlsplit

import anyio
import attrs
import click

from simwood_async._cli_config import CliConfig, ConfigError, load_config
from simwood_async.exceptions import InvalidInputError, SimwoodError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from simwood_async._client import SimwoodClient

__all__ = ["cli", "main"]

GMT: Final = dt.timezone.utc
#: Rows per day of the embedded sandbox (as `simwood sandbox serve`): a visible progress bar.
SANDBOX_ROWS_PER_DAY: Final = 5000
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130


@attrs.define
class State:
    """What the commands share: options and how to open a client (tests swap it)."""

    open_client: Any = None  # CliConfig -> async context manager of a SimwoodClient
    now: Any = attrs.field(factory=lambda: _utc_now)  # () -> aware datetime (for --days)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(tz=GMT)


def _fail(message: str, *, json_output: bool, code: int = EXIT_FAILURE) -> NoReturn:
    if json_output:
        click.echo(json.dumps({"error": message}), err=True)
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(code)


@asynccontextmanager
async def _default_client(config: CliConfig) -> AsyncIterator[SimwoodClient]:
    from simwood_async._client import SimwoodClient  # noqa: PLC0415 - keeps --help fast

    if config.sandbox:
        from simwood_async.sandbox import Sandbox  # noqa: PLC0415 - the [sandbox] extra

        sandbox = Sandbox(seed=0, cdr_rows_per_day=config.sandbox_rows_per_day)
        async with sandbox, sandbox.client() as client:
            yield client
        return
    from simwood_async.reports import ReportOptions  # noqa: PLC0415

    async with SimwoodClient(
        config.account,
        username=config.username,
        password=config.password,
        base_url=config.base_url,
        env={},
        fast=True,  # aiohttp's connections when the [fast] extra is installed (asyncio only)
        # What earlier runs learned about report generation times: the first report of a new
        # process is awaited like the last one of the previous process.
        reports=ReportOptions(profile=report_profile_path(config.base_url)),
    ) as client:
        yield client


def report_profile_path(base_url: str, env: Mapping[str, str] | None = None) -> Path:
    """Where the CLI keeps learned report timings for an API root (one file per host)."""
    env = os.environ if env is None else env
    cache = Path(env.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser())
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(base_url).netloc) or "default"
    return cache / "simwood" / f"report-profile-{host}.json"


def _sandbox_notice(config: CliConfig) -> str:
    if config.forced:
        return "Using the embedded sandbox (--sandbox): synthetic data, not a Simwood account."
    return (
        "No Simwood credentials configured (flags, SIMWOOD_API_USER/SIMWOOD_API_PASSWORD/"
        "SIMWOOD_ACCOUNT, or ~/.config/simwood/config.toml): using the embedded sandbox "
        "(synthetic data)."
    )


def _hint(error: SimwoodError, config: CliConfig) -> str:
    """A hint for errors whose usual cause the CLI can see."""
    from simwood_async.exceptions import NotFoundError  # noqa: PLC0415

    if (
        isinstance(error, NotFoundError)
        and not config.sandbox
        and not config.base_url.rstrip("/").endswith("/v3")
    ):
        return f" (the base URL {config.base_url} does not end in /v3/; the API's root does)"
    return ""


def _run(
    ctx: click.Context,
    job: Callable[[SimwoodClient], Awaitable[Any]],
    *,
    sandbox_rows_per_day: int = SANDBOX_ROWS_PER_DAY,
    interrupted: str = "interrupted",
) -> Any:
    """Resolve the configuration, open a client, run `job`, and turn errors into exits.

    `ctx.meta["simwood.sandbox"]` tells the command whether the sandbox answered.
    """
    state: State = ctx.ensure_object(State)
    params = ctx.params
    json_output = bool(params.get("json_output"))
    try:
        config = load_config(
            username=params.get("user"),
            account=params.get("account"),
            base_url=params.get("base_url"),
            password_stdin=bool(params.get("password_stdin")),
            force_sandbox=bool(params.get("sandbox")),
            config_path=params.get("config"),
            sandbox_rows_per_day=sandbox_rows_per_day,
        )
    except ConfigError as err:
        _fail(str(err), json_output=json_output, code=EXIT_USAGE)
    ctx.meta["simwood.sandbox"] = config.sandbox
    if config.sandbox:
        notice = _sandbox_notice(config)
        click.echo(json.dumps({"notice": notice}) if json_output else notice, err=True)
    opener = state.open_client or _default_client
    # The CLI reports every failure itself, once: the library's own log lines (e.g. the
    # report engine's warning) would repeat it, so they are kept out of the terminal.
    library_log = logging.getLogger("simwood_async")
    if not any(isinstance(h, logging.NullHandler) for h in library_log.handlers):
        library_log.addHandler(logging.NullHandler())

    async def main() -> tuple[Any, SimwoodError | None]:
        async with opener(config) as client:
            # Caught here, inside: the embedded sandbox's task group would wrap it in a group.
            try:
                return await job(client), None
            except SimwoodError as err:
                return None, err

    try:
        result, error = anyio.run(main, backend="asyncio")
    except KeyboardInterrupt:
        _fail(interrupted, json_output=json_output, code=EXIT_INTERRUPTED)
    except SimwoodError as err:  # opening the client (e.g. its configuration)
        code = EXIT_USAGE if isinstance(err, InvalidInputError) else EXIT_FAILURE
        _fail(f"{type(err).__name__}: {err}", json_output=json_output, code=code)
    if isinstance(error, InvalidInputError):
        _fail(str(error), json_output=json_output, code=EXIT_USAGE)
    if error is not None:
        _fail(f"{type(error).__name__}: {error}{_hint(error, config)}", json_output=json_output)
    return result


def _with_sandbox(ctx: click.Context, data: dict[str, Any]) -> dict[str, Any]:
    """A JSON summary, marked when the sandbox answered."""
    return {**data, "sandbox": True} if ctx.meta.get("simwood.sandbox") else data


def _connection(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every API command takes."""
    options = [
        click.option("--user", help="API username (else SIMWOOD_API_USER or the config file)."),
        click.option("--account", help="Account id (else SIMWOOD_ACCOUNT or the config file)."),
        click.option("--base-url", help="API root (default https://api.simwood.com/v3/)."),
        click.option(
            "--password-stdin",
            is_flag=True,
            help="Read the API password from stdin (else SIMWOOD_API_PASSWORD or the file).",
        ),
        click.option(
            "--config",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Config file (default $SIMWOOD_CONFIG or ~/.config/simwood/config.toml).",
        ),
        click.option("--sandbox", is_flag=True, help="Use the embedded sandbox."),
        click.option(
            "--json", "json_output", is_flag=True, help="Machine-readable output (one JSON)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="simwood-async", prog_name="simwood")
def cli() -> None:
    """Simwood API from the shell: bulk CDR pulls, reports, balances, and a sandbox."""


# -- balance -----------------------------------------------------------------------------------


@cli.command()
@_connection
@click.pass_context
def balance(ctx: click.Context, /, **_: Any) -> None:
    """The prepay balance."""

    async def job(client: SimwoodClient) -> Any:
        result = await client.accounts.prepay_balance()
        return client.converter.unstructure(result)

    data = _run(ctx, job)
    if ctx.params["json_output"]:
        click.echo(json.dumps(_with_sandbox(ctx, _jsonable(data))))
    else:
        where = " (embedded sandbox)" if ctx.meta.get("simwood.sandbox") else ""
        click.echo(f"{data.get('balance')} {data.get('currency', '')}".strip() + where)


# -- sandbox -----------------------------------------------------------------------------------


@cli.group()
def sandbox() -> None:
    """The API emulator."""


def _shown_default(default: Any) -> str:
    if default is None:
        return ""
    if isinstance(default, tuple):
        return f" (default: {','.join(f'{v:g}' for v in default)})"
    return f" (default: {default:g})" if isinstance(default, float) else f" (default: {default})"


def _sandbox_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of `python -m simwood_async.sandbox`, from the same table."""
    from simwood_async.sandbox.__main__ import OPTIONS  # noqa: PLC0415

    for option in reversed(OPTIONS):
        dest = option.name.removeprefix("--").replace("-", "_")
        if option.flag:
            decorator = click.option(option.name, dest, is_flag=True, help=option.help)
        elif option.repeat:
            decorator = click.option(
                option.name, dest, multiple=True, metavar=option.metavar, help=option.help
            )
        else:
            decorator = click.option(
                option.name,
                dest,
                type=option.type if option.type in (int, float, str) else str,
                default=None,
                metavar=option.metavar,
                help=option.help + _shown_default(option.default),
            )
        command = decorator(command)
    return command


@sandbox.command("serve")
@_sandbox_options
def sandbox_serve(**options: Any) -> None:
    """Serve the sandbox on 127.0.0.1 until interrupted (Ctrl-C).

    The same server and options as `python -m simwood_async.sandbox`. It prints its base URL
    and credentials (--json: one JSON line {"base_url", "account", "username", "password"}).
    """
    from simwood_async.sandbox.__main__ import OPTIONS, serve  # noqa: PLC0415

    args: dict[str, Any] = {}
    for option in OPTIONS:
        dest = option.name.removeprefix("--").replace("-", "_")
        value = options[dest]
        if option.repeat:
            value = list(value)
        elif value is None:
            value = option.default
        elif not option.flag and option.type not in (int, float, str):
            try:
                value = option.type(value)
            except ValueError as err:
                raise click.BadParameter(str(err), param_hint=option.name) from err
        args[dest] = value
    sys.exit(serve(args))


def days_bar(label: str, *extra: str) -> Any:
    """A rich progress bar on stderr: `label`, the bar, days done, rows, `extra`, time elapsed.

    Each task needs a `rows` field (and whatever fields the `extra` text columns name).
    """
    from rich.console import Console  # noqa: PLC0415 - only when drawing
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TextColumn("{task.fields[rows]:>12,} rows"),
        *(TextColumn(column) for column in extra),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )


# The cdrs and reports commands live in their own modules; importing them registers them.
from simwood_async import _cli_cdrs, _cli_reports  # noqa: E402, F401 - registration by import


def main(argv: list[str] | None = None) -> None:
    """The `simwood` entry point."""
    cli.main(args=argv, prog_name="simwood")
