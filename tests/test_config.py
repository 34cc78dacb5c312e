"""Configuration: credentials and account from arguments or the environment, base URL rules."""

from __future__ import annotations

import base64

import httpx
import pytest

from simwood_async import (
    DEFAULT_BASE_URL,
    ConfigurationError,
    Credentials,
    InvalidInputError,
    SimwoodClient,
)
from tests.conftest import ACCOUNT, PASSWORD, USERNAME, make_client

ENV = {
    "SIMWOOD_API_USER": USERNAME,
    "SIMWOOD_API_PASSWORD": PASSWORD,
    "SIMWOOD_ACCOUNT": ACCOUNT,
}
BALANCE = [{"balance": "1.00", "currency": "GBP"}]


def _basic(user: str, password: str) -> str:
    """The Basic Authorization header value for these credentials."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_credentials_and_account_from_the_environment(router):
    """With no arguments, the user, password and account come from the environment."""
    route = router.get(f"accounts/{ACCOUNT}/prepay/balance").respond(json=BALANCE)
    async with SimwoodClient(
        transport=httpx.MockTransport(router.async_handler), env=ENV
    ) as client:
        assert client.account == ACCOUNT
        await client.accounts.prepay_balance()
    assert route.calls.last.request.headers["authorization"] == _basic(USERNAME, PASSWORD)


async def test_arguments_override_the_environment(router):
    """Explicit arguments win over the environment variables."""
    route = router.get("accounts/111111/prepay/balance").respond(json=BALANCE)
    async with SimwoodClient(
        111111,
        username="other",
        password="other-pw",
        transport=httpx.MockTransport(router.async_handler),
        env=ENV,
    ) as client:
        await client.accounts.prepay_balance()
    assert route.calls.last.request.headers["authorization"] == _basic("other", "other-pw")


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [
        ({"username": "u", "env": {}}, "password"),
        ({"password": "p", "env": {}}, "username"),
        ({"env": {"SIMWOOD_API_USER": "u"}}, "password"),
        ({"env": {"SIMWOOD_API_PASSWORD": "p"}}, "username"),
    ],
    ids=["arg-user-only", "arg-password-only", "env-user-only", "env-password-only"],
)
def test_half_configured_credentials_are_refused(kwargs, missing):
    """Only one of username and password is a ConfigurationError naming the missing one."""
    with pytest.raises(ConfigurationError, match=f"API {missing} is missing"):
        SimwoodClient(ACCOUNT, **kwargs)


def test_empty_environment_values_count_as_unset():
    """Empty environment variables are treated as not set."""
    client = SimwoodClient(env={"SIMWOOD_API_USER": "", "SIMWOOD_API_PASSWORD": ""})
    assert client.account is None


@pytest.mark.parametrize(
    "account",
    ["93/0000", "930000?x", "../9", "\uff19\uff13\uff10\uff10\uff10\uff10", "93 00"],
    ids=["slash", "query", "dotdot", "fullwidth-digits", "space"],
)
def test_account_must_be_a_plain_ascii_id(account):
    """The account id is refused unless it is plain ASCII letters and digits."""
    with pytest.raises(ConfigurationError, match="account must be an account id"):
        SimwoodClient(account, env={})


async def test_missing_account_raises_before_sending(router, fake_time):
    """A call that needs the account fails with ConfigurationError and sends nothing."""
    async with make_client(router, fake_time, account=None) as client:
        with pytest.raises(ConfigurationError, match="SIMWOOD_ACCOUNT"):
            await client.accounts.prepay_balance()
        with pytest.raises(ConfigurationError):
            await client.voice.limits()
        with pytest.raises(ConfigurationError):
            await client.rates.tariffs()
    assert router.calls.call_count == 0


async def test_missing_credentials_raise_before_sending(router, fake_time):
    """An authenticated call without credentials fails with ConfigurationError, sends nothing."""
    async with make_client(router, fake_time, username=None, password=None) as client:
        with pytest.raises(ConfigurationError, match="SIMWOOD_API_PASSWORD"):
            await client.accounts.prepay_balance()
    assert router.calls.call_count == 0


async def test_tools_work_without_credentials(router, fake_time):
    """The tools endpoints need neither credentials nor an account."""
    router.get("tools/myip").respond(json={"ip": "192.0.2.7"})
    async with make_client(router, fake_time, username=None, password=None, account=None) as c:
        assert (await c.tools.myip()).ip == "192.0.2.7"


def test_configuration_error_is_an_invalid_input_error():
    """ConfigurationError is an InvalidInputError and so a ValueError."""
    with pytest.raises(ValueError, match="account"):
        SimwoodClient("bad/account", env={})
    assert issubclass(ConfigurationError, InvalidInputError)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (DEFAULT_BASE_URL, "https://api.simwood.com/v3/"),
        ("https://api.simwood.com/v3", "https://api.simwood.com/v3/"),
        ("http://127.0.0.1:8000/v3/", "http://127.0.0.1:8000/v3/"),
        ("http://127.8.9.10/v3/", "http://127.8.9.10/v3/"),
        ("http://localhost:8000/v3", "http://localhost:8000/v3/"),
        ("http://[::1]:8000/v3/", "http://[::1]:8000/v3/"),
    ],
    ids=["default", "adds-slash", "ipv4-loopback", "ipv4-loopback-range", "localhost", "ipv6"],
)
def test_accepted_base_urls(url, expected):
    """Https anywhere, and plain http on loopback, are accepted (with a trailing slash added)."""
    client = SimwoodClient(ACCOUNT, base_url=url, env={})
    assert client._transport.base_url == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://api.simwood.com/v3/",
        "http://127.attacker.example/v3/",
        "http://10.0.0.1/v3/",
        "http://localhost.attacker.example/v3/",
    ],
    ids=["public-host", "127-prefixed-name", "private-ip", "localhost-prefixed-name"],
)
def test_plain_http_needs_loopback_or_opt_in(url):
    """Plain http to a non-loopback host is refused unless `allow_insecure_http=True`."""
    with pytest.raises(ConfigurationError, match="plain http is only allowed"):
        SimwoodClient(ACCOUNT, base_url=url, env={})
    client = SimwoodClient(ACCOUNT, base_url=url, allow_insecure_http=True, env={})
    assert client._transport.base_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://api.simwood.com/v3/", "http"),
        ("api.simwood.com/v3/", "http"),
        ("https:///v3/", "http"),
        ("https://api.simwood.com/v3/?pretty=true", "query"),
        ("https://api.simwood.com/v3/#top", "query or fragment"),
    ],
    ids=["ftp", "no-scheme", "no-host", "query", "fragment"],
)
def test_unusable_base_urls(url, message):
    """A base URL that is not a plain http(s) root is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match=message):
        SimwoodClient(ACCOUNT, base_url=url, env={})


@pytest.mark.parametrize(
    "url",
    [f"https://{USERNAME}:{PASSWORD}@api.simwood.com/v3/", f"https://:{PASSWORD}@localhost/"],
    ids=["user-and-password", "password-only"],
)
def test_base_url_with_credentials_is_refused_without_echoing_them(url):
    """Userinfo in the base URL is refused, and the message does not repeat the password."""
    with pytest.raises(ConfigurationError, match="must not contain credentials") as info:
        SimwoodClient(ACCOUNT, base_url=url, env={})
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value)


def test_credentials_header():
    """Credentials produce the preemptive Basic header value."""
    assert Credentials(USERNAME, PASSWORD).header() == _basic(USERNAME, PASSWORD)


def test_with_options_validates_the_account():
    """A view for another account checks that id like the constructor does."""
    client = SimwoodClient(ACCOUNT, env={})
    with pytest.raises(ConfigurationError):
        client.with_options(account="../x")
