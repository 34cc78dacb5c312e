"""The FastAPI example, driven through httpx.ASGITransport against the sandbox."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import anyio
import httpx
import pytest

from simwood_async.sandbox import ManualClock, Sandbox

APP_FILE = Path(__file__).parents[2] / "examples" / "fastapi_service" / "app.py"


def load_example():
    """Import the example's module from its file."""
    spec = importlib.util.spec_from_file_location("fastapi_service_app", APP_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def example():
    """The example module (creating its module-level app needs no credentials)."""
    return load_example()


async def test_report_endpoint_is_answered_through_the_callback(example):
    """The report endpoint returns the rows; the sandbox's callback reaches the mounted receiver."""
    clock = ManualClock()
    service: dict = {}  # the sandbox calls back into the service, built after it
    sandbox = Sandbox(
        seed=9,
        clock=clock,
        report_delay=30.0,
        callback_transport=httpx.ASGITransport(app=_Late(service)),
    )
    app = example.create_app(
        public_url="http://service",
        # Sandbox time moves only when the test says so (not with the SDK's waits).
        make_client=lambda options: sandbox.client(reports=options, virtual_time=False),
    )
    service["app"] = app
    transport = httpx.ASGITransport(app=app)
    day = (sandbox.now() - dt.timedelta(days=1)).date().isoformat()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://service") as http,
        anyio.create_task_group() as tg,
    ):
        answers: list[httpx.Response] = []

        async def ask() -> None:
            """Ask the service for the report."""
            answers.append(await http.get(f"/reports/voice-summary/out?date={day}"))

        tg.start_soon(ask)
        tg.start_soon(ask)  # a second, identical request shares the same report
        await anyio.wait_all_tasks_blocked()
        assert answers == []  # still pending: nothing is ready in sandbox time
        await sandbox.advance(31.0)  # ready now; the sandbox POSTs the callback to the service
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert {"destid", "calls", "charges"} <= set(answers[0].json()[0])
    stats = app.state.simwood.reports.stats
    assert stats.callbacks == 1
    assert len(sandbox.reports.callbacks) == 1


class _Late:
    """An ASGI app that forwards to the service once it exists (it needs the sandbox first)."""

    def __init__(self, holder: dict) -> None:
        self._holder = holder

    async def __call__(self, scope, receive, send):
        """Forward to the service."""
        await self._holder["app"](scope, receive, send)


async def test_balance_and_cdr_stream(example):
    """`/balance` answers from the lifespan's client; `/cdrs/{day}` streams a day's CDRs."""
    sandbox = Sandbox(seed=2, clock=ManualClock(), cdr_rows_per_day=120)
    app = example.create_app(make_client=lambda options: sandbox.client(reports=options))
    day = (sandbox.now() - dt.timedelta(days=2)).date()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http,
    ):
        balance = await http.get("/balance")
        stream = await http.get(f"/cdrs/{day}")
        too_old = await http.get("/cdrs/2020-01-01")
    assert balance.status_code == 200
    assert balance.json()["currency"] == "GBP"
    rows = [json.loads(line) for line in stream.text.splitlines()]
    assert sorted(r["reference"] for r in rows) == sorted(
        r["reference"] for r in sandbox.voice_cdrs(day)
    )
    assert too_old.status_code == 422


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"SIMWOOD_API_USER": "only-a-user"}, id="half-credentials"),
    ],
)
async def test_unconfigured_service_answers_503(example, env, monkeypatch, tmp_path):
    """With no configuration the service starts and answers 503 saying what to set."""
    for name in ("SIMWOOD_API_USER", "SIMWOOD_API_PASSWORD", "SIMWOOD_ACCOUNT", "SIMWOOD_BASE_URL",
                 "SIMWOOD_CONFIG"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = example.create_app()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http,
    ):
        balance = await http.get("/balance")
        summary = await http.get("/reports/voice-summary/out")
    for response in (balance, summary):
        assert response.status_code == 503
        assert "SIMWOOD_API_USER" in response.json()["detail"]


async def test_the_service_finds_a_sandbox_through_the_environment(example, monkeypatch):
    """SIMWOOD_BASE_URL and the credentials point the unchanged example at a served sandbox."""
    sandbox = Sandbox(seed=3)
    async with sandbox.serve() as root:
        monkeypatch.setenv("SIMWOOD_BASE_URL", root)
        monkeypatch.setenv("SIMWOOD_ACCOUNT", sandbox.account)
        monkeypatch.setenv("SIMWOOD_API_USER", sandbox.username)
        monkeypatch.setenv("SIMWOOD_API_PASSWORD", sandbox.password)
        app = example.create_app()
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http,
        ):
            balance = await http.get("/balance")
    assert balance.status_code == 200, balance.text
    assert balance.json()["currency"] == "GBP"
