"""A bill cut from a Chromium part carries its own glyphs, not its neighbours'."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import run_tool
from fontTools.ttLib import TTFont

from alseco_bill import Renderer, render_batch, sample_bills
from alseco_bill.engines import printed
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.errors import RunMismatchError
from alseco_bill.pdf.subset import _drawn_glyphs

pytestmark = pytest.mark.chromium

PART = 50
PICKED = (0, 17, 49)  # first, middle and last of the part


@pytest.fixture(scope="module")
def cut(engine: ChromiumEngine) -> dict[int, tuple[bytes, bytes]]:
    """Bills of a part of 50: (cut from the part, printed alone) by index."""
    renderer = Renderer()
    jobs = [(renderer.html(b), f"bill {b.account}") for b in sample_bills(PART, seed=3)]
    part = engine.write_each(jobs)
    pairs: dict[int, tuple[bytes, bytes]] = {}
    for i in PICKED:
        in_part, alone = part[i], engine.write_each([jobs[i]])[0]
        assert isinstance(in_part, bytes)
        assert isinstance(alone, bytes)
        pairs[i] = (in_part, alone)
    return pairs


def fonts(pdf: bytes) -> dict[str, dict[str, Any]]:
    """Each font of the page by resource name: program, widths, ToUnicode, names."""
    found: dict[str, dict[str, Any]] = {}
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for name, font in document.pages[0].Resources.Font.items():
            cid = font.DescendantFonts[0]
            found[name] = {
                "program": cid.FontDescriptor.FontFile2.read_bytes(),
                "widths": repr(cid.W),
                "to_unicode": font.ToUnicode.read_bytes(),
                "name": str(font.BaseFont),
                "font_name": str(cid.FontDescriptor.FontName),
            }
    return found


@pytest.mark.parametrize("index", PICKED)
def test_a_cut_bill_carries_the_fonts_it_would_carry_alone(
    cut: dict[int, tuple[bytes, bytes]], index: int
) -> None:
    in_part, alone = cut[index]
    assert fonts(in_part) == fonts(alone)
    assert sorted(fonts(in_part)) == [f"/F{i}" for i in range(1, len(fonts(in_part)) + 1)]


def test_each_font_holds_only_the_glyphs_its_page_shows(
    cut: dict[int, tuple[bytes, bytes]], tmp_path: Path
) -> None:
    in_part, _ = cut[17]
    path = tmp_path / "bill.pdf"
    path.write_bytes(in_part)
    run_tool("qpdf", "--check", path)
    shown = set(run_tool("pdftotext", "-layout", path, "-")) - set(" \n\f")
    mapped: set[str] = set()
    for font in fonts(in_part).values():
        entries = [
            line.split()
            for line in font["to_unicode"].decode().splitlines()
            if line.startswith("<") and len(line.split()) == 2 and "0000" not in line.split()[0]
        ]
        mapped |= {bytes.fromhex(target[1:-1]).decode("utf-16-be") for _, target in entries}
    # Every character of the page is mapped, and nothing the page does not show.
    assert shown <= mapped
    assert mapped - shown <= {" ", "\u00a0", "\u202f"}  # spaces pdftotext writes as " "


def test_a_bill_alone_and_in_a_part_give_the_same_bytes(
    cut: dict[int, tuple[bytes, bytes]],
) -> None:
    in_part, alone = cut[17]
    # Digests, not the bytes: pytest's diff of two 40 KB byte strings takes minutes.
    assert hashlib.sha256(in_part).hexdigest() == hashlib.sha256(alone).hexdigest()


def test_a_run_records_the_chromium_version_and_refuses_another(tmp_path: Path) -> None:
    source = tmp_path / "bills.jsonl"
    source.write_text("".join(b.model_dump_json() + "\n" for b in sample_bills(2, seed=4)), "utf-8")
    out = tmp_path / "out"
    assert render_batch(source, out, workers=1, engine="chromium").complete
    options = json.loads((out / "run.json").read_text("utf-8"))
    version = run_tool("chromium", "--version").split()[1]
    assert options["engine_version"] == f"Chromium {version}"
    options["engine_version"] = "Chromium 1.0.0.0"  # the run was begun under another one
    (out / "run.json").write_text(json.dumps(options), "utf-8")
    with pytest.raises(RunMismatchError, match="engine_version"):
        render_batch(source, out, workers=1, engine="chromium")


def drawn(pdf: bytes) -> dict[str, set[int]]:
    """Each font's glyphs that have an outline in its program, by font name (but
    .notdef, whose outline the subsetter empties: validation keeps every character of
    a bill in the font)."""
    found: dict[str, set[int]] = {}
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for font in page.Resources.Font.values():
                program = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
                name = str(font.BaseFont).split("+")[-1]
                found.setdefault(name, set()).update((_drawn_glyphs(program) or set()) - {0})
    return found


def test_a_print_files_fonts_lose_their_hinting_and_keep_every_glyph(
    engine: ChromiumEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = Renderer()
    jobs = [(renderer.html(b), f"bill {b.account}") for b in sample_bills(6, seed=13)]
    slim, _ = engine.write_merged(jobs)
    monkeypatch.setattr(printed, "slim_fonts", lambda document: None)
    whole, _ = engine.write_merged(jobs)
    assert slim is not None
    assert whole is not None
    assert len(slim) < len(whole)
    assert drawn(slim) == drawn(whole)
    with pikepdf.open(io.BytesIO(slim)) as document:
        for font in document.pages[0].Resources.Font.values():
            program = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
            tables = set(TTFont(io.BytesIO(program)).reader.tables)
            assert not tables & {"fpgm", "prep", "cvt ", "GSUB", "GPOS"}
