"""Client configuration: arguments, then the environment, then the config file.

The library and the `simwood` command read the same settings, in this order:

1. arguments (`SimwoodClient(account, username=..., base_url=...)`, or the CLI's flags);
2. the environment: `SIMWOOD_API_USER`, `SIMWOOD_API_PASSWORD`, `SIMWOOD_ACCOUNT`,
   `SIMWOOD_BASE_URL`;
3. a TOML file, `$SIMWOOD_CONFIG`, else `$XDG_CONFIG_HOME/simwood/config.toml` (default
   `~/.config/simwood/config.toml`), with top-level keys:

```toml
username = "api-user"
password = "..."        # or leave it out and set SIMWOOD_API_PASSWORD
account = "930000"
base_url = "https://api.simwood.com/v3/"   # optional

# Named account profiles (`simwood cdrs pull --account-profile NAME`), beside the default:
[accounts.reseller-7]
username = "other-user"
password_env = "R7_PASSWORD"   # or password = "..." (then keep the file private)
account = "930777"
base_url = "https://api.simwood.com/v3/"   # optional
```
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from simwood_async._http import Credentials
from simwood_async.exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from simwood_async._client import SimwoodClient

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_BASE_URL",
    "ENV_ACCOUNT",
    "ENV_BASE_URL",
    "ENV_CONFIG",
    "ENV_PASSWORD",
    "ENV_USER",
    "PROFILE_KEYS",
    "AccountProfile",
    "config_file_path",
    "read_account_profiles",
    "read_config_file",
    "resolve_base_url",
    "resolve_credentials",
]

DEFAULT_BASE_URL: Final = "https://api.simwood.com/v3/"
ENV_USER: Final = "SIMWOOD_API_USER"
ENV_PASSWORD: Final = "SIMWOOD_API_PASSWORD"  # noqa: S105 - the variable's name, not a secret
ENV_ACCOUNT: Final = "SIMWOOD_ACCOUNT"
ENV_BASE_URL: Final = "SIMWOOD_BASE_URL"
ENV_CONFIG: Final = "SIMWOOD_CONFIG"
CONFIG_KEYS: Final = frozenset({"username", "password", "account", "base_url"})
#: The keys of an `[accounts.NAME]` profile.
PROFILE_KEYS: Final = frozenset({"username", "password", "password_env", "account", "base_url"})
_PROFILES: Final = "accounts"
_PROFILE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@attrs.frozen(kw_only=True)
class AccountProfile:
    """A named account of the config file's `[accounts.NAME]` tables.

    Attributes:
        name: The profile's name (letters, digits, `_`, `.`, `-`).
        username: API username.
        password: API password, from `password` or the variable `password_env` names (never
            shown in a repr).
        account: Account id.
        base_url: API root, if the profile sets one.
    """

    name: str
    username: str
    password: str = attrs.field(repr=False)
    account: str
    base_url: str | None = None

    def client(self, **options: Any) -> SimwoodClient:
        """A `SimwoodClient` for the profile (`options`: any other `SimwoodClient` argument).

        The environment's `SIMWOOD_*` settings do not apply: the profile is the whole story.
        """
        from simwood_async._client import SimwoodClient  # noqa: PLC0415 - it imports this

        settings: dict[str, Any] = {
            "username": self.username,
            "password": self.password,
            "base_url": self.base_url,
            "env": {},
        }
        return SimwoodClient(self.account, **{**settings, **options})


def config_file_path(env: Mapping[str, str] | None = None) -> Path | None:
    """The config file to read: `$SIMWOOD_CONFIG`, else `simwood/config.toml` in the config home.

    With an explicit `env` (not `os.environ`), the file is read only if `env` names it or its
    folder (`SIMWOOD_CONFIG` or `XDG_CONFIG_HOME`), so a test's environment stays hermetic.
    """
    explicit_env = env is not None
    env = os.environ if env is None else env
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser()
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "simwood" / "config.toml"
    if explicit_env:
        return None
    return Path("~/.config").expanduser() / "simwood" / "config.toml"


def _toml() -> Any:
    # tomllib is standard from 3.11; 3.10 uses tomli (a conditional dependency).
    return importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")


def _read_toml(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        content = path.read_bytes()
    except FileNotFoundError as err:
        if required:
            raise ConfigurationError(f"config file {str(path)!r} does not exist") from err
        return {}
    except OSError as err:
        raise ConfigurationError(f"cannot read config file {str(path)!r}: {err.strerror}") from err
    toml = _toml()
    try:
        data: dict[str, Any] = toml.loads(content.decode("utf-8"))
    except (toml.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigurationError(f"config file {str(path)!r} is not valid TOML: {err}") from err
    return data


def _strings(path: Path, table: Mapping[str, Any], where: str = "") -> dict[str, str]:
    result = {}
    for key, value in table.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ConfigurationError(f"config file {str(path)!r}: {where}{key} must be a string")
        result[key] = str(value)
    return result


def _profile_tables(path: Path, data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The `[accounts.NAME]` tables, checked for shape and keys (values never shown)."""
    tables = data.get(_PROFILES, {})
    if not isinstance(tables, dict):
        raise ConfigurationError(
            f"config file {str(path)!r}: `accounts` must hold [accounts.NAME] tables"
        )
    profiles = {}
    for name, table in tables.items():
        if not _PROFILE_NAME.fullmatch(name):
            raise ConfigurationError(
                f"config file {str(path)!r}: profile name {name!r} must be letters, digits, "
                "'_', '.' or '-'"
            )
        if not isinstance(table, dict):
            raise ConfigurationError(
                f"config file {str(path)!r}: [accounts.{name}] must be a table"
            )
        unknown = set(table) - PROFILE_KEYS
        if unknown:
            raise ConfigurationError(
                f"config file {str(path)!r}: unknown key {min(unknown)!r} in "
                f"[accounts.{name}]; expected {sorted(PROFILE_KEYS)}"
            )
        profiles[name] = _strings(path, table, f"[accounts.{name}] ")
    return profiles


