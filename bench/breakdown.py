"""Where a Chromium print run's CPU goes, step by step, per bill.

    .venv/bin/python bench/breakdown.py --parts 6        # 6 parts of 50 bills

One process, one warm Chromium engine, parts of 50 bills as the batch prints them
(``write_each``: one PDF per bill, and ``write_merged``). Each step is timed alone,
with the CPU it took in this process (ours), in Playwright's driver (node) and in the
browser's processes, read from /proc before and after it (psutil). Then the peer's
own way for the same bills: the filled HTML of all 50 as one document (a file, fonts
from their files), ``goto`` and ``pdf``, which is what b* does. The first part only
warms up and is not counted. Medians over the parts, in ms per bill.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

PART = 50
KINDS = ("ours", "driver", "browser")


class Meter:
    """CPU seconds of this process, the driver and the browser, per named step."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.steps: dict[str, list[dict[str, float]]] = {}
        # Last CPU seen of every process, kept when it ends (a page's renderer is
        # replaced now and then), so a step never counts a negative.
        self.seen: dict[int, tuple[str, float]] = {}

    def _cpu(self) -> dict[str, float]:
        for process in [self.me, *self.me.children(recursive=True)]:
            try:
                name = process.name()
                times = process.cpu_times()
            except psutil.Error:
                continue
            kind = "ours" if process.pid == self.me.pid else "browser"
            if name.startswith("node"):
                kind = "driver"
            elif not name.startswith(("chrom", "headless")) and process.pid != self.me.pid:
                continue
            self.seen[process.pid] = (kind, times.user + times.system)
        totals = dict.fromkeys(KINDS, 0.0)
        for kind, seconds in self.seen.values():
            totals[kind] += seconds
        totals["wall"] = time.perf_counter()
        return totals

    @contextmanager
    def step(self, name: str, record: bool) -> Iterator[None]:
        before = self._cpu()
        yield
        after = self._cpu()
        if record:
            spent = {k: (after[k] - before[k]) / PART * 1000 for k in after}
            self.steps.setdefault(name, []).append(spent)

    def table(self) -> None:
        print(f"{'step':<34}{'wall':>8}" + "".join(f"{k:>9}" for k in KINDS) + f"{'CPU':>8}")
        for name, samples in self.steps.items():
            median = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
            cpu = sum(median[k] for k in KINDS)
            cells = "".join(f"{median[k]:9.1f}" for k in KINDS)
            print(f"{name:<34}{median['wall']:8.1f}{cells}{cpu:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=6, help="parts of 50 bills (one warms up)")
    args = parser.parse_args()

    from alseco_bill import Renderer, sample_bills
    from alseco_bill.engines.chromium import ChromiumEngine
    from alseco_bill.engines.part import compose, split_bill
    from alseco_bill.engines.printed import document_info
    from alseco_bill.pdf.pages import split_pages
    from alseco_bill.theme import Theme
    from bench import users_chromium

    meter = Meter()
    renderer = Renderer(engine="chromium")
    engine = ChromiumEngine(Theme.create())
    sizes: dict[str, list[float]] = {"part PDF from the browser": [], "per-bill files": []}
    try:
        bills = list(sample_bills(PART * args.parts, seed=7))
        for n in range(args.parts):
            record = n > 0
            chunk = bills[n * PART : (n + 1) * PART]
            texts = [b.model_dump_json() for b in chunk]
            with meter.step("read and validate the JSON", record):
                parsed = [renderer.parse(t) for t in texts]
            with meter.step("fill the templates (incl. QR)", record):
                html = [renderer.html(b) for b in parsed]
            with meter.step("compose the part's document", record):
                pages = [split_bill(h) for h in html]
                document = compose([p for p in pages if p is not None])
            with meter.step("load + measure (screen layout)", record):
                findings = engine.session.load(document, "part")
            assert not any(findings)
            with meter.step("print (print layout, PDF, driver)", record):
                pdf = engine.session.print("part")
            sizes["part PDF from the browser"].append(len(pdf) / PART)
            with meter.step("cut into per-bill files", record):
                infos = [document_info(p) for p in pages if p is not None]
                files = split_pages(pdf, infos)
            sizes["per-bill files"].append(sum(map(len, files)) / PART)
            with meter.step("whole write_each (all above: load..cut)", record):
                engine.write_each([(h, "bill") for h in html])
            with meter.step("whole write_merged", record):
                engine.write_merged([(h, "bill") for h in html])
    finally:
        engine.close()
    # The peer's browser after ours has gone: one Playwright a thread.
    with users_chromium() as page, tempfile.TemporaryDirectory() as tmp:
        for n in range(args.parts):
            html = [renderer.html(b) for b in bills[n * PART : (n + 1) * PART]]
            with meter.step("peer: goto a file + pdf (b*)", n > 0):
                _peer(page, html, Path(tmp))
    meter.table()
    for name, values in sizes.items():
        print(f"{name}: {statistics.median(values) / 1000:.1f} KB a bill")


def _peer(page: Any, html: list[str], folder: Path) -> None:
    """b*'s way: every bill's body in one file, a page break after each, goto, pdf."""
    head = html[0][: html[0].index("<body")]
    bodies = [h[h.index(">", h.index("<body")) + 1 : h.rindex("</body>")] for h in html]
    page_break = '<div style="break-after: page"></div>'
    path = folder / "bills.html"
    path.write_text(f"{head}<body>{page_break.join(bodies)}</body></html>", "utf-8")
    page.goto(path.as_uri())
    page.pdf(prefer_css_page_size=True, print_background=True)


if __name__ == "__main__":
    main()
