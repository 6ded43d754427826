"""The print engines a ``Renderer`` can lay bills out with, by name.

WeasyPrint (``weasyprint``) is the default. Chromium (``chromium``) prints the same
HTML with the system browser. Both implement ``protocol.Engine`` and obey the same
fetch rules (``fetch``: only the theme's files load). Engines are imported lazily,
so a run that uses one never imports the other.
"""

from __future__ import annotations

from ..theme import Theme
from .protocol import MAX_PAGES, Engine, each_bill

DEFAULT_ENGINE = "weasyprint"
ENGINES = ("weasyprint", "chromium")

__all__ = ["DEFAULT_ENGINE", "ENGINES", "MAX_PAGES", "Engine", "each_bill", "make_engine"]


def make_engine(name: str, theme: Theme) -> Engine:
    if name == "weasyprint":
        from .weasyprint import WeasyPrintEngine

        return WeasyPrintEngine(theme)
    if name == "chromium":
        from .chromium import ChromiumEngine

        return ChromiumEngine(theme)
    raise ValueError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
