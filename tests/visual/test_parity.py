"""WeasyPrint and Chromium on the gallery: how far they disagree, and that it is measured."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT
from PIL import Image, ImageChops
from typer.testing import CliRunner

from alseco_bill import EngineParity, compare_engines
from alseco_bill.cli import app
from alseco_bill.visual.parity import layout_diff

pytestmark = [pytest.mark.chromium, pytest.mark.slow]

GALLERY = sorted((ROOT / "gallery").glob("*.json"))
# Measured on the gallery: 0.3–2.2 % for most cases, 4.5 % for the fullest city sheet
# (Chromium's lines run about two pixels lower by the notices). A blank page, or one
# moved 2 mm, scores 8–28 %.
BOUND = 6.0
runner = CliRunner()


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[EngineParity]]:
    output = tmp_path_factory.mktemp("engines")
    return output, compare_engines(GALLERY, output)


def test_engines_agree_within_the_bound_on_the_gallery(
    compared: tuple[Path, list[EngineParity]],
) -> None:
    _, results = compared
    assert [r.source for r in results] == GALLERY
    worst = {r.source.stem: round(r.percent, 2) for r in results}
    assert max(worst.values()) < BOUND, worst
    for result in results:
        assert result.weasyprint_pages == result.chromium_pages == 1
        assert result.chromium_seconds > 0


def test_pictures_diffs_and_report_are_written(compared: tuple[Path, list[EngineParity]]) -> None:
    output, results = compared
    for result in results:
        [page] = result.pages
        assert page.diff == output / f"{result.source.stem}-1-diff.png"
        for kind in ("weasyprint", "chromium", "diff"):
            with Image.open(output / f"{result.source.stem}-1-{kind}.png") as image:
                assert abs(image.width - 596) <= 1, "A4 at 72 dpi"
    html = (output / "index.html").read_text("utf-8")
    assert html.count("<section") == len(GALLERY)
    assert 'src="city-kk-full-sheet-1-chromium.png"' in html


def test_the_measure_sees_a_blank_or_moved_page(compared: tuple[Path, list[EngineParity]]) -> None:
    output, _ = compared
    with Image.open(output / "city-ru-1-weasyprint.png") as image:
        page = image.convert("RGB")
    blank = Image.new("RGB", page.size, "white")
    assert layout_diff(page, blank, 72).percent > 2 * BOUND
    moved = ImageChops.offset(page, 0, 6)  # 2 mm lower
    assert layout_diff(page, moved, 72).percent > BOUND
    assert layout_diff(page, page, 72).differing == 0


def test_cli_prints_the_disagreement_per_page(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["compare-engines", str(EXAMPLES / "city-ru.json"), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "city-ru.json page 1: " in result.stdout
    assert "% of pixels differ" in result.stdout
    assert "Chromium" in result.stdout
    assert f"report: {tmp_path / 'index.html'}" in result.stdout
    assert (tmp_path / "city-ru-1-diff.png").is_file()
