"""A FastAPI service built on simwood-async.

- one `SimwoodClient` for the whole process, created in the lifespan and closed with it;
- a report endpoint: each request is one `await`, and concurrent identical requests share one
  report (the engine is single-flight);
- the report-callback receiver mounted at `/simwood/callbacks/{token}`, so Simwood's "your report
  is ready" POST makes the engine download at once instead of at its next poll;
- a streaming endpoint that pulls a day of CDRs concurrently and sends them as JSON Lines.

Install it with one extra, and run it (configured like `SimwoodClient()` and the `simwood`
command: SIMWOOD_API_USER, SIMWOOD_API_PASSWORD, SIMWOOD_ACCOUNT and SIMWOOD_BASE_URL, or the
config file; the public address Simwood can reach for callbacks in PUBLIC_URL):

    pip install 'simwood-async[fastapi]'
    uvicorn examples.fastapi_service.app:app

Unconfigured, it starts and answers 503 with what to set. Against the sandbox, no code changes:
`simwood sandbox serve` prints the variables to export.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - FastAPI reads endpoint annotations at run time
import json
import os
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse

from simwood_async import ConfigurationError, InvalidInputError, SimwoodClient, SimwoodError
from simwood_async.reports import CallbackReceiver, ReportOptions

CALLBACK_PATH = "/simwood/callbacks"
UNCONFIGURED = (
    "the Simwood API is not configured: set SIMWOOD_API_USER, SIMWOOD_API_PASSWORD and "
    "SIMWOOD_ACCOUNT (and SIMWOOD_BASE_URL for a sandbox), or ~/.config/simwood/config.toml"
)


def default_client(options: ReportOptions) -> SimwoodClient:
    """The real API, configured from the environment."""
    return SimwoodClient(reports=options)


def create_app(
    *,
    public_url: str | None = None,
    make_client: Any = default_client,
    receiver: CallbackReceiver | None = None,
) -> FastAPI:
    """Build the service.

    Args:
        public_url: Where Simwood can reach this service (callbacks are off without it).
        make_client: `ReportOptions -> SimwoodClient` (tests pass a sandbox client).
        receiver: The callback receiver (default: one with a random secret token).
    """
    receiver = receiver or CallbackReceiver()
    options = ReportOptions(
        callback_url=public_url.rstrip("/") + CALLBACK_PATH if public_url else None,
        callback_receiver=receiver if public_url else None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.simwood, app.state.unconfigured = None, UNCONFIGURED
        try:
            client = make_client(options)
        except ConfigurationError as err:  # e.g. half the credentials, a bad base URL
            app.state.unconfigured = f"{UNCONFIGURED} ({err})"
            yield
            return
        async with client:
            if client.account is not None:
                app.state.simwood = client
            yield

    app = FastAPI(title="simwood-async example", lifespan=lifespan)
    app.mount(CALLBACK_PATH, receiver)

    def client_of(request: Request) -> SimwoodClient:
        client = request.app.state.simwood
        if client is None:
            raise HTTPException(503, request.app.state.unconfigured)
        return client

    @app.get("/balance")
    async def balance(request: Request) -> dict[str, str]:
        result = await client_of(request).accounts.prepay_balance()
        return {"balance": str(result.balance), "currency": result.currency}

    @app.get("/reports/voice-summary/{direction}")
    async def voice_summary(
        request: Request, direction: Literal["in", "out"], date: dt.date | None = None
    ) -> list[dict[str, Any]]:
        client = client_of(request)
        try:
            rows = await client.reports.voice_summary_day(direction, date=date)
        except InvalidInputError as err:
            raise HTTPException(422, str(err)) from err
        except SimwoodError as err:
            raise HTTPException(502, f"{type(err).__name__}: {err}") from err
        return [json.loads(json.dumps(client.converter.unstructure(r), default=str))
                for r in rows]  # fmt: skip

    @app.get("/cdrs/{day}")
    async def cdrs(request: Request, day: dt.date) -> StreamingResponse:
        client = client_of(request)
        try:
            pull = client.cdrs.pull(day, day, concurrency=8)
        except InvalidInputError as err:
            raise HTTPException(422, str(err)) from err

        async def lines():
            async with pull as rows:
                async for cdr in rows:
                    data = client.converter.unstructure(cdr)
                    yield json.dumps(data, default=str) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    return app


app = create_app(public_url=os.environ.get("PUBLIC_URL"))
