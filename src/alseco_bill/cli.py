"""The ``alseco-bill`` command line: it parses arguments and calls the library.

Exit codes: 0 done; 1 invalid bill data; 2 usage (bad options, missing files);
3 the bill is valid but could not be rendered (template error, layout overflow,
a refused file or URL, an engine that cannot run here); 4 the visual check found
changed pages (``snapshot check``); 5 the machine failed the run: the disk is full or
an I/O error (the message names the file; free space and run the same command again);
128 + the signal when interrupted (130 SIGINT, 143 SIGTERM, 129 SIGHUP), with one line
saying how far it got, never a traceback.
"""

from __future__ import annotations

import errno
import json
import signal
import sys
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from . import (
    Theme,
    bill_schema,
    check_snapshots,
    compare_engines,
    render_batch,
    render_file,
    sample_bill,
    sample_bills,
    update_snapshots,
    validate_files,
)
from .bill.model import Language, Variant
from .engines import DEFAULT_ENGINE, ENGINES
from .errors import (
    BillError,
    EngineCrashedError,
    EngineUnavailableError,
    Interrupted,
    InvalidBillError,
    UsageError,
)
from .limits import DEADLINE
from .runs.progress import progress_display
from .visual.parity import OUTPUT as COMPARISON_OUTPUT
from .visual.snapshot import GALLERY, REPORT, gallery_cases

app = typer.Typer(
    help="Turn billing data into print-ready ALSECO utility bills (Kazakh/Russian).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
T = TypeVar("T")


class Exit(IntEnum):
    OK = 0
    INVALID = 1
    USAGE = 2
    RENDER_FAILED = 3
    CHANGED = 4
    MACHINE = 5  # a full disk, an I/O error: nothing wrong with the request


# A machine's faults, not the request's: the same command succeeds once they are fixed.
MACHINE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.ENOMEM}


if TYPE_CHECKING:

    class EngineName(StrEnum):
        """The print engines of the registry, as the command line's choices."""

else:  # the registry's engines, not a list of the command line's own
    EngineName = StrEnum("EngineName", {name.upper(): name for name in ENGINES})
DEFAULT = EngineName(DEFAULT_ENGINE)


TemplatesOption = Annotated[
    Path | None,
    typer.Option("--templates", help="A folder of templates that override the packaged ones."),
]
StaticOption = Annotated[
    Path | None,
    typer.Option("--static", help="A folder of static files (logos, fonts) that override ours."),
]
EngineOption = Annotated[
    EngineName, typer.Option("--engine", help="The print engine that lays bills out.")
]
ArchiveOption = Annotated[
    bool,
    typer.Option(
        "--archive", help="Write the archive copy: PDF/A-3b with the bill's data (JSON) inside."
    ),
]
TaggedOption = Annotated[
    bool, typer.Option("--tagged", help="Write a tagged (accessible) PDF for screen readers.")
]
DeadlineOption = Annotated[
    float,
    typer.Option(
        "--deadline",
        min=0.1,
        help="Seconds a bill may take to fill its template, and again to lay out.",
    ),
]
GalleryOption = Annotated[
    Path,
    typer.Option("--gallery", help="The gallery: bills as JSON, baselines/, snapshot.toml."),
]


def _theme(templates: Path | None, static: Path | None) -> Theme:
    return _run(lambda: Theme.create(templates, static))


