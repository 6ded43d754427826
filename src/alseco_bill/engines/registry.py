"""The engines by name, with what each can do, known without importing one.

The command line's engine choice, a print run's task size and the worker processes'
preloaded modules all come from here: adding an engine is one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from ..errors import UsageError
from .protocol import Capabilities

if TYPE_CHECKING:
    from ..pdf.options import PdfOptions
    from ..theme import Theme
    from .protocol import Engine


@dataclass(frozen=True)
class EngineInfo:
    name: str
    module: str  # imported on first use, so a run that uses one never imports another
    factory: str  # the engine class in ``module``
    capabilities: Capabilities
    baselines: str  # the visual check's folder in the gallery: engines differ by pixels
    # What its engines import on first use, imported once by a run's forkserver for
    # all its workers instead of by each (WeasyPrint 0.45 s of CPU, Playwright 0.12).
    libraries: tuple[str, ...] = ()

    def check(self, options: PdfOptions, merge: int | None = None) -> None:
        """Refuse ``options`` this engine cannot write, before anything is rendered."""
        options.check_merge(merge)
        if not self.writes(options):
            raise UsageError(self.refusal(options))

    def refusal(self, options: PdfOptions) -> str:
        writers = [i.name for i in ENGINES.values() if i.writes(options)]
        return (
            f"{options.flags} needs the {' or '.join(writers) or 'no'} engine: the "
            f"{self.name} engine does not write it"
        )

    def writes(self, options: PdfOptions) -> bool:
        return (self.capabilities.archive or not options.archive) and (
            self.capabilities.tagged or not options.tagged
        )

    def version(self) -> str:
        """What writes this engine's PDFs, with its version (``Chromium 156.0.8078.114``):
        the same bills under another version may give other bytes."""
        found: str = import_module(self.module).version()
        return found

    def create(self, theme: Theme) -> Engine:
        engine: Engine = getattr(import_module(self.module), self.factory)(theme)
        return engine


WEASYPRINT = EngineInfo(
    "weasyprint",
    "alseco_bill.engines.weasyprint",
    "WeasyPrintEngine",
    Capabilities(archive=True, tagged=True),
    "baselines",
    ("weasyprint",),
)
CHROMIUM = EngineInfo(
    "chromium",
    "alseco_bill.engines.chromium",
    "ChromiumEngine",
    Capabilities(task_size=50, prints_parts=True, archive=True, tagged=True, runs_process=True),
    "baselines-chromium",
    ("playwright.sync_api",),
)
ENGINES: dict[str, EngineInfo] = {info.name: info for info in (WEASYPRINT, CHROMIUM)}
DEFAULT_ENGINE = WEASYPRINT.name


def engine_info(name: str) -> EngineInfo:
    """The engine called ``name``; a ``UsageError`` naming the known ones otherwise."""
    try:
        return ENGINES[name]
    except KeyError:
        raise UsageError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}") from None


def engine_for(options: PdfOptions, preferred: str) -> str:
    """``preferred`` if it writes ``options``, else the first engine that does."""
    if engine_info(preferred).writes(options):
        return preferred
    return next((i.name for i in ENGINES.values() if i.writes(options)), preferred)


def make_engine(name: str, theme: Theme) -> Engine:
    return engine_info(name).create(theme)
