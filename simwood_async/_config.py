"""Client configuration read from arguments and the environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from simwood_async._http import Credentials
from simwood_async.exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_BASE_URL", "ENV_ACCOUNT", "ENV_PASSWORD", "ENV_USER", "resolve_credentials"]

DEFAULT_BASE_URL: Final = "https://api.simwood.com/v3/"
ENV_USER: Final = "SIMWOOD_API_USER"
ENV_PASSWORD: Final = "SIMWOOD_API_PASSWORD"  # noqa: S105 - the variable's name, not a secret
ENV_ACCOUNT: Final = "SIMWOOD_ACCOUNT"


def resolve_credentials(
    username: str | None,
    password: str | None,
    account: str | int | None,
    env: Mapping[str, str] | None = None,
) -> tuple[Credentials | None, str | None]:
    """Credentials and account from the arguments, falling back to the environment.

    Returns:
        The credentials (None if neither part is configured) and the account id.

    Raises:
        ConfigurationError: Only one of username and password is configured, or the account
            is not a plain identifier.
    """
    env = os.environ if env is None else env
    username = username if username is not None else env.get(ENV_USER) or None
    password = password if password is not None else env.get(ENV_PASSWORD) or None
    account_text = str(account) if account is not None else env.get(ENV_ACCOUNT) or None
    if (username is None) != (password is None):
        missing = "password" if password is None else "username"
        raise ConfigurationError(
            f"the API {missing} is missing (set both {ENV_USER} and {ENV_PASSWORD}, or neither)"
        )
    if account_text is not None and not (account_text.isascii() and account_text.isalnum()):
        raise ConfigurationError(f"account must be an account id such as '930000', got {account!r}")
    credentials = Credentials(username, password) if username and password else None
    return credentials, account_text
