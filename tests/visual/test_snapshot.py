"""The visual check: the gallery, its baselines, and what fails or passes the check."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT
from PIL import Image, ImageChops, ImageDraw
from pixelmatch.contrib.PIL import pixelmatch
from typer.testing import CliRunner

from alseco_bill import (
    Bill,
    GalleryError,
    SnapshotCheck,
    Theme,
    check_snapshots,
    update_snapshots,
    validate_files,
)
from alseco_bill.cli import app
from alseco_bill.theme import packaged_dir
from alseco_bill.visual.imagediff import compare_images
from alseco_bill.visual.snapshot import SnapshotSettings

GALLERY = ROOT / "gallery"
BASELINES = GALLERY / "baselines"
runner = CliRunner()
MakeGallery = Callable[..., Path]


@pytest.fixture
def small_gallery(tmp_path: Path) -> MakeGallery:
    """A gallery of a few of the real cases with their committed baselines."""

    def make(*cases: str) -> Path:
        gallery = tmp_path / "gallery"
        (gallery / "baselines").mkdir(parents=True)
        shutil.copy(GALLERY / "snapshot.toml", gallery)
        for case in cases:
            shutil.copy(GALLERY / f"{case}.json", gallery)
            shutil.copy(BASELINES / f"{case}-1.png", gallery / "baselines")
        return gallery

    return make


def css_override(tmp_path: Path, extra_css: str) -> Theme:
    """A designer's template folder holding a modified copy of bill.css."""
    folder = tmp_path / "designer"
    folder.mkdir()
    css = (packaged_dir("templates") / "bill.css").read_text("utf-8")
    (folder / "bill.css").write_text(css + "\n" + extra_css + "\n", "utf-8")
    return Theme.create(templates=folder)


def test_gallery_covers_every_variant_language_and_hard_case() -> None:
    results = validate_files(sorted(GALLERY.glob("*.json")))
    bills = {path.stem: result for path, result in results}
    invalid = {name: str(bill) for name, bill in bills.items() if not isinstance(bill, Bill)}
    assert not invalid, invalid
    valid = {name: bill for name, bill in bills.items() if isinstance(bill, Bill)}
    assert {(b.variant.value, b.language.value) for b in valid.values()} == {
        ("city", "kk"),
        ("city", "ru"),
        ("region", "kk"),
        ("region", "ru"),
    }
    assert len({b.account for b in valid.values()}) == len(valid), "accounts must differ"
    full = valid["city-kk-full-sheet"]
    assert full.variant == "city"
    assert len(full.services) >= 14
    assert len(full.notices) >= 8
    assert len(valid["region-kk-many-lines"].services) >= 12
    assert max(len(s.name) for s in valid["city-kk-long-names"].suppliers) >= 130
    assert len(valid["city-kk-long-names"].consumer.address.street) >= 100
    assert all(s.opening_balance > 0 for s in valid["city-ru-debts"].services)
    assert valid["region-ru-overpayment"].totals.to_pay < 0
    assert valid["city-ru-zero"].totals.to_pay == 0
    assert not valid["region-kk-no-meters"].meters


def test_every_case_has_a_small_grayscale_baseline() -> None:
    settings = SnapshotSettings.load(GALLERY)
    for case in GALLERY.glob("*.json"):
        with Image.open(BASELINES / f"{case.stem}-1.png") as image:
            assert image.mode == "L"
            # A4 at the configured resolution (PDFium rounds up).
            width, height = image.size
            assert abs(width - 210 / 25.4 * settings.dpi) < 1
            assert abs(height - 297 / 25.4 * settings.dpi) < 1
    total = sum(path.stat().st_size for path in BASELINES.glob("*.png"))
    assert total < 2_000_000, f"baselines take {total} bytes"


def test_unchanged_rerun_passes_and_leaves_no_report(tmp_path: Path) -> None:
    report = tmp_path / "report"
    report.mkdir()
    (report / "old-1-diff.png").write_bytes(b"an earlier run's picture")
    (report / "notes.txt").write_text("not ours")
    result = check_snapshots(GALLERY, report)
    assert result.passed, [(c.name, c.problem, c.differing) for c in result.failures]
    assert len(result.cases) == len(list(GALLERY.glob("*.json")))
    assert all(case.differing == 0 for case in result.cases)
    assert result.report is None
    assert sorted(p.name for p in report.iterdir()) == ["notes.txt"]


