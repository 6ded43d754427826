"""alseco-bill: typed billing data to print-ready ALSECO utility bills.

The public API: validate bill data, fill the Kazakh or Russian template of its
variant (Almaty city or region), and lay it out as an A4 PDF with WeasyPrint.

    >>> from alseco_bill import load_bill, render_pdf
    >>> pdf = render_pdf(load_bill("examples/city-ru.json"))
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .batch import BatchOptions, BatchSummary, Progress, run_batch
from .engines import DEFAULT_ENGINE
from .errors import (
    BillError,
    EngineUnavailableError,
    FetchRefusedError,
    GalleryError,
    InvalidBillError,
    LayoutOverflowError,
    Problem,
    TemplateError,
    TextOverflowError,
    UsageError,
)
from .files import write_atomic
from .model import Bill, Language, Variant, bill_schema
from .parity import EngineParity, compare_engines
from .raster import write_pngs
from .render import Renderer
from .sample import sample_bill, sample_bills
from .snapshot import SnapshotCheck, SnapshotUpdate, check_snapshots, update_snapshots
from .theme import Theme
from .variants import PLAIN, PdfVariant
from .worker import Settings

__all__ = [
    "BatchSummary",
    "Bill",
    "BillError",
    "EngineParity",
    "EngineUnavailableError",
    "FetchRefusedError",
    "GalleryError",
    "InvalidBillError",
    "Language",
    "LayoutOverflowError",
    "PdfVariant",
    "Problem",
    "Renderer",
    "SnapshotCheck",
    "SnapshotUpdate",
    "TemplateError",
    "TextOverflowError",
    "Theme",
    "Variant",
    "bill_schema",
    "check_snapshots",
    "compare_engines",
    "load_bill",
    "parse_bill",
    "render_batch",
    "render_file",
    "render_html",
    "render_pdf",
    "sample_bill",
    "sample_bills",
    "update_snapshots",
    "validate_files",
]

_renderers: dict[tuple[Theme | None, PdfVariant], Renderer] = {}


def _renderer(theme: Theme | None, variant: PdfVariant = PLAIN) -> Renderer:
    """One WeasyPrint renderer per theme and variant, kept: building one costs more
    than a bill."""
    if (theme, variant) not in _renderers:
        _renderers[theme, variant] = Renderer(theme, variant=variant)
    return _renderers[theme, variant]


def parse_bill(
    data: Mapping[str, Any] | str | bytes, *, source: str | None = None, theme: Theme | None = None
) -> Bill:
    """Validate a bill given as a mapping or JSON text; raises ``InvalidBillError``."""
    return _renderer(theme).parse(data, source)


def load_bill(path: str | Path, *, theme: Theme | None = None) -> Bill:
    """Read and validate a bill from a JSON file; raises ``InvalidBillError``."""
    return _renderer(theme).load(Path(path))


def render_html(bill: Bill, *, theme: Theme | None = None) -> str:
    """The bill's filled HTML; raises ``TemplateError``."""
    return _renderer(theme).html(bill)


def render_pdf(
    bill: Bill, *, theme: Theme | None = None, archive: bool = False, tagged: bool = False
) -> bytes:
    """The bill as PDF bytes; raises ``TemplateError``, ``LayoutOverflowError``,
    ``TextOverflowError``, ``FetchRefusedError``. ``archive``: PDF/A-3b with the bill's
    JSON inside; ``tagged``: a tagged (accessible) PDF."""
    return _renderer(theme, PdfVariant(archive, tagged)).pdf(bill)


def render_file(
    source: str | Path,
    output: str | Path,
    *,
    html: bool = False,
    png: bool = False,
    theme: Theme | None = None,
    engine: str = DEFAULT_ENGINE,
    archive: bool = False,
    tagged: bool = False,
) -> list[Path]:
    """Render the bill in ``source`` to ``output`` (PDF, or HTML with ``html``) and,
    with ``png``, its pages as ``<output stem>-N.png``; returns the files written.
    ``engine`` is the print engine, ``weasyprint`` or ``chromium``; ``archive`` writes
    PDF/A-3b with the bill's data inside, ``tagged`` a tagged PDF (WeasyPrint only).

    Nothing is written unless the whole bill validates and renders (with ``png``,
    the PDF is written before its pages are turned into images).
    """
    variant = PdfVariant(archive, tagged)
    variant.check(engine)
    if html and not variant.plain:
        raise UsageError("--archive and --tagged are PDFs; leave out --html")
    if engine != DEFAULT_ENGINE:
        # Another engine may hold a browser: it lives for this one bill.
        with Renderer(theme, engine=engine) as renderer:
            return _write_bill(renderer, Path(source), Path(output), html, png)
    return _write_bill(_renderer(theme, variant), Path(source), Path(output), html, png)


def _write_bill(
    renderer: Renderer, source: Path, output: Path, html: bool, png: bool
) -> list[Path]:
    bill = renderer.load(source)
    if html:
        write_atomic(output, renderer.html(bill).encode())
        return [output]
    pdf = renderer.pdf(bill)
    write_atomic(output, pdf)
    return [output, *(write_pngs(pdf, output.with_suffix("")) if png else [])]


def validate_files(
    sources: list[Path], *, theme: Theme | None = None
) -> list[tuple[Path, Bill | InvalidBillError]]:
    """Validate each file; pairs each path with its bill or with everything wrong in it."""
    renderer = _renderer(theme)
    results: list[tuple[Path, Bill | InvalidBillError]] = []
    for source in sources:
        try:
            results.append((source, renderer.load(source)))
        except InvalidBillError as exc:
            results.append((source, exc))
    return results


def render_batch(
    source: str | Path,
    out: str | Path,
    *,
    merge: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    engine: str = "weasyprint",
    templates: Path | None = None,
    static: Path | None = None,
    progress: Progress | None = None,
    archive: bool = False,
    tagged: bool = False,
) -> BatchSummary:
    """Render a print run (JSON Lines, or a folder of JSON files) into ``out``.

    Every record ends as a rendered bill or a row of ``out/rejected.jsonl``; running
    the same call again after an interruption finishes what is left. ``archive`` and
    ``tagged`` are as for ``render_file``, one file per bill (not with ``merge``).
    """
    Theme.create(templates, static)  # fail early, here, on a folder that does not exist
    settings = Settings(
        templates=(str(templates.resolve()),) if templates else (),
        static=(str(static.resolve()),) if static else (),
        engine=engine,
        archive=archive,
        tagged=tagged,
    )
    options = BatchOptions(Path(out), merge, workers, scheduler, settings)
    return run_batch(Path(source), options, progress)
