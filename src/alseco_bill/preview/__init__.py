"""A live preview for template designers: every bill as printed and as HTML, refreshed
in the open page whenever a template, stylesheet, logo or bill file is saved.

    alseco-bill preview --templates my-templates/ --data my-bill.json

``serve`` runs it until interrupted; ``create_app`` and ``running`` are for embedding
it and for driving it from tests.
"""

from __future__ import annotations

from .app import create_app
from .server import running, serve

__all__ = ["create_app", "running", "serve"]
