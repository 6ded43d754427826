"""Print-run benchmark: the same generated bills rendered several ways, side by side.

    .venv/bin/python bench/bench.py --count 300                   # every scenario below
    .venv/bin/python bench/bench.py --count 300 --rss 1000,10000  # also RSS flatness:
                          # the median of the largest process's per-second peaks
    .venv/bin/python bench/bench.py --single 20          # one bill: median of 20 renders

The peers, each at its best, written as a person would without this tool:
(a)  a plain loop, one ``weasyprint.HTML(...).write_pdf()`` per bill, default options;
(b)  a Playwright loop: the system Chromium (started with --allow-file-access-from-files,
     so fonts and logos load from their files), one page, ``goto`` a file per bill, ``pdf``;
(b*) the same person with all bills in ONE document and one ``pdf()``;
(b**) the same person on both cores: two (b*) processes at once, each printing half
     the bills as one document (the peer at this machine's limit).
``--rounds 3`` runs every scenario three times, interleaved, and prints each ratio's
median over the rounds (each round's ratios from that round alone).
Ours, ``alseco-bill batch`` on all cores: (c) WeasyPrint, one PDF per bill; (c-merged)
``--merge 500``; (c-chromium) the Chromium engine, one PDF per bill; (c-chromium-merged)
the Chromium engine with ``--merge 500``; and, when named in ``--scenarios``, each
engine's ``--archive`` and ``--tagged`` (c-archive, c-tagged, c-chromium-archive,
c-chromium-tagged). Every scenario fills the same templates.

Each scenario runs in a fresh child process. Its CPU is that of its whole process tree
(workers, Playwright's driver, the browsers): this process is the tree's subreaper, so
every descendant that ends is reaped here or by its parent, and the kernel adds its CPU
to the child's (``RUSAGE_CHILDREN``), even a process that ends between two samples. A
sampler thread in the child follows the tree with psutil for peak RSS (largest single
process) and the browsers' peak RSS (all their processes together); for ``--rss``, the
median of each second's peak of the largest process, and of each kind's largest
(python: the main process or a worker; browser: usually a page's renderer). The
samplers' own CPU (their thread's, in every process that has one) is the benchmark's,
not the scenario's: it is taken off (about 3 ms a sample, more with more processes to
follow; b** has three samplers, its own and each half's). Prints ms
and CPU ms per bill, bytes per bill and, for each of ours, how many times faster it is
than each peer (wall clock) and its CPU per bill against (b*)'s and (b**)'s. One run
of each scenario on a noisy machine: compare ratios from the same run.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

SCENARIOS = ("a", "b", "b*", "b**", "c", "c-merged", "c-chromium", "c-chromium-merged")
# --archive and --tagged, per bill, with each engine (not run unless named).
OPTION_SCENARIOS = ("c-archive", "c-tagged", "c-chromium-archive", "c-chromium-tagged")
PEERS = ("a", "b", "b*", "b**")
CPU_PEERS = ("b*", "b**")  # the CPU a bill needs in Chromium itself, one core or two
PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="bills per scenario")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--rounds", type=int, default=1, help="run the scenarios this many times, interleaved"
    )
    parser.add_argument("--rss", default="", help="bill counts for the RSS flatness check")
    parser.add_argument("--rss-scenario", default="c-chromium-merged")
    parser.add_argument("--single", type=int, help="time one example bill this many times")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--bills", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, Path(args.bills))))
        return
    if args.single:
        single(args.single)
        return
    # Orphans of a scenario (a browser whose driver ended first) are reaped here, so
    # their CPU is counted too.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    with tempfile.TemporaryDirectory() as tmp:
        names = list(filter(None, args.scenarios.split(",")))
        bills = make_bills(Path(tmp), args.count)
        rounds: list[dict[str, float]] = []
        for turn in range(args.rounds):
            if args.rounds > 1:
                print(f"round {turn + 1} of {args.rounds}", flush=True)
            results = {}
            # Each round starts one scenario later: none is always first (or always
            # right after the peer that starts two browsers).
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                results[name] = run_child(name, bills)
                show(name, results[name])
            rounds.append(ratios(results))
        if args.rounds > 1:
            medians(rounds)
        for count in filter(None, args.rss.split(",")):
            result = run_child(args.rss_scenario, make_bills(Path(tmp), int(count)))
            show(f"{args.rss_scenario} ×{count}", result)
            kinds = result["median_peak_rss_by_kind_mb"]
            print(
                f"{'':>18}  largest process, median of its per-second peaks: "
                f"{result['median_peak_rss_mb']:.0f} MB; of each kind's largest: "
                + ", ".join(f"{kind} {mb:.0f} MB" for kind, mb in sorted(kinds.items())),
                flush=True,
            )


def single(times: int) -> None:
    """One bill, rendered ``times`` times: validate + fill + PDF, as ``render_pdf`` does."""
    from statistics import median

    from alseco_bill import Renderer

    example = Path(__file__).resolve().parents[1] / "examples" / "city-ru.json"
    renderer = Renderer()
    cases: tuple[tuple[str, Callable[[], bytes]], ...] = (
        (
            "first render (a new Renderer each time)",
            lambda: Renderer().pdf(Renderer().load(example)),
        ),
        ("warm render (one Renderer reused)", lambda: renderer.pdf(renderer.load(example))),
    )
    for name, make in cases:
        seconds = []
        for _ in range(times):
            start = time.perf_counter()
            make()
            seconds.append(time.perf_counter() - start)
        print(
            f"{name}: median {median(seconds) * 1000:.0f} ms, "
            f"min {min(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms ({times} runs)"
        )


def make_bills(folder: Path, count: int) -> Path:
    path = folder / f"bills-{count}.jsonl"
    if not path.exists():
        from alseco_bill import sample_bills

        with path.open("w", encoding="utf-8") as out:
            for bill in sample_bills(count, seed=1):
                out.write(bill.model_dump_json() + "\n")
    return path


def run_child(name: str, bills: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", name, "--bills", str(bills)]
    before = _children_cpu()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    _reap_orphans()
    if done.returncode:
        sys.exit(f"scenario {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    # The samplers are the benchmark's instruments, not the scenario's work: they
    # follow every process of the tree, so a scenario of more processes paid more.
    result["cpu"] = _children_cpu() - before - result["sampler_cpu"]
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reap_orphans() -> None:
    """Wait for every descendant that outlived its parent (and was handed to us)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def measure(name: str, bills: Path) -> dict[str, Any]:
    sampler = Sampler()
    sampler.start()
    start = time.perf_counter()
    count, size, nested = SCENARIO_FUNCTIONS[name](bills)
    wall = time.perf_counter() - start
    sampler.stop()
    return {
        "sampler_cpu": sampler.cpu + nested,
        "bills": count,
        "wall": wall,
        "peak_rss_mb": sampler.peak_rss() / 2**20,
        "median_peak_rss_mb": statistics.median(sampler.second_peaks() or [0]) / 2**20,
        "median_peak_rss_by_kind_mb": {
            kind: statistics.median(peaks) / 2**20 for kind, peaks in sampler.kind_peaks().items()
        },
        "browser_rss_mb": sampler.browser_rss / 2**20,
        "bytes_per_bill": size / count,
        "cpu_by_kind": sampler.cpu_by_kind(exclude=sampler.cpu + nested),
    }


