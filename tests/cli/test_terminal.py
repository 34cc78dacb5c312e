"""The `simwood` command in a terminal: errors that say where and why, reports, small outputs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from contextlib import asynccontextmanager

import pytest
from click.testing import CliRunner
from tests.served import served_sandbox

from simwood_async import RetryPolicy
from simwood_async._cli import State, cli
from simwood_async.cdrs._writers import CsvEncoder
from simwood_async.reports import ReportOptions
from simwood_async.sandbox import Sandbox
from simwood_async.sandbox.__main__ import _parser

GMT = dt.timezone.utc
REPORTS = "/v3/accounts/*/reports/*"


@pytest.fixture
def env(env):
    """The shared clean environment (tests/cli/conftest.py), 120 columns wide."""
    return {**env, "COLUMNS": "120"}


def invoke(args, env, state=None):
    """Run the CLI in-process and return the click result (stdout and stderr apart)."""
    return CliRunner().invoke(cli, args, env=env, obj=state or State(), prog_name="simwood")


def opener(sandbox: Sandbox, *, interrupt: bool = False) -> State:
    """A State whose commands use `sandbox` in-process (fast reports, retries that never wait)."""

    @asynccontextmanager
    async def open_client(_config):
        """Open a client on the sandbox (or be interrupted by Ctrl-C)."""
        retry = RetryPolicy(attempts=2, jitter=lambda: 0.0)
        reports = ReportOptions(min_interval=0.01, max_interval=0.05)
        async with sandbox.client(retry=retry, reports=reports) as client:
            if interrupt:
                raise KeyboardInterrupt
            yield client

    return State(open_client=open_client)


@pytest.fixture
def served():
    """`python -m simwood_async.sandbox --port 0 --json`: its address and credentials."""
    with served_sandbox() as coordinates:
        yield coordinates


# -- 6: errors say where and why, once -----------------------------------------------------------


def test_a_base_url_without_v3_hints_on_the_404(env, served):
    """A base URL missing /v3/ fails with the 404 and a hint naming the missing /v3/."""
    root = served["base_url"].removesuffix("v3/")
    login = {
        **env,
        "SIMWOOD_API_USER": served["username"],
        "SIMWOOD_API_PASSWORD": served["password"],
        "SIMWOOD_ACCOUNT": served["account"],
    }
    result = invoke(["balance", "--base-url", root], login)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: NotFoundError: HTTP 404")
    assert "does not end in /v3/" in line


def test_a_failed_report_is_one_line(env):
    """A report whose request fails prints one error line: no engine warning, no `report None`."""
    sandbox = Sandbox(seed=1)
    sandbox.faults.add("error", 1.0, route=REPORTS, status=503)
    result = invoke(["reports", "run", "voice-cdr-latest", "--count", "10", "--sandbox"], env,
                    opener(sandbox))  # fmt: skip
    assert result.exit_code == 1
    notice, error = result.stderr.strip().splitlines()
    assert "embedded sandbox" in notice
    assert error.startswith("error: ServerError: HTTP 503")
    assert "None" not in result.stderr


def test_ctrl_c_during_a_report_does_not_mention_cdrs_pull(env):
    """Ctrl-C during `reports run` exits 130 with a message about the report, not `cdrs pull`."""
    result = invoke(["reports", "run", "voice-cdr-latest", "--sandbox"], env,
                    opener(Sandbox(seed=1), interrupt=True))  # fmt: skip
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    assert "cdrs pull" not in result.stderr


# -- 7: one sandbox server, one set of options ---------------------------------------------------


def test_both_sandbox_commands_take_the_same_options(env):
    """`simwood sandbox serve --help` lists every option of `python -m simwood_async.sandbox`."""
    shown = invoke(["sandbox", "serve", "--help"], env).stdout
    flags = {o for a in _parser()._actions for o in a.option_strings if o.startswith("--")}
    assert {"--password", "--report-delay", "--cdr-cache-mb", "--cdr-rows-per-day"} <= flags
    missing = {flag for flag in flags - {"--help"} if flag not in shown}
    assert not missing
    assert _parser().parse_args([]).cdr_rows_per_day == 5000


def test_sandbox_serve_prints_and_takes_a_password():
    """The text form prints the password, which --password sets; the server accepts it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simwood_async", "sandbox", "serve", "--port", "0",
         "--password", "chosen-pw-123", "--report-delay", "0.5"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first, exports = process.stdout.readline(), process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert first.startswith("Simwood sandbox on http://127.0.0.1:")
    assert "password chosen-pw-123" in first
    assert "SIMWOOD_API_PASSWORD=chosen-pw-123" in exports
    assert "SIMWOOD_BASE_URL=http://127.0.0.1:" in exports


# -- 9: reports in the terminal ------------------------------------------------------------------


