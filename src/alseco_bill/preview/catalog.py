"""The bills a designer can choose: a sample per variant and language, and data files.

A data file is re-read on every render, so saving it shows the change; its variant
and language are peeked at only to group it in the list, and a file too broken to
tell still appears (its render then explains what is wrong).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from ..model import Language, Variant

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
    variant, language = _peek(path)
    return Entry(f"file:{shown}", shown, variant, language, path)


def _peek(path: Path) -> tuple[Variant | None, Language | None]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    return _member(Variant, data.get("variant")), _member(Language, data.get("language"))


def _member(kind: type[E], value: object) -> E | None:
    if not isinstance(value, str):
        return None
    try:
        return kind(value)
    except ValueError:
        return None
