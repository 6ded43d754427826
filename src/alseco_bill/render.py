"""The renderer: a validated ``Bill`` to filled HTML and to PDF bytes.

A ``Renderer`` holds what is costly to build (the Jinja environment, WeasyPrint's
font configuration and image cache) so a batch worker builds it once and reuses
it for every bill.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .checks import text_fields
from .engines import DEFAULT_ENGINE, Engine, make_engine
from .errors import TextOverflowError
from .glyphs import coverage
from .model import Bill
from .templates import make_environment, render_template
from .theme import Theme
from .validation import bill_label, load_bill, parse_bill
from .variants import PLAIN, PdfVariant, write_variant


class Renderer:
    """Renders bills with one theme (template and static folders)."""

    def __init__(
        self,
        theme: Theme | None = None,
        engine: str = DEFAULT_ENGINE,
        variant: PdfVariant = PLAIN,
    ) -> None:
        variant.check(engine)
        self.theme = theme or Theme.create()
        self.env = make_environment(self.theme)
        self.engine_name = engine
        self.variant = variant
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        # Built on first use: validating or filling HTML needs no print engine.
        if self._engine is None:
            self._engine = make_engine(self.engine_name, self.theme)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def parse(self, data: Mapping[str, Any] | str | bytes, source: str | None = None) -> Bill:
        """Validate raw bill data, including that its logos exist in this theme and that
        its font has every character of its text."""
        return parse_bill(
            data, source=source, logo_exists=self.theme.logo_exists, glyphs=coverage(self.theme)
        )

    def load(self, path: Path) -> Bill:
        return load_bill(path, logo_exists=self.theme.logo_exists, glyphs=coverage(self.theme))

    def html(self, bill: Bill) -> str:
        return render_template(self.env, bill, label(bill))

    def pdf(self, bill: Bill, html: str | None = None) -> bytes:
        """The bill's PDF (of this renderer's variant); ``html`` if already filled."""
        html = self.html(bill) if html is None else html
        try:
            if self.variant.plain:
                return self.engine.write(html, label(bill))
            from .engines.weasyprint import WeasyPrintEngine

            # PdfVariant.check let only WeasyPrint through.
            assert isinstance(self.engine, WeasyPrintEngine)
            return write_variant(self.engine.render(html, label(bill)), bill, self.variant)
        except TextOverflowError as exc:
            raise with_fields(exc, bill) from None

    def labels(self, language: str) -> dict[str, str]:
        """The label texts of ``language`` (its ``labels.html``), for text made outside
        the templates, such as bookmarks."""
        module = self.env.get_template(f"{language}/labels.html").module
        labels: dict[str, str] = getattr(module, "labels")  # noqa: B009
        return labels


def with_fields(error: TextOverflowError, bill: Bill) -> TextOverflowError:
    """``error`` naming the fields of ``bill`` that hold the text that overflowed (the
    engine sees only the laid-out text, which may be one line of a longer value)."""
    piece = error.text.strip()
    fields = [path for path, text in text_fields(bill) if piece and piece in text]
    if not fields or error.fields:
        return error
    return TextOverflowError(error.bill, error.text, error.edge, error.by_mm, fields)


def label(bill: Bill) -> str:
    return bill_label({"account": bill.account})