class Sampler(threading.Thread):
    """Every 0.1 s: CPU times and RSS of this process and all its descendants."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.me = psutil.Process()
        self.rss_by_pid: dict[int, int] = {}
        self.browser_rss = 0  # the most all browser processes held at one time
        self.cpu_by_pid: dict[int, tuple[str, float]] = {}  # kind, CPU seconds so far
        # Each second of the run: the peak RSS of each kind's largest process (a
        # worker, a renderer, the driver); the largest of them is the largest process's.
        self.seconds: list[dict[str, int]] = []
        self._second = (time.monotonic(), dict[str, int]())
        self.running = True
        self.cpu = 0.0  # this thread's own CPU seconds

    def run(self) -> None:
        while self.running:
            self.sample()
            self.cpu = time.thread_time()
            time.sleep(0.1)

    def sample(self) -> None:
        browser = 0
        by_kind: dict[str, int] = {}
        for process in [self.me, *self.me.children(recursive=True)]:
            try:
                rss = process.memory_info().rss
                kind = _kind(process)
                if kind == "browser":
                    browser += rss
                times = process.cpu_times()
            except psutil.Error:
                continue
            self.cpu_by_pid[process.pid] = (kind, times.user + times.system)
            self.rss_by_pid[process.pid] = max(rss, self.rss_by_pid.get(process.pid, 0))
            by_kind[kind] = max(rss, by_kind.get(kind, 0))
        self.browser_rss = max(self.browser_rss, browser)
        began, peaks = self._second
        if time.monotonic() - began >= 1:
            self.seconds.append(peaks)
            self._second = (time.monotonic(), by_kind)
        else:
            for kind, rss in by_kind.items():
                peaks[kind] = max(rss, peaks.get(kind, 0))

    def stop(self) -> None:
        self.sample()
        self.running = False

    def second_peaks(self) -> list[int]:
        """The largest process's peak RSS in each second."""
        return [max(peaks.values()) for peaks in self.seconds if peaks]

    def kind_peaks(self) -> dict[str, list[int]]:
        """Each kind's largest process's peak RSS in each second it ran."""
        found: dict[str, list[int]] = {}
        for peaks in self.seconds:
            for kind, rss in peaks.items():
                found.setdefault(kind, []).append(rss)
        return found

    def peak_rss(self) -> int:
        return max(self.rss_by_pid.values())

    def cpu_by_kind(self, exclude: float) -> dict[str, float]:
        """CPU seconds by kind of process, as last sampled (a process that ended
        lost its last 0.1 s; the scenario's total CPU is counted exactly elsewhere),
        less ``exclude`` seconds of python: the samplers' own."""
        kinds: dict[str, float] = {}
        for kind, seconds in self.cpu_by_pid.values():
            kinds[kind] = kinds.get(kind, 0.0) + seconds
        kinds["python"] = kinds.get("python", 0.0) - exclude
        return kinds


