"""A page that already shows a document with the same head takes the next body in
place, and prints what a fresh page would."""

from __future__ import annotations

import hashlib

import pytest

from alseco_bill import Renderer, Theme, sample_bills
from alseco_bill.engines import session
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.engines.session import _Frame

DOCUMENT = '<html><head><style>p {{ color: red }}</style></head><body class="a">{}</body></html>'


def test_a_document_is_split_at_its_body() -> None:
    frame = _Frame.of(DOCUMENT.format('<p>x</p><img src="logo.svg">'))
    assert frame is not None
    assert frame.body == '<p>x</p><img src="logo.svg">'
    assert frame.outside[0].endswith('<body class="a">')
    assert frame.outside[1] == "</body></html>"
    assert frame.swappable
    assert _Frame.of("<p>no body</p>") is None


@pytest.mark.parametrize(
    "body",
    [
        '<div style="background: url(x.png)">x</div>',
        '<img srcset="a.png 2x">',
        '<link rel="stylesheet" href="x.css">',
        "<style>@import 'x.css';</style>",
        '<svg><image href="x.png"/></svg>',
        '<svg><use href="x.svg#a"/></svg>',
        '<object data="x.svg"></object>',
        '<table background="x.png"></table>',
        "<script>1</script>",
    ],
)
def test_a_body_that_could_load_more_than_images_is_navigated_to(body: str) -> None:
    frame = _Frame.of(DOCUMENT.format(body))
    assert frame is not None
    assert not frame.swappable


def digest(pdf: bytes | Exception) -> str:
    assert isinstance(pdf, bytes), pdf
    return hashlib.sha256(pdf).hexdigest()


@pytest.mark.chromium
def test_the_next_bills_load_no_font_again_and_print_a_fresh_pages_bytes() -> None:
    renderer = Renderer()
    bills = list(sample_bills(4, seed=41))
    jobs = [(renderer.html(bill), bill.account) for bill in bills]
    fresh = []
    for job in jobs:  # each by an engine of its own: a page that never showed another
        alone = ChromiumEngine(Theme.create())
        try:
            fresh.append(digest(alone.write_each([job])[0]))
        finally:
            alone.close()
    engine = ChromiumEngine(Theme.create())
    try:
        first = digest(engine.write_each([jobs[0]])[0])
        page = engine.session._page
        assert page is not None
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        after = [digest(engine.write_each([job])[0]) for job in jobs[1:]]
        assert engine.session._page is page
    finally:
        engine.close()
    assert [first, *after] == fresh
    # The page kept its document and fonts: at most a logo it had not shown loads.
    assert not [url for url in requested if not url.endswith(".svg")], requested


@pytest.mark.chromium
def test_replaced_bodies_are_collected_after_some_bills(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = Renderer()
    jobs = [(renderer.html(bill), bill.account) for bill in sample_bills(8, seed=41)]
    monkeypatch.setattr(session, "COLLECT_AFTER", 3)
    counting = "() => { gc(); window.collections = (window.collections || 0) + 1; return true; }"
    monkeypatch.setattr(session, "COLLECT_JS", counting)
    engine = ChromiumEngine(Theme.create())
    nodes = []  # what the page's renderer holds, live or garbage, after each bill
    try:
        for job in jobs:
            digest(engine.write_each([job])[0])
            page = engine.session._page
            assert page is not None
            devtools = page.context.new_cdp_session(page)
            nodes.append(devtools.send("Memory.getDOMCounters")["nodes"])
            devtools.detach()
        # Before the 4th and the 7th bill; the page took every body in place.
        assert engine.session._page is page is not None
        assert page.evaluate("window.collections") == 2
    finally:
        engine.close()
    # Uncollected, the eight bills' nodes would add up to about six times the first's
    # (Blink collects on its own only when idle); collected, at most four bills' stay.
    assert max(nodes) <= 4 * nodes[0], nodes


@pytest.mark.parametrize("limit", [session.FRESH_PAGE_AFTER, 10_000])  # pages, engines
def test_lives_are_drawn_between_three_quarters_of_the_limit_and_all_of_it(limit: int) -> None:
    lives = {session.drawn_life(limit) for _ in range(50)}
    assert min(lives) >= limit * 3 // 4
    assert max(lives) <= limit
    assert len(lives) > 10  # drawn: two workers do not renew at the same moment


@pytest.mark.chromium
def test_a_browsers_first_bills_arrive_at_the_printed_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Laid out at the browser's own width first, then at the printed width, the first
    # part of every browser would be laid out twice.
    seen = "async (body) => { window.widthAtSwap = window.innerWidth; "
    monkeypatch.setattr(session, "SWAP_JS", session.SWAP_JS.replace("async (body) => {", seen, 1))
    renderer = Renderer()
    jobs = [(renderer.html(bill), bill.account) for bill in sample_bills(3, seed=43)]
    engine = ChromiumEngine(Theme.create())
    try:
        assert all(isinstance(pdf, bytes) for pdf in engine.write_each(jobs))
        page = engine.session._page
        assert page is not None
        assert engine.session._viewport > 0
        assert page.evaluate("window.widthAtSwap") == engine.session._viewport
    finally:
        engine.close()
