"""Running the app with uvicorn: bounded connections, and a drain on SIGTERM.

SIGTERM (or Ctrl-C) turns ``/readyz`` to 503 and new requests to 503 problems at
once, lets the requests in flight finish within the grace period, then stops the
workers and their engines (``Pool.close``) and exits 0.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import uvicorn

from ..engines import engine_info
from ..engines.registry import ENGINES
from ..errors import EngineUnavailableError, UsageError
from .app import ServiceConfig, create_app
from .auth import load_tokens

log = logging.getLogger("alseco_bill.service")


def default_engine() -> str:
    """The first engine that prints parts (coalescing) and can run here, else the
    first that can (WeasyPrint)."""
    infos = sorted(ENGINES.values(), key=lambda i: not i.capabilities.prints_parts)
    for info in infos:
        try:
            info.version()
            return info.name
        except (EngineUnavailableError, OSError):
            continue
    return next(iter(ENGINES))


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    engine: str | None = None,
    workers: int | None = None,
    token_file: Path | None = None,
    templates: Path | None = None,
    static: Path | None = None,
    grace_s: float = 15.0,
    max_queue: int = 64,
    deadline_s: float = 30.0,
    coalesce: bool = True,
    limit_concurrency: int = 512,
) -> None:
    """Serve bills on ``host:port`` until SIGTERM; refuses a non-loopback address
    without tokens."""
    tokens = load_tokens(token_file) if token_file else {}
    if not tokens and not _loopback(host):
        raise UsageError(f"refusing to listen on {host} without --token-file")
    name = engine or default_engine()
    engine_info(name)
    config = ServiceConfig(
        engine=name,
        workers=workers or os.cpu_count() or 1,
        templates=(str(templates.resolve()),) if templates else (),
        static=(str(static.resolve()),) if static else (),
        tokens=tokens,
        max_queue=max_queue,
        deadline_s=deadline_s,
        coalesce=coalesce,
    )
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    app = create_app(config)
    log.info(json.dumps({"event": "engine", "engine": name, "workers": config.workers}))
    server = _DrainingServer(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            limit_concurrency=limit_concurrency,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=int(grace_s),
            log_level="warning",
            access_log=False,
        )
    )
    server.service_state = app.state.service
    server.run()


class _DrainingServer(uvicorn.Server):
    service_state: dict[str, Any]

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.service_state["draining"] = True
        super().handle_exit(sig, frame)
        if sig == signal.SIGTERM:  # uvicorn would raise it again after the drain: exit 0
            self._captured_signals = [s for s in self._captured_signals if s != sig]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
