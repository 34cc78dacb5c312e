"""`simwood cdrs pull --account-profile`: the config file's profiles, one file per account."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from click.testing import CliRunner
from tests.cdrs.test_accounts import DAYS, START, Counted, truth, written

from simwood_async import AuthenticationError, RetryPolicy
from simwood_async._cli import State, cli
from simwood_async.cdrs import AccountPull, account_profiles, pull_accounts, row_identity
from simwood_async.cdrs._checkpoint import checkpoint_path, complete_path
from simwood_async.sandbox import IN_PROCESS_BASE_URL, ManualClock, Sandbox

SECRET_B = "pw-b-Qx71-never-shown"
CONFIG = f"""
username = "default-user"
password = "pw-default"
account = "930000"

[accounts.alice]
username = "alice"
password_env = "ALICE_PW"
account = "930001"

[accounts.bob]
username = "bob"
password = "{SECRET_B}"
account = "930002"
"""
PERIOD = ["--from", str(DAYS[0]), "--to", str(DAYS[-1])]
PROFILES = ["--account-profile", "alice", "--account-profile", "bob"]


class Accounts:
    """Two accounts on their own sandboxes, with different credentials, behind counted links."""

    def __init__(self) -> None:
        """Build the sandboxes, their transports and a record of the clients opened."""
        self.boxes = {
            "930001": Sandbox(
                seed=1, account="930001", username="alice", password="pw-a",
                clock=ManualClock(START),
            ),
            "930002": Sandbox(
                seed=2, account="930002", username="bob", password=SECRET_B,
                clock=ManualClock(START),
            ),
        }  # fmt: skip
        self.flight = {"now": 0, "peak": 0}
        self.links = {acc: Counted(box, self.flight) for acc, box in self.boxes.items()}
        self.opened: list[str] = []

    def state(self) -> State:
        """A State opening each profile's client, with the profile's credentials, on its box."""

        @asynccontextmanager
        async def open_client(config: Any) -> Any:
            """A client with the config's credentials on that account's sandbox."""
            self.opened.append(config.account)
            box = self.boxes[config.account]
            async with box.client(
                account=config.account,
                username=config.username,
                password=config.password,
                transport=self.links[config.account],
                retry=RetryPolicy(attempts=1),
            ) as client:
                yield client

        return State(open_client=open_client, now=lambda: START)


def invoke(args: list[str], env: dict[str, str], state: State) -> Any:
    """Run the CLI in-process (stdout and stderr apart)."""
    return CliRunner().invoke(cli, args, env=env, obj=state, prog_name="simwood")


@pytest.fixture
def config_env(tmp_path):
    """An environment naming a config file with a default account and two profiles."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return {
        "SIMWOOD_API_USER": "",
        "SIMWOOD_API_PASSWORD": "",
        "SIMWOOD_ACCOUNT": "",
        "SIMWOOD_BASE_URL": "",
        "SIMWOOD_CONFIG": str(path),
        "ALICE_PW": "pw-a",
    }


