"""Where the `simwood` command gets its credentials: flags, environment, then a TOML file.

The file is `$SIMWOOD_CONFIG`, or `~/.config/simwood/config.toml` (under `$XDG_CONFIG_HOME` if
set), with top-level keys:

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
from typing import TYPE_CHECKING, Any, Final, TextIO

import attrs

from simwood_async._config import DEFAULT_BASE_URL, ENV_ACCOUNT, ENV_PASSWORD, ENV_USER

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ENV_CONFIG", "CliConfig", "ConfigError", "default_config_path", "load_config"]

ENV_CONFIG: Final = "SIMWOOD_CONFIG"
_KEYS: Final = frozenset({"username", "password", "account", "base_url"})


class ConfigError(Exception):
    """The configuration is incomplete or unreadable (a one-line message for the user)."""


@attrs.frozen(kw_only=True)
class CliConfig:
    """The resolved configuration of one command.

    Attributes:
        username: API username.
        password: API password (never shown in a repr).
        account: Account id.
        base_url: API root.
        sandbox: Use the embedded sandbox instead of the API.
        forced: The sandbox was asked for (`--sandbox`), not a fallback.
        sandbox_rows_per_day: CDR volume of the embedded sandbox.
    """

    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    account: str | None = None
    base_url: str = DEFAULT_BASE_URL
    sandbox: bool = False
    forced: bool = False
    sandbox_rows_per_day: int = 200


def default_config_path(env: Mapping[str, str]) -> Path:
    """`$SIMWOOD_CONFIG`, else `$XDG_CONFIG_HOME/simwood/config.toml` (or `~/.config/...`)."""
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "simwood" / "config.toml"


def _toml() -> Any:
    # tomllib is standard from 3.11; 3.10 uses tomli (a conditional dependency of [cli]).
    return importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")


def read_config_file(path: Path, *, required: bool) -> dict[str, str]:
    """The file's settings ({} when it does not exist and is not `required`).

    Raises:
        ConfigError: It cannot be read or parsed, or has unknown keys or non-string values.
    """
    try:
        content = path.read_bytes()
    except FileNotFoundError as err:
        if required:
            raise ConfigError(f"config file {str(path)!r} does not exist") from err
        return {}
    except OSError as err:
        raise ConfigError(f"cannot read config file {str(path)!r}: {err.strerror}") from err
    toml = _toml()
    try:
        data = toml.loads(content.decode("utf-8"))
    except (toml.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {err}") from err
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(
            f"config file {str(path)!r}: unknown keys {sorted(unknown)}; expected {sorted(_KEYS)}"
        )
    result = {}
    for key, value in data.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ConfigError(f"config file {str(path)!r}: {key} must be a string")
        result[key] = str(value)
    return result


def load_config(
    *,
    username: str | None = None,
    account: str | None = None,
    base_url: str | None = None,
    password_stdin: bool = False,
    force_sandbox: bool = False,
    config_path: Path | None = None,
    sandbox_rows_per_day: int = 200,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
) -> CliConfig:
    """Resolve each setting from the flags, else the environment, else the config file.

    With nothing configured anywhere, the result asks for the embedded sandbox.

    Raises:
        ConfigError: Part of the credentials is missing, or the file is unusable.
    """
    env = os.environ if env is None else env
    explicit = config_path is not None or bool(env.get(ENV_CONFIG))
    path = config_path or default_config_path(env)
    file = read_config_file(path, required=explicit)
    password = None
    if password_stdin:
        password = (stdin or sys.stdin).readline().rstrip("\r\n") or None
        if password is None:
            raise ConfigError("--password-stdin given but stdin had no password")
    resolved = {
        "username": username or env.get(ENV_USER) or file.get("username"),
        "password": password or env.get(ENV_PASSWORD) or file.get("password"),
        "account": account or env.get(ENV_ACCOUNT) or file.get("account"),
    }
    url = base_url or file.get("base_url") or DEFAULT_BASE_URL
    if force_sandbox or not any(resolved.values()):
        return CliConfig(
            sandbox=True, forced=force_sandbox, sandbox_rows_per_day=sandbox_rows_per_day
        )
    where = {
        "username": f"--user, {ENV_USER} or `username` in {path}",
        "password": f"{ENV_PASSWORD}, --password-stdin or `password` in {path}",
        "account": f"--account, {ENV_ACCOUNT} or `account` in {path}",
    }
    for key, value in resolved.items():
        if not value:
            raise ConfigError(f"no API {key} configured: set it with {where[key]}")
    return CliConfig(
        username=resolved["username"],
        password=resolved["password"],
        account=resolved["account"],
        base_url=url,
    )
