"""Merged print files carry a title and one bookmark per bill, read back with pikepdf."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import run_tool

from alseco_bill import render_batch, sample_bill, sample_bills
from alseco_bill.pdf.outline import bookmark, with_outline
from alseco_bill.runs import run as batch


def expected_label(data: dict[str, Any]) -> str:
    """The bookmark as docs/runs.md describes it, written out independently."""
    address = data["consumer"]["address"]
    kk = data["language"] == "kk"
    parts = [address["street"], f"{address['house']}-үй" if kk else f"д. {address['house']}"]
    if address.get("flat"):
        parts.append(f"{address['flat']}-пәтер" if kk else f"кв. {address['flat']}")
    if data["variant"] == "region":
        parts.insert(0, address["locality"])
    return f"{data['account']} · {', '.join(parts)}"


def target(item: Any) -> Any:
    """The object number of the page a bookmark points at."""
    return item.destination[0].objgen


def outline_of(path: Path) -> tuple[str, str, list[tuple[str, int]]]:
    """Title, page mode, and each top-level bookmark with its 0-based target page."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        with pdf.open_outline() as outline:
            items = [(item.title, pages[target(item)]) for item in outline.root]
            assert all(not item.children for item in outline.root)
        return str(pdf.docinfo.Title), str(pdf.Root.PageMode), items


@pytest.fixture(scope="module")
def merged_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, dict[str, Any]]]:
    """11 records: 10 bills of both variants and languages, and a second bill for the
    third one's account (rejected after layout, so its page is left out of the file)."""
    folder = tmp_path_factory.mktemp("outline")
    records = [json.loads(b.model_dump_json(exclude_none=True)) for b in sample_bills(10, seed=5)]
    records.append({**records[6], "account": records[2]["account"]})
    source = folder / "bills.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "PART", 2)  # files of 4 bills are joined from parts of 2
        summary = render_batch(source, folder / "run", merge=4, workers=1)
    assert (summary.rendered, summary.rejected) == (10, 1)
    return folder / "run", {i + 1: r for i, r in enumerate(records)}


@pytest.mark.slow
def test_every_merged_file_has_a_title_and_a_bookmark_per_bill(
    merged_run: tuple[Path, dict[int, dict[str, Any]]],
) -> None:
    out, records = merged_run
    entries = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(entries) == 3
    # 11 records in files of 4, 4 and 3; the duplicate's page is left out of its file.
    assert sum(len(e["bills"]) for e in entries) == 10
    for entry in entries:
        path = out / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        title, mode, items = outline_of(path)
        stem = Path(entry["file"]).stem
        assert title == f"ALSECO print file {stem}: {len(entry['bills'])} bills"
        assert f"Title:           {title}" in run_tool("pdfinfo", path)
        assert mode == "/UseOutlines"
        assert items == [
            (expected_label(records[b["number"]]), b["page"] - 1) for b in entry["bills"]
        ]
        for label, page in items:
            text = run_tool("pdftotext", "-f", str(page + 1), "-l", str(page + 1), path, "-")
            assert label.split(" · ")[0] in text, "a bookmark points at another bill's page"
        run_tool("qpdf", "--check", path)


def test_bookmarks_of_both_languages_and_variants() -> None:
    kk_city = sample_bill("city", "kk", seed=1)
    ru_region = sample_bill("region", "ru", seed=2)
    for bill in (kk_city, ru_region):
        labels = {"house": "{number}-үй", "flat": "{number}-пәтер"}
        if bill.language == "ru":
            labels = {"house": "д. {number}", "flat": "кв. {number}"}
        assert bookmark(bill, labels) == expected_label(json.loads(bill.model_dump_json()))
    assert "Алматы" not in bookmark(kk_city, {"house": "{number}", "flat": "{number}"})


def test_outline_is_deterministic_and_checks_its_length(
    merged_run: tuple[Path, dict[int, dict[str, Any]]],
) -> None:
    out, _ = merged_run
    pdf = (out / "print/print-00001.pdf").read_bytes()
    with pikepdf.open(out / "print/print-00001.pdf") as document:
        count = len(document.pages)
    labels = [f"bill {i}" for i in range(count)]
    first = with_outline(pdf, "t", labels)
    assert first == with_outline(pdf, "t", labels)
    assert outline_of_bytes(first, out / "check.pdf")[2] == [(f"bill {i}", i) for i in range(count)]
    with pytest.raises(ValueError, match="bookmarks for"):
        with_outline(pdf, "t", labels[:-1])


def outline_of_bytes(pdf: bytes, path: Path) -> tuple[str, str, list[tuple[str, int]]]:
    path.write_bytes(pdf)
    return outline_of(path)
