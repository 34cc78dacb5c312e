"""First use of the `simwood` command: files kept safe, no silent sandbox, resumes, clean errors."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
from click.testing import CliRunner

from simwood_async import RetryPolicy
from simwood_async._cli import State, cli
from simwood_async.cdrs._checkpoint import checkpoint_path, partial_path
from simwood_async.sandbox import ManualClock, Sandbox

GMT = dt.timezone.utc
SECRET = "pw-Zq8vX3-never-log-me"
OLD = b'{"reference": "from-an-earlier-complete-pull"}\n'


@pytest.fixture
def login(env):
    """An environment with credentials (for a real API that is not there)."""
    return {**env, "SIMWOOD_API_USER": "u", "SIMWOOD_API_PASSWORD": SECRET,
            "SIMWOOD_ACCOUNT": "930000"}  # fmt: skip


def invoke(args, env, state=None):
    """Run the CLI in-process and return the click result (stdout and stderr apart)."""
    return CliRunner().invoke(cli, args, env=env, obj=state or State(), prog_name="simwood")


class FailDay(httpx.AsyncBaseTransport):
    """Wraps a transport and refuses every CDR page of one day (a persistent 400)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, day: str) -> None:
        """Wrap `inner`, failing pages whose date_start is on `day`."""
        self.inner = inner
        self.day = day

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer 400 for the failing day, else pass the request on."""
        if request.url.params.get("date_start", "").startswith(self.day):
            return httpx.Response(400, json={"success": False, "errors": ["refused day"]})
        return await self.inner.handle_async_request(request)


def opener(sandbox: Sandbox, *, fail_day: str | None = None, now=None, **kwargs) -> State:
    """A State whose commands use `sandbox` in-process, with retries that never wait."""

    @asynccontextmanager
    async def open_client(_config):
        """Open a client on the sandbox."""
        retry = RetryPolicy(attempts=3, jitter=lambda: 0.0)
        transport = sandbox.transport()
        if fail_day is not None:
            transport = FailDay(transport, fail_day)
        async with sandbox.client(retry=retry, transport=transport, **kwargs) as client:
            yield client

    state = State(open_client=open_client)
    if now is not None:
        state.now = now
    return state


def days_ago(n: int) -> dt.date:
    """The GMT day n days before today."""
    return dt.datetime.now(tz=GMT).date() - dt.timedelta(days=n)


def leftovers(out) -> list[str]:
    """Files the pull left beside its target (partial file, checkpoint)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


# -- 1: a failed pull never destroys a good file ------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param("auth", id="wrong-password"),
        pytest.param("503", id="server-error"),
    ],
)
def test_a_failed_pull_keeps_the_earlier_file(env, tmp_path, failure):
    """A pull that fails before finishing a day leaves the earlier file as it was, and no litter."""
    out = tmp_path / "out" / "keep.jsonl"
    out.parent.mkdir()
    out.write_bytes(OLD)
    sandbox = Sandbox(seed=1, password="right-password", cdr_rows_per_day=50)
    if failure == "503":
        sandbox.faults.add("error", 1.0, route="/v3/voice/*", status=503)
        state = opener(sandbox)
    else:
        state = opener(sandbox, password=SECRET)
    result = invoke(["cdrs", "pull", "--days", "2", "-o", str(out)], env, state)
    assert result.exit_code == 1
    assert out.read_bytes() == OLD
    assert leftovers(out) == []


def test_a_failed_first_pull_to_an_unreachable_host_leaves_no_file(login, tmp_path):
    """Against a closed port, the pull fails with exit 1 and leaves no empty file behind."""
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "out" / "new.jsonl"
    out.parent.mkdir()
    args = ["cdrs", "pull", "--days", "1", "-o", str(out), "--base-url",
            f"http://127.0.0.1:{port}/v3/"]  # fmt: skip
    result = invoke(args, {**login, "SIMWOOD_FAST_TRANSPORT": "0"})
    assert result.exit_code == 1, result.stderr
    assert "ConnectError" in result.stderr
    assert not out.exists()
    assert leftovers(out) == []