def test_a_wide_report_table_keeps_whole_cells_at_120_columns(env):
    """At 120 columns a CDR table shows whole dates and numbers, and says what it left out."""
    sandbox = Sandbox(seed=5, report_delay=0.01)
    result = invoke(["reports", "run", "voice-cdr-latest", "--count", "10", "--sandbox"], env,
                    opener(sandbox))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 120
    dates = [line for line in lines if line.startswith("│ 20")]
    assert len(dates) == 10
    assert all(len(line.split("│")[1].strip()) == len("2026-11-30 10:00:00") for line in dates)
    assert "more columns (use --json or -o FILE" in result.stdout


def test_a_pending_report_shows_its_state_and_time(env):
    """With --progress, stderr shows the report's state and elapsed time, then when it was done."""
    sandbox = Sandbox(seed=5, report_delay=0.3)
    result = invoke(["reports", "run", "voice-cdr-latest", "--count", "10", "--sandbox",
                     "--progress", "-o", "-"], env, opener(sandbox))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "voice-cdr-latest: pending" in result.stderr
    assert "voice-cdr-latest: done after" in result.stderr


@pytest.mark.parametrize(
    ("kind", "option"),
    [
        pytest.param("voice-cdr-latest", ["--date", "2026-11-01"], id="latest-date"),
        pytest.param("sms-cdr-latest", ["--direction", "in"], id="latest-direction"),
        pytest.param("voice-cdr", ["--count", "10"], id="day-count"),
    ],
)
def test_options_a_report_ignores_are_refused(env, kind, option):
    """An option the report kind does not take is a usage error, before any request."""
    sandbox = Sandbox(seed=1)
    result = invoke(["reports", "run", kind, *option, "--sandbox"], env, opener(sandbox))
    assert result.exit_code == 2
    assert f"does not take {option[0]}" in result.stderr
    assert not sandbox.stats.counts


# -- 10: small things ------------------------------------------------------------------------------


def test_one_day_and_one_row_are_singular(env, tmp_path):
    """A one-day pull of one row says `1 row from 1 day`."""
    out = tmp_path / "one.jsonl"
    result = invoke(["cdrs", "pull", "--days", "1", "-o", str(out), "--cdr-rows-per-day", "1"],
                    env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("1 row from 1 day written to")


def test_dash_writes_to_stdout(env, tmp_path, monkeypatch):
    """`-o -` writes the rows to stdout (CDR pulls and reports), never a file named `-`."""
    monkeypatch.chdir(tmp_path)
    pull = invoke(["cdrs", "pull", "--days", "1", "-o", "-", "--cdr-rows-per-day", "30"], env)
    assert pull.exit_code == 0, pull.stderr
    assert len([json.loads(line) for line in pull.stdout.splitlines()]) == 30
    report = invoke(["reports", "run", "voice-cdr-latest", "--count", "10", "-o", "-",
                     "--sandbox"], env, opener(Sandbox(seed=2, report_delay=0.01)))  # fmt: skip
    assert report.exit_code == 0, report.stderr
    assert len([json.loads(line) for line in report.stdout.splitlines()]) == 10
    assert not (tmp_path / "-").exists()


def test_csv_booleans_are_true_and_false(env, tmp_path):
    """CSV files spell booleans as the API does (`true`/`false`), not Python's `True`."""
    out = tmp_path / "cdrs.csv"
    result = invoke(["cdrs", "pull", "--days", "1", "-o", str(out), "--cdr-rows-per-day", "40"],
                    env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows
    assert not {"True", "False"} & {cell for row in rows for cell in row.values()}
    # CDR rows carry no booleans today; one that does (a key the models do not know):
    assert CsvEncoder(["a", "b"]).encode({"a": True, "b": False}) == b"true,false\n"


def test_reports_run_keeps_learned_timings_between_runs(env, tmp_path):
    """Each `reports run` against an API saves what it learned; the next run starts from it."""
    with served_sandbox("--report-delay", "0.2") as served:
        login = {
            **env,
            "SIMWOOD_BASE_URL": served["base_url"],
            "SIMWOOD_API_USER": served["username"],
            "SIMWOOD_API_PASSWORD": served["password"],
            "SIMWOOD_ACCOUNT": served["account"],
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        }
        args = ["reports", "run", "voice-cdr-latest", "--count", "10", "--json"]
        first = invoke(args, login)
        second = invoke(args, login)
    assert first.exit_code == second.exit_code == 0, first.stderr + second.stderr
    (profile,) = (tmp_path / "cache" / "simwood").iterdir()
    assert profile.name.startswith("report-profile-127.0.0.1")
    saved = json.loads(profile.read_bytes())
    assert saved["kinds"]["reports/voice/cdr/latest/10"]["observations"] == 2