def test_two_profiles_one_fails_half_way_and_the_rerun_resumes_it(config_env, tmp_path):
    """Bob fails on day 4 (exit 1, one error line), alice completes; rerun resumes bob only."""
    accounts = Accounts()
    accounts.links["930002"].fail_from = f"{DAYS[3]} 00:00:00"
    out = tmp_path / "out"
    args = ["cdrs", "pull", *PROFILES, *PERIOD, "-o", str(out), "--concurrency", "3"]
    first = invoke([*args, "--page-size", "50"], config_env, accounts.state())
    assert first.exit_code == 1, first.output
    errors = [line for line in first.stderr.splitlines() if line.startswith("error:")]
    assert errors == [next(e for e in errors if e.startswith("error: bob: ServerError"))]
    assert first.stdout.startswith("alice: ")
    assert checkpoint_path(out / "bob.jsonl").exists()
    assert not checkpoint_path(out / "alice.jsonl").exists()
    assert sorted(accounts.opened) == ["930001", "930002"]  # each with its own credentials
    assert complete_path(out / "alice.jsonl").exists()  # alice's plan, while bob is unfinished
    accounts.links["930002"].fail_from = None
    asked_alice = accounts.boxes["930001"].stats.total
    second = invoke([*args, "--page-size", "50", "--json"], config_env, accounts.state())
    assert second.exit_code == 0, second.output
    summary = json.loads(second.stdout)
    assert summary["failed"] == []
    assert 1 <= summary["accounts"]["bob"]["days_resumed"] <= 3
    alice = summary["accounts"]["alice"]
    assert (alice["rows"], alice["days_resumed"]) == (0, len(DAYS))  # already complete
    assert accounts.boxes["930001"].stats.total == asked_alice  # not pulled again
    assert summary["rows"] == summary["accounts"]["bob"]["rows"] > 0
    assert not complete_path(out / "alice.jsonl").exists()  # every account done: dropped
    assert accounts.flight["peak"] == 3  # one global limit across both accounts
    for name, acc in (("alice", "930001"), ("bob", "930002")):
        rows = written(out / f"{name}.jsonl")
        assert len(rows) == len(set(rows)) == len(truth(accounts.boxes[acc])) > 0
        assert set(rows) == set(truth(accounts.boxes[acc]))
    assert SECRET_B not in first.output + second.output


