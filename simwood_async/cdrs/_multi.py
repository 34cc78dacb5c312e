"""Many accounts in one run: each with its own client and file, under one global limit."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import attrs

from simwood_async._config import AccountProfile, config_file_path, read_account_profiles
from simwood_async._validate import one_of
from simwood_async.cdrs._checkpoint import Checkpoint, load_checkpoint, remove_checkpoint
from simwood_async.cdrs._limits import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    MAX_CONCURRENCY,
    check_int,
)
from simwood_async.cdrs._puller import PullProgress
from simwood_async.cdrs._tofile import PullResult
from simwood_async.cdrs._windows import split_windows, utc_now
from simwood_async.cdrs._writers import FORMATS, FileFormat
from simwood_async.exceptions import (
    ConfigurationError,
    InvalidInputError,
    PullFailedError,
    SimwoodError,
)

if TYPE_CHECKING:
    # Annotations only (attrs does not evaluate them): `_client` imports this package.
    from simwood_async._client import SimwoodClient  # noqa: TC004
    from simwood_async.cdrs._models import CdrFilter

__all__ = [
    "AccountProfile",
    "AccountPull",
    "MultiPullProgress",
    "account_profiles",
    "pull_accounts",
]


@attrs.frozen(kw_only=True)
class AccountPull:
    """One account of `pull_accounts`: its client (with its own credentials) and its file.

    Attributes:
        client: An open `SimwoodClient` for the account.
        file: The account's output file (its checkpoint sits next to it).
        name: How results and progress name it (default: the client's account id).
        period: This account's `(start, end)`, instead of the call's (e.g. the range its
            unfinished pull recorded).

    .. versionadded:: 0.1.0
    """

    client: SimwoodClient
    file: str | os.PathLike[str]
    name: str | None = None
    period: tuple[dt.datetime | dt.date, dt.datetime | dt.date | None] | None = None

    @property
    def key(self) -> str:
        """The account's name in results and progress."""
        return self.name if self.name is not None else (self.client.account or "")


@attrs.frozen(kw_only=True)
class MultiPullProgress:
    """A snapshot of a many-account pull.

    Attributes:
        accounts: Each account's latest progress (accounts not started yet are absent).
        rows: Rows written so far, all accounts together.
        pages: Pages fetched so far, all accounts together.

    .. versionadded:: 0.1.0
    """

    accounts: Mapping[str, PullProgress]
    rows: int
    pages: int


def account_profiles(
    names: Sequence[str] | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> list[AccountProfile]:
    """The config file's `[accounts.NAME]` profiles (all of them when `names` is None).

    ```python
    profiles = account_profiles(["main", "reseller-7"])
    async with AsyncExitStack() as stack:
        pulls = [
            AccountPull(
                client=await stack.enter_async_context(p.client()),
                file=f"cdrs-{p.name}.jsonl",
                name=p.name,
            )
            for p in profiles
        ]
        results = await pull_accounts(pulls, date(2026, 11, 1), date(2026, 11, 7))
    ```

    Args:
        names: The profiles wanted, in this order.
        config: The config file (default `$SIMWOOD_CONFIG`, else
            `~/.config/simwood/config.toml`, as `SimwoodClient()` reads it).
        env: Where `password_env` variables are looked up (default `os.environ`).

    Raises:
        ConfigurationError: No such file or profile, or a profile is incomplete (the message
            names the file, profile and key, never a password).

    .. versionadded:: 0.1.0
    """
    path = Path(config) if config is not None else config_file_path(env)
    if path is None:
        raise ConfigurationError("no config file: pass config= or set SIMWOOD_CONFIG")
    return read_account_profiles(path, names, env)


async def pull_accounts(
    pulls: Sequence[AccountPull],
    start: dt.datetime | dt.date,
    end: dt.datetime | dt.date | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    format: FileFormat = "jsonl",  # noqa: A002 - as in `pull_to_file`
    filter: CdrFilter | None = None,  # noqa: A002 - the API's name
    page_size: int = DEFAULT_PAGE_SIZE,
    window: dt.timedelta | None = None,
    resume: bool = True,
    on_progress: Callable[[MultiPullProgress], object] | None = None,
    now: Callable[[], dt.datetime] = utc_now,
) -> dict[str, PullResult | SimwoodError]:
    """Pull the voice CDRs of several accounts concurrently, one file and checkpoint each.

    ```python
    async with SimwoodClient("930000", ...) as a, SimwoodClient("930001", ...) as b:
        results = await pull_accounts(
            [AccountPull(client=a, file="a.jsonl"), AccountPull(client=b, file="b.jsonl")],
            date(2026, 11, 1),
            date(2026, 11, 7),
        )
    ```

    Every account is pulled as `client.cdrs.pull_to_file` pulls one, and all of them share
    one limit of `concurrency` requests in flight. An account that fails (after its
    retries, or on anything else, such as its file) does not stop the others: its result is
    the error and its checkpoint stays, so running the same call again resumes it where it
    stopped. Until every account has completed, a completed account's plan is recorded
    beside its file (`FILE.complete.json`): the same call again does not pull it again (its
    result has no rows, every window resumed). Once all complete, the records are removed.

    Args:
        pulls: The accounts (distinct names and files); each pulls `start` to `end` unless
            it has its own `period`.
        start: As for `pull_to_file`.
        end: As for `pull_to_file`.
        concurrency: Requests in flight at once, all accounts together.
        format: `jsonl` or `csv`, for every file.
        filter: Only calls matching this, in every account.
        page_size: Rows per request.
        window: Split days further (e.g. `timedelta(hours=1)`).
        resume: Use each file's matching checkpoint (or completion record) if there is one.
        on_progress: Called with a `MultiPullProgress` when each account starts (with the
            windows it resumed) and after every page of any account.
        now: The current time (injectable for tests and sandboxes).

    Returns:
        Each account's `PullResult`, or the `SimwoodError` that stopped it, by name (a
        failure that is not the API's is a `PullFailedError` naming it, the original as its
        cause).

    Raises:
        InvalidInputError: Raised before any request: no accounts, repeated names or files,
            or arguments `pull_to_file` refuses.
    """
    names = [pull.key for pull in pulls]
    # Names only, no I/O: the same file given twice is refused.
    files = [os.path.normpath(os.fspath(pull.file)) for pull in pulls]  # noqa: ASYNC240
    if not pulls or "" in names:
        raise InvalidInputError("pulls must name at least one account, each with an account id")
    if len(set(names)) != len(names) or len(set(files)) != len(files):
        raise InvalidInputError("pulls must have distinct names and distinct files")
    one_of("format", format, FORMATS)
    check_int("concurrency", concurrency, 1, MAX_CONCURRENCY)
    plans = {
        pull.key: pull.client.cdrs._file_plan(  # noqa: SLF001 - this package's own
            *(pull.period or (start, end)), format=format, filter=filter, window=window, now=now
        )[0]
        for pull in pulls
    }
    limiter = anyio.CapacityLimiter(concurrency)
    latest: dict[str, PullProgress] = {}
    results: dict[str, PullResult | SimwoodError] = {}

    def reporter(name: str) -> Callable[[PullProgress], None]:
        def report(progress: PullProgress) -> None:
            latest[name] = progress
            if on_progress is not None:
                on_progress(
                    MultiPullProgress(
                        accounts=dict(latest),
                        rows=sum(p.rows for p in latest.values()),
                        pages=sum(p.pages for p in latest.values()),
                    )
                )

        return report

    async def one(pull: AccountPull) -> None:
        out = Path(pull.file)
        report = reporter(pull.key)
        try:
            if resume:
                done = await anyio.to_thread.run_sync(_completed, out, plans[pull.key], format)
                if done is not None:
                    report(_finished_progress(done))
                    results[pull.key] = done
                    return
            results[pull.key] = await pull.client.cdrs.pull_to_file(
                out,
                *(pull.period or (start, end)),
                concurrency=concurrency,
                page_size=page_size,
                resume=resume,
                on_progress=report,
                now=now,
                limiter=limiter,
                format=format,
                filter=filter,
                window=window,
            )
        except SimwoodError as err:  # this account only: its checkpoint stays for a resume
            results[pull.key] = err
        except Exception as err:  # noqa: BLE001 - any failure is this account's alone
            failed = PullFailedError(f"{type(err).__name__}: {err}")
            failed.__cause__ = err
            results[pull.key] = failed

    async with anyio.create_task_group() as tg:
        for pull in pulls:
            tg.start_soon(one, pull)
    everyone = all(isinstance(results[name], PullResult) for name in names)
    await anyio.to_thread.run_sync(_record, pulls, plans, results, window, everyone)
    return {name: results[name] for name in names}


def _completed(out: Path, identity: dict[str, str | None], format: FileFormat) -> PullResult | None:  # noqa: A002
    """The result of an account this run already completed, if its record matches the file."""
    saved = load_checkpoint(out, complete=True)
    if saved is None or saved.identity != identity:
        return None
    try:
        size = out.stat().st_size
    except OSError:
        return None
    if size != saved.size:
        return None
    return PullResult(
        path=out,
        format=format,
        rows=0,
        pages=0,
        windows=len(saved.done),
        windows_resumed=len(saved.done),
        size=size,
        start=dt.datetime.fromisoformat(identity["start"] or ""),
        until=dt.datetime.fromisoformat(saved.until),
    )


def _finished_progress(result: PullResult) -> PullProgress:
    return PullProgress(
        rows=0, pages=0, windows_done=result.windows, windows_total=result.windows, elapsed=0.0
    )


def _record(
    pulls: Sequence[AccountPull],
    plans: Mapping[str, dict[str, str | None]],
    results: Mapping[str, PullResult | SimwoodError],
    window: dt.timedelta | None,
    everyone: bool,
) -> None:
    """Record each completed account's plan while another is unfinished; else drop them all."""
    for pull in pulls:
        out = Path(pull.file)
        result = results[pull.key]
        if everyone or not isinstance(result, PullResult):
            remove_checkpoint(out, complete=True)
        else:
            keys = tuple(w.key for w in split_windows(result.start, result.until, window=window))
            Checkpoint(
                identity=plans[pull.key],
                until=result.until.isoformat(),
                done=keys,
                size=result.size,
            ).save(out, complete=True)
