"""The `simwood` command line, driven through click's CliRunner against the sandbox."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from contextlib import asynccontextmanager

import pytest
from click.testing import CliRunner

from simwood_async import RetryPolicy
from simwood_async._cli import State, cli
from simwood_async._cli_config import ConfigError, load_config
from simwood_async.reports import ReportOptions
from simwood_async.sandbox import Sandbox

GMT = dt.timezone.utc
SECRET = "pw-Zq8vX3-never-log-me"


def invoke(args, env, state=None, stdin=None):
    """Run the CLI in-process and return the click result (stdout and stderr apart)."""
    return CliRunner().invoke(
        cli, args, env=env, obj=state or State(), input=stdin, prog_name="simwood"
    )


def opener(sandbox: Sandbox, **kwargs):
    """A State whose commands use `sandbox` in-process, with retries that never wait."""

    @asynccontextmanager
    async def open_client(_config):
        """Open a client on the sandbox."""
        retry = RetryPolicy(attempts=6, jitter=lambda: 0.0)
        async with sandbox.client(retry=retry, **kwargs) as client:
            yield client

    return State(open_client=open_client)


def past_days(n: int) -> list[dt.date]:
    """The n whole GMT days before today."""
    today = dt.datetime.now(tz=GMT).date()
    return [today - dt.timedelta(days=d) for d in range(n, 0, -1)]


def test_no_credentials_pulls_from_the_embedded_sandbox(env, tmp_path):
    """With nothing configured, `cdrs pull` says so and writes exactly the sandbox's rows."""
    out = tmp_path / "cdrs.jsonl"
    args = ["cdrs", "pull", "--days", "3", "-o", str(out), "--json"]
    result = invoke([*args, "--sandbox-rows-per-day", "250"], env)
    assert result.exit_code == 0, result.stderr
    assert "embedded sandbox" in result.stderr
    summary = json.loads(result.stdout)
    truth = Sandbox(seed=0, cdr_rows_per_day=250)
    expected = sorted(r["reference"] for d in past_days(3) for r in truth.voice_cdrs(d))
    refs = [json.loads(line)["reference"] for line in out.read_text().splitlines()]
    assert summary["rows"] == len(refs) == len(expected) == 750
    assert sorted(refs) == expected
    assert (summary["days"], summary["format"]) == (3, "jsonl")


def test_csv_pull_under_faults_with_a_progress_bar(env, tmp_path):
    """A CSV pull through injected faults completes, drawing its progress bar on stderr."""
    sandbox = Sandbox(seed=4, cdr_rows_per_day=400)
    sandbox.faults.add("error", 0.2, route="/v3/voice/*", status=503)
    sandbox.faults.add("truncate", 0.1, route="/v3/voice/*")
    days = past_days(4)
    out = tmp_path / "cdrs.csv"
    result = invoke(
        ["cdrs", "pull", "--from", days[0].isoformat(), "--to", days[-1].isoformat(),
         "-o", str(out), "--concurrency", "4", "--page-size", "100", "--progress"],
        env,
        opener(sandbox),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("_id,time,date,account,fromdesc,from,to,toid,toISO")
    assert len(lines) - 1 == sum(len(list(sandbox.voice_cdrs(d))) for d in days)
    assert "1,600 rows from 4 days written to" in result.stdout
    assert "4/4" in result.stderr  # the bar's days column
    assert sandbox.faults.fired["error"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--from", "2026-01-01"], "more than 90 days ago", id="too-old"),
        pytest.param(["--from", "2099-01-01"], "in the future", id="future"),
        pytest.param(["--days", "2", "--from", "2026-01-01"], "either --days", id="both"),
        pytest.param(["--from", "yesterday"], "is not YYYY-MM-DD", id="bad-date"),
        pytest.param([], "give --from", id="no-range"),
    ],
)
def test_bad_ranges_exit_2_with_one_line(env, tmp_path, args, message):
    """Bad ranges end with exit status 2 and a one-line error, before any request."""
    sandbox = Sandbox(seed=1)
    result = invoke(["cdrs", "pull", "-o", str(tmp_path / "x.jsonl"), *args], env, opener(sandbox))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not sandbox.stats.counts


def test_json_errors_are_one_json_line(env, tmp_path):
    """With --json, an error is one JSON object on stderr and stdout stays empty."""
    args = ["cdrs", "pull", "--from", "2026-01-01", "-o", str(tmp_path / "x"), "--json"]
    result = invoke(args, env, opener(Sandbox(seed=1)))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "90 days" in json.loads(result.stderr.strip().splitlines()[-1])["error"]


def test_api_errors_exit_1_without_leaking_the_password(env):
    """A rejected password is a one-line AuthenticationError (exit 1) that shows no secret."""
    sandbox = Sandbox(seed=1, password="right-password")
    result = invoke(["balance"], env, opener(sandbox, password=SECRET))
    assert result.exit_code == 1
    notice, error = result.stderr.strip().splitlines()
    assert "embedded sandbox" in notice
    assert error.startswith("error: AuthenticationError: HTTP 401")
    assert SECRET not in result.stderr + result.stdout


def test_balance_text_and_json(env):
    """`balance` prints the amount and currency, or one JSON object; both say sandbox."""
    state = opener(Sandbox(seed=2))
    text = invoke(["balance"], env, state)
    data = invoke(["balance", "--json"], env, state)
    assert text.exit_code == data.exit_code == 0
    parsed = json.loads(data.stdout)
    assert parsed["sandbox"] is True
    assert text.stdout.strip() == f"{parsed['balance']} {parsed['currency']} (embedded sandbox)"


