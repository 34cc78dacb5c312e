"""The ASGI app: routing, Basic auth, `_method`, faults and request statistics.

A plain ASGI callable over Starlette's request and response classes (not the `Starlette`
application, whose error middleware would turn a deliberate connection reset into a 500).
"""

from __future__ import annotations

import base64
import hmac
from typing import TYPE_CHECKING, Any, Final

from starlette.requests import Request
from starlette.routing import compile_path

from simwood_async import _json
from simwood_async.sandbox import _cdr, _numbers, _porting, _reports, _routes
from simwood_async.sandbox._faults import REQUEST_FAULTS, parse_fault
from simwood_async.sandbox._http import (
    Ctx,
    error,
    reply,
    reset_response,
    slow_response,
    truncated_response,
)
from simwood_async.sandbox._reports import BadInputError

if TYPE_CHECKING:
    import re
    from collections.abc import Awaitable, Callable

    from starlette.responses import Response
    from starlette.types import Message, Receive, Scope, Send

    from simwood_async.sandbox._core import SandboxCore

    Handler = Callable[[SandboxCore, Ctx], Awaitable[Any]]

__all__ = ["NOT_EMULATED_HEADER", "SandboxApp"]

_REALM: Final = {"WWW-Authenticate": 'Basic realm="Simwood API"'}
_CONTROL: Final = "/_sandbox/"
_OPEN_PREFIXES: Final = ("/v3/tools/", _CONTROL)
_UNMATCHED: Final = "<unmatched>"
_FORM: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
#: Marks a 404 that means "the sandbox does not emulate this path" (not "no such resource").
NOT_EMULATED_HEADER: Final = "X-Sandbox-Not-Emulated"


async def _stats(core: SandboxCore, ctx: Ctx) -> Response:
    if ctx.method == "DELETE":
        core.stats.reset()
    data = core.stats.as_json()
    data["faults"] = dict(core.faults.fired)
    data["reports"] = {
        "requests": sum(core.store.log.requests.values()),
        "generations": sum(core.store.log.generations.values()),
        "downloads": sum(core.store.log.downloads.values()),
        "expiries": sum(core.store.log.expiries.values()),
        "callbacks": len(core.store.log.callbacks),
    }
    return reply(ctx, data)


async def _faults(core: SandboxCore, ctx: Ctx) -> Response:
    if ctx.method == "DELETE":
        core.faults.clear()
    elif ctx.method == "POST":
        spec = ctx.body_json if isinstance(ctx.body_json, dict) else None
        if spec is None and ctx.field("spec"):
            spec = parse_fault(ctx.field("spec") or "")
        if spec is None:
            raise BadInputError("send a JSON object {kind, rate, route, ...} or spec=...")
        try:
            core.faults.add(**spec)
        except (TypeError, ValueError) as err:
            raise BadInputError(str(err)) from err
    rules = [
        {"kind": f.kind, "rate": f.rate, "route": f.route, "method": f.method,
         "count": f.count, "params": f.params, "fired": f.fired}
        for f in core.faults
    ]  # fmt: skip
    return reply(ctx, rules)


#: The emulated API, in matching order (the CDR routes first: the hot path of bulk pulls).
#: An area's module adds its `ROUTES` here; the coverage table reads this list.
API_ROUTES: Final[list[tuple[str, dict[str, Any]]]] = [
    *_cdr.ROUTES,
    *_reports.ROUTES,
    *_routes.ROUTES,
    *_numbers.ROUTES,
    *_porting.ROUTES,
]
_SANDBOX_ROUTES: Final[list[tuple[str, dict[str, Any]]]] = [
    ("/_sandbox/stats", {"GET": _stats, "DELETE": _stats}),
    ("/_sandbox/faults", {"GET": _faults, "POST": _faults, "DELETE": _faults}),
]


