"""The exceptions alseco-bill raises, independent of the command line.

    AlsecoBillError
    ├── BillError             one bill could not be done (names the bill)
    │   ├── InvalidBillError      its data is wrong (every field path)
    │   ├── TemplateError         a template is wrong (file, line)
    │   │   └── TemplateLimitError    it ran past a bound (time, size, recursion)
    │   ├── LayoutOverflowError   it does not fit its sheet
    │   ├── TextOverflowError     a text runs past its column or the page
    │   ├── FetchRefusedError     a file or URL rendering may not read
    │   └── EngineError           the print engine failed on it
    ├── UsageError            the request cannot be carried out as asked
    │   ├── RunMismatchError      an output folder holds another run
    │   ├── RunFolderBusyError    another run is using the output folder
    │   └── GalleryError          the visual check's gallery is unusable
    ├── EngineUnavailableError  an engine cannot run here (names what to install)
    └── EngineCrashedError    the engine's process (a browser) died under a part

``Interrupted`` is apart: a signal (SIGTERM, SIGHUP) asked the process to stop, and
like ``KeyboardInterrupt`` (SIGINT) it is no ``Exception``, so no ``except Exception``
swallows it on its way out.

Every error says what it is about, so that an operator reading a batch log or a
designer reading the preview knows where to look without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one bill: where (a field path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(bill)'}: {self.message}"


class AlsecoBillError(Exception):
    """Base class of everything alseco-bill raises on purpose."""


class UsageError(AlsecoBillError):
    """Bad options or paths: nothing was wrong with any bill."""


class RunMismatchError(UsageError):
    """The output folder holds a run made from other input or options."""


class RunFolderBusyError(UsageError):
    """Another print run (a live process) holds the output folder's lock."""


class BillError(AlsecoBillError):
    """Base class: something about one bill could not be done."""

    def __init__(self, bill: str, message: str) -> None:
        super().__init__(f"{bill}: {message}")
        self.bill = bill
        self.message = message
        self._init_args: tuple[object, ...] = (bill, message)

    def __reduce__(self) -> tuple[type[BillError], tuple[object, ...]]:
        # Errors cross process boundaries in batch runs: rebuild them from the
        # arguments they were made with, not from the formatted message.
        return type(self), self._init_args


class InvalidBillError(BillError):
    """The bill data is not valid; ``problems`` lists every field that is wrong."""

    def __init__(self, bill: str, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        plural = "s" if count != 1 else ""
        super().__init__(bill, f"{count} problem{plural} in the bill data:\n{lines}")
        self._init_args = (bill, self.problems)


class TemplateError(BillError):
    """A template could not be loaded or rendered (syntax, undefined variable, ...)."""

    def __init__(self, bill: str, template: str | None, line: int | None, message: str) -> None:
        self.template = template
        self.line = line
        self.reason = message
        where = template or "<template>"
        if line is not None:
            where += f", line {line}"
        super().__init__(bill, f"template error in {where}: {message}")
        self._init_args = (bill, template, line, message)


class TemplateLimitError(TemplateError):
    """A bill's template ran past a bound: its deadline for filling or layout, the
    size a filled bill may have, or the depth of macro calls. Such a template would
    loop for ever or fill the memory; it fails this bill, not the machine."""


class LayoutOverflowError(BillError):
    """The bill does not fit the sheet(s) its variant allows."""

    def __init__(self, bill: str, pages: int, allowed: int) -> None:
        self.pages = pages
        self.allowed = allowed
        super().__init__(
            bill,
            f"the bill lays out on {pages} pages but must fit {allowed} A4 sheet; "
            "shorten the notices or service lines, or split the bill",
        )
        self._init_args = (bill, pages, allowed)


class TextOverflowError(BillError):
    """A piece of text would be printed past its column or the page's edge, so part of
    it would be missing or unreadable on the bill (a word too long to wrap)."""

    def __init__(
        self, bill: str, text: str, edge: str, by_mm: float, fields: Sequence[str] = ()
    ) -> None:
        self.text = text
        self.edge = edge
        self.by_mm = by_mm
        self.fields = tuple(fields)  # the bill's fields that hold the text, when known
        shown = text if len(text) <= 60 else text[:57] + "..."
        where = f" ({', '.join(self.fields)})" if self.fields else ""
        super().__init__(
            bill,
            f"the text {shown!r}{where} runs {by_mm:.1f} mm past {edge}, so part of it would "
            "not be printed; shorten it or give it spaces where it may break",
        )
        self._init_args = (bill, text, edge, by_mm, self.fields)


class FetchRefusedError(BillError):
    """A template or data value asked to load a file or URL outside the allowed folders."""

    def __init__(self, bill: str, url: str, reason: str | None = None) -> None:
        self.url = url
        self.reason = reason or "only files under the template and static folders"
        super().__init__(bill, f"refused to load {url!r}: {self.reason}")
        self._init_args = (bill, url, reason)


class EngineError(BillError):
    """The print engine failed on a bill (a browser crash or time-out, for example)."""


class EngineUnavailableError(AlsecoBillError):
    """A rendering engine cannot run here; the message names what to install."""


class EngineCrashedError(AlsecoBillError):
    """The print engine's process (the browser, or one of its renderers) died while it
    laid bills out: no bill's fault. A print run replaces the browser and prints the
    part again; ``render`` reports it."""


class GalleryError(UsageError):
    """The visual check's gallery folder or its settings (``snapshot.toml``) are unusable."""


class Interrupted(BaseException):
    """The process was asked to stop by signal ``signum`` (SIGTERM, SIGHUP)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum
