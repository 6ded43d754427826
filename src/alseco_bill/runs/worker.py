"""What a batch worker does with a chunk of bills: validate, fill, lay out, write.

This runs in worker processes, local or on Dask workers. Each worker thread builds
its ``Renderer`` (Jinja environment, fonts, image cache, browser) once and keeps it
for every chunk it is given; that reuse is much of what makes a print run fast. Per
thread, not per process: a Dask worker may run several tasks at once in threads,
and neither WeasyPrint's font configuration nor a Playwright page may be shared.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..bill.model import Bill
from ..engines import DEFAULT_ENGINE
from ..errors import (
    BillError,
    EngineCrashedError,
    FetchRefusedError,
    InvalidBillError,
    Problem,
    TemplateLimitError,
    TextOverflowError,
)
from ..limits import DEADLINE, Overtime
from ..pdf.options import PdfOptions
from ..pdf.outline import bookmark
from ..render import Renderer, ref_of, with_fields
from ..theme import Theme
from .records import account_of, peek


@dataclass(frozen=True)
class Settings:
    """How to render; small and picklable, so it can travel to any worker."""

    templates: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    engine: str = DEFAULT_ENGINE
    archive: bool = False  # PDF/A-3b with the bill's data inside (pdf/options.py)
    tagged: bool = False
    deadline: float = DEADLINE  # seconds a bill may take to fill, and to lay out


@dataclass
class Rejection:
    number: int
    account: str | None
    problems: list[Problem]
    limit: TemplateLimitError | None = None  # its template ran past a bound


@dataclass
class ChunkResult:
    """The outcome of one chunk. ``pdfs`` are per bill; ``merged`` is one file whose
    page ``i + 1`` is ``rendered[i]`` (every bill is one page)."""

    rendered: list[tuple[int, str]] = field(default_factory=list)  # (number, account)
    pdfs: list[bytes] = field(default_factory=list)
    merged: bytes | None = None
    rejected: list[Rejection] = field(default_factory=list)
    # Record number → the bill's bookmark in a merged file (account, short address).
    bookmarks: dict[int, str] = field(default_factory=dict)


_local = threading.local()


def renderer_for(settings: Settings) -> Renderer:
    """This thread's renderer for ``settings``, built on first use."""
    renderers: dict[Settings, Renderer] = _local.__dict__.setdefault("renderers", {})
    if settings not in renderers:
        theme = Theme.create(
            [Path(p) for p in settings.templates], [Path(p) for p in settings.static]
        )
        options = PdfOptions(settings.archive, settings.tagged)
        renderers[settings] = Renderer(
            theme, engine=settings.engine, options=options, deadline=settings.deadline
        )
    return renderers[settings]


@dataclass(frozen=True)
class Filled:
    """A valid bill of a chunk, filled into its template."""

    number: int  # the record's number in the input
    bill: Bill
    html: str

    @property
    def job(self) -> tuple[str, str]:
        """What an engine is given: the HTML and how messages name the bill."""
        return self.html, ref_of(self.bill)


def render_chunk(settings: Settings, items: list[tuple[int, str]], merge: bool) -> ChunkResult:
    """``render_part``, and once again from the start with a new engine (a new browser)
    when the engine's process died under it; a second death in a row stops the run,
    naming what died and the records of the part. Either way no bill of a part is
    printed from another attempt: the result is made again whole."""
    try:
        return render_part(settings, items, merge)
    except EngineCrashedError:
        renderer_for(settings).close()  # the next engine starts its own browser
    try:
        return render_part(settings, items, merge)
    except EngineCrashedError as again:
        renderer_for(settings).close()
        raise EngineCrashedError(
            f"{again}, twice in a row on the same part (records {_ranges(items)} of the "
            "input); run the same command again to resume"
        ) from None


def _ranges(items: list[tuple[int, str]]) -> str:
    """Record numbers as ranges: ``51-100, 104``."""
    numbers = sorted(number for number, _ in items)
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def render_part(settings: Settings, items: list[tuple[int, str]], merge: bool) -> ChunkResult:
    """Render ``items`` (record number, raw JSON); with ``merge``, into one PDF.

    A bill that is invalid or does not fit its sheet is rejected with its reasons, and
    so is one whose template runs past its bounds (time, size: ``TemplateLimitError``).
    Another template error or a refused file is not the bill's fault (templates are
    the designers', and data values cannot name files): it stops the run.
    """
    renderer = renderer_for(settings)
    result = ChunkResult()
    filled: list[Filled] = []
    for number, text in items:
        try:
            bill = renderer.parse(text)
        except InvalidBillError as exc:
            account = account_of(peek(text))
            result.rejected.append(Rejection(number, account, list(exc.problems)))
            continue
        try:
            filled.append(Filled(number, bill, renderer.html(bill)))
        except TemplateLimitError as exc:
            _record(result, number, bill, exc)
    try:
        with renderer.laying_out(len(filled)):
            _lay_out(renderer, filled, merge, result)
    except Overtime:
        # One bill is slow to lay out, or several: each alone finds out which.
        result = ChunkResult(rejected=result.rejected)
        kept: list[Filled] = []
        for f in filled:
            try:
                with renderer.laying_out(1):
                    _lay_out(renderer, [f], merge, ChunkResult())
                kept.append(f)
            except Overtime:
                _record(result, f.number, f.bill, renderer.overtime(f.bill))
        _lay_out(renderer, kept, merge, result)
    return result


def _lay_out(renderer: Renderer, filled: list[Filled], merge: bool, result: ChunkResult) -> None:
    if merge:
        result.bookmarks = {
            f.number: bookmark(f.bill, renderer.labels(f.bill.language)) for f in filled
        }
        merged, errors = renderer.engine.write_merged([f.job for f in filled])
        result.merged = merged
        for f, error in zip(filled, errors, strict=True):
            _record(result, f.number, f.bill, error)
        return
    if renderer.options.plain:
        outcomes = renderer.engine.write_each([f.job for f in filled])
    else:  # archive or tagged: each file carries its own bill's data
        outcomes = renderer.engine.write_each_with(
            [(*f.job, f.bill) for f in filled], renderer.options
        )
    for f, outcome in zip(filled, outcomes, strict=True):
        if isinstance(outcome, BillError):
            _record(result, f.number, f.bill, outcome)
        else:
            result.pdfs.append(outcome)
            _record(result, f.number, f.bill, None)


def _record(result: ChunkResult, number: int, bill: Bill, error: BillError | None) -> None:
    if error is None:
        result.rendered.append((number, bill.account))
    elif isinstance(error, FetchRefusedError):
        raise error
    elif isinstance(error, TextOverflowError):
        # Named by the fields that hold the text, as render and validate name them.
        error = with_fields(error, bill)
        paths = error.fields or ("",)
        problems = [Problem(path, error.message) for path in paths]
        result.rejected.append(Rejection(number, bill.account, problems))
    elif isinstance(error, TemplateLimitError):
        problem = Problem("", error.message)
        result.rejected.append(Rejection(number, bill.account, [problem], error))
    else:
        result.rejected.append(Rejection(number, bill.account, [Problem("", error.message)]))