def test_a_template_names_each_file_and_progress_shows_accounts_and_total(config_env, tmp_path):
    """`-o cdrs-{account}.csv` writes one CSV per profile; the bars name each and the total."""
    accounts = Accounts()
    template = tmp_path / "cdrs-{account}.csv"
    result = invoke(
        ["cdrs", "pull", *PROFILES, *PERIOD, "-o", str(template), "--progress"],
        config_env, accounts.state(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for name, acc in (("alice", "930001"), ("bob", "930002")):
        lines = (tmp_path / f"cdrs-{name}.csv").read_text().splitlines()
        assert len(lines) - 1 == len(truth(accounts.boxes[acc]))
    for word in ("alice", "bob", "total"):
        assert word in result.stderr
    assert "total: " in result.stdout


def test_a_wrong_password_fails_only_that_account(config_env, tmp_path):
    """Refused credentials fail that account alone (exit 1, named); the password is not shown."""
    accounts = Accounts()
    env = {**config_env, "ALICE_PW": "pw-q7z-refused"}
    result = invoke(
        ["cdrs", "pull", *PROFILES, *PERIOD, "-o", str(tmp_path), "--json"], env, accounts.state()
    )
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["failed"] == ["alice"]
    assert summary["accounts"]["alice"]["error"].startswith("AuthenticationError")
    assert summary["accounts"]["bob"]["rows"] == len(truth(accounts.boxes["930002"]))
    assert "pw-q7z-refused" not in result.output


@pytest.mark.parametrize(
    ("edit", "extra", "message"),
    [
        pytest.param(
            lambda c: c.replace('account = "930002"', 'account = "930002"\npasswd = "x"'),
            [], "unknown key 'passwd' in [accounts.bob]", id="unknown-key",
        ),
        pytest.param(lambda c: c, ["--account-profile", "carol"],
                     "no [accounts.carol] profile (profiles: alice, bob)", id="no-such-profile"),
        pytest.param(lambda c: c.replace('"ALICE_PW"', '"UNSET_PW"'), [],
                     "password_env names 'UNSET_PW', which is not set", id="unset-password-env"),
        pytest.param(lambda c: c.replace('account = "930001"', ""), [],
                     "[accounts.alice] is missing account", id="missing-account"),
        pytest.param(lambda c: c, ["--user", "x"],
                     "--user cannot be combined with --account-profile", id="single-flag"),
        pytest.param(lambda c: c.replace('account = "930002"', 'account = "930002"\n'
                     'base_url = "http://api.example.com/v3/"'), [],
                     "[accounts.bob] base_url", id="insecure-base-url"),
    ],
)  # fmt: skip
def test_bad_profiles_are_refused_before_any_request(config_env, tmp_path, edit, extra, message):
    """A bad profile or flag is exit 2 with one line naming it, before any client opens."""
    path = tmp_path / "config.toml"
    path.write_text(edit(CONFIG))
    accounts = Accounts()
    result = invoke(
        ["cdrs", "pull", *PROFILES, *extra, *PERIOD, "-o", str(tmp_path / "out")],
        config_env, accounts.state(),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert accounts.opened == []
    assert accounts.flight["peak"] == 0
    assert SECRET_B not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("output", ["-", "existing.jsonl"])
def test_profiles_need_a_directory_or_template(config_env, tmp_path, output):
    """With profiles, `-o` must be a directory or a `{account}` template, not stdout or a file."""
    (tmp_path / "existing.jsonl").write_text("")
    target = output if output == "-" else str(tmp_path / output)
    accounts = Accounts()
    result = invoke(
        ["cdrs", "pull", *PROFILES, *PERIOD, "-o", target], config_env, accounts.state()
    )
    assert result.exit_code == 2
    assert "a directory or a template with {account}" in result.stderr
    assert accounts.opened == []


def test_the_default_account_ignores_the_profiles(config_env, tmp_path):
    """Without --account-profile, `cdrs pull` uses the file's top-level (default) account."""
    accounts = Accounts()
    accounts.boxes["930000"] = Sandbox(
        seed=3, account="930000", username="default-user", password="pw-default",
        clock=ManualClock(START),
    )  # fmt: skip
    accounts.links["930000"] = Counted(accounts.boxes["930000"], accounts.flight)
    out = tmp_path / "cdrs.jsonl"
    result = invoke(
        ["cdrs", "pull", *PERIOD, "-o", str(out), "--json"], config_env, accounts.state()
    )
    assert result.exit_code == 0, result.output
    assert accounts.opened == ["930000"]
    assert json.loads(result.stdout)["rows"] == len(written(out)) > 0


async def test_the_api_pulls_profiles_with_their_own_credentials(config_env, tmp_path):
    """`account_profiles` gives each profile's client; `pull_accounts` pulls them all."""
    accounts = Accounts()
    profiles = account_profiles(
        ["bob", "alice"], config=config_env["SIMWOOD_CONFIG"], env=config_env
    )
    assert [p.name for p in profiles] == ["bob", "alice"]
    async with AsyncExitStack() as stack:
        pulls = [
            AccountPull(
                client=await stack.enter_async_context(
                    profile.client(
                        base_url=IN_PROCESS_BASE_URL,
                        allow_insecure_http=True,
                        transport=accounts.links[profile.account],
                    )
                ),
                file=tmp_path / f"{profile.name}.jsonl",
                name=profile.name,
            )
            for profile in profiles
        ]
        results = await pull_accounts(pulls, DAYS[0], DAYS[-1], now=lambda: START)
    for name, acc in (("alice", "930001"), ("bob", "930002")):
        result = results[name]
        assert not isinstance(result, Exception)
        assert set(written(tmp_path / f"{name}.jsonl")) == set(truth(accounts.boxes[acc]))
        assert result.rows == len(truth(accounts.boxes[acc]))
    wrong = account_profiles(["alice"], config=config_env["SIMWOOD_CONFIG"], env={"ALICE_PW": "x"})
    async with wrong[0].client(
        base_url=IN_PROCESS_BASE_URL, allow_insecure_http=True, transport=accounts.links["930001"]
    ) as client:
        refused = await pull_accounts(
            [AccountPull(client=client, file=tmp_path / "x.jsonl")], DAYS[0], now=lambda: START
        )
    assert isinstance(refused["930001"], AuthenticationError)


def test_days_after_midnight_resume_the_range_the_failed_account_recorded(config_env, tmp_path):
    """`--days 3` rerun the next day resumes bob's recorded range; alice, done, is not pulled."""
    accounts = Accounts()
    accounts.links["930002"].fail_from = f"{DAYS[4]} 00:00:00"
    args = ["cdrs", "pull", *PROFILES, "--days", "3", "-o", str(tmp_path), "--json"]
    first = invoke([*args, "--concurrency", "1"], config_env, accounts.state())
    assert first.exit_code == 1
    assert json.loads(first.stdout)["failed"] == ["bob"]
    accounts.links["930002"].fail_from = None
    state = accounts.state()
    state.now = lambda: START + dt.timedelta(days=1)
    asked_alice = accounts.boxes["930001"].stats.total
    second = invoke(args, config_env, state)
    assert second.exit_code == 0, second.output
    resuming = [line for line in second.stderr.splitlines() if line.startswith("resuming")]
    assert len(resuming) == 1
    assert f"resuming the unfinished pull of {DAYS[3]} to {DAYS[5]}" in resuming[0]
    assert "bob.jsonl" in resuming[0]
    summary = json.loads(second.stdout)
    assert summary["accounts"]["bob"]["days_resumed"] == 1
    alice = summary["accounts"]["alice"]
    assert (alice["rows"], alice["days"], alice["days_resumed"]) == (0, 3, 3)
    assert alice["start"].startswith(str(DAYS[3]))  # its own recorded range, not today's
    assert accounts.boxes["930001"].stats.total == asked_alice
    alice_rows = written(tmp_path / "alice.jsonl")
    assert set(alice_rows) == {
        row_identity(r) for day in DAYS[3:] for r in accounts.boxes["930001"].voice_cdrs(day)
    }
    bob = accounts.boxes["930002"]
    rows = written(tmp_path / "bob.jsonl")
    expected = {row_identity(r) for day in DAYS[3:] for r in bob.voice_cdrs(day)}
    assert len(rows) == len(set(rows)) == len(expected)
    assert set(rows) == expected


def test_without_profiles_a_directory_is_still_no_output_file(config_env, tmp_path):
    """`-o DIR` without --account-profile stays a usage error (exit 2), before any request."""
    accounts = Accounts()
    result = invoke(["cdrs", "pull", *PERIOD, "-o", str(tmp_path)], config_env, accounts.state())
    assert result.exit_code == 2
    assert "is a directory" in result.stderr
    assert accounts.opened == []


def test_a_file_error_is_one_error_line_and_the_other_account_completes(config_env, tmp_path):
    """An OSError on alice's file is `error: alice: ...` (exit 1, no traceback); bob completes."""
    accounts = Accounts()
    (tmp_path / "alice.jsonl").mkdir()  # the finished pull cannot replace a directory
    (tmp_path / "alice.jsonl" / "keep").write_text("")
    result = invoke(
        ["cdrs", "pull", *PROFILES, *PERIOD, "-o", str(tmp_path)], config_env, accounts.state()
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: alice: PullFailedError: ")
    assert "Traceback" not in result.output
    assert result.stdout.startswith("bob: ")
    assert set(written(tmp_path / "bob.jsonl")) == set(truth(accounts.boxes["930002"]))


def test_progress_shows_the_days_a_failing_account_resumed(config_env, tmp_path):
    """A rerun's bar shows bob's resumed 3/6 days though bob fails on its first request."""
    accounts = Accounts()
    accounts.links["930002"].fail_from = f"{DAYS[3]} 00:00:00"
    args = ["cdrs", "pull", *PROFILES, *PERIOD, "-o", str(tmp_path), "--concurrency", "1"]
    assert invoke(args, config_env, accounts.state()).exit_code == 1
    second = invoke([*args, "--progress"], config_env, accounts.state())
    assert second.exit_code == 1
    bars = {line.split()[0]: line.split() for line in second.stderr.splitlines() if "days" in line}
    assert "3/6" in bars["bob"]
    assert "6/6" in bars["alice"]
    assert "already complete (6 days)" in second.stdout
