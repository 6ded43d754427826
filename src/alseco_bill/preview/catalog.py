"""The bills a designer can choose: a sample per variant and language, and data files.

A data file is re-read on every render, so saving it shows the change; its variant
and language are peeked at only to group it in the list, and a file too broken to
tell (not UTF-8, not JSON, nested absurdly deep) still appears, with its problem, and
its render explains it in full: one broken file never stops the preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from ..bill.model import Language, Variant
from ..bill.validation import read_json
from ..errors import InvalidBillError

# Folders of bills looked for in the project: the examples, and the designers' gallery.
BILL_FOLDERS = ("examples", "gallery")
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Entry:
    """One bill in the list: a generated sample (``path`` is None) or a data file."""

    id: str
    title: str
    variant: Variant | None
    language: Language | None
    path: Path | None = None
    problem: str | None = None  # why the file could not even be peeked at

    @property
    def group(self) -> str:
        if self.variant is None or self.language is None:
            return "unreadable"
        return f"{self.variant} · {self.language}"


def samples() -> list[Entry]:
    return [
        Entry(f"sample:{variant}-{language}", "sample", variant, language)
        for variant in Variant
        for language in Language
    ]


def bill_files(project: Path, chosen: Sequence[Path] = ()) -> list[Path]:
    """The ``chosen`` files first, then ``examples/*.json`` and ``gallery/*.json``."""
    found = [*chosen]
    for folder in BILL_FOLDERS:
        found.extend(sorted((project / folder).glob("*.json")))
    return list(dict.fromkeys(path.resolve() for path in found))


def catalog(project: Path, chosen: Sequence[Path] = ()) -> list[Entry]:
    """Every bill to offer: the chosen data files, the project's bills, the samples."""
    project = project.resolve()
    return [_file_entry(path, project) for path in bill_files(project, chosen)] + samples()


def _file_entry(path: Path, project: Path) -> Entry:
    shown = str(path.relative_to(project)) if path.is_relative_to(project) else str(path)
    try:
        # Read as render reads it (a BOM allowed, UTF-8 only, no key given twice).
        data = read_json(path.read_bytes(), shown)
    except OSError as exc:
        return Entry(f"file:{shown}", shown, None, None, path, f"cannot read: {exc.strerror}")
    except InvalidBillError as exc:
        problem = "; ".join(str(p) if p.path else p.message for p in exc.problems)
        return Entry(f"file:{shown}", shown, None, None, path, problem)
    if not isinstance(data, dict):
        return Entry(f"file:{shown}", shown, None, None, path, "a bill must be a JSON object")
    variant = _member(Variant, data.get("variant"))
    language = _member(Language, data.get("language"))
    return Entry(f"file:{shown}", shown, variant, language, path)


def _member(kind: type[E], value: object) -> E | None:
    if not isinstance(value, str):
        return None
    try:
        return kind(value)
    except ValueError:
        return None
