"""Visual regression of the layouts: the gallery of bills against its baseline images.

The gallery (``gallery/*.json``) holds bills that stress the layouts. Each is rendered
with WeasyPrint, its pages rasterised with PDFium at a fixed resolution, and compared
with the committed ``gallery/baselines/<case>-<page>.png`` by pixelmatch. A page may
differ by a small budget of pixels; a moved column, another font, a lost logo or a
second page differ by far more. WeasyPrint's output is byte-identical for the same
input and the font is the repository's own, so an unchanged rerun differs by nothing.

``gallery/snapshot.toml`` sets the resolution, the pixelmatch threshold and the
budgets. Baselines are grayscale PNGs, a few tens of kilobytes a page.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from ..engines import DEFAULT_ENGINE, engine_info
from ..errors import BillError, GalleryError
from ..pdf.raster import rasterize, write_png
from ..render import Renderer
from ..theme import Theme
from .imagediff import DEFAULT_THRESHOLD, compare_images, percent
from .report import REPORT_FILE, ReportEntry, write_report

GALLERY = Path("gallery")
REPORT = Path("snapshot-report")


def baseline_folder(gallery: Path, engine: str = DEFAULT_ENGINE) -> Path:
    """Each engine has its own baselines: ``baselines/`` (WeasyPrint, the default)
    and ``baselines-<engine>/``, since the engines place glyphs a pixel apart."""
    return gallery / engine_info(engine).baselines


SETTINGS_FILE = "snapshot.toml"
_REPORT_SUFFIXES = ("-actual.png", "-expected.png", "-diff.png")


class SnapshotSettings(BaseModel):
    """How pages are rasterised and how much they may differ (``snapshot.toml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    dpi: int = Field(72, ge=1)
    threshold: float = Field(DEFAULT_THRESHOLD, ge=0, le=1)
    budget: int = Field(20, ge=0)
    budgets: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    def budget_for(self, case: str) -> int:
        """Differing pixels a page of ``case`` may have."""
        return self.budgets.get(case, self.budget)

    @classmethod
    def load(cls, gallery: Path) -> SnapshotSettings:
        """The gallery's settings; defaults without a settings file. ``GalleryError``
        on an unknown key or a wrong type, so a typo cannot loosen the check."""
        path = gallery / SETTINGS_FILE
        if not path.is_file():
            return cls()
        try:
            return cls.model_validate(tomllib.loads(path.read_text("utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise GalleryError(f"{path}: {exc}") from None
        except ValidationError as exc:
            unknown = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"]
            if unknown:
                message = f"unknown setting(s) {', '.join(sorted(unknown))}"
            else:
                message = _setting_problem(exc.errors()[0])
            raise GalleryError(f"{path}: {message}") from None


# What a value out of its range is told, by setting.
_RANGES = {
    "dpi": "must be at least 1",
    "threshold": "must be between 0 and 1",
    "budget": "must not be negative",
    "budgets": "must not be negative",
}


def _setting_problem(error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] in ("greater_than_equal", "less_than_equal"):
        return f"{key} {_RANGES[str(error['loc'][0])]}"
    if error["type"].startswith("int") and isinstance(error["input"], float):
        return f"{key} must be a whole number"
    if error["type"] in ("dict_type", "model_type"):
        return f"[{key}] must be a table of case = pixels"
    return f"{key} must be a number"


@dataclass(frozen=True)
class PageCheck:
    page: int
    differing: int
    total: int

    @property
    def percent(self) -> float:
        return percent(self.differing, self.total)


@dataclass(frozen=True)
class CaseCheck:
    """One gallery case: its pages against the baselines, or why it could not be."""

    name: str
    budget: int
    pages: tuple[PageCheck, ...] = ()
    problem: str | None = None
    render_failed: bool = False  # the bill could not be rendered at all (a BillError)

    @property
    def passed(self) -> bool:
        return self.problem is None and all(p.differing <= self.budget for p in self.pages)

    @property
    def differing(self) -> int:
        return sum(p.differing for p in self.pages)

    @property
    def percent(self) -> float:
        return percent(self.differing, sum(p.total for p in self.pages))


@dataclass(frozen=True)
class SnapshotCheck:
    """The outcome of ``check_snapshots``; ``report`` is the HTML page of the failures."""

    cases: tuple[CaseCheck, ...]
    stale: tuple[Path, ...]
    report: Path | None
    seconds: float

    @property
    def failures(self) -> tuple[CaseCheck, ...]:
        return tuple(case for case in self.cases if not case.passed)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.stale


@dataclass(frozen=True)
class BaselineChange:
    """What ``update_snapshots`` did to one baseline file."""

    path: Path
    status: str  # "added", "changed", "unchanged" or "removed"


@dataclass(frozen=True)
class SnapshotUpdate:
    changes: tuple[BaselineChange, ...]
    errors: tuple[tuple[str, str], ...]  # (case, why it kept its old baselines)

    @property
    def written(self) -> tuple[BaselineChange, ...]:
        return tuple(c for c in self.changes if c.status != "unchanged")


def gallery_cases(gallery: Path = GALLERY) -> list[Path]:
    """The gallery's bills, in name order; ``GalleryError`` without a gallery."""
    if not gallery.is_dir():
        raise GalleryError(f"no gallery folder {gallery} (run from the repository root)")
    return sorted(gallery.glob("*.json"))


def check_snapshots(
    gallery: Path = GALLERY,
    report: Path = REPORT,
    *,
    theme: Theme | None = None,
    engine: str = DEFAULT_ENGINE,
) -> SnapshotCheck:
    """Render every gallery case and compare its pages with the baselines.

    When anything fails, ``report`` gets the actual, expected and diff image of each
    failing page and one ``index.html`` showing them side by side; a previous run's
    report there is removed first, so what is left always belongs to this run.
    """
    started = time.perf_counter()
    settings = SnapshotSettings.load(gallery)
    sources = gallery_cases(gallery)
    _clear_report(report)
    entries: list[ReportEntry] = []
    results = []
    folder = baseline_folder(gallery, engine)
    with Renderer(theme, engine=engine) as renderer:
        for source in sources:
            result, entry = _check_case(renderer, source, folder, settings, report)
            results.append(result)
            if entry is not None:
                entries.append(entry)
    stale = tuple(_stale_baselines(folder, sources))
    entries += [
        ReportEntry(path.name, "a baseline without a gallery case: run alseco-bill snapshot update")
        for path in stale
    ]
    index = None
    if entries:
        intro = (
            f"{len(entries)} problem(s) in {gallery}: each changed page as rendered now, its "
            f"baseline and their difference (red: differing pixels; yellow: anti-aliasing, "
            f"ignored), at {settings.dpi} dpi. If the change is intended, run "
            f"alseco-bill snapshot update and commit {folder}."
        )
        index = write_report(report, "alseco-bill visual check", intro, entries)
    elif report.is_dir() and not any(report.iterdir()):
        report.rmdir()
    return SnapshotCheck(tuple(results), stale, index, time.perf_counter() - started)


def update_snapshots(
    gallery: Path = GALLERY, *, theme: Theme | None = None, engine: str = DEFAULT_ENGINE
) -> SnapshotUpdate:
    """Accept the current rendering as the baseline, rewriting only the pages whose
    pixels changed (and removing baselines of pages or cases that are gone). A case
    that does not render keeps its old baselines and is reported."""
    settings = SnapshotSettings.load(gallery)
    sources = gallery_cases(gallery)
    folder = baseline_folder(gallery, engine)
    changes: list[BaselineChange] = []
    errors: list[tuple[str, str]] = []
    with Renderer(theme, engine=engine) as renderer:
        for source in sources:
            try:
                pages = _render(renderer, source, settings.dpi)
            except BillError as exc:
                errors.append((source.stem, str(exc)))
                continue
            for number, page in enumerate(pages, start=1):
                changes.append(_update_page(folder / f"{source.stem}-{number}.png", page))
            for path in _baselines(folder, source.stem)[len(pages) :]:
                path.unlink()
                changes.append(BaselineChange(path, "removed"))
    for path in _stale_baselines(folder, sources):
        path.unlink()
        changes.append(BaselineChange(path, "removed"))
    return SnapshotUpdate(tuple(changes), tuple(errors))


def _check_case(
    renderer: Renderer, source: Path, folder: Path, settings: SnapshotSettings, report: Path
) -> tuple[CaseCheck, ReportEntry | None]:
    name, budget = source.stem, settings.budget_for(source.stem)
    expected = [_open(path) for path in _baselines(folder, name)]
    try:
        actual = _render(renderer, source, settings.dpi)
    except BillError as exc:
        shown = _save_pages(report, name, "expected", expected)
        check = CaseCheck(name, budget, problem=str(exc), render_failed=True)
        return check, ReportEntry(name, str(exc), shown)
    if not expected:
        missing = f"no baseline in {folder}: run alseco-bill snapshot update"
        shown = _save_pages(report, name, "actual", actual)
        return CaseCheck(name, budget, problem=missing), ReportEntry(name, missing, shown)
    problem = None
    if len(actual) != len(expected):
        problem = f"{len(actual)} page(s) now, {len(expected)} in the baseline"
    pages: list[PageCheck] = []
    images: list[tuple[str, str]] = []
    summaries: list[str] = []
    for number in range(1, max(len(actual), len(expected)) + 1):
        now = _page_or_blank(actual, number, expected)
        before = _page_or_blank(expected, number, actual)
        diff = compare_images(before, now, settings.threshold)
        pages.append(PageCheck(number, diff.differing, diff.total))
        if diff.differing > budget or problem:
            stem = f"{name}-{number}"
            write_png(report / f"{stem}-actual.png", now)
            write_png(report / f"{stem}-expected.png", before)
            write_png(report / f"{stem}-diff.png", diff.image)
            images += [
                (f"page {number}: now", f"{stem}-actual.png"),
                (f"page {number}: baseline", f"{stem}-expected.png"),
                (f"page {number}: difference", f"{stem}-diff.png"),
            ]
            summaries.append(f"page {number}: {diff.differing} pixels ({diff.percent:.2f}%) differ")
    result = CaseCheck(name, budget, tuple(pages), problem)
    if result.passed:
        return result, None
    summary = "; ".join([*([problem] if problem else []), *summaries]) + f" (budget {budget})"
    return result, ReportEntry(name, summary, images)


def _render(renderer: Renderer, source: Path, dpi: int) -> list[Image.Image]:
    bill = renderer.load(source)
    return [page.convert("L") for page in rasterize(renderer.pdf(bill), dpi)]


def _page_or_blank(
    pages: Sequence[Image.Image], number: int, other: Sequence[Image.Image]
) -> Image.Image:
    """Page ``number``, or a white page of the other side's size where it has none."""
    if number <= len(pages):
        return pages[number - 1]
    return Image.new("L", other[number - 1].size, 255)


def _update_page(path: Path, page: Image.Image) -> BaselineChange:
    if not path.is_file():
        write_png(path, page)
        return BaselineChange(path, "added")
    old = _open(path)
    # Pixels, not PNG bytes: another Pillow may encode the same picture differently.
    if old.size == page.size and old.tobytes() == page.tobytes():
        return BaselineChange(path, "unchanged")
    write_png(path, page)
    return BaselineChange(path, "changed")


def _baselines(folder: Path, case: str) -> list[Path]:
    """``<case>-1.png``, ``<case>-2.png``, … as long as they exist."""
    paths: list[Path] = []
    while (path := folder / f"{case}-{len(paths) + 1}.png").is_file():
        paths.append(path)
    return paths


def _stale_baselines(folder: Path, sources: Sequence[Path]) -> list[Path]:
    if not folder.is_dir():
        return []
    cases = {source.stem for source in sources}
    return [
        path
        for path in sorted(folder.glob("*.png"))
        if path.stem.rpartition("-")[0] not in cases
        or path not in _baselines(folder, path.stem.rpartition("-")[0])
    ]


def _save_pages(
    report: Path, name: str, kind: str, pages: Sequence[Image.Image]
) -> list[tuple[str, str]]:
    images = []
    for number, page in enumerate(pages, start=1):
        file = f"{name}-{number}-{kind}.png"
        write_png(report / file, page)
        images.append((f"page {number}: {'now' if kind == 'actual' else 'baseline'}", file))
    return images


def _clear_report(report: Path) -> None:
    """Remove the files an earlier check wrote, and nothing else."""
    if not report.is_dir():
        return
    for path in report.iterdir():
        if path.name == REPORT_FILE or path.name.endswith(_REPORT_SUFFIXES):
            path.unlink()


def _open(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("L")
