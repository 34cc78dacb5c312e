"""`simwood cdrs pull-accounts`: accounts from a TOML file, one output file per account."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from click.testing import CliRunner

from simwood_async import SimwoodClient
from simwood_async._cli import cli
from simwood_async._cli_accounts import AccountSpec, AccountsState, pull_accounts_command
from simwood_async.cdrs import row_identity
from simwood_async.sandbox import IN_PROCESS_BASE_URL, Sandbox

ACCOUNTS = """
[accounts.alice]
username = "alice"
password_env = "ALICE_PW"
account = "930001"

[accounts.bob]
username = "bob"
password = "pw-b"
account = "930002"
"""


def sandboxes() -> dict[str, Sandbox]:
    """Two accounts on their own sandboxes, with different credentials."""
    return {
        "alice": Sandbox(seed=1, account="930001", username="alice", password="pw-a"),
        "bob": Sandbox(seed=2, account="930002", username="bob", password="pw-b"),
    }


def state(boxes: dict[str, Sandbox]) -> AccountsState:
    """Clients built from the file's credentials, talking to each account's sandbox."""

    def open_client(spec: AccountSpec) -> SimwoodClient:
        """A client with the spec's credentials on the named sandbox's transport."""
        return SimwoodClient(
            spec.account,
            username=spec.username,
            password=spec.password,
            base_url=IN_PROCESS_BASE_URL,
            allow_insecure_http=True,
            transport=boxes[spec.name].transport(),
            env={},
        )

    return AccountsState(open_client=open_client)


def days() -> tuple[str, str]:
    """The three whole GMT days before today."""
    today = dt.datetime.now(dt.timezone.utc).date()
    return str(today - dt.timedelta(days=3)), str(today - dt.timedelta(days=1))


def test_pull_accounts_writes_one_file_per_account(tmp_path):
    """Each account's rows go to its own file, exactly once, with its own credentials."""
    boxes = sandboxes()
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(ACCOUNTS)
    first, last = days()
    result = CliRunner().invoke(
        pull_accounts_command,
        ["--accounts", str(accounts), "--out-dir", str(tmp_path / "out"), "--from", first,
         "--to", last, "--json", "--concurrency", "4"],
        env={"ALICE_PW": "pw-a"},
        obj=state(boxes),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(summary) == {"alice", "bob"}
    for name, box in boxes.items():
        path = tmp_path / "out" / f"{name}.jsonl"
        rows = [row_identity(json.loads(line)) for line in path.read_bytes().splitlines()]
        truth = [
            row_identity(r)
            for d in range(3, 0, -1)
            for r in box.voice_cdrs(dt.date.fromisoformat(last) - dt.timedelta(days=d - 1))
        ]
        assert sorted(rows) == sorted(truth)
        assert summary[name]["rows"] == len(truth) > 0
    assert "total" in result.stderr


def test_a_wrong_password_fails_only_that_account(tmp_path):
    """An account whose credentials are refused exits 1 naming it; the other completes."""
    boxes = sandboxes()
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(ACCOUNTS)
    first, last = days()
    result = CliRunner().invoke(
        pull_accounts_command,
        ["--accounts", str(accounts), "--out-dir", str(tmp_path), "--from", first, "--to", last],
        env={"ALICE_PW": "pw-q7z-refused"},
        obj=state(boxes),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "alice: AuthenticationError" in result.stdout
    assert "bob: " in result.stdout
    assert "rows to" in result.stdout
    assert "pw-q7z-refused" not in result.output


def test_incomplete_accounts_file_is_a_usage_error(tmp_path):
    """A missing password variable is exit 2 with a one-line reason, before any request."""
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(ACCOUNTS)
    result = CliRunner().invoke(
        cli,
        ["cdrs", "pull-accounts", "--accounts", str(accounts), "--out-dir", str(tmp_path),
         "--from", days()[0]],
        env={},
    )  # fmt: skip
    assert result.exit_code == 2
    assert "account 'alice' is missing password" in result.output
