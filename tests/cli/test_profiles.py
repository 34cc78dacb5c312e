"""The config file's `[accounts.NAME]` profiles beside its top-level (default) account."""

from __future__ import annotations

import pytest

from simwood_async import ConfigurationError, SimwoodClient
from simwood_async._cli_config import ConfigError, load_config
from simwood_async._config import read_account_profiles, read_config_file

SECRET = "pw-Zq8vX3-profile-secret"
FILE = f"""
username = "default-user"
password = "pw-default"
account = "930000"

[accounts.alice]
username = "alice"
password_env = "ALICE_PW"
account = "930001"

[accounts.bob-2]
username = "bob"
password = "{SECRET}"
account = 930002
base_url = "https://bob.example.com/v3/"
"""


def test_profiles_sit_beside_the_default_account(tmp_path):
    """The top-level keys stay the default account of the CLI and `SimwoodClient()`."""
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    assert read_config_file(path) == {
        "username": "default-user",
        "password": "pw-default",
        "account": "930000",
    }
    assert load_config(config_path=path, env={}).account == "930000"
    assert SimwoodClient(env={"SIMWOOD_CONFIG": str(path)}).account == "930000"


def test_profiles_resolve_their_passwords_and_hide_them(tmp_path):
    """Profiles come in the order asked, passwords from the file or the named variable."""
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    bob, alice = read_account_profiles(path, ["bob-2", "alice"], env={"ALICE_PW": "pw-a"})
    assert (alice.name, alice.username, alice.password, alice.account) == (
        "alice", "alice", "pw-a", "930001"
    )  # fmt: skip
    assert alice.base_url is None
    assert (bob.password, bob.account, bob.base_url) == (
        SECRET, "930002", "https://bob.example.com/v3/"
    )  # fmt: skip
    assert SECRET not in repr(bob)
    every = read_account_profiles(path, env={"ALICE_PW": "pw-a"})
    assert [p.name for p in every] == ["alice", "bob-2"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param('[accounts.x]\nusername = "u"\npasword = "p"', "unknown key 'pasword' in "
                     "[accounts.x]", id="unknown-key"),
        pytest.param('[accounts.x]\nusername = ["u"]', "[accounts.x] username must be a string",
                     id="not-a-string"),
        pytest.param("accounts = 3", "`accounts` must hold [accounts.NAME] tables",
                     id="not-tables"),
        pytest.param('[accounts]\nx = "y"', "[accounts.x] must be a table", id="not-a-table"),
        pytest.param('[accounts."a b"]\nusername = "u"', "profile name 'a b'", id="bad-name"),
    ],
)  # fmt: skip
def test_bad_profiles_make_the_whole_file_unusable(tmp_path, table, message):
    """A malformed profile is refused by the CLI and `SimwoodClient()` alike, naming the file."""
    path = tmp_path / "config.toml"
    path.write_text(f'username = "u"\npassword = "{SECRET}"\naccount = "930000"\n{table}\n')
    with pytest.raises(ConfigError, match="config file") as caught:
        load_config(config_path=path, env={})
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert SECRET not in str(caught.value)
    with pytest.raises(ConfigurationError, match=r"unknown key|must|profile name"):
        SimwoodClient(env={"SIMWOOD_CONFIG": str(path)})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param('username = "u"\npassword = "p"\npassword_env = "P"', "sets both password "
                     "and password_env", id="both-passwords"),
        pytest.param('username = "u"\naccount = "1"', "is missing password (or password_env)",
                     id="no-password"),
        pytest.param('password = "p"\naccount = "1"', "is missing username", id="no-username"),
        pytest.param('username = "u"\npassword = "p"\naccount = "9/1"', "account must be an "
                     "account id", id="bad-account"),
    ],
)  # fmt: skip
def test_incomplete_profiles_are_refused_when_used(tmp_path, table, message):
    """A profile is checked for completeness when asked for, with a one-line message."""
    path = tmp_path / "config.toml"
    path.write_text(f"[accounts.x]\n{table}\n")
    assert read_config_file(path) == {}
    with pytest.raises(ConfigurationError) as caught:
        read_account_profiles(path, ["x"], env={"P": "p"})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_asking_for_profiles_needs_the_file_and_the_name(tmp_path):
    """A missing file or an unknown profile name is a ConfigurationError listing what exists."""
    with pytest.raises(ConfigurationError, match="does not exist"):
        read_account_profiles(tmp_path / "missing.toml", ["x"], env={})
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    with pytest.raises(ConfigurationError, match=r"no \[accounts\.carol\] profile \(profiles: "):
        read_account_profiles(path, ["carol"], env={})
    path.write_text('username = "u"\n')
    with pytest.raises(ConfigurationError, match=r"profiles: none"):
        read_account_profiles(path, env={})
