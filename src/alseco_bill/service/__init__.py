"""Bills on demand: an HTTP render service that lays concurrent requests out together.

``app.create_app`` is the ASGI app (any ASGI server: each of its workers gets a pool);
``server.serve`` runs it with uvicorn, as ``alseco-bill serve`` does.
"""

from .app import ServiceConfig, create_app
from .server import serve

__all__ = ["ServiceConfig", "create_app", "serve"]
