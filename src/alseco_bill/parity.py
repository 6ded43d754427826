"""How far the two print engines disagree: the same bills from WeasyPrint and Chromium.

Both engines print the same HTML; their pages are rasterised alike and compared by
pixelmatch, page by page. The two lay text out with different line breaking and
table algorithms, so some disagreement is expected: this measures it, so that a
template change that looks right in one engine and breaks in the other shows up.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from PIL import Image

from .diffreport import ReportEntry, write_report
from .files import write_atomic
from .imagediff import DEFAULT_THRESHOLD, compare_images
from .raster import rasterize
from .render import Renderer
from .theme import Theme

OUTPUT = Path("engine-comparison")
_KINDS = ("weasyprint", "chromium", "diff")


@dataclass(frozen=True)
class PageParity:
    """One page: how many pixels differ between the engines, and the diff image."""

    page: int
    differing: int
    total: int
    diff: Path

    @property
    def percent(self) -> float:
        return 100 * self.differing / self.total if self.total else 0.0


@dataclass(frozen=True)
class EngineParity:
    """One bill through both engines; seconds are each engine's time for this bill."""

    source: Path
    pages: tuple[PageParity, ...]
    weasyprint_pages: int
    chromium_pages: int
    weasyprint_seconds: float
    chromium_seconds: float

    @property
    def percent(self) -> float:
        """The worst page's share of differing pixels."""
        return max((page.percent for page in self.pages), default=0.0)


def compare_engines(
    sources: Sequence[Path],
    output: Path = OUTPUT,
    *,
    dpi: int = 72,
    threshold: float = DEFAULT_THRESHOLD,
    theme: Theme | None = None,
) -> list[EngineParity]:
    """Render each bill with WeasyPrint and with Chromium (one browser for all) and
    write, per page, both pictures and their diff into ``output`` with an
    ``index.html`` showing them side by side. Raises ``BillError`` for a bill that
    either engine cannot render."""
    results: list[EngineParity] = []
    entries: list[ReportEntry] = []
    with Renderer(theme) as weasyprint, Renderer(theme, engine="chromium") as chromium:
        for source in sources:
            bill = weasyprint.load(source)
            started = time.perf_counter()
            first = rasterize(weasyprint.pdf(bill), dpi)
            middle = time.perf_counter()
            second = rasterize(chromium.pdf(bill), dpi)
            ended = time.perf_counter()
            pages: list[PageParity] = []
            images: list[tuple[str, str]] = []
            for number in range(1, max(len(first), len(second)) + 1):
                ours, theirs = _page(first, number, second), _page(second, number, first)
                diff = compare_images(ours, theirs, threshold)
                names = [f"{source.stem}-{number}-{kind}.png" for kind in _KINDS]
                for name, image in zip(names, (ours, theirs, diff.image), strict=True):
                    _save(output / name, image)
                pages.append(PageParity(number, diff.differing, diff.total, output / names[2]))
                images += [
                    (f"page {number}: {kind}", name)
                    for kind, name in zip(_KINDS, names, strict=True)
                ]
            result = EngineParity(
                source, tuple(pages), len(first), len(second), middle - started, ended - middle
            )
            results.append(result)
            summary = "; ".join(
                f"page {p.page}: {p.differing} pixels ({p.percent:.2f}%) differ" for p in pages
            )
            entries.append(ReportEntry(source.name, summary, images, failed=False))
    write_report(
        output,
        "alseco-bill: WeasyPrint and Chromium",
        f"Each page from WeasyPrint, from Chromium, and their difference (red: differing "
        f"pixels; yellow: anti-aliasing, ignored), at {dpi} dpi.",
        entries,
    )
    return results


def _page(pages: Sequence[Image.Image], number: int, other: Sequence[Image.Image]) -> Image.Image:
    if number <= len(pages):
        return pages[number - 1]
    return Image.new("RGB", other[number - 1].size, "white")


def _save(path: Path, image: Image.Image) -> None:
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    write_atomic(path, buffer.getvalue())
