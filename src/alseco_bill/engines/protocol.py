"""What every print engine does and says it can do: filled bill HTML in, PDF bytes out.

Code outside ``engines/`` never asks which engine it has, only what it can do: an
engine's ``Capabilities`` say how many bills it wants per task, whether it lays many
bills out as one document, which PDF options it writes and whether it keeps a
process (a browser) running.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..errors import BillError

if TYPE_CHECKING:
    from ..bill.model import Bill
    from ..pdf.options import PdfOptions

# A bill is one A4 sheet; the region variant's receipt stub is on the same sheet.
MAX_PAGES = 1
T = TypeVar("T")


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do, known before one is built."""

    # Bills per task of a print run, fixed by the engine (None: the run chooses). An
    # engine that lays a task out as one document puts that document's font subsets
    # into every file, so a fixed size gives the same files on any machine.
    task_size: int | None = None
    prints_parts: bool = False  # lays many bills out as one document
    archive: bool = False  # writes PDF/A-3b with the bill's data (``PdfOptions.archive``)
    tagged: bool = False  # writes tagged PDF (``PdfOptions.tagged``)
    runs_process: bool = False  # keeps a process (a browser) running while it lives


class Engine(Protocol):
    """Filled bill HTML to PDF bytes; one engine instance serves many bills.

    ``ref`` is how messages name the bill (``bill 9786142006``): every error raised or
    returned names it.
    """

    capabilities: Capabilities

    def write(self, html: str, ref: str) -> bytes:
        """The PDF of one bill; raises ``BillError`` subclasses naming ``ref``."""
        ...

    def write_with(self, html: str, ref: str, bill: Bill, options: PdfOptions) -> bytes:
        """The PDF of one bill with ``options`` (an archive copy carries ``bill``'s
        data); only called for the options the capabilities list."""
        ...

    def write_each_with(
        self, bills: Sequence[tuple[str, str, Bill]], options: PdfOptions
    ) -> list[bytes | BillError]:
        """Many bills ``(html, ref, bill)``, one PDF each with ``options`` (or the
        error that kept it out), in order; only called for options the capabilities
        list."""
        ...

    def write_merged(
        self, bills: Sequence[tuple[str, str]]
    ) -> tuple[bytes | None, list[BillError | None]]:
        """Many bills ``(html, ref)`` in one PDF, one page each, in order.

        Returns the PDF (None when no bill could be laid out) and, per bill, None
        if it is in the PDF or the error that kept it out.
        """
        ...

    def write_each(self, bills: Sequence[tuple[str, str]]) -> list[bytes | BillError]:
        """Many bills ``(html, ref)``, one PDF each (or the error that kept it out),
        in order; an engine may lay them out together and split the result."""
        ...

    def close(self) -> None:
        """Release what the engine holds (a browser, caches)."""
        ...


def each_bill(
    bills: Sequence[tuple[str, str]], make: Callable[[str, str], T]
) -> tuple[list[T], list[BillError | None]]:
    """``make(html, ref)`` for every bill; one that raises a ``BillError`` is left
    out and its error kept in its place, and the others go on."""
    made: list[T] = []
    errors: list[BillError | None] = []
    for html, ref in bills:
        try:
            made.append(make(html, ref))
            errors.append(None)
        except BillError as exc:
            errors.append(exc)
    return made, errors
