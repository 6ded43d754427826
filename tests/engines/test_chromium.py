"""The Chromium engine: same HTML, the bill font, one browser reused, WeasyPrint's rules."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import EXAMPLES, ROOT, run_tool
from typer.testing import CliRunner

from alseco_bill import (
    EngineUnavailableError,
    FetchRefusedError,
    LayoutOverflowError,
    Renderer,
    Theme,
)
from alseco_bill.cli import EngineName, app
from alseco_bill.engines import ENGINES, make_engine
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.theme import packaged_dir

pytestmark = pytest.mark.chromium

runner = CliRunner()
STATIC = packaged_dir("static").resolve()


@pytest.fixture(scope="module")
def html() -> dict[str, str]:
    """The filled HTML of the examples and of the fullest gallery case."""
    renderer = Renderer()
    sources = {name: EXAMPLES / f"{name}.json" for name in ("city-kk", "region-ru")}
    sources["full"] = ROOT / "gallery" / "city-kk-full-sheet.json"
    return {name: renderer.html(renderer.load(path)) for name, path in sources.items()}


def with_body(html: str, extra: str) -> str:
    return html.replace("</body>", extra + "</body>")


def test_one_a4_page_with_the_bill_font_and_text(
    engine: ChromiumEngine, html: dict[str, str], tmp_path: Path
) -> None:
    pdf = tmp_path / "bill.pdf"
    pdf.write_bytes(engine.write(html["city-kk"], "bill 9012378464"))
    info = run_tool("pdfinfo", pdf)
    assert "Pages:           1" in info
    assert "(A4)" in info
    fonts = run_tool("pdffonts", pdf).splitlines()[2:]
    assert sorted(row.split()[0].split("+")[-1] for row in fonts) == [
        "NotoSans-Bold",
        "NotoSans-Regular",
    ], "a system font stood in for the bill font"
    assert all(row.split()[-5] == "yes" for row in fonts), "fonts must be embedded"
    text = " ".join(run_tool("pdftotext", pdf, "-").split())
    assert "9012378464" in text
    assert "Коммуналдық қызметтерді төлеуге арналған шот" in text
    assert "«Алматы Су» МКК" in text


def test_one_browser_and_one_page_serve_many_bills(
    engine: ChromiumEngine, html: dict[str, str]
) -> None:
    engine.write(html["city-kk"], "first")
    page = engine.session._page
    assert page is not None
    for name in ("region-ru", "city-kk", "full"):
        assert engine.write(html[name], name).startswith(b"%PDF-")
        assert engine.session._page is page
    assert page.context.browser is not None
    assert len(page.context.browser.contexts) == 1
    assert len(page.context.pages) == 1


def test_writers_of_a_thread_share_one_browser(html: dict[str, str]) -> None:
    found: dict[str, bool] = {}

    def use_two_writers() -> None:
        # A thread of its own, so no other test's writer holds this thread's browser.
        first, second = ChromiumEngine(Theme.create()), ChromiumEngine(Theme.create())
        first.write(html["city-kk"], "a")
        second.write(html["region-ru"], "b")
        assert first.session._context is not None
        assert second.session._context is not None
        browser = first.session._context.browser
        assert browser is not None
        found["shared"] = browser is second.session._context.browser
        found["own pages"] = first.session._page is not second.session._page
        first.close()
        found["outlives one writer"] = second.write(html["city-kk"], "c").startswith(b"%PDF-")
        second.close()
        found["closed with the last"] = not browser.is_connected()

    thread = threading.Thread(target=use_two_writers)
    thread.start()
    thread.join(timeout=60)
    assert found == dict.fromkeys(
        ("shared", "own pages", "outlives one writer", "closed with the last"), True
    )


@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        ('<img src="file:///etc/passwd">', "file:///etc/passwd"),
        (f'<img src="{STATIC.as_uri()}/../../../etc/passwd">', "/etc/passwd"),
        ('<img src="../../../../../etc/hostname">', "/etc/hostname"),
        (f'<img src="{STATIC.as_uri()}/logos/nothing-here.svg">', "nothing-here.svg"),
        ('<img src="http://example.com/logo.png">', "http://example.com/logo.png"),
        ('<link rel="stylesheet" href="https://example.com/x.css">', "https://example.com/x.css"),
        ('<img src="data:image/png;base64,iVBORw0KGgo=">', "data:image/png"),
        ('<div style="background: url(file:///etc/hostname)">x</div>', "file:///etc/hostname"),
    ],
)
def test_only_theme_files_are_loaded(
    engine: ChromiumEngine, html: dict[str, str], extra: str, refused: str
) -> None:
    with pytest.raises(FetchRefusedError) as caught:
        engine.write(with_body(html["city-kk"], extra), "bill 9012378464")
    assert refused in caught.value.url
    assert str(caught.value).startswith("bill 9012378464: refused to load")
    # The refusal is about that bill only: the same page prints the next one.
    assert engine.write(html["city-kk"], "next").startswith(b"%PDF-")


def test_scripts_do_not_run(engine: ChromiumEngine, html: dict[str, str], tmp_path: Path) -> None:
    script = "<script>document.body.textContent = 'replaced by a script';</script>"
    pdf = tmp_path / "bill.pdf"
    pdf.write_bytes(engine.write(with_body(html["city-kk"], script), "bill"))
    text = run_tool("pdftotext", pdf, "-")
    assert "replaced by a script" not in text
    assert "9012378464" in text


def test_a_second_page_is_refused(engine: ChromiumEngine, html: dict[str, str]) -> None:
    with pytest.raises(LayoutOverflowError) as caught:
        engine.write(with_body(html["full"], '<div style="height: 120mm"></div>'), "bill 1")
    assert caught.value.pages == 2
    assert "lays out on 2 pages" in str(caught.value)


def test_write_merged_keeps_the_good_bills(engine: ChromiumEngine, html: dict[str, str]) -> None:
    overflowing = with_body(html["full"], '<div style="height: 120mm"></div>')
    pdf, errors = engine.write_merged(
        [(html["city-kk"], "a"), (overflowing, "b"), (html["region-ru"], "c")]
    )
    assert pdf is not None
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 2
    document.close()
    assert errors[0] is None
    assert isinstance(errors[1], LayoutOverflowError)
    assert errors[2] is None


def test_registered_as_an_engine() -> None:
    assert "chromium" in ENGINES
    assert {name.value for name in EngineName} == set(ENGINES)
    writer = make_engine("chromium", Theme.create())
    assert isinstance(writer, ChromiumEngine)
    writer.close()  # never started: closing is harmless


def test_no_chromium_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALSECO_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(EngineUnavailableError, match=r"apt-get install chromium"):
        make_engine("chromium", Theme.create())


def test_no_playwright_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    with pytest.raises(EngineUnavailableError, match=r"pip install playwright"):
        make_engine("chromium", Theme.create())


def test_cli_renders_with_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "b.pdf"
    result = runner.invoke(
        app, ["render", str(EXAMPLES / "region-kk.json"), "-o", str(out), "--engine", "chromium"]
    )
    assert result.exit_code == 0, result.output
    assert "alseco-bill (Chromium)" in run_tool("pdfinfo", out)

    monkeypatch.setenv("ALSECO_CHROMIUM", "/nonexistent/chromium")
    failed = runner.invoke(
        app, ["render", str(EXAMPLES / "region-kk.json"), "-o", str(out), "--engine", "chromium"]
    )
    assert failed.exit_code == 3
    assert "apt-get install chromium" in failed.stderr

    unknown = runner.invoke(
        app, ["render", str(EXAMPLES / "region-kk.json"), "-o", str(out), "--engine", "prince"]
    )
    assert unknown.exit_code == 2
