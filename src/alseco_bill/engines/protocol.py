"""What every print engine does: filled bill HTML in, PDF bytes out, one sheet a bill."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from ..errors import BillError

# A bill is one A4 sheet; the region variant's receipt stub is on the same sheet.
MAX_PAGES = 1
T = TypeVar("T")


class Engine(Protocol):
    """Filled bill HTML to PDF bytes; one engine instance serves many bills."""

    def write(self, html: str, label: str) -> bytes:
        """The PDF of one bill; raises ``BillError`` subclasses naming ``label``."""
        ...

    def write_merged(
        self, bills: Sequence[tuple[str, str]]
    ) -> tuple[bytes | None, list[BillError | None]]:
        """Many bills ``(html, label)`` in one PDF, one page each, in order.

        Returns the PDF (None when no bill could be laid out) and, per bill, None
        if it is in the PDF or the error that kept it out.
        """
        ...

    def write_each(self, bills: Sequence[tuple[str, str]]) -> list[bytes | BillError]:
        """Many bills ``(html, label)``, one PDF each (or the error that kept it out),
        in order; an engine may lay them out together and split the result."""
        ...

    def close(self) -> None:
        """Release what the engine holds (a browser, caches)."""
        ...


def each_bill(
    bills: Sequence[tuple[str, str]], make: Callable[[str, str], T]
) -> tuple[list[T], list[BillError | None]]:
    """``make(html, label)`` for every bill; one that raises a ``BillError`` is left
    out and its error kept in its place, and the others go on."""
    made: list[T] = []
    errors: list[BillError | None] = []
    for html, label in bills:
        try:
            made.append(make(html, label))
            errors.append(None)
        except BillError as exc:
            errors.append(exc)
    return made, errors
