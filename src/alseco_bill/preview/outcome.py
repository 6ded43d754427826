"""What rendering one bill gives the preview: its printed pages and HTML, or a failure.

Every way a bill can fail (bad data, a template error, an overflowing layout, a
refused file, a crash of the engine) becomes a ``Failure`` naming the file and line
to look at, so the preview shows it and keeps running.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import jinja2

from ..bill.model import Bill
from ..bill.sample import sample_bill
from ..errors import (
    FetchRefusedError,
    InvalidBillError,
    LayoutOverflowError,
    Problem,
    TemplateError,
    TextOverflowError,
)
from ..filling.templates import make_environment, render_template, template_name
from ..pdf.raster import png_bytes, rasterize
from ..render import Renderer, ref_of, with_fields
from ..theme import Theme
from .catalog import Entry

log = logging.getLogger(__name__)

# Where the preview app serves the theme's static files (see app.py).
STATIC_PREFIX = "/static/"


@dataclass(frozen=True)
class Failure:
    """Why a bill could not be shown: the kind, where to look, and what is wrong."""

    kind: str
    message: str
    file: str | None = None
    line: int | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The PNG of each printed page, the browser's HTML, and the failure if any.

    A bill that overflows its sheet still has its HTML, which shows what overflows.
    """

    pages: tuple[bytes, ...] = ()
    html: str | None = None
    failure: Failure | None = None


def browser_environment(theme: Theme) -> jinja2.Environment:
    """The bill templates with static files served by the preview, not as ``file:`` URLs:
    a page loaded over HTTP may not load ``file:`` URLs."""
    env = make_environment(theme)
    env.globals["static_url"] = lambda relative: STATIC_PREFIX + quote(relative)
    return env


def render_entry(
    entry: Entry, renderer: Renderer, browser_env: jinja2.Environment, dpi: int
) -> Outcome:
    """Render one bill as the print engine and as a browser would show it."""
    html: str | None = None
    template: str | None = None
    bill: Bill | None = None
    try:
        bill = load_entry(entry, renderer)
        name, template = ref_of(bill), template_name(bill)
        printed = renderer.html(bill)
        html = render_template(browser_env, bill, name)
        pdf = renderer.engine.write(printed, name)
        return Outcome(
            pages=tuple(png_bytes(image, fast=True) for image in rasterize(pdf, dpi)), html=html
        )
    except InvalidBillError as exc:
        problem_file = str(entry.path) if entry.path else f"sample {entry.group}"
        return Outcome(failure=Failure("data", exc.message, problem_file, None, exc.problems))
    except TemplateError as exc:
        where = _template_file(renderer.theme, exc.template)
        return Outcome(failure=Failure("template", _reason(exc), where, exc.line))
    except (LayoutOverflowError, TextOverflowError) as exc:
        where = _template_file(renderer.theme, template)
        if isinstance(exc, TextOverflowError) and bill is not None:
            exc = with_fields(exc, bill)
        return Outcome(html=html, failure=Failure("layout", exc.message, where))
    except FetchRefusedError as exc:
        return Outcome(html=html, failure=Failure("file", exc.message))
    except Exception as exc:
        # A designer's half-saved file can make anything fail; the server must live on.
        log.exception("rendering %s failed", entry.id)
        return Outcome(html=html, failure=Failure("error", repr(exc)))


def load_entry(entry: Entry, renderer: Renderer) -> Bill:
    if entry.path is not None:
        return renderer.load(entry.path)
    # Only samples have no file, and every sample has a variant and a language.
    assert entry.variant is not None
    assert entry.language is not None
    sample = sample_bill(entry.variant, entry.language)
    # Validated again against this theme, whose logos a designer may have changed.
    source = f"sample {entry.variant}/{entry.language}"
    return renderer.parse(sample.model_dump_json(exclude_none=True), source=source)


def _template_file(theme: Theme, name: str | None) -> str | None:
    """The file a template name was loaded from: the first folder that has it."""
    if name is None or Path(name).is_absolute():
        return name
    for folder in theme.template_dirs:
        if (folder / name).is_file():
            return str(folder / name)
    return name


def _reason(exc: TemplateError) -> str:
    # The message starts with the template and line, which the page shows on their own.
    prefix, _, reason = exc.message.partition(": ")
    return reason if prefix.startswith("template error in ") and reason else exc.message