def test_column_moved_by_one_millimetre_fails(tmp_path: Path, small_gallery: MakeGallery) -> None:
    gallery = small_gallery("city-kk")
    theme = css_override(tmp_path, ".services td.name { width: calc(24% + 1mm); }")
    report = tmp_path / "report"
    result = check_snapshots(gallery, report, theme=theme)
    assert not result.passed
    assert [case.name for case in result.failures] == ["city-kk"]
    for case in result.failures:
        assert case.problem is None
        assert case.differing > 10 * case.budget, case
    assert result.report == report / "index.html"
    for name in ("city-kk-1-actual.png", "city-kk-1-expected.png", "city-kk-1-diff.png"):
        assert (report / name).read_bytes().startswith(b"\x89PNG")
    html = result.report.read_text("utf-8")
    assert 'src="city-kk-1-diff.png"' in html
    assert "pixels" in html
    assert "alseco-bill snapshot update" in html


@pytest.mark.slow
def test_cli_names_changed_cases_and_the_report(tmp_path: Path, small_gallery: MakeGallery) -> None:
    gallery = small_gallery("city-ru")
    css_override(tmp_path, ".services td.name { width: calc(24% + 1mm); }")
    designer = tmp_path / "designer"
    report = tmp_path / "report"
    args = ["snapshot", "check", "--gallery", str(gallery), "--report", str(report)]
    result = runner.invoke(app, [*args, "--templates", str(designer)])
    assert result.exit_code == 4, result.output
    assert "CHANGED  city-ru:" in result.stdout
    assert "pixels (" in result.stdout
    assert f"report: {report / 'index.html'}" in result.stdout
    assert "snapshot update" in result.stderr
    assert (report / "city-ru-1-diff.png").is_file()
    passed = runner.invoke(app, args)
    assert passed.exit_code == 0, passed.output
    assert "1 of 1 cases unchanged" in passed.stdout
    assert not report.exists(), "a passing check removes its old report"


def test_changed_font_fails(tmp_path: Path, small_gallery: MakeGallery) -> None:
    static = tmp_path / "static" / "fonts"
    static.mkdir(parents=True)
    shutil.copy(
        packaged_dir("static") / "fonts" / "NotoSans-Bold.ttf", static / "NotoSans-Regular.ttf"
    )
    result = check_snapshots(
        small_gallery("city-ru"), tmp_path / "report", theme=Theme.create(static=static.parent)
    )
    [case] = result.failures
    assert case.differing > 1000


def test_missing_logo_fails(tmp_path: Path, small_gallery: MakeGallery) -> None:
    logos = tmp_path / "static" / "logos"
    logos.mkdir(parents=True)
    (logos / "gas.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>', "utf-8"
    )
    result = check_snapshots(
        small_gallery("city-kk"), tmp_path / "report", theme=Theme.create(static=logos.parent)
    )
    [case] = result.failures
    assert case.differing > 5 * case.budget


def test_second_page_fails(tmp_path: Path, small_gallery: MakeGallery) -> None:
    theme = css_override(tmp_path, "html { font-size: 9pt; }")
    report = tmp_path / "report"
    result = check_snapshots(small_gallery("city-kk-full-sheet"), report, theme=theme)
    [case] = result.failures
    assert case.problem is not None
    assert "lays out on 2 pages" in case.problem
    assert (report / "city-kk-full-sheet-1-expected.png").is_file()
    assert "lays out on 2 pages" in (report / "index.html").read_text("utf-8")


