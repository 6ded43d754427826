"""The print engines a ``Renderer`` can lay bills out with, by name.

WeasyPrint (``weasyprint``) is the default. Chromium (``chromium``) prints the same
HTML with the system browser. Both implement ``protocol.Engine``, state their
``Capabilities`` in the ``registry`` and obey the same fetch rules (only the theme's
files load). Engines are imported lazily, so a run that uses one never imports the
other.
"""

from __future__ import annotations

from .protocol import MAX_PAGES, Capabilities, Engine, each_bill
from .registry import DEFAULT_ENGINE, ENGINES, EngineInfo, engine_for, engine_info, make_engine

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "MAX_PAGES",
    "Capabilities",
    "Engine",
    "EngineInfo",
    "each_bill",
    "engine_for",
    "engine_info",
    "make_engine",
]
