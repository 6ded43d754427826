"""The library's functions: validate bills, fill them, render them, run print runs.

``alseco_bill`` re-exports these. The one-call functions keep a renderer per thread
(per theme and PDF options): building one costs more than a bill, and a renderer may
not be shared between threads (WeasyPrint's font configuration is not thread-safe:
two threads on one corrupt memory), so each thread that calls them gets its own.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .bill.model import Bill
from .engines import DEFAULT_ENGINE, engine_info
from .errors import InvalidBillError, UsageError
from .files import write_atomic
from .limits import DEADLINE
from .pdf.options import PLAIN, PdfOptions
from .pdf.raster import write_pngs
from .render import Renderer
from .runs.run import BatchOptions, BatchSummary, Progress, run_batch
from .runs.worker import Settings
from .theme import Theme

_local = threading.local()


def _renderer(
    theme: Theme | None,
    options: PdfOptions = PLAIN,
    engine: str = DEFAULT_ENGINE,
    deadline: float = DEADLINE,
) -> Renderer:
    """This thread's renderer for ``theme``, ``options``, ``engine`` and ``deadline``, kept."""
    renderers: dict[tuple[Theme | None, PdfOptions, str, float], Renderer]
    renderers = _local.__dict__.setdefault("renderers", {})
    key = (theme, options, engine, deadline)
    if key not in renderers:
        renderers[key] = Renderer(theme, engine=engine, options=options, deadline=deadline)
    return renderers[key]


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
    return _renderer(theme, PdfOptions(archive, tagged)).pdf(bill)


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
    deadline: float = DEADLINE,
) -> list[Path]:
    """Render the bill in ``source`` to ``output`` (PDF, or HTML with ``html``) and,
    with ``png``, its pages as ``<output stem>-N.png``; returns the files written.
    ``engine`` is the print engine, ``weasyprint`` or ``chromium``; ``archive`` writes
    PDF/A-3b with the bill's data inside, ``tagged`` a tagged PDF (WeasyPrint only);
    ``deadline`` the seconds the bill may take to fill, and again to lay out.

    Nothing is written unless the whole bill validates and renders (with ``png``,
    the PDF is written before its pages are turned into images).
    """
    options = PdfOptions(archive, tagged)
    info = engine_info(engine)
    info.check(options)
    if html and not options.plain:
        raise UsageError("--archive and --tagged are PDFs; leave out --html")
    if info.capabilities.runs_process:
        # A browser kept for later calls would outlive the command: it lives for this bill.
        with Renderer(theme, engine=engine, options=options, deadline=deadline) as renderer:
            return _write_bill(renderer, Path(source), Path(output), html, png)
    renderer = _renderer(theme, options, engine, deadline)
    return _write_bill(renderer, Path(source), Path(output), html, png)


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
    engine: str = DEFAULT_ENGINE,
    templates: Path | None = None,
    static: Path | None = None,
    progress: Progress | None = None,
    archive: bool = False,
    tagged: bool = False,
    deadline: float = DEADLINE,
) -> BatchSummary:
    """Render a print run (JSON Lines, or a folder of JSON files) into ``out``.

    Every record ends as a rendered bill or a row of ``out/rejected.jsonl``; running
    the same call again after an interruption finishes what is left. ``archive`` and
    ``tagged`` are as for ``render_file``, one file per bill (not with ``merge``); a
    bill that runs past ``deadline`` is rejected.
    """
    Theme.create(templates, static)  # fail early, here, on a folder that does not exist
    settings = Settings(
        templates=(str(templates.resolve()),) if templates else (),
        static=(str(static.resolve()),) if static else (),
        engine=engine,
        archive=archive,
        tagged=tagged,
        deadline=deadline,
    )
    options = BatchOptions(Path(out), merge, workers, scheduler, settings)
    return run_batch(Path(source), options, progress)
