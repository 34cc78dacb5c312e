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
```
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from simwood_async._http import Credentials
from simwood_async.exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_BASE_URL",
    "ENV_ACCOUNT",
    "ENV_BASE_URL",
    "ENV_CONFIG",
    "ENV_PASSWORD",
    "ENV_USER",
    "config_file_path",
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


def read_config_file(path: Path | None, *, required: bool = False) -> dict[str, str]:
    """The file's settings ({} when there is none and it is not `required`).

    Raises:
        ConfigurationError: It cannot be read or parsed, or has unknown keys or non-string
            values, or it is `required` and missing.
    """
    if path is None:
        return {}
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
        data = toml.loads(content.decode("utf-8"))
    except (toml.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigurationError(f"config file {str(path)!r} is not valid TOML: {err}") from err
    unknown = set(data) - CONFIG_KEYS
    if unknown:
        raise ConfigurationError(
            f"config file {str(path)!r}: unknown keys {sorted(unknown)}; "
            f"expected {sorted(CONFIG_KEYS)}"
        )
    result = {}
    for key, value in data.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ConfigurationError(f"config file {str(path)!r}: {key} must be a string")
        result[key] = str(value)
    return result


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
