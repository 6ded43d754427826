"""Tagged files cut from a Chromium part: each bill's own tree, the same bytes wherever
it was printed, and a part whose tree has another shape printed bill by bill."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import run_tool

from alseco_bill import Renderer, sample_bills
from alseco_bill.bill.model import Bill
from alseco_bill.engines import chromium
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.engines.part import compose, split_bill
from alseco_bill.pdf.options import PdfOptions
from alseco_bill.pdf.pages import DocumentInfo, split_pages
from alseco_bill.pdf.structure import Irregular, elements_of, number_ids
from alseco_bill.render import ref_of

pytestmark = pytest.mark.chromium

TAGGED = PdfOptions(tagged=True)


@pytest.fixture(scope="module")
def jobs() -> list[tuple[str, str, Bill]]:
    """Six sample bills of both variants and languages: (html, ref, bill)."""
    renderer = Renderer()
    return [(renderer.html(bill), ref_of(bill), bill) for bill in sample_bills(6, seed=8)]


@pytest.fixture(scope="module")
def part(engine: ChromiumEngine, jobs: list[tuple[str, str, Bill]]) -> bytes:
    """The six bills as Chromium prints them tagged: one document."""
    pages = [split_bill(html) for html, _, _ in jobs]
    assert all(pages)
    session = engine.session
    session.load(compose([page for page in pages if page]), jobs[0][1])
    return session.print(jobs[0][1], tagged=True)


def roles(document: Any) -> list[str]:
    return [str(element.S) for element in elements_of(document)]


def test_each_file_carries_its_own_bill_and_tree(
    engine: ChromiumEngine, jobs: list[tuple[str, str, Bill]], tmp_path: Path
) -> None:
    files = engine.write_each_with(jobs, TAGGED)
    for (_, _, bill), pdf in zip(jobs, files, strict=True):
        assert isinstance(pdf, bytes)
        path = tmp_path / f"{bill.account}.pdf"
        path.write_bytes(pdf)
        assert "Tagged:          yes" in run_tool("pdfinfo", path)
        run_tool("qpdf", "--check", path)
        text = run_tool("pdftotext", path, "-")
        assert bill.account in text
        assert not any(other.account in text for _, _, other in jobs if other is not bill)
        with pikepdf.open(path) as document:
            tree = document.Root.StructTreeRoot
            assert pikepdf.Name.Document == tree.K.S
            assert not isinstance(tree.K.K, pikepdf.Array), "one bill under the Document"
            assert list(tree.ParentTree.Nums)[::2] == [0]
            assert document.pages[0].StructParents == 0
            found = roles(document)
            assert found.count("/H1") == 1
            assert found.count("/TH") >= 11
            ids = [str(e.ID) for e in elements_of(document) if "/ID" in e]
            assert ids == [f"node{i:08d}" for i in range(len(ids))]
            names = list(tree.IDTree.Names)
            assert [str(n) for n in names[::2]] == sorted(ids)
            page = document.pages[0].obj
            with document.open_outline() as outline:
                assert len(outline.root) == 1
                items = [outline.root[0], *outline.root[0].children]
                for item in items:
                    assert isinstance(item.destination, pikepdf.Array)
                    assert item.destination[0].objgen == page.objgen


def test_a_bill_gives_the_same_file_in_any_part(
    engine: ChromiumEngine, jobs: list[tuple[str, str, Bill]]
) -> None:
    files = engine.write_each_with(jobs, TAGGED)
    assert engine.write_each_with(jobs[3:5], TAGGED) == files[3:5]
    assert engine.write_each_with([jobs[5]], TAGGED) == files[5:]
    both = PdfOptions(archive=True, tagged=True)
    archived = engine.write_each_with(jobs, both)
    assert engine.write_each_with(jobs[4:], both) == archived[4:]


def test_a_tree_with_an_element_on_another_page_is_not_cut(part: bytes) -> None:
    with pikepdf.open(io.BytesIO(part)) as document:
        bills = list(document.Root.StructTreeRoot.K.K)
        bills[1].Pg = document.pages[0].obj
        buffer = io.BytesIO()
        document.save(buffer)
    with pytest.raises(Irregular, match="another page"):
        split_pages(buffer.getvalue(), [DocumentInfo()] * 6, tagged=True)


def test_a_tree_with_fewer_elements_than_pages_is_not_cut(part: bytes) -> None:
    with pikepdf.open(io.BytesIO(part)) as document:
        top = document.Root.StructTreeRoot.K
        top.K = pikepdf.Array(list(top.K)[:-1])
        buffer = io.BytesIO()
        document.save(buffer)
    with pytest.raises(Irregular, match="5 top elements for 6 pages"):
        split_pages(buffer.getvalue(), [DocumentInfo()] * 6, tagged=True)


def test_a_part_that_cannot_be_cut_is_printed_bill_by_bill(
    engine: ChromiumEngine, jobs: list[tuple[str, str, Bill]], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = engine.write_each_with(jobs[:3], TAGGED)
    parts: list[int] = []

    def refusing(pdf: bytes, infos: list[DocumentInfo], **kwargs: Any) -> list[bytes]:
        parts.append(len(infos))
        if len(infos) > 1:
            raise Irregular("not this one")
        return split_pages(pdf, infos, **kwargs)

    monkeypatch.setattr(chromium, "split_pages", refusing)
    assert engine.write_each_with(jobs[:3], TAGGED) == expected
    assert parts == [3, 1, 1, 1]


def test_ids_are_numbered_in_the_trees_order_and_headers_follow(part: bytes) -> None:
    with pikepdf.open(io.BytesIO(part)) as document:
        elements = elements_of(document)
        before = {str(e.ID): i for i, e in enumerate(elements) if "/ID" in e}
        headed = [
            (i, [before[str(h)] for h in a.Headers])
            for i, e in enumerate(elements)
            for a in (e.A if isinstance(e.get("/A"), pikepdf.Array) else [e.get("/A")])
            if isinstance(a, pikepdf.Dictionary) and "/Headers" in a
        ]
        assert headed, "the services table's cells name their header cells"
        number_ids(document, elements)
        after = [str(e.ID) for e in elements if "/ID" in e]
        assert after == [f"node{i:08d}" for i in range(len(after))]
        for i, header_positions in headed:
            element = elements[i]
            attributes = element.A if isinstance(element.A, pikepdf.Array) else [element.A]
            headers = next(a for a in attributes if "/Headers" in a).Headers
            assert [str(h) for h in headers] == [str(elements[p].ID) for p in header_positions]
