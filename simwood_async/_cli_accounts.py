"""`simwood cdrs pull-accounts`: several accounts' CDRs in one run, one file each.

The accounts come from a TOML file of their own (`--accounts`), one table per account:

```toml
[accounts.main]
username = "api-user"
password_env = "MAIN_PASSWORD"     # or password = "..." (keep the file private)
account = "930000"

[accounts.reseller-7]
username = "other-user"
password_env = "R7_PASSWORD"
account = "930777"
base_url = "https://api.simwood.com/v3/"   # optional
```

Each account's file is `OUT_DIR/NAME.jsonl` (or `.csv`) with its own checkpoint: running the
same command again resumes the accounts that did not finish.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anyio
import attrs
import click

from simwood_async._config import DEFAULT_BASE_URL
from simwood_async.exceptions import InvalidInputError, SimwoodError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from simwood_async._client import SimwoodClient
    from simwood_async.cdrs import MultiPullProgress

__all__ = ["AccountSpec", "AccountsState", "load_accounts", "pull_accounts_command"]

_KEYS: Final = frozenset({"username", "password", "password_env", "account", "base_url"})
GMT: Final = dt.timezone.utc


@attrs.frozen(kw_only=True)
class AccountSpec:
    """One account of the accounts file (the password never shown in a repr)."""

    name: str
    username: str
    password: str = attrs.field(repr=False)
    account: str
    base_url: str = DEFAULT_BASE_URL


@attrs.define
class AccountsState:
    """How the command opens a client for an account (tests pass their own)."""

    open_client: Any = None  # AccountSpec -> SimwoodClient (not yet entered)


def load_accounts(path: Path, env: Mapping[str, str]) -> list[AccountSpec]:
    """The accounts of a TOML accounts file.

    Raises:
        click.UsageError: The file cannot be read, or an account is incomplete.
    """
    toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        data = toml.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise click.UsageError(f"cannot read accounts file {str(path)!r}: {err}") from err
    except (toml.TOMLDecodeError, UnicodeDecodeError) as err:
        raise click.UsageError(f"accounts file {str(path)!r} is not valid TOML: {err}") from err
    tables = data.get("accounts")
    if not isinstance(tables, dict) or not tables or set(data) != {"accounts"}:
        raise click.UsageError(f"accounts file {str(path)!r} needs [accounts.NAME] tables only")
    specs = []
    for name, table in tables.items():
        if not isinstance(table, dict) or not set(table) <= _KEYS:
            raise click.UsageError(f"account {name!r}: keys must be among {sorted(_KEYS)}")
        password = table.get("password")
        if password is None and table.get("password_env"):
            password = env.get(str(table["password_env"]))
        missing = [k for k in ("username", "account") if not table.get(k)]
        if not password:
            missing.append("password (or password_env naming a set variable)")
        if missing:
            raise click.UsageError(f"account {name!r} is missing {', '.join(missing)}")
        specs.append(
            AccountSpec(
                name=str(name),
                username=str(table["username"]),
                password=str(password),
                account=str(table["account"]),
                base_url=str(table.get("base_url") or DEFAULT_BASE_URL),
            )
        )
    return specs


def _default_open(spec: AccountSpec) -> SimwoodClient:
    from simwood_async._client import SimwoodClient  # noqa: PLC0415 - keeps --help fast

    return SimwoodClient(
        spec.account,
        username=spec.username,
        password=spec.password,
        base_url=spec.base_url,
        env={},
        fast=True,
    )


def _when(text: str, name: str) -> dt.datetime | dt.date:
    try:
        if len(text) == 10:  # noqa: PLR2004 - YYYY-MM-DD
            return dt.date.fromisoformat(text)
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise click.BadParameter(
            f"{text!r} is not YYYY-MM-DD[Thh:mm[:ss]]", param_hint=name
        ) from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=GMT)


class _Reporter:
    """Per-account and total rows on stderr, at most twice a second (and at the end)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = 0.0
        self.latest: MultiPullProgress | None = None

    def __call__(self, progress: MultiPullProgress) -> None:
        self.latest = progress
        if self._clock() - self._last >= 0.5:  # noqa: PLR2004
            self._last = self._clock()
            self.show()

    def show(self) -> None:
        if self.latest is None:
            return
        parts = [f"{name} {p.rows:,}" for name, p in sorted(self.latest.accounts.items())]
        click.echo(f"{' | '.join(parts)} | total {self.latest.rows:,} rows", err=True)


@click.command("pull-accounts")
@click.option(
    "--accounts",
    "accounts_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file of [accounts.NAME] tables (username, password_env, account).",
)
@click.option(
    "--out-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the NAME.jsonl (or .csv) files.",
)
@click.option("--from", "start", required=True, help="First day or GMT time.")
@click.option("--to", "end", help="Last day (included) or GMT end time; default now.")
@click.option("--format", "file_format", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Requests in flight, all accounts together.",
)
@click.option("--page-size", type=click.IntRange(1, 5000), default=500, show_default=True)
@click.option("--json", "json_output", is_flag=True, help="One JSON line of results.")
@click.pass_context
def pull_accounts_command(ctx: click.Context, /, **options: Any) -> None:
    """Pull several accounts' voice CDRs concurrently, one resumable file per account."""
    from simwood_async.cdrs import AccountPull, pull_accounts  # noqa: PLC0415

    specs = load_accounts(options["accounts_file"], os.environ)
    opener = getattr(ctx.obj, "open_client", None) if isinstance(ctx.obj, AccountsState) else None
    opener = opener or _default_open
    out_dir: Path = options["out_dir"]
    start = _when(options["start"], "--from")
    end = _when(options["end"], "--to") if options["end"] else None
    reporter = _Reporter()

    async def main() -> dict[str, Any]:
        await anyio.Path(out_dir).mkdir(parents=True, exist_ok=True)
        async with AsyncExitStack() as stack:
            pulls = [
                AccountPull(
                    client=await stack.enter_async_context(opener(spec)),
                    file=out_dir / f"{spec.name}.{options['file_format']}",
                    name=spec.name,
                )
                for spec in specs
            ]
            return await pull_accounts(
                pulls,
                start,
                end,
                concurrency=options["concurrency"],
                page_size=options["page_size"],
                format=options["file_format"],
                on_progress=reporter,
            )

    try:
        results = anyio.run(main, backend="asyncio")
    except InvalidInputError as err:
        raise click.UsageError(str(err)) from err
    reporter.show()
    summary = {
        name: (
            {"error": f"{type(r).__name__}: {r}"}
            if isinstance(r, SimwoodError)
            else {"rows": r.rows, "file": str(r.path), "windows_resumed": r.windows_resumed}
        )
        for name, r in results.items()
    }
    if options["json_output"]:
        click.echo(json.dumps(summary))
    else:
        for name, item in summary.items():
            shown = item["error"] if "error" in item else f"{item['rows']:,} rows to {item['file']}"
            click.echo(f"{name}: {shown}")
    if any("error" in item for item in summary.values()):
        ctx.exit(1)
