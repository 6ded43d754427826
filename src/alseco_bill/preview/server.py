"""Running the preview app with uvicorn: in the foreground for the command line, or in
a background thread (for tests and tools that drive a browser against it).

The socket is bound before uvicorn starts, so the address is known (port 0 picks a
free one) and a browser opened right away finds it listening.
"""

from __future__ import annotations

import socket
import threading
import time
import webbrowser
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from ipaddress import ip_address
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from ..engines import DEFAULT_ENGINE
from ..theme import Theme
from .app import LOCAL_HOSTS, create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
STARTUP_TIMEOUT = 10.0


def serve(
    theme: Theme | None = None,
    *,
    data: Sequence[Path] = (),
    project: Path | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    engine: str = DEFAULT_ENGINE,
) -> None:
    """Serve the live preview until interrupted (Ctrl+C)."""
    app = create_app(
        theme, data=data, project=project, allowed_hosts=allowed_hosts(host), engine=engine
    )
    with bound_socket(host, port) as sock:
        url = address(sock)
        print(f"alseco-bill preview on {url} (Ctrl+C stops it)", flush=True)
        if open_browser:
            webbrowser.open(url)
        uvicorn.Server(config(app, log_level="info")).run(sockets=[sock])


@contextmanager
def running(app: Starlette, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[str]:
    """Run ``app`` in a background thread; yields its URL and stops it on exit."""
    with bound_socket(host, port) as sock:
        server = uvicorn.Server(config(app, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the preview server did not start")
                time.sleep(0.01)
            yield address(sock)
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def config(app: Starlette, log_level: str) -> uvicorn.Config:
    # wsproto: uvicorn's default WebSocket implementation on the `websockets`
    # package goes through its deprecated legacy API.
    return uvicorn.Config(
        app,
        ws="wsproto",
        lifespan="on",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=3,
    )


@contextmanager
def bound_socket(host: str, port: int) -> Iterator[socket.socket]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen()
        yield sock
    finally:
        sock.close()


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host == "0.0.0.0" else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def allowed_hosts(host: str) -> list[str]:
    """Only local names when bound to a loopback address; any name when shared on purpose."""
    try:
        loopback = host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        loopback = False
    # The bound address too (127.0.0.2 is loopback as well), as browsers send it.
    return list(dict.fromkeys([*LOCAL_HOSTS, host])) if loopback else ["*"]