def test_a_partly_done_pull_keeps_its_partial_file_beside_the_target(env, tmp_path):
    """Failing on day 3, the pull keeps a resumable partial file; the rerun replaces the target."""
    out = tmp_path / "out" / "keep.jsonl"
    out.parent.mkdir()
    out.write_bytes(OLD)
    sandbox = Sandbox(seed=3, cdr_rows_per_day=40)
    first, last = days_ago(4), days_ago(1)
    args = ["cdrs", "pull", "--from", first.isoformat(), "--to", last.isoformat(), "-o",
            str(out), "--json"]  # fmt: skip
    failed = invoke(args, env, opener(sandbox, fail_day=days_ago(2).isoformat()))
    assert failed.exit_code == 1
    assert "refused day" in failed.stderr
    assert out.read_bytes() == OLD
    assert partial_path(out).exists()
    assert checkpoint_path(out).exists()
    done = invoke(args, env, opener(sandbox))
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["days_resumed"] == 2
    assert summary["sandbox"] is True
    rows = [json.loads(line) for line in out.read_bytes().splitlines()]
    expected = [r for d in range(4, 0, -1) for r in sandbox.voice_cdrs(days_ago(d))]
    assert sorted(r["reference"] for r in rows) == sorted(r["reference"] for r in expected)
    assert leftovers(out) == []


# -- 2: no credentials is a configuration error unless nothing points at a real API -----------


@pytest.mark.parametrize(
    ("args", "extra_env", "missing"),
    [
        pytest.param(["--base-url", "http://127.0.0.1:9/v3/"], {}, "username", id="base-url"),
        pytest.param([], {"SIMWOOD_BASE_URL": "http://127.0.0.1:9/v3/"}, "username", id="env-url"),
        pytest.param([], {"SIMWOOD_ACCOUNT": "930000"}, "username", id="env-account"),
        pytest.param(["--user", "u"], {}, "password", id="only-user"),
    ],
)
def test_missing_credentials_with_a_real_api_in_view_is_exit_2(env, args, extra_env, missing):
    """Anything pointing at a real API makes missing credentials an error, never the sandbox."""
    result = invoke(["balance", *args], {**env, **extra_env})
    assert result.exit_code == 2
    assert f"no API {missing}" in result.stderr
    assert "--sandbox" in result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_config_file_without_credentials_is_exit_2(env, tmp_path):
    """A config file that exists (even with only a base URL) is configuration: no sandbox."""
    folder = tmp_path / "no-config" / "simwood"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text('base_url = "https://api.simwood.com/v3/"\n')
    result = invoke(["balance", "--json"], env)
    assert result.exit_code == 2
    assert "no API username" in json.loads(result.stderr)["error"]


def test_the_sandbox_says_so_in_every_output(env, tmp_path):
    """--sandbox answers and says so on stderr, in text and in --json (notice and summary)."""
    text = invoke(["balance", "--sandbox", "--base-url", "http://127.0.0.1:9/v3/"], env)
    assert text.exit_code == 0, text.stderr
    assert "embedded sandbox" in text.stderr
    assert text.stdout.strip().endswith("(embedded sandbox)")
    data = invoke(["balance", "--sandbox", "--json"], env)
    assert json.loads(data.stdout)["sandbox"] is True
    assert "embedded sandbox" in json.loads(data.stderr)["notice"]


# -- 4: resume by the file and its recorded plan --------------------------------------------------


def interrupted_days_pull(env, out, sandbox, *, days: int, run_day: dt.date):
    """Run `cdrs pull --days N` as on `run_day`, failing on its last day (a checkpoint stays)."""
    now = dt.datetime(run_day.year, run_day.month, run_day.day, 12, tzinfo=GMT)
    last = run_day - dt.timedelta(days=1)
    state = opener(sandbox, fail_day=last.isoformat(), now=lambda: now)
    result = invoke(["cdrs", "pull", "--days", str(days), "-o", str(out)], env, state)
    assert result.exit_code == 1
    assert checkpoint_path(out).exists()


def test_days_rerun_after_midnight_resumes_the_recorded_range(env, tmp_path):
    """`--days 3` interrupted yesterday and rerun today resumes yesterday's three days."""
    out = tmp_path / "cdrs.jsonl"
    sandbox = Sandbox(seed=6, cdr_rows_per_day=30)
    interrupted_days_pull(env, out, sandbox, days=3, run_day=days_ago(1))
    result = invoke(["cdrs", "pull", "--days", "3", "-o", str(out), "--json"], env,
                    opener(sandbox))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "resuming the unfinished pull" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["days_resumed"] == 2
    assert summary["start"].startswith(days_ago(4).isoformat())
    refs = [json.loads(line)["reference"] for line in out.read_bytes().splitlines()]
    expected = [r["reference"] for d in (4, 3, 2) for r in sandbox.voice_cdrs(days_ago(d))]
    assert sorted(refs) == sorted(expected)


