"""What a batch worker does with a chunk of bills: validate, fill, lay out, write.

This runs in worker processes, local or on Dask workers. Each process builds its
``Renderer`` (Jinja environment, fonts, image cache, browser) once and keeps it for
every chunk it is given; that reuse is most of what makes a print run fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import BillError, InvalidBillError, Problem, TemplateError
from .render import Renderer, label
from .theme import Theme


@dataclass(frozen=True)
class Settings:
    """How to render; small and picklable, so it can travel to any worker."""

    templates: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    engine: str = "weasyprint"


@dataclass
class Rejection:
    number: int
    account: str | None
    problems: list[Problem]


@dataclass
class ChunkResult:
    """The outcome of one chunk. ``pdfs`` are per bill; ``merged`` is one file whose
    page ``i + 1`` is ``rendered[i]`` (both bills on one page each)."""

    rendered: list[tuple[int, str]] = field(default_factory=list)  # (number, account)
    pdfs: list[bytes] = field(default_factory=list)
    merged: bytes | None = None
    rejected: list[Rejection] = field(default_factory=list)


_renderers: dict[Settings, Renderer] = {}


def renderer_for(settings: Settings) -> Renderer:
    """This process's renderer for ``settings``, built on first use."""
    if settings not in _renderers:
        theme = Theme.create(
            [Path(p) for p in settings.templates], [Path(p) for p in settings.static]
        )
        _renderers[settings] = Renderer(theme, engine=settings.engine)
    return _renderers[settings]


def render_chunk(settings: Settings, items: list[tuple[int, str]], merge: bool) -> ChunkResult:
    """Render ``items`` (record number, raw JSON); with ``merge``, into one PDF.

    A bill that is invalid or does not fit its sheet is rejected with its reasons;
    a template error is not the bill's fault, so it stops the run.
    """
    renderer = renderer_for(settings)
    result = ChunkResult()
    filled: list[tuple[int, str, str, str]] = []  # number, account, html, label
    for number, text in items:
        try:
            bill = renderer.parse(text)
            filled.append((number, bill.account, renderer.html(bill), label(bill)))
        except InvalidBillError as exc:
            result.rejected.append(Rejection(number, _account(exc.bill), list(exc.problems)))
    if merge:
        merged, errors = renderer.engine.write_merged([(html, name) for _, _, html, name in filled])
        result.merged = merged
        for (number, account, _, _), error in zip(filled, errors, strict=True):
            _record(result, number, account, error)
        return result
    for number, account, html, name in filled:
        try:
            result.pdfs.append(renderer.engine.write(html, name))
            _record(result, number, account, None)
        except TemplateError:
            raise
        except BillError as exc:
            _record(result, number, account, exc)
    return result


def _record(result: ChunkResult, number: int, account: str, error: BillError | None) -> None:
    if error is None:
        result.rendered.append((number, account))
    elif isinstance(error, TemplateError):
        raise error
    else:
        result.rejected.append(Rejection(number, account, [Problem("", error.message)]))


def _account(bill_label: str) -> str | None:
    # Labels read "bill 1234567890 (source)" when the data had an account.
    parts = bill_label.split()
    return parts[1] if len(parts) > 1 and parts[1].isdigit() else None
