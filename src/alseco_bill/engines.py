"""The print engines a ``Renderer`` can lay bills out with, by name.

WeasyPrint (``weasyprint``) is the print engine and the default. Other engines
implement the same small protocol and are created lazily, so a run that uses one
never imports the other.
"""

from __future__ import annotations

from typing import Protocol

from .theme import Theme

DEFAULT_ENGINE = "weasyprint"


class Engine(Protocol):
    """Filled bill HTML to PDF bytes; one engine instance serves many bills."""

    def write(self, html: str, label: str) -> bytes:
        """The PDF of one bill; raises ``BillError`` subclasses naming ``label``."""
        ...

    def close(self) -> None:
        """Release what the engine holds (a browser, caches)."""
        ...


def make_engine(name: str, theme: Theme) -> Engine:
    if name == "weasyprint":
        from .pdf import PdfWriter

        return PdfWriter(theme)
    if name == "chromium":
        from .chromium import ChromiumWriter

        return ChromiumWriter(theme)
    raise ValueError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")


ENGINES = ("weasyprint", "chromium")