def read_config_file(path: Path | None, *, required: bool = False) -> dict[str, str]:
    """The file's top-level settings ({} when there is none and it is not `required`).

    The `[accounts.NAME]` profiles are checked too (see `read_account_profiles`), not returned.

    Raises:
        ConfigurationError: It cannot be read or parsed, or has unknown keys or non-string
            values, or it is `required` and missing.
    """
    if path is None:
        return {}
    data = _read_toml(path, required=required)
    unknown = set(data) - CONFIG_KEYS - {_PROFILES}
    if unknown:
        raise ConfigurationError(
            f"config file {str(path)!r}: unknown keys {sorted(unknown)}; "
            f"expected {sorted(CONFIG_KEYS)} and [accounts.NAME] tables"
        )
    _profile_tables(path, data)
    return _strings(path, {k: v for k, v in data.items() if k != _PROFILES})


def read_account_profiles(
    path: Path, names: Sequence[str] | None = None, env: Mapping[str, str] | None = None
) -> list[AccountProfile]:
    """The named profiles of the config file at `path` (all of them when `names` is None).

    Raises:
        ConfigurationError: The file is missing or unusable, a name has no profile, or a
            profile lacks its username, account or password (`password_env` naming an unset
            variable). The message names the file, profile and key, never a password.
    """
    env = os.environ if env is None else env
    tables = _profile_tables(path, _read_toml(path, required=True))
    if names is None:
        names = list(tables)
    unknown = [name for name in names if name not in tables]
    if not names or unknown:
        have = ", ".join(sorted(tables)) or "none"
        asked = f"no [accounts.{unknown[0]}] profile" if unknown else "no [accounts.NAME] profile"
        raise ConfigurationError(f"config file {str(path)!r} has {asked} (profiles: {have})")
    profiles = []
    for name in dict.fromkeys(names):
        table = tables[name]
        where = f"config file {str(path)!r}: [accounts.{name}]"
        if "password" in table and "password_env" in table:
            raise ConfigurationError(f"{where} sets both password and password_env; keep one")
        password = table.get("password")
        if "password_env" in table:
            password = env.get(table["password_env"])
            if not password:
                raise ConfigurationError(
                    f"{where}: password_env names {table['password_env']!r}, which is not set"
                )
        missing = [key for key in ("username", "account") if not table.get(key)]
        if not password and "password_env" not in table:
            missing.append("password (or password_env)")
        if missing:
            raise ConfigurationError(f"{where} is missing {', '.join(missing)}")
        account = table["account"]
        if not (account.isascii() and account.isalnum()):
            raise ConfigurationError(f"{where}: account must be an account id such as '930000'")
        profiles.append(
            AccountProfile(
                name=name,
                username=table["username"],
                password=str(password),
                account=account,
                base_url=table.get("base_url") or None,
            )
        )
    return profiles


def resolve_base_url(
    base_url: str | None,
    env: Mapping[str, str] | None = None,
    file: Mapping[str, str] | None = None,
) -> str:
    """The argument, else `SIMWOOD_BASE_URL`, else the file's `base_url`, else the API."""
    env = os.environ if env is None else env
    file = file or {}
    return base_url or env.get(ENV_BASE_URL) or file.get("base_url") or DEFAULT_BASE_URL


def resolve_credentials(
    username: str | None,
    password: str | None,
    account: str | int | None,
    env: Mapping[str, str] | None = None,
    file: Mapping[str, str] | None = None,
) -> tuple[Credentials | None, str | None]:
    """Credentials and account from the arguments, else the environment, else the file.

    Returns:
        The credentials (None if neither part is configured) and the account id.

    Raises:
        ConfigurationError: Only one of username and password is configured, or the account
            is not a plain identifier.
    """
    env = os.environ if env is None else env
    file = file or {}
    if username is None:
        username = env.get(ENV_USER) or file.get("username") or None
    if password is None:
        password = env.get(ENV_PASSWORD) or file.get("password") or None
    account_text = (
        str(account) if account is not None else env.get(ENV_ACCOUNT) or file.get("account")
    ) or None
    if (username is None) != (password is None):
        missing = "password" if password is None else "username"
        raise ConfigurationError(
            f"the API {missing} is missing (set both {ENV_USER} and {ENV_PASSWORD}, or both "
            "`username` and `password` in the config file, or neither)"
        )
    if account_text is not None and not (account_text.isascii() and account_text.isalnum()):
        raise ConfigurationError(f"account must be an account id such as '930000', got {account!r}")
    credentials = Credentials(username, password) if username and password else None
    return credentials, account_text
