"""The renderer: a validated ``Bill`` to filled HTML and to PDF bytes.

A ``Renderer`` holds what is costly to build (the Jinja environment, the engine with
its fonts and image cache, or its browser) so a batch worker builds it once and
reuses it for every bill. One renderer belongs to one thread: neither WeasyPrint's
font configuration nor a Playwright page may be shared between threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .bill.checks import text_fields
from .bill.glyphs import coverage
from .bill.model import Bill
from .bill.validation import bill_ref, validate_data, validate_file
from .engines import DEFAULT_ENGINE, Engine, EngineInfo, engine_info
from .errors import TemplateLimitError, TextOverflowError
from .filling.templates import make_environment, render_template, template_name
from .limits import DEADLINE, Overtime, within
from .pdf.options import PLAIN, PdfOptions
from .theme import Theme


class Renderer:
    """Renders bills with one theme (template and static folders), one engine and
    one kind of PDF (``options``: the print file, or archive and tagged copies).
    ``deadline``: the seconds a bill may take to fill, and again to lay out."""

    def __init__(
        self,
        theme: Theme | None = None,
        engine: str = DEFAULT_ENGINE,
        options: PdfOptions = PLAIN,
        deadline: float = DEADLINE,
    ) -> None:
        self.engine_info: EngineInfo = engine_info(engine)
        self.engine_info.check(options)
        self.theme = theme or Theme.create()
        self.env = make_environment(self.theme)
        self.options = options
        self.deadline = deadline
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        # Built on first use: validating or filling HTML needs no print engine.
        if self._engine is None:
            self._engine = self.engine_info.create(self.theme)
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
        return validate_data(
            data, source=source, logo_exists=self.theme.logo_exists, glyphs=coverage(self.theme)
        )

    def load(self, path: Path) -> Bill:
        return validate_file(path, logo_exists=self.theme.logo_exists, glyphs=coverage(self.theme))

    def html(self, bill: Bill) -> str:
        return render_template(self.env, bill, ref_of(bill), self.deadline)

    def pdf(self, bill: Bill, html: str | None = None) -> bytes:
        """The bill's PDF (with this renderer's options); ``html`` if already filled."""
        html = self.html(bill) if html is None else html
        try:
            with self.laying_out(1):
                if self.options.plain:
                    return self.engine.write(html, ref_of(bill))
                return self.engine.write_with(html, ref_of(bill), bill, self.options)
        except TextOverflowError as exc:
            raise with_fields(exc, bill) from None
        except Overtime:
            raise self.overtime(bill) from None

    def laying_out(self, bills: int) -> within:
        """The deadline for laying ``bills`` out (``with``; it raises ``Overtime``).
        Building the engine (fonts, a browser) is not part of it.

        An engine that runs a browser is not interrupted (that would break its
        conversation with the browser): the browser's own time-outs bound it.
        """
        if self.engine_info.capabilities.runs_process:
            return within(None)
        self.engine  # noqa: B018 - built now, outside the deadline
        return within(self.deadline * bills)

    def overtime(self, bill: Bill) -> TemplateLimitError:
        """The error of ``bill`` whose layout ran past the deadline."""
        return TemplateLimitError(
            ref_of(bill),
            template_name(bill),
            None,
            f"laying the bill out took longer than {self.deadline:g} s",
        )

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


def ref_of(bill: Bill) -> str:
    """How messages name ``bill`` (``bill 9786142006``)."""
    return bill_ref({"account": bill.account})
