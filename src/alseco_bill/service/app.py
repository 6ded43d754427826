"""The ASGI app: ``create_app(config)`` for ``alseco-bill serve`` or any ASGI server.

Bill routes read the body as strictly as ``render`` reads a file, fill the HTML in
the server process and send the printing to the pool (``pool.Pool``). Every answer
carries ``X-Request-Id`` and ``X-Engine``; every error is a problem+json
(``problems``); one JSON log line per request, never the bill's personal fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..bill.model import Bill, bill_schema
from ..engines import DEFAULT_ENGINE, engine_info
from ..errors import BillError, InvalidBillError
from ..pdf.raster import png_bytes, rasterize
from ..render import Renderer
from ..runs.worker import Settings
from ..theme import Theme
from .auth import token_name
from .metrics import Metrics
from .pool import RENEW_AFTER, Job, Pool
from .problems import Problem, from_bill_error

log = logging.getLogger("alseco_bill.service")


@dataclass(frozen=True)
class ServiceConfig:
    engine: str = DEFAULT_ENGINE
    workers: int = 1
    templates: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    tokens: dict[str, str] = field(default_factory=dict)  # name → token; empty: no auth
    max_body: int = 1 << 20
    deadline_s: float = 30.0
    max_queue: int = 64
    coalesce: bool = True
    renew_after: int = RENEW_AFTER


def create_app(config: ServiceConfig | None = None) -> Starlette:
    """The service's app; without ``config``, from ``ALSECO_SERVE_*`` variables
    (``ENGINE``, ``WORKERS``), for ``uvicorn --factory alseco_bill.service:create_app``."""
    config = config or ServiceConfig(
        engine=os.environ.get("ALSECO_SERVE_ENGINE", DEFAULT_ENGINE),
        workers=int(os.environ.get("ALSECO_SERVE_WORKERS", "1")),
    )
    info = engine_info(config.engine)
    engine_version = info.version()
    theme = Theme.create([Path(p) for p in config.templates], [Path(p) for p in config.static])
    renderer = Renderer(theme, engine=config.engine)  # parses and fills; never prints
    metrics = Metrics()
    metrics.engine.info({"engine": config.engine, "version": engine_version})
    settings = Settings(config.templates, config.static, config.engine)
    pool = Pool(
        settings,
        config.workers,
        max_queue=config.max_queue,
        part_size=info.capabilities.task_size or 1,
        coalesce=config.coalesce,
        renew_after=config.renew_after,
        on_document=metrics.document.observe,
        on_gone=metrics.rejections.labels("client-gone").inc,
    )
    state = {"draining": False}

    def read_bill(body: bytes) -> Bill:
        try:
            json.loads(body)
        except ValueError as exc:
            raise Problem(400, "not-json", f"the body is not JSON: {exc}") from None
        except RecursionError:
            pass  # JSON nested too deep to read: the bill's reader says so (422)
        try:
            return renderer.parse(body)
        except InvalidBillError as exc:
            raise from_bill_error(exc) from None

    async def printed(request: Request, bill: Bill) -> tuple[bytes, int]:
        archive = _flag(request, "archive")
        tagged = _flag(request, "tagged")
        job = Job(bill, archive, tagged)  # filled by the worker
        deadline = request.state.started + config.deadline_s
        gone = asyncio.Event()

        async def watch() -> None:  # the body is read: the next message is a disconnect
            while (await request.receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        try:
            outcome, shared = await pool.submit(job, deadline, gone.is_set)
        finally:
            watcher.cancel()
        request.state.bills = shared
        if isinstance(outcome, BillError):
            raise from_bill_error(outcome)
        if isinstance(outcome, str):
            log.error(json.dumps({"request_id": request.state.id, "error": outcome}))
            raise Problem(500, "internal", "unexpected error; the log has it by request id")
        return outcome, shared

    def etag(data: bytes) -> str:
        digest = hashlib.sha256(engine_version.encode() + b"\0" + data).hexdigest()
        return f'"{digest[:32]}"'

    async def pdf(request: Request, bill: Bill) -> Response:
        data, _ = await printed(request, bill)
        name = f"{bill.account}-{bill.period:%Y-%m}.pdf"
        headers = {"Content-Disposition": f'inline; filename="{name}"', "ETag": etag(data)}
        return Response(data, media_type="application/pdf", headers=headers)

    async def png(request: Request, bill: Bill) -> Response:
        page = _number(request, "page", 1, 1, 1)
        dpi = _number(request, "dpi", 100, 36, 300)
        data, _ = await printed(request, bill)
        image = png_bytes(rasterize(data, dpi)[page - 1], fast=True)
        return Response(image, media_type="image/png", headers={"ETag": etag(image)})

    async def html(request: Request, bill: Bill) -> Response:
        try:
            return Response(renderer.html(bill), media_type="text/html; charset=utf-8")
        except BillError as exc:
            raise from_bill_error(exc) from None

    async def validate(request: Request, bill: Bill) -> Response:
        return JSONResponse({"valid": True, "account": bill.account})

    def bill_route(
        handler: Callable[[Request, Bill], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                raise Problem(415, "unsupported-media-type", f"got {kind or 'no content type'!r}")
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > config.max_body:
                raise Problem(413, "body-too-large", f"at most {config.max_body} bytes")
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > config.max_body:
                    raise Problem(413, "body-too-large", f"at most {config.max_body} bytes")
            return await handler(request, read_bill(body))

        return endpoint

    async def schema(request: Request) -> Response:
        return JSONResponse(bill_schema())

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        if state["draining"] or not pool.ready:
            reason = "draining" if state["draining"] else "starting"
            return JSONResponse({"status": reason}, 503)
        return JSONResponse({"status": "ready", "engine": config.engine})

    async def metrics_route(request: Request) -> Response:
        metrics.queue.set(len(pool.queue))
        metrics.in_flight.set(pool.in_flight)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/v1/bills/pdf", bill_route(pdf), methods=["POST"]),
        Route("/v1/bills/png", bill_route(png), methods=["POST"]),
        Route("/v1/bills/html", bill_route(html), methods=["POST"]),
        Route("/v1/bills/validate", bill_route(validate), methods=["POST"]),
        Route("/v1/schema", schema, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_route, methods=["GET"]),
    ]
    open_routes = {"/healthz", "/readyz"}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info(json.dumps({"event": "start", "engine": config.engine, "version": engine_version}))
        await pool.start()
        try:
            yield
        finally:
            state["draining"] = True
            await pool.close()
            renderer.close()

    async def around(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.started = time.monotonic()
        request.state.id = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.bills = 0
        route = request.url.path
        name = None
        try:
            if state["draining"] and route not in open_routes:
                raise Problem(503, "draining", "the server is shutting down")
            if config.tokens and route not in open_routes:
                name = token_name(request.headers.get("authorization"), config.tokens)
                if name is None:
                    raise Problem(401, "unauthorized", "send Authorization: Bearer <token>")
            if route not in {r.path for r in routes}:
                raise Problem(404, "not-found", f"no route {route}")
            response = await call_next(request)
        except Problem as problem:
            headers = {"Retry-After": "1"} if problem.status in (429, 503) else {}
            if problem.status in (401,):
                headers["WWW-Authenticate"] = "Bearer"
            if problem.status in (413, 415, 429, 401, 503, 504):
                metrics.rejections.labels(problem.kind).inc()
            response = problem.response(request.state.id, headers)
        except Exception:
            log.exception(json.dumps({"request_id": request.state.id, "route": route}))
            response = Problem(500, "internal", "unexpected error").response(request.state.id)
        elapsed = time.monotonic() - request.state.started
        response.headers["X-Request-Id"] = request.state.id
        response.headers["X-Engine"] = f"{config.engine} {engine_version}"
        metrics.requests.labels(route, str(response.status_code)).inc()
        metrics.latency.labels(route).observe(elapsed)
        log.info(
            json.dumps(
                {
                    "request_id": request.state.id,
                    "route": route,
                    "status": response.status_code,
                    "ms": round(elapsed * 1000, 1),
                    "engine": config.engine,
                    "bills_in_document": request.state.bills,
                    "token": name,
                }
            )
        )
        return response

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=around)],
    )
    app.state.service = state
    app.state.pool = pool
    return app


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise Problem(400, "bad-request", f"{name} must be true or false")
    return value in ("true", "1")


def _number(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name, str(default))
    # isdigit() alone also holds for digits int() refuses, such as "²".
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise Problem(400, "bad-request", f"{name} must be a whole number from {low} to {high}")
    return int(text)


def openapi_document() -> dict[str, Any]:
    """The service's OpenAPI 3.1 description."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    bill_body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bill"}}},
    }
    errors = {
        str(code): {"description": text, "content": problem}
        for code, text in (
            (400, "not JSON, or a bad parameter"),
            (401, "missing or wrong token"),
            (413, "body over the limit"),
            (415, "not application/json"),
            (422, "invalid bill, or it does not fit its sheet"),
            (429, "queue full"),
            (500, "template error or unexpected error"),
            (503, "draining, or the engine failed"),
            (504, "past the deadline"),
        )
    }

    def post(summary: str, kind: str, params: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "post": {
                "summary": summary,
                "parameters": params,
                "requestBody": bill_body,
                "responses": {"200": {"description": "done", "content": {kind: {}}}, **errors},
            }
        }

    def query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema}

    def get(summary: str) -> dict[str, Any]:
        return {"get": {"summary": summary, "responses": {"200": {"description": "ok"}}}}

    flags = [query("archive", {"type": "boolean"}), query("tagged", {"type": "boolean"})]
    schema = bill_schema()
    definitions = schema.pop("$defs", {})
    schema.pop("$schema", None)
    text = json.dumps(schema).replace("#/$defs/", "#/components/schemas/")
    components = {
        name: json.loads(json.dumps(d).replace("#/$defs/", "#/components/schemas/"))
        for name, d in definitions.items()
    }
    components["Bill"] = json.loads(text)
    components["Problem"] = {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "request_id": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "object"}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "alseco-bill", "version": "1"},
        "paths": {
            "/v1/bills/pdf": post("The bill as PDF", "application/pdf", flags),
            "/v1/bills/png": post(
                "A page of the bill as PNG",
                "image/png",
                [query("page", {"type": "integer"}), query("dpi", {"type": "integer"})],
            ),
            "/v1/bills/html": post("The filled HTML", "text/html", []),
            "/v1/bills/validate": post("Validate the bill", "application/json", []),
            "/v1/schema": get("The bill's JSON Schema"),
            "/healthz": get("Alive"),
            "/readyz": get("Engines warm (503 while starting or draining)"),
            "/metrics": get("Prometheus metrics"),
        },
        "components": {"schemas": components},
    }