@pytest.mark.slow
def test_update_rewrites_only_what_changed(tmp_path: Path, small_gallery: MakeGallery) -> None:
    gallery = small_gallery("city-ru", "region-kk")
    baselines = gallery / "baselines"
    untouched = (baselines / "region-kk-1.png").stat().st_mtime_ns
    first = update_snapshots(gallery)
    assert first.errors == ()
    assert [c.status for c in first.changes] == ["unchanged", "unchanged"]

    data = json.loads((gallery / "city-ru.json").read_text("utf-8"))
    data["consumer"]["name"] = "Досмухамедова-Шаймерденова А. С."
    (gallery / "city-ru.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    shutil.copy(GALLERY / "region-ru.json", gallery)  # a new case, no baseline yet
    assert {
        c.name: c.problem for c in check_snapshots(gallery, tmp_path / "r").failures
    }.keys() == {
        "city-ru",
        "region-ru",
    }

    second = update_snapshots(gallery)
    assert {c.path.name: c.status for c in second.changes} == {
        "city-ru-1.png": "changed",
        "region-kk-1.png": "unchanged",
        "region-ru-1.png": "added",
    }
    assert (baselines / "region-kk-1.png").stat().st_mtime_ns == untouched
    assert check_snapshots(gallery, tmp_path / "r").passed

    (gallery / "region-kk.json").unlink()
    (baselines / "stray.png").write_bytes(b"")
    assert check_snapshots(gallery, tmp_path / "r").stale == (
        baselines / "region-kk-1.png",
        baselines / "stray.png",
    )
    third = update_snapshots(gallery)
    assert sorted(c.path.name for c in third.written) == ["region-kk-1.png", "stray.png"]
    assert {c.status for c in third.written} == {"removed"}
    assert sorted(p.name for p in baselines.iterdir()) == ["city-ru-1.png", "region-ru-1.png"]


def test_update_keeps_baselines_of_a_case_that_does_not_render(
    tmp_path: Path, small_gallery: MakeGallery
) -> None:
    gallery = small_gallery("city-ru")
    (gallery / "city-ru.json").write_text('{"account": "123"}', "utf-8")
    result = runner.invoke(app, ["snapshot", "update", "--gallery", str(gallery)])
    assert result.exit_code == 3
    assert "city-ru keeps its old baselines" in result.stderr
    assert (gallery / "baselines" / "city-ru-1.png").is_file()
    check = check_snapshots(gallery, tmp_path / "report")
    [case] = check.failures
    assert case.problem is not None
    assert "problem" in case.problem


def test_per_case_budget_and_settings(tmp_path: Path, small_gallery: MakeGallery) -> None:
    gallery = small_gallery("city-kk")
    theme = css_override(tmp_path, ".legend { margin-left: 1mm; }")
    moved = check_snapshots(gallery, tmp_path / "r", theme=theme)
    differing = moved.cases[0].differing
    assert differing > moved.cases[0].budget
    with (gallery / "snapshot.toml").open("a", encoding="utf-8") as settings:
        settings.write(f'"city-kk" = {differing}\n')
    allowed: SnapshotCheck = check_snapshots(gallery, tmp_path / "r", theme=theme)
    assert allowed.passed
    assert allowed.cases[0].budget == differing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("budgett = 5\n", "unknown setting(s) budgett"),
        ("budget = -1\n", "budget must not be negative"),
        ("dpi = 72.5\n", "dpi must be a whole number"),
        ('threshold = "high"\n', "threshold must be a number"),
        ("threshold = 2\n", "threshold must be between 0 and 1"),
        ("[budgets]\ncity = true\n", "budgets.city must be a number"),
        ("dpi = \n", "snapshot.toml"),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "snapshot.toml").write_text(text, "utf-8")
    with pytest.raises(GalleryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SnapshotSettings.load(tmp_path)
    result = runner.invoke(app, ["snapshot", "check", "--gallery", str(tmp_path)])
    assert result.exit_code == 2


def test_no_gallery_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["snapshot", "check", "--gallery", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no gallery folder" in result.stderr


def test_cropped_comparison_counts_as_pixelmatch_on_the_whole_page() -> None:
    with Image.open(BASELINES / "city-ru-1.png") as page:
        expected = page.convert("RGB").crop((0, 0, page.width, 450))
    actual = expected.copy()
    ImageDraw.Draw(actual).text((120, 400), "1 234,56", fill="black")
    top = expected.crop((0, 0, expected.width, 300))
    actual.paste(ImageChops.offset(top, 3, 0), (0, 0))
    whole = pixelmatch(expected, actual, Image.new("RGBA", expected.size))
    diff = compare_images(expected, actual)
    assert whole > 1000
    assert diff.differing == whole
    assert diff.image.size == expected.size
    assert diff.image.getpixel((5, 310)) != (255, 0, 0)  # unchanged area: faded page
    assert compare_images(expected, expected).differing == 0


def test_a_changed_page_size_is_a_difference() -> None:
    small = Image.new("L", (100, 100), 255)
    large = Image.new("L", (100, 120), 255)
    ImageDraw.Draw(large).rectangle((0, 100, 99, 119), fill=0)
    diff = compare_images(small, large)
    assert diff.total == 100 * 120
    assert diff.differing == 100 * 20


@pytest.mark.chromium
def test_chromium_has_its_own_baselines_and_catches_a_moved_column(tmp_path: Path) -> None:
    passing = check_snapshots(GALLERY, tmp_path / "ok", engine="chromium")
    assert passing.passed, [(c.name, c.problem, c.differing) for c in passing.failures]
    assert len(passing.cases) == len(list((GALLERY / "baselines-chromium").glob("*.png")))
    gallery = tmp_path / "gallery"
    (gallery / "baselines-chromium").mkdir(parents=True)
    shutil.copy(GALLERY / "snapshot.toml", gallery)
    shutil.copy(GALLERY / "city-kk.json", gallery)
    shutil.copy(GALLERY / "baselines-chromium" / "city-kk-1.png", gallery / "baselines-chromium")
    theme = css_override(tmp_path, ".services td.name { width: calc(24% + 1mm); }")
    moved = check_snapshots(gallery, tmp_path / "report", theme=theme, engine="chromium")
    assert [case.name for case in moved.failures] == ["city-kk"]
    assert moved.failures[0].differing > 10 * moved.failures[0].budget
    # WeasyPrint's baselines are not Chromium's: that gallery has none for it.
    result = runner.invoke(app, ["snapshot", "check", "--gallery", str(gallery)])
    assert result.exit_code == 4
    assert "no baseline in" in result.output
