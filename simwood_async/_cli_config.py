"""Where the `simwood` command gets its settings: flags, then what the library reads.

The environment (`SIMWOOD_API_USER`, `SIMWOOD_API_PASSWORD`, `SIMWOOD_ACCOUNT`,
`SIMWOOD_BASE_URL`) and the TOML config file (`$SIMWOOD_CONFIG`, default
`~/.config/simwood/config.toml`) are read exactly as `SimwoodClient()` reads them (see
`simwood_async._config`).

The embedded sandbox answers only when asked for (`--sandbox`), or as the no-configuration
demo when nothing at all points at a real API: no `--base-url`, no `SIMWOOD_*` variable, no
config file. Anything else with missing credentials is a configuration error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

import attrs

from simwood_async._config import (
    DEFAULT_BASE_URL,
    ENV_ACCOUNT,
    ENV_BASE_URL,
    ENV_CONFIG,
    ENV_PASSWORD,
    ENV_USER,
    config_file_path,
    read_config_file,
)
from simwood_async._http import validate_base_url
from simwood_async.exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ENV_CONFIG", "CliConfig", "ConfigError", "default_config_path", "load_config"]

_ENV_SETTINGS: Final = (ENV_USER, ENV_PASSWORD, ENV_ACCOUNT, ENV_BASE_URL, ENV_CONFIG)


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
        forced: The sandbox was asked for (`--sandbox`), not the no-configuration demo.
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
    return config_file_path(env) or Path("~/.config").expanduser() / "simwood" / "config.toml"


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

    Raises:
        ConfigError: Credentials are missing while something points at a real API, the base
            URL is unusable, or the file is unusable.
    """
    env = os.environ if env is None else env
    explicit = config_path is not None or bool(env.get(ENV_CONFIG))
    path = config_path or default_config_path(env)
    try:
        file = read_config_file(path, required=explicit)
    except ConfigurationError as err:
        raise ConfigError(str(err)) from err
    if force_sandbox:
        return CliConfig(sandbox=True, forced=True, sandbox_rows_per_day=sandbox_rows_per_day)
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
    url = base_url or env.get(ENV_BASE_URL) or file.get("base_url")
    configured = any(env.get(name) for name in _ENV_SETTINGS) or path.exists()
    if not any(resolved.values()) and url is None and not configured:
        # Nothing at all points at a real API: the documented no-configuration demo.
        return CliConfig(sandbox=True, sandbox_rows_per_day=sandbox_rows_per_day)
    try:
        url = validate_base_url(url or DEFAULT_BASE_URL, allow_insecure_http=False)
    except ConfigurationError as err:
        raise ConfigError(f"--base-url / {ENV_BASE_URL}: {err}") from err
    where = {
        "username": f"--user, {ENV_USER} or `username` in {path}",
        "password": f"{ENV_PASSWORD}, --password-stdin or `password` in {path}",
        "account": f"--account, {ENV_ACCOUNT} or `account` in {path}",
    }
    missing = [key for key, value in resolved.items() if not value]
    if missing:
        needed = "; ".join(f"{key} ({where[key]})" for key in missing)
        raise ConfigError(
            f"no API {' and '.join(missing)} configured for {url}: set {needed}, "
            "or use --sandbox for the embedded sandbox"
        )
    return CliConfig(
        username=resolved["username"],
        password=resolved["password"],
        account=resolved["account"],
        base_url=url,
    )
