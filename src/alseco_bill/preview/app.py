"""The preview's web app (Starlette): the page, each bill's pages and HTML, the theme's
static files, and a WebSocket that tells open pages when a file has changed.

It serves only what the theme and the chosen bills are made of: bills by their id
in the list (never by a path from the request), static files through the theme's
own lookup, which keeps every path inside the static folders.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from ..engines import DEFAULT_ENGINE
from ..theme import Theme
from .hub import Hub
from .outcome import Outcome
from .watcher import Watcher
from .workspace import Workspace

log = logging.getLogger(__name__)

# Host names a page may reach the preview by: a page from another site that points
# its own name at 127.0.0.1 (DNS rebinding) must not read the bills.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
GROUP_ORDER = ("city · kk", "city · ru", "region · kk", "region · ru", "unreadable")
NO_CACHE = {"Cache-Control": "no-cache"}


def create_app(
    theme: Theme | None = None,
    *,
    data: Sequence[Path] = (),
    project: Path | None = None,
    allowed_hosts: Sequence[str] = LOCAL_HOSTS,
    watch: bool = True,
    engine: str = DEFAULT_ENGINE,
) -> Starlette:
    """The preview app; ``watch`` re-renders when files change (off for unit tests);
    ``engine`` is the print engine whose pages it shows."""
    workspace = Workspace(theme or Theme.create(), data, project, engine=engine)
    hub = Hub()
    page = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")

    async def changed(paths: set[Path]) -> None:
        try:
            version = await anyio.to_thread.run_sync(workspace.refresh)
        except Exception:
            log.exception("could not reload after a change to %s", paths)
            return
        hub.publish(version)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = anyio.Event()
        try:
            async with anyio.create_task_group() as group:
                if watch:
                    watcher = Watcher(
                        workspace.watched_folders(), workspace.watched_files(), changed
                    )
                    group.start_soon(watcher.run, stop)
                try:
                    yield
                finally:
                    stop.set()
        finally:
            workspace.close()

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers=NO_CACHE)

    async def bills(request: Request) -> Response:
        entries = workspace.entries()
        groups: dict[str, list[dict[str, str]]] = {name: [] for name in GROUP_ORDER}
        for entry in entries:
            item = {"id": entry.id, "title": entry.title}
            if entry.problem:
                item["problem"] = entry.problem
            groups[entry.group].append(item)
        listed = [{"name": name, "bills": items} for name, items in groups.items() if items]
        # The first --data file, else the first example: what the designer asked to see.
        first = entries[0].id if entries else None
        body = {"version": workspace.version, "groups": listed, "first": first}
        return JSONResponse(body, headers=NO_CACHE)

    async def render(request: Request) -> Response:
        entry_id, version, outcome = await _outcome(request)
        entry = workspace.entry(entry_id)
        failure = asdict(outcome.failure) if outcome.failure else None
        body: dict[str, Any] = {
            "version": version,
            "bill": {"id": entry_id, "title": entry.title if entry else entry_id},
            "pages": len(outcome.pages),
            "html": outcome.html is not None,
            "failure": failure,
        }
        return JSONResponse(body, headers=NO_CACHE)

    async def page_png(request: Request) -> Response:
        _, _, outcome = await _outcome(request)
        number: int = request.path_params["number"]
        if not 1 <= number <= len(outcome.pages):
            raise HTTPException(404, "no such page")
        return Response(outcome.pages[number - 1], media_type="image/png", headers=NO_CACHE)

    async def frame(request: Request) -> Response:
        _, _, outcome = await _outcome(request)
        if outcome.html is None:
            raise HTTPException(404, "this bill has no HTML")
        return HTMLResponse(outcome.html, headers=NO_CACHE)

    async def static(request: Request) -> Response:
        found = workspace.theme.find_static(request.path_params["path"])
        # The rule the engines obey: a link leading outside the folders is not served.
        found = workspace.theme.allowed_file(found) if found is not None else None
        if found is None:
            raise HTTPException(404, "no such static file")
        return FileResponse(found, headers=NO_CACHE)

    async def events(websocket: WebSocket) -> None:
        if not same_origin(websocket):
            # Any web page may open a WebSocket to 127.0.0.1; only the preview's own may
            # listen to it. Closing before accepting answers the handshake with 403.
            log.warning("refused a WebSocket from origin %r", websocket.headers.get("origin"))
            await websocket.close(code=1008)
            return
        await websocket.accept()
        with hub.subscribe() as queue:
            await websocket.send_json({"version": workspace.version})
            async with anyio.create_task_group() as group:
                group.start_soon(_forward, queue, websocket)
                # A page never sends; waiting to receive is waiting for it to close.
                while (await websocket.receive())["type"] != "websocket.disconnect":
                    pass
                group.cancel_scope.cancel()

    async def _outcome(request: Request) -> tuple[str, int, Outcome]:
        entry_id = request.query_params.get("bill", "")
        found = await anyio.to_thread.run_sync(workspace.outcome, entry_id)
        if found is None:
            raise HTTPException(404, f"no bill {entry_id!r} in this preview")
        return entry_id, *found

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/bills", bills),
            Route("/api/render", render),
            Route("/pages/{number:int}.png", page_png),
            Route("/frame", frame),
            Route("/static/{path:path}", static),
            WebSocketRoute("/events", events),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))],
        lifespan=lifespan,
    )
    app.state.workspace = workspace  # for tests that change files and wait for a render
    return app


def same_origin(websocket: WebSocket) -> bool:
    """Whether the page that opens the socket was served by this preview: its Origin
    (which browsers always send) is the scheme, host and port the request came to."""
    origin = urlsplit(websocket.headers.get("origin", ""))
    host = websocket.headers.get("host", "")
    if origin.scheme not in ("http", "https") or not host:
        return False
    return origin.netloc.lower() == host.lower()


async def _forward(queue: asyncio.Queue[int], websocket: WebSocket) -> None:
    while True:
        await websocket.send_json({"version": await queue.get()})