def _fail(code: Exit, message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


class _Done:
    """How far a command got, for the line an interruption prints."""

    def __init__(self, total: int = 1, what: str = "bills") -> None:
        self.finished, self.total, self.what = 0, total, what

    def progress(self, finished: int, total: int) -> None:
        self.finished, self.total = finished, total


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def _on_signals() -> None:
    """SIGTERM and SIGHUP stop the command as Ctrl-C does (an exception that unwinds
    it, closing browsers and workers), not by ending the process where it stands."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupted)


def _run(action: Callable[[], T], done: _Done | None = None) -> T:
    """Run a library call, turning its errors into a message and an exit code."""
    try:
        return action()
    except (KeyboardInterrupt, Interrupted) as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        done = done or _Done()
        # Nothing more may stop the line from being printed, or the exit.
        for ignored in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(ignored, signal.SIG_IGN)
        typer.echo(
            f"interrupted after {done.finished} of {done.total} {done.what}; "
            "run the same command again to resume",
            err=True,
        )
        raise typer.Exit(128 + signum) from None
    except InvalidBillError as exc:
        _fail(Exit.INVALID, str(exc))
    except (BillError, EngineUnavailableError, EngineCrashedError) as exc:
        _fail(Exit.RENDER_FAILED, str(exc))
    except UsageError as exc:
        _fail(Exit.USAGE, str(exc))
    except BrokenProcessPool:
        _fail(
            Exit.RENDER_FAILED,
            "a worker process died (out of memory?); run the same command again to resume",
        )
    except OSError as exc:  # an output path that is a folder, a full disk, ...
        where = exc.filename if exc.filename is not None else "(no file named)"
        if exc.errno in MACHINE_ERRORS:
            _fail(Exit.MACHINE, f"{where}: {exc.strerror or exc} (then run the same command again)")
        _fail(Exit.USAGE, f"{where}: {exc.strerror or exc}")


@app.command()
def render(
    source: Annotated[Path, typer.Argument(help="A bill as JSON.", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the bill.")],
    html: Annotated[bool, typer.Option("--html", help="Write the filled HTML, not a PDF.")] = False,
    png: Annotated[bool, typer.Option("--png", help="Also write each page as a PNG.")] = False,
    engine: EngineOption = DEFAULT,
    archive: ArchiveOption = False,
    tagged: TaggedOption = False,
    templates: TemplatesOption = None,
    static: StaticOption = None,
    deadline: DeadlineOption = DEADLINE,
) -> None:
    """Render one bill to a PDF (or its HTML)."""
    _on_signals()
    theme = _theme(templates, static)
    written = _run(
        lambda: render_file(
            source,
            output,
            html=html,
            png=png,
            theme=theme,
            engine=engine.value,
            archive=archive,
            tagged=tagged,
            deadline=deadline,
        )
    )
    for path in written:
        typer.echo(f"wrote {path}")


@app.command()
def batch(
    source: Annotated[
        Path, typer.Argument(help="Bills as JSON Lines, or a folder of JSON files.", exists=True)
    ],
    out: Annotated[Path, typer.Option("--out", help="The run's folder (PDFs, manifest).")],
    merge: Annotated[
        int | None,
        typer.Option(min=1, help="Print-shop files of this many bills, in delivery order."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local worker processes (default: all cores).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="A Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    engine: Annotated[EngineName, typer.Option(help="The print engine.")] = DEFAULT,
    archive: ArchiveOption = False,
    tagged: TaggedOption = False,
    templates: TemplatesOption = None,
    static: StaticOption = None,
    deadline: DeadlineOption = DEADLINE,
) -> None:
    """Render a monthly print run; run it again to resume after an interruption."""
    _on_signals()
    done = _Done()

    def track(finished: int, total: int) -> None:
        done.progress(finished, total)
        progress(finished, total)

    with progress_display() as progress:
        summary = _run(
            lambda: render_batch(
                source,
                out,
                merge=merge,
                workers=workers,
                scheduler=scheduler,
                engine=engine.value,
                templates=templates,
                static=static,
                progress=track,
                archive=archive,
                tagged=tagged,
                deadline=deadline,
            ),
            done,
        )
    typer.echo(
        f"{summary.rendered} of {summary.total} bills rendered into {summary.files} files"
        f" in {out}; {summary.rejected} rejected"
        + (f" (see {out / 'rejected.jsonl'})" if summary.rejected else "")
        + (f"; {summary.resumed} were done by an earlier run" if summary.resumed else "")
    )
    if not summary.complete:
        _fail(Exit.RENDER_FAILED, "some records were neither rendered nor rejected")
    if summary.rejected:
        raise typer.Exit(Exit.INVALID)


@app.command()
def validate(
    sources: Annotated[
        list[Path], typer.Argument(help="Bills as JSON files.", exists=True, dir_okay=False)
    ],
    templates: TemplatesOption = None,
    static: StaticOption = None,
) -> None:
    """Validate bills and explain every problem; renders nothing."""
    theme = _theme(templates, static)
    results = _run(lambda: validate_files(sources, theme=theme))
    for path, result in results:
        if isinstance(result, InvalidBillError):
            typer.echo(f"invalid: {result}", err=True)
        else:
            typer.echo(f"ok: {path} (bill {result.account})")
    if any(isinstance(result, InvalidBillError) for _, result in results):
        raise typer.Exit(Exit.INVALID)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the bill data."""
    typer.echo(json.dumps(bill_schema(), ensure_ascii=False, indent=2))


@app.command()
def sample(
    variant: Annotated[Variant, typer.Option(help="city or region.")] = Variant.CITY,
    lang: Annotated[Language, typer.Option(help="kk or ru.")] = Language.RU,
    seed: Annotated[int, typer.Option(help="The same seed gives the same bills.")] = 0,
    count: Annotated[
        int | None,
        typer.Option(min=1, help="Print this many mixed bills as JSON Lines instead of one."),
    ] = None,
) -> None:
    """Print a realistic sample bill (JSON), or many (JSON Lines) with --count."""
    if count is None:
        bill = sample_bill(variant, lang, seed=seed)
        typer.echo(bill.model_dump_json(indent=2, exclude_none=True))
        return
    for bill in sample_bills(count, seed=seed):
        sys.stdout.write(bill.model_dump_json(exclude_none=True) + "\n")


snapshot_app = typer.Typer(
    help="Visual regression: the gallery's bills against their baseline images.",
    no_args_is_help=True,
)
app.add_typer(snapshot_app, name="snapshot")


@snapshot_app.command("check")
def snapshot_check(
    gallery: GalleryOption = GALLERY,
    report: Annotated[
        Path, typer.Option("--report", help="Where a failing check writes its images and report.")
    ] = REPORT,
    templates: TemplatesOption = None,
    static: StaticOption = None,
    engine: EngineOption = DEFAULT,
) -> None:
    """Render the gallery and compare every page with its baseline (each engine has its own)."""
    _on_signals()
    theme = _theme(templates, static)
    done = _Done(len(gallery_cases(gallery)) if gallery.is_dir() else 0, "cases")
    result = _run(lambda: check_snapshots(gallery, report, theme=theme, engine=engine.value), done)
    for case in result.cases:
        if case.passed:
            typer.echo(f"ok       {case.name}")
        elif not case.pages:
            typer.echo(f"FAILED   {case.name}: {case.problem}")
        else:
            problem = f"; {case.problem}" if case.problem else ""
            typer.echo(
                f"CHANGED  {case.name}: {case.differing} pixels ({case.percent:.2f}%) differ, "
                f"budget {case.budget} a page{problem}"
            )
    for path in result.stale:
        typer.echo(f"STALE    {path}: no gallery case renders it")
    unchanged = len(result.cases) - len(result.failures)
    typer.echo(f"{unchanged} of {len(result.cases)} cases unchanged ({result.seconds:.1f} s)")
    if result.report is not None:
        typer.echo(f"report: {result.report}")
    if any(case.render_failed for case in result.cases):
        _fail(Exit.RENDER_FAILED, "some cases could not be rendered (see above)")
    if not result.passed:
        _fail(Exit.CHANGED, "the layouts changed; if that is intended: alseco-bill snapshot update")


@snapshot_app.command("update")
def snapshot_update(
    gallery: GalleryOption = GALLERY,
    templates: TemplatesOption = None,
    static: StaticOption = None,
    engine: EngineOption = DEFAULT,
) -> None:
    """Accept the current rendering as the baselines; only changed pages are rewritten."""
    _on_signals()
    theme = _theme(templates, static)
    result = _run(lambda: update_snapshots(gallery, theme=theme, engine=engine.value))
    for change in result.written:
        typer.echo(f"{change.status} {change.path}")
    typer.echo(
        f"{len(result.written)} baseline(s) written or removed, {len(result.changes)} pages in all"
    )
    for case, error in result.errors:
        typer.echo(f"error: {case} keeps its old baselines: {error}", err=True)
    if result.errors:
        raise typer.Exit(Exit.RENDER_FAILED)


@app.command("compare-engines")
def compare_engines_command(
    sources: Annotated[
        list[Path], typer.Argument(help="Bills as JSON files.", exists=True, dir_okay=False)
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where the pictures and the report go.")
    ] = COMPARISON_OUTPUT,
    dpi: Annotated[int, typer.Option(min=20, max=300, help="Rasterising resolution.")] = 72,
    templates: TemplatesOption = None,
    static: StaticOption = None,
) -> None:
    """Render bills with WeasyPrint and Chromium; show per page how far they differ."""
    theme = _theme(templates, static)
    results = _run(lambda: compare_engines(sources, output, dpi=dpi, theme=theme))
    for result in results:
        for page in result.pages:
            typer.echo(
                f"{result.source} page {page.page}: {page.percent:.2f}% of pixels differ "
                f"({page.differing} of {page.total}); diff {page.diff}"
            )
        typer.echo(
            f"{result.source}: WeasyPrint {result.weasyprint_seconds * 1000:.0f} ms, "
            f"Chromium {result.chromium_seconds * 1000:.0f} ms"
        )
        if result.weasyprint_pages != result.chromium_pages:
            typer.echo(
                f"{result.source}: {result.weasyprint_pages} page(s) from WeasyPrint, "
                f"{result.chromium_pages} from Chromium"
            )
    typer.echo(f"report: {output / 'index.html'}")


@app.command()
def preview(
    templates: TemplatesOption = None,
    static: StaticOption = None,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            help="A bill (JSON) to preview, listed first; repeat for more.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the preview in a web browser.")
    ] = False,
    engine: EngineOption = DEFAULT,
) -> None:
    """Serve a live preview of the bills that re-renders whenever a file is saved."""
    # Imported here: the web server is not needed by the other commands.
    from .preview import serve

    theme = _theme(templates, static)
    try:
        serve(
            theme,
            data=data or [],
            host=host,
            port=port,
            open_browser=open_browser,
            engine=engine.value,
        )
    except OSError as exc:
        _fail(Exit.USAGE, f"cannot listen on {host}:{port}: {exc.strerror or exc}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    engine: Annotated[
        EngineName | None,
        typer.Option("--engine", help="The print engine (default: chromium where installed)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Render worker processes (default: one per core).")
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(help="Bearer tokens, one per line (name:token).", dir_okay=False),
    ] = None,
    templates: TemplatesOption = None,
    static: StaticOption = None,
    coalesce: Annotated[
        bool,
        typer.Option(
            "--coalesce/--no-coalesce", help="Lay concurrent requests out as one document."
        ),
    ] = True,
    queue: Annotated[
        int,
        typer.Option(
            "--queue", min=1, help="Bills that may wait for a worker; one more is answered 429."
        ),
    ] = 64,
    deadline: Annotated[
        float,
        typer.Option(
            "--deadline",
            min=0.01,
            help="Seconds a request may take from arrival to its PDF (queue included); "
            "past them it is answered 504.",
        ),
    ] = 30.0,
) -> None:
    """Serve bills over HTTP (PDF, PNG, HTML, validation) until SIGTERM."""
    from .service import serve as serve_bills

    _theme(templates, static)
    _run(
        lambda: serve_bills(
            host,
            port,
            engine=engine.value if engine else None,
            workers=workers,
            token_file=token_file,
            templates=templates,
            static=static,
            coalesce=coalesce,
            max_queue=queue,
            deadline_s=deadline,
        )
    )
