"""One HTML page that shows image comparisons side by side, for a person to look at.

Used by the visual check (actual, expected, diff) and by the engine comparison
(WeasyPrint, Chromium, diff). Images are referenced by file name, so the folder can
be zipped as a CI artefact and opened anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ..files import write_atomic

REPORT_FILE = "index.html"

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #111; }
section { margin: 0 0 2.5em; }
h2 { font-size: 1.1em; margin: 0 0 .3em; }
p.summary { margin: 0 0 .6em; }
.failed h2 { color: #b00; }
.row { display: flex; gap: 1em; align-items: flex-start; }
figure { margin: 0; flex: 0 1 32%; min-width: 0; }
figure img { width: 100%; border: 1px solid #999; }
figcaption { font-size: .9em; color: #555; }
"""


@dataclass(frozen=True)
class ReportEntry:
    """One comparison: a title, what it found, and its images (caption, file name)."""

    title: str
    summary: str
    images: Sequence[tuple[str, str]] = ()
    failed: bool = True


def write_report(folder: Path, title: str, intro: str, entries: Sequence[ReportEntry]) -> Path:
    """Write ``folder/index.html`` for images already in ``folder``; returns its path."""
    sections = "\n".join(_section(entry) for entry in entries)
    page = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n<p>{escape(intro)}</p>\n{sections}\n</body>\n</html>\n"
    )
    path = folder / REPORT_FILE
    write_atomic(path, page.encode())
    return path


def _section(entry: ReportEntry) -> str:
    figures = "".join(
        f'<figure><a href="{escape(name)}"><img src="{escape(name)}" alt="{escape(caption)}">'
        f"</a><figcaption>{escape(caption)}</figcaption></figure>"
        for caption, name in entry.images
    )
    kind = "failed" if entry.failed else "passed"
    return (
        f'<section class="{kind}"><h2>{escape(entry.title)}</h2>'
        f'<p class="summary">{escape(entry.summary)}</p><div class="row">{figures}</div></section>'
    )