def test_a_conflicting_range_is_refused_unless_restart(env, tmp_path):
    """Another range to a file with an unfinished pull is exit 2; `--restart` starts over."""
    out = tmp_path / "cdrs.jsonl"
    sandbox = Sandbox(seed=6, cdr_rows_per_day=30)
    interrupted_days_pull(env, out, sandbox, days=3, run_day=days_ago(0))
    refused = invoke(["cdrs", "pull", "--days", "2", "-o", str(out)], env, opener(sandbox))
    assert refused.exit_code == 2
    assert "unfinished pull" in refused.stderr
    assert "--restart" in refused.stderr
    assert checkpoint_path(out).exists()
    fresh = invoke(["cdrs", "pull", "--days", "2", "-o", str(out), "--restart", "--json"], env,
                   opener(sandbox))  # fmt: skip
    assert fresh.exit_code == 0, fresh.stderr
    assert json.loads(fresh.stdout)["days_resumed"] == 0
    assert len(out.read_bytes().splitlines()) == 60


def test_an_end_reaching_today_resumes(env, tmp_path):
    """A pull whose end is today (clamped to now) resumes when rerun later."""
    out = tmp_path / "cdrs.jsonl"
    sandbox = Sandbox(seed=8, cdr_rows_per_day=30)
    args = ["cdrs", "pull", "--from", days_ago(3).isoformat(), "--to", days_ago(0).isoformat(),
            "-o", str(out), "--json"]  # fmt: skip
    earlier = dt.datetime.now(tz=GMT) - dt.timedelta(minutes=30)
    state = opener(sandbox, fail_day=days_ago(1).isoformat(), now=lambda: earlier)
    failed = invoke(args, env, state)
    assert failed.exit_code == 1
    result = invoke(args, env, opener(sandbox))  # half an hour later
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["days_resumed"] == 2


async def test_a_library_pull_to_today_resumes_an_hour_later(tmp_path):
    """`pull_to_file(..., end=today)` interrupted, then rerun an hour later, resumes its plan."""
    clock = ManualClock(dt.datetime(2026, 11, 20, 10, tzinfo=GMT))
    sandbox = Sandbox(seed=9, clock=clock, cdr_rows_per_day=40)
    first, today = dt.date(2026, 11, 17), dt.date(2026, 11, 20)
    out = tmp_path / "cdrs.jsonl"
    async with sandbox.client(retry=RetryPolicy(attempts=2, jitter=lambda: 0.0)) as client:
        with anyio.CancelScope() as scope:

            def stop(progress):
                """Cancel the pull once two days are finished."""
                if progress.windows_done >= 2:
                    scope.cancel()

            await client.cdrs.pull_to_file(out, first, today, now=sandbox.now, on_progress=stop)
        planned = json.loads(checkpoint_path(out).read_bytes())["until"]
        clock.advance(3600)
        result = await client.cdrs.pull_to_file(out, first, today, now=sandbox.now)
    assert result.windows_resumed == 2
    assert result.until.isoformat() == planned  # the recorded plan, not the new "now"


# -- 5: configuration errors are one line with exit 2; busy ports and bad paths are clean -------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("not-a-url", "must be an http(s) URL", id="not-a-url"),
        pytest.param(f"https://u:{SECRET}@api.simwood.com/v3/", "credentials", id="userinfo"),
    ],
)
def test_bad_base_urls_are_one_line_exit_2(login, url, message):
    """A bad --base-url is a one-line configuration error (exit 2) that shows no secret."""
    result = invoke(["balance", "--base-url", url], login)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert SECRET not in result.stderr
    assert "Traceback" not in result.stderr


def test_serving_on_a_busy_port_is_one_line(tmp_path):
    """`simwood sandbox serve` on a port in use says so in one line, with no traceback."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "simwood_async", "sandbox", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_reports_run_checks_the_output_path_first(env, tmp_path):
    """`reports run -o /missing/dir/x.jsonl` is refused before the report is requested."""
    sandbox = Sandbox(seed=1)
    missing = tmp_path / "missing" / "x.jsonl"
    result = invoke(["reports", "run", "voice-cdr-latest", "--count", "10", "-o", str(missing)],
                    env, opener(sandbox))  # fmt: skip
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not sandbox.stats.counts