def _kind(process: psutil.Process) -> str:
    """browser, driver (Playwright's node), or python (ours or the peer's)."""
    name = process.name()
    if name.startswith(("chromium", "chrome", "headless")):
        return "browser"
    if name.startswith("node"):  # node-MainThread
        return "driver"
    return "python"


def plain_weasyprint(bills: Path) -> tuple[int, int, float]:
    """(a): what a first version would do: no reuse of anything between bills."""
    import weasyprint

    from alseco_bill import Renderer

    renderer = Renderer()  # only to fill the same templates
    base = renderer.theme.static_dirs[-1].as_uri() + "/"
    count = size = 0
    for line in bills.open(encoding="utf-8"):
        html = renderer.html(renderer.parse(line))
        size += len(weasyprint.HTML(string=html, base_url=base).write_pdf())
        count += 1
    return count, size, 0.0


@contextmanager
def users_chromium() -> Iterator[Any]:
    """The system Chromium as a person would start it to print local HTML files."""
    from playwright.sync_api import sync_playwright

    from alseco_bill.engines.browser import CHROMIUM_FLAGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[*CHROMIUM_FLAGS, "--allow-file-access-from-files"],
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def filled(bills: Path) -> Iterator[str]:
    from alseco_bill import Renderer

    renderer = Renderer()  # only to fill the same templates
    for line in bills.open(encoding="utf-8"):
        yield renderer.html(renderer.parse(line))


def playwright_loop(bills: Path) -> tuple[int, int, float]:
    """(b): one page, each bill written to a file, ``goto`` it, ``pdf``."""
    count = size = 0
    with users_chromium() as page, tempfile.TemporaryDirectory() as tmp:
        bill = Path(tmp) / "bill.html"
        for html in filled(bills):
            bill.write_text(html, encoding="utf-8")
            page.goto(bill.as_uri())
            size += len(page.pdf(prefer_css_page_size=True, print_background=True))
            count += 1
    return count, size, 0.0


def playwright_one_document(bills: Path) -> tuple[int, int, float]:
    """(b*): every bill's body in one document, a page break after each, one ``pdf``."""
    head = ""
    bodies = []
    for html in filled(bills):
        head = head or html[: html.index("<body")]
        bodies.append(html[html.index(">", html.index("<body")) + 1 : html.rindex("</body>")])
    page_break = '<div style="break-after: page"></div>'
    document = f"{head}<body>{page_break.join(bodies)}</body></html>"
    with users_chromium() as page, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bills.html"
        path.write_text(document, encoding="utf-8")
        page.goto(path.as_uri())
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    import pypdfium2 as pdfium

    pages = len(pdfium.PdfDocument(pdf))
    if pages != len(bodies):
        raise SystemExit(f"b*: {pages} pages for {len(bodies)} bills")
    return len(bodies), len(pdf), 0.0


