"""The password never leaks: not in logs, reprs, exception messages or exception arguments."""

from __future__ import annotations

import base64
import logging
import traceback
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from simwood_async import Credentials, SimwoodClient, SimwoodError
from tests.conftest import ACCOUNT, PASSWORD, USERNAME, make_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

TOKEN = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
SECRETS = (PASSWORD, TOKEN, f"{USERNAME}:{PASSWORD}")
BALANCE_PATH = f"accounts/{ACCOUNT}/prepay/balance"
BALANCE = [{"balance": "12.32", "currency": "GBP"}]


def assert_no_secret(text: str, where: str) -> None:
    """Fail if any form of the password appears in `text`."""
    for secret in SECRETS:
        assert secret not in text, f"secret found in {where}"


def exception_texts(err: BaseException) -> list[str]:
    """Every text an exception exposes: str, repr, args, attributes, cause chain, traceback."""
    texts = ["".join(traceback.format_exception(err))]
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        texts += [repr(value) for value in vars(current).values()]
        current = current.__cause__ or current.__context__
    return texts


class _Broken(httpx.AsyncByteStream):
    """A body broken after its first bytes."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"[{"
        raise httpx.RemoteProtocolError("peer closed connection")


async def _hang(request: httpx.Request) -> httpx.Response:
    """Never answer (until cancelled by a deadline)."""
    await anyio.Event().wait()
    return httpx.Response(200)  # pragma: no cover - never reached


def _scenarios(router: Any) -> list[tuple[str, Callable[[SimwoodClient], Awaitable[object]]]]:
    """Calls that succeed, retry and fail in every way, with the routes they need."""
    router.get(BALANCE_PATH).mock(
        side_effect=[
            httpx.Response(200, json=BALANCE),  # success
            httpx.Response(503),  # retried, then
            httpx.Response(200, json=BALANCE),  # success
            httpx.Response(401, headers={"WWW-Authenticate": "Basic"}),
            httpx.Response(404, text="not here"),
            httpx.Response(200, json={"success": False, "errors": ["denied"]}),
            httpx.Response(200, html="<html>oops</html>"),
            httpx.Response(200, json={"balance": "x"}),
            httpx.ConnectError("refused"),
            httpx.Response(200, stream=_Broken()),
        ]
        + [httpx.ReadTimeout("slow")] * 4
    )
    router.get("tools/myip").mock(
        side_effect=[
            httpx.Response(401, headers={"WWW-Authenticate": "Basic"}),
            httpx.Response(200, json={"ip": "192.0.2.1"}),
        ]
    )
    router.get(f"voice/{ACCOUNT}/limits").mock(side_effect=_hang)
    router.delete(f"voice/{ACCOUNT}/inprogress/x").respond(500, text="boom")

    async def deadline(c: SimwoodClient) -> object:
        """Call with a deadline the hanging route cannot meet."""
        return await c.with_options(deadline=0.05).voice.limits()

    return [
        ("success", lambda c: c.accounts.prepay_balance()),
        ("retried", lambda c: c.accounts.prepay_balance()),
        ("401", lambda c: c.accounts.prepay_balance()),
        ("404", lambda c: c.accounts.prepay_balance()),
        ("api-error", lambda c: c.accounts.prepay_balance()),
        ("html", lambda c: c.accounts.prepay_balance()),
        ("shape", lambda c: c.accounts.prepay_balance()),
        ("connect", lambda c: c.with_options(retry=_one_attempt(c)).accounts.prepay_balance()),
        ("truncated", lambda c: c.with_options(retry=_one_attempt(c)).accounts.prepay_balance()),
        ("timeouts", lambda c: c.accounts.prepay_balance()),
        ("challenge", lambda c: c.tools.myip()),
        ("deadline", deadline),
        ("500", lambda c: c.voice.hang_up("x")),
        ("bad-input", lambda c: c.accounts.set_balance_alert(1.5)),
        ("bad-segment", lambda c: c.voice.call("../x")),
    ]


def _one_attempt(client: SimwoodClient) -> Any:
    """The client's retry policy with retries turned off."""
    import attrs  # noqa: PLC0415

    return attrs.evolve(client._transport.retry, attempts=1)


async def _error_of(call: Awaitable[object]) -> SimwoodError | None:
    """The SDK error an awaited call raises, or None if it succeeds."""
    try:
        await call
    except SimwoodError as err:
        return err
    return None


async def test_password_never_in_logs_or_errors(router, fake_time, caplog):
    """Across successes, retries and every kind of failure, with DEBUG logging everywhere."""
    errors: list[BaseException] = []
    caplog.set_level(logging.DEBUG)  # the root logger: httpx and httpcore included
    async with make_client(router, fake_time) as client:
        for _name, call in _scenarios(router):
            error = await _error_of(call(client))
            if error is not None:
                errors.append(error)
    assert len(errors) == 12  # every scenario but the success, the retry and the challenge
    assert caplog.records
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        assert_no_secret(formatter.format(record), f"log record {record.name}")
        assert_no_secret(repr(record.args), f"log args {record.name}")
    for err in errors:
        for text in exception_texts(err):
            assert_no_secret(text, type(err).__name__)


async def test_log_lines_name_requests(router, fake_time, caplog):
    """The SDK's INFO lines say method and path, and never carry headers."""
    router.get(BALANCE_PATH).respond(json=BALANCE)
    caplog.set_level(logging.DEBUG)
    async with make_client(router, fake_time) as client:
        await client.accounts.prepay_balance()
    ours = [r.getMessage() for r in caplog.records if r.name == "simwood_async"]
    assert ours == [m for m in ours if m.startswith(f"GET /v3/{BALANCE_PATH} -> 200")]
    assert "authorization" not in " ".join(ours).lower()


async def test_reprs_hide_the_password(router, fake_time):
    """Client, view, credentials and transport reprs and strs show no password."""
    async with make_client(router, fake_time) as client:
        view = client.with_options(deadline=1.0)
        objects: list[object] = [
            client,
            view,
            client._transport,
            client._transport.credentials,
            Credentials(USERNAME, PASSWORD),
            client._transport.retry,
        ]
        for obj in objects:
            assert_no_secret(repr(obj), f"repr({type(obj).__name__})")
            assert_no_secret(str(obj), f"str({type(obj).__name__})")
            assert_no_secret(format(obj, ""), f"format({type(obj).__name__})")
        assert "***" in repr(client)
        assert USERNAME in repr(client._transport.credentials)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": f"https://{USERNAME}:{PASSWORD}@api.simwood.com/v3/"},
        {"base_url": f"http://{USERNAME}:{PASSWORD}@example.com/v3/"},
        {"username": USERNAME, "password": PASSWORD, "account": "a/b"},
        {"password": PASSWORD},
    ],
    ids=["userinfo-https", "userinfo-http", "bad-account", "password-only"],
)
def test_configuration_errors_hide_the_password(kwargs):
    """Errors raised while configuring a client never quote the password."""
    options = {"account": ACCOUNT, "env": {}, **kwargs}
    with pytest.raises(SimwoodError) as info:
        SimwoodClient(options.pop("account"), **options)
    for text in exception_texts(info.value):
        assert_no_secret(text, type(info.value).__name__)


def test_environment_password_is_not_in_errors():
    """A password read from the environment stays out of the error for a missing username."""
    with pytest.raises(SimwoodError) as info:
        SimwoodClient(env={"SIMWOOD_API_PASSWORD": PASSWORD})
    for text in exception_texts(info.value):
        assert_no_secret(text, "ConfigurationError")