def test_reports_run_returns_the_report_rows(env, tmp_path):
    """`reports run` waits for the report and prints rows as JSON Lines or writes a file."""
    sandbox = Sandbox(seed=5, report_delay=0.01)
    state = opener(sandbox, reports=ReportOptions(min_interval=0.01, max_interval=0.05))
    day = past_days(1)[0].isoformat()
    lines = invoke(["reports", "run", "voice-summary", "--direction", "out", "--date", day,
                    "--json"], env, state)  # fmt: skip
    assert lines.exit_code == 0, lines.stderr
    rows = [json.loads(line) for line in lines.stdout.splitlines()]
    assert rows
    assert {"destid", "calls", "charges"} <= set(rows[0])
    out = tmp_path / "latest.jsonl"
    saved = invoke(["reports", "run", "voice-cdr-latest", "--count", "10", "-o", str(out)],
                   env, state)  # fmt: skip
    assert saved.exit_code == 0, saved.stderr
    assert len(out.read_text().splitlines()) == 10
    table = invoke(["reports", "run", "voice-summary", "--direction", "in", "--date", day],
                   env, state)  # fmt: skip
    assert table.exit_code == 0
    assert "voice-summary" in table.stdout


def test_voice_summary_needs_a_direction(env):
    """A report missing a required option is a usage error (exit 2)."""
    result = invoke(["reports", "run", "voice-summary"], env, opener(Sandbox(seed=1)))
    assert result.exit_code == 2
    assert "--direction" in result.stderr


def test_partial_credentials_are_refused(env):
    """A username without a password is a configuration error naming where to set it."""
    result = invoke(["balance"], {**env, "SIMWOOD_API_USER": "someone"})
    assert result.exit_code == 2
    assert "no API password and account configured" in result.stderr
    assert "SIMWOOD_API_PASSWORD" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([], id="simwood"),
        pytest.param(["cdrs"], id="cdrs"),
        pytest.param(["cdrs", "pull"], id="cdrs-pull"),
        pytest.param(["reports"], id="reports"),
        pytest.param(["reports", "run"], id="reports-run"),
        pytest.param(["balance"], id="balance"),
        pytest.param(["sandbox"], id="sandbox"),
        pytest.param(["sandbox", "serve"], id="sandbox-serve"),
    ],
)
def test_help_everywhere(env, command):
    """Every command and group answers --help with exit status 0."""
    result = invoke([*command, "--help"], env)
    assert result.exit_code == 0
    assert "Usage: simwood" in result.stdout


def test_config_precedence_flags_then_environment_then_file(tmp_path):
    """Flags win over the environment, which wins over the config file."""
    path = tmp_path / "config.toml"
    path.write_text('username = "file-user"\npassword = "file-pw"\naccount = "111111"\n')
    env = {"SIMWOOD_CONFIG": str(path), "SIMWOOD_ACCOUNT": "222222"}
    config = load_config(username="flag-user", env=env)
    assert (config.username, config.password, config.account) == ("flag-user", "file-pw", "222222")
    assert "file-pw" not in repr(config)
    assert not config.sandbox


def test_password_from_stdin_and_sandbox_fallback(tmp_path):
    """--password-stdin reads one line; with nothing configured the sandbox is chosen."""
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    config = load_config(
        username="u", account="930000", password_stdin=True, env=env, stdin=io.StringIO("s3\n")
    )
    assert config.password == "s3"
    assert load_config(env=env).sandbox


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("username = ", "not valid TOML", id="bad-toml"),
        pytest.param('user = "x"', "unknown keys", id="unknown-key"),
        pytest.param("account = [1]", "must be a string", id="not-a-string"),
    ],
)
def test_bad_config_files_are_refused(tmp_path, content, message):
    """An unusable config file is a one-line ConfigError."""
    path = tmp_path / "config.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_config(config_path=path, env={})


def test_an_explicit_config_file_must_exist(tmp_path):
    """A config file named by SIMWOOD_CONFIG that does not exist is an error."""
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(env={"SIMWOOD_CONFIG": str(tmp_path / "missing.toml")})


def test_served_sandbox_with_credentials_from_flags_and_environment(env, tmp_path):
    """`sandbox serve` prints its address; the CLI then uses it like the real API, over HTTP."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simwood_async", "sandbox", "serve", "--port", "0", "--json",
         "--cdr-rows-per-day", "90"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert info["base_url"].startswith("http://127.0.0.1:")
        login = {**env, "SIMWOOD_API_PASSWORD": info["password"]}
        flags = ["--base-url", info["base_url"], "--user", info["username"],
                 "--account", info["account"]]  # fmt: skip
        balance = invoke(["balance", "--json", *flags], login)
        out = tmp_path / "cdrs.jsonl"
        pull = invoke(["cdrs", "pull", "--days", "2", "-o", str(out), "--json", *flags], login)
        wrong = invoke(["balance", *flags], {**env, "SIMWOOD_API_PASSWORD": SECRET})
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert balance.exit_code == 0, balance.stderr
    assert "embedded sandbox" not in balance.stderr
    assert json.loads(balance.stdout)["currency"] == "GBP"
    assert pull.exit_code == 0, pull.stderr
    assert json.loads(pull.stdout)["rows"] == len(out.read_text().splitlines()) == 180
    assert wrong.exit_code == 1
    assert "AuthenticationError" in wrong.stderr
    assert SECRET not in wrong.stderr
