"""How far the two print engines disagree: the same bills from WeasyPrint and Chromium.

Both engines print the same HTML; their pages are rasterised alike and compared by
pixelmatch, page by page. The engines place glyphs a fraction of a pixel apart and
lines drift down a page, so at full resolution nearly every pixel of text differs
and a page Chromium left blank would score *better* than a good one. The measure is
therefore taken at layout scale: each page averaged over blocks of 3 × 3 pixels
(24 dpi from the default 72) and blurred by one pixel, where the same layout agrees
to a few percent and a moved block, a lost table or a blank page does not.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFilter

from ..pdf.raster import rasterize, write_png
from ..render import Renderer
from ..theme import Theme
from .imagediff import DEFAULT_THRESHOLD, ImageDiff, compare_images, percent
from .report import ReportEntry, write_report

OUTPUT = Path("engine-comparison")
LAYOUT_DPI = 24
LAYOUT_BLUR = 1.0
_KINDS = ("weasyprint", "chromium", "diff")


@dataclass(frozen=True)
class PageParity:
    """One page: how many pixels differ between the engines at layout scale (see the
    module's docstring), and the diff image."""

    page: int
    differing: int
    total: int
    diff: Path

    @property
    def percent(self) -> float:
        return percent(self.differing, self.total)


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
            weasyprint_pdf = weasyprint.pdf(bill)
            middle = time.perf_counter()
            chromium_pdf = chromium.pdf(bill)
            ended = time.perf_counter()
            first, second = rasterize(weasyprint_pdf, dpi), rasterize(chromium_pdf, dpi)
            pages: list[PageParity] = []
            images: list[tuple[str, str]] = []
            for number in range(1, max(len(first), len(second)) + 1):
                ours, theirs = _page(first, number, second), _page(second, number, first)
                diff = layout_diff(ours, theirs, dpi, threshold)
                # Blocks of the picture's size, so the three pictures line up.
                shown = diff.image.resize(ours.size, Image.Resampling.NEAREST)
                names = [f"{source.stem}-{number}-{kind}.png" for kind in _KINDS]
                for name, image in zip(names, (ours, theirs, shown), strict=True):
                    write_png(output / name, image)
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
        f"Each page from WeasyPrint and from Chromium at {dpi} dpi, and their difference at "
        f"layout scale ({LAYOUT_DPI} dpi, blurred by {LAYOUT_BLUR:g} pixel; red: differing "
        f"pixels, yellow: anti-aliasing, ignored).",
        entries,
    )
    return results


def layout_diff(
    first: Image.Image, second: Image.Image, dpi: int, threshold: float = DEFAULT_THRESHOLD
) -> ImageDiff:
    """Compare two pages rasterised at ``dpi`` at layout scale (see the module's
    docstring); the diff image is at layout scale too."""
    factor = max(1, round(dpi / LAYOUT_DPI))
    return compare_images(_layout(first, factor), _layout(second, factor), threshold)


def _layout(page: Image.Image, factor: int) -> Image.Image:
    return page.convert("L").reduce(factor).filter(ImageFilter.GaussianBlur(LAYOUT_BLUR))


def _page(pages: Sequence[Image.Image], number: int, other: Sequence[Image.Image]) -> Image.Image:
    if number <= len(pages):
        return pages[number - 1]
    return Image.new("RGB", other[number - 1].size, "white")