def both_cores(bills: Path) -> tuple[int, int, float]:
    """(b**): two (b*) processes at once, the first half of the bills and the second."""
    lines = bills.read_text(encoding="utf-8").splitlines(keepends=True)
    half = (len(lines) + 1) // 2
    with tempfile.TemporaryDirectory() as tmp:
        halves = []
        for i, part in enumerate((lines[:half], lines[half:])):
            halves.append(Path(tmp) / f"half-{i}.jsonl")
            halves[-1].write_text("".join(part), encoding="utf-8")
        children = [
            subprocess.Popen(
                [sys.executable, __file__, "--one", "b*", "--bills", str(path)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for path in halves
        ]
        outputs = [child.communicate()[0] for child in children]
    if any(child.returncode for child in children):
        raise SystemExit("b**: a half failed")
    found = [json.loads(out.splitlines()[-1]) for out in outputs]
    count = sum(r["bills"] for r in found)
    size = int(sum(r["bytes_per_bill"] * r["bills"] for r in found))
    return count, size, sum(r["sampler_cpu"] for r in found)


def batch(
    merge: int | None, engine: str = "weasyprint", *, archive: bool = False, tagged: bool = False
) -> Any:
    def run(bills: Path) -> tuple[int, int, float]:
        from alseco_bill import render_batch

        with tempfile.TemporaryDirectory() as out:
            summary = render_batch(
                bills, out, merge=merge, engine=engine, archive=archive, tagged=tagged
            )
            if not summary.complete or summary.rejected:
                raise SystemExit(f"the run lost or rejected bills: {summary}")
            size = sum(p.stat().st_size for p in Path(out).rglob("*.pdf"))
        return summary.rendered, size, 0.0

    return run


SCENARIO_FUNCTIONS = {
    "a": plain_weasyprint,
    "b": playwright_loop,
    "b*": playwright_one_document,
    "b**": both_cores,
    "c": batch(None),
    "c-merged": batch(500),
    "c-chromium": batch(None, "chromium"),
    "c-chromium-merged": batch(500, "chromium"),
    "c-archive": batch(None, archive=True),
    "c-tagged": batch(None, tagged=True),
    "c-chromium-archive": batch(None, "chromium", archive=True),
    "c-chromium-tagged": batch(None, "chromium", tagged=True),
}


def show(name: str, r: dict[str, Any]) -> None:
    bills = r["bills"]
    browser = f"; browsers {r['browser_rss_mb']:.0f} MB" if r["browser_rss_mb"] else ""
    print(
        f"{name:>18}: {bills} bills in {r['wall']:.1f} s = {r['wall'] / bills * 1000:.1f} ms/bill;"
        f" CPU {r['cpu'] / bills * 1000:.0f} ms/bill; peak RSS {r['peak_rss_mb']:.0f} MB"
        f"{browser}; {r['bytes_per_bill'] / 1000:.1f} KB/bill"
        f" (the samplers' own CPU, not counted: {r['sampler_cpu'] / bills * 1000:.1f} ms/bill)",
        flush=True,
    )
    kinds = r.get("cpu_by_kind", {})
    if len(kinds) > 1:
        parts = (f"{k} {v / bills * 1000:.0f}" for k, v in sorted(kinds.items()))
        print(f"{'':>18}  CPU ms/bill by process: {', '.join(parts)}", flush=True)


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """How many times faster each of ours is than each peer (wall clock), and its CPU
    per bill against (b*)'s and (b**)'s, all from the same run; printed and returned
    (``"c-merged /b**"`` → 0.91)."""
    rate = {name: r["bills"] / r["wall"] for name, r in results.items()}
    cpu = {name: r["cpu"] / r["bills"] for name, r in results.items()}
    found: dict[str, float] = {}
    for ours in (name for name in results if name.startswith("c")):
        found.update({f"{ours} /{p}": rate[ours] / rate[p] for p in PEERS if p in rate})
        found.update({f"{ours} CPU/{p}": cpu[ours] / cpu[p] for p in CPU_PEERS if p in cpu})
        # Chromium's archive and tagged files against WeasyPrint's (the targets).
        weasyprint = ours.replace("c-chromium-", "c-")
        if ours in OPTION_SCENARIOS and weasyprint != ours and weasyprint in rate:
            found[f"{ours} /{weasyprint}"] = rate[ours] / rate[weasyprint]
        line = "   ".join(
            f"{key.removeprefix(ours).strip()} = {value:.2f}×"
            for key, value in found.items()
            if key.startswith(f"{ours} ")
        )
        print(f"{ours:>18} {line}", flush=True)
    return found


def medians(rounds: list[dict[str, float]]) -> None:
    """Each ratio's median over the rounds, with every round's value: on a machine
    whose speed drifts, a peer and ours measured minutes apart are compared within
    each round, never across rounds."""
    print(f"medians of {len(rounds)} rounds:")
    for key in rounds[0]:
        values = [found[key] for found in rounds]
        listed = ", ".join(f"{v:.2f}" for v in values)
        print(f"{key:>28} = {statistics.median(values):.2f}× ({listed})", flush=True)


if __name__ == "__main__":
    main()