class SandboxApp:
    """The emulator as an ASGI application (`sandbox.app`).

    .. versionadded:: 0.1.0
    """

    def __init__(self, core: SandboxCore) -> None:
        self._core = core
        table = [*API_ROUTES, *_SANDBOX_ROUTES]
        self._routes: list[tuple[re.Pattern[str], str, dict[str, Handler]]] = [
            (compile_path(template)[0], template, handlers) for template, handlers in table
        ]
        token = base64.b64encode(f"{core.username}:{core.password}".encode()).decode()
        self._expected = f"Basic {token}".encode()

    def __repr__(self) -> str:
        return f"<SandboxApp account={self._core.account!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        status = 0  # no response at all (a reset fault)
        route = _UNMATCHED

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            route, response = await self._handle(scope, receive)
            await response(scope, receive, counting_send)
        finally:
            # The sandbox's own control endpoints are neither counted nor faulted.
            if not route.startswith(_CONTROL):
                self._core.stats.record(scope["method"], route, status)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    def route(self, method: str, path: str) -> str | None:
        """The template of the route that serves `method path`, or None if not emulated.

        A path the sandbox routes but not for that method (answered with 405) gives None.
        """
        for pattern, template, handlers in self._routes:
            if pattern.match(path) is not None:
                return template if method.upper() in handlers else None
        return None

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get("authorization", "").encode()
        return hmac.compare_digest(given, self._expected)

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[str, Any]:
        request = Request(scope, receive)
        path = scope["path"]
        pretty = request.query_params.get("pretty") == "true"
        if not path.startswith(_OPEN_PREFIXES) and not self._authorised(request):
            return _UNMATCHED, error(401, "Authentication required", headers=_REALM, pretty=pretty)
        for pattern, template, handlers in self._routes:  # noqa: B007 - used after the loop
            match = pattern.match(path)
            if match is not None:
                break
        else:
            # The status the real API gives an unknown path, but saying why: a user must be
            # able to tell "not emulated" from "no such number".
            message = f"Not emulated by the sandbox: {scope['method']} {path}"
            headers = {NOT_EMULATED_HEADER: "1"}
            return _UNMATCHED, error(404, message, headers=headers, pretty=pretty)
        params = match.groupdict()
        if params.get("account", self._core.account) != self._core.account:
            return template, error(403, "Access denied to this account", pretty=pretty)
        ctx = Ctx(request=request, params=params, route=template, method=request.method,
                  pretty=pretty)  # fmt: skip
        try:
            await self._read_body(ctx)
        except ValueError:
            return template, error(400, "The request body could not be parsed", pretty=pretty)
        handler = self._resolve(ctx, handlers)
        if handler is None:
            allow = {"Allow": ", ".join(sorted(handlers))}
            return template, error(405, "Method not allowed", headers=allow, pretty=pretty)
        return template, await self._run(ctx, handler)

    async def _read_body(self, ctx: Ctx) -> None:
        request = ctx.request
        if request.method not in ("POST", "PUT", "DELETE"):
            return
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in _FORM:
            form = await request.form()
            ctx.fields = {k: v for k, v in form.items() if isinstance(v, str)}
        elif kind == "application/json":
            raw = await request.body()
            if raw.strip():
                ctx.body_json = _json.loads(raw)
                if isinstance(ctx.body_json, dict):
                    ctx.fields = {k: v for k, v in ctx.body_json.items() if k != "filter"}

    def _resolve(self, ctx: Ctx, handlers: dict[str, Handler]) -> Handler | None:
        method = ctx.request.method
        override = (ctx.field("_method") or "").upper()
        # `_method` overrides GET and POST, but nothing ever becomes a DELETE.
        if method in ("GET", "POST") and override in ("GET", "POST", "PUT"):
            method = override
        if method not in handlers and method == "POST" and "PUT" in handlers:
            method = "PUT"  # the API accepts POST for PUT
        ctx.method = method
        return handlers.get(method)

    async def _run(self, ctx: Ctx, handler: Handler) -> Any:
        core = self._core
        hits = []
        if not ctx.route.startswith(_CONTROL):
            hits = core.faults.draw(
                REQUEST_FAULTS, route=ctx.route, path=ctx.request.url.path, method=ctx.method
            )
        wrap = None
        for fault in hits:
            kind, p = fault.kind, fault.params
            if kind == "latency":
                jitter = p["jitter"] * core.faults.jitter() if p["jitter"] else 0.0
                await core.sleep(p["seconds"] + jitter)
            elif kind == "reset":
                return reset_response
            elif kind == "error":
                return error(int(p["status"]), "Internal error (sandbox fault)", pretty=ctx.pretty)
            elif kind == "rate_limit":
                after = p["retry_after"]
                header = str(int(after)) if after == int(after) else str(after)
                return error(429, "Too many requests (sandbox fault)",
                             headers={"Retry-After": header}, pretty=ctx.pretty)  # fmt: skip
            else:
                wrap = fault
        try:
            response = await handler(core, ctx)
        except BadInputError as err:
            response = error(400, str(err), pretty=ctx.pretty)
        if wrap is None:
            return response
        if wrap.kind == "truncate":
            return truncated_response(response, wrap.params["fraction"])
        return slow_response(
            response, wrap.params["seconds"], int(wrap.params["chunks"]), core.sleep
        )
