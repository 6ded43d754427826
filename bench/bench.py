"""Print-run benchmark: the same generated bills rendered four ways, side by side.

    .venv/bin/python bench/bench.py --count 200            # a, b, c (per-bill) and c (merged)
    .venv/bin/python bench/bench.py --count 200 --rss 1000,10000   # also RSS flatness
    .venv/bin/python bench/bench.py --single 20          # one bill: median of 20 renders

(a) a plain loop, one ``weasyprint.HTML(...).write_pdf()`` per bill, default options;
(b) headless system Chromium through Playwright, one reused page (our chromium engine);
(c) ``alseco-bill batch`` with its default engine (WeasyPrint), all cores, one PDF per
    bill, and (c-merged) with ``--merge 500``; (c-chromium) the batch with the Chromium engine.

Each scenario runs in a fresh child process; a sampler thread there follows every
process of its tree (workers, browser) with psutil, for CPU seconds and peak RSS.
Prints bills/s, CPU seconds per bill, peak RSS (largest single process), bytes per
bill, and the ratios c/a and c/b. Timings are medians only where stated: one run of
each scenario, on a noisy machine; compare ratios from the same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

SCENARIOS = ("a", "b", "c", "c-merged", "c-chromium")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="bills per scenario")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--rss", default="", help="bill counts for the RSS flatness check")
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
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name in filter(None, args.scenarios.split(",")):
            bills = make_bills(Path(tmp), args.count)
            results[name] = run_child(name, bills)
            show(name, results[name])
        ratios(results)
        for count in filter(None, args.rss.split(",")):
            result = run_child("c-merged", make_bills(Path(tmp), int(count)))
            show(f"c-merged ×{count}", result)


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
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"scenario {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def measure(name: str, bills: Path) -> dict[str, Any]:
    sampler = Sampler()
    sampler.start()
    start = time.perf_counter()
    count, size = SCENARIO_FUNCTIONS[name](bills)
    wall = time.perf_counter() - start
    sampler.stop()
    return {
        "bills": count,
        "wall": wall,
        "cpu": sampler.cpu(),
        "peak_rss_mb": sampler.peak_rss() / 2**20,
        "bytes_per_bill": size / count,
    }


class Sampler(threading.Thread):
    """Every 0.1 s: CPU times and RSS of this process and all its descendants."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.me = psutil.Process()
        self.cpu_by_pid: dict[int, float] = {}
        self.rss_by_pid: dict[int, int] = {}
        self.running = True

    def run(self) -> None:
        while self.running:
            self.sample()
            time.sleep(0.1)

    def sample(self) -> None:
        for process in [self.me, *self.me.children(recursive=True)]:
            try:
                times = process.cpu_times()
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            self.cpu_by_pid[process.pid] = times.user + times.system
            self.rss_by_pid[process.pid] = max(rss, self.rss_by_pid.get(process.pid, 0))

    def stop(self) -> None:
        self.sample()
        self.running = False

    def cpu(self) -> float:
        return sum(self.cpu_by_pid.values())

    def peak_rss(self) -> int:
        return max(self.rss_by_pid.values())


def plain_weasyprint(bills: Path) -> tuple[int, int]:
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
    return count, size


def chromium_page(bills: Path) -> tuple[int, int]:
    """(b): the system Chromium printing each bill with one reused page."""
    from alseco_bill import Renderer

    count = size = 0
    with Renderer(engine="chromium") as renderer:
        for line in bills.open(encoding="utf-8"):
            size += len(renderer.pdf(renderer.parse(line)))
            count += 1
    return count, size


def batch(merge: int | None, engine: str = "weasyprint") -> Any:
    def run(bills: Path) -> tuple[int, int]:
        from alseco_bill import render_batch

        with tempfile.TemporaryDirectory() as out:
            summary = render_batch(bills, out, merge=merge, engine=engine)
            if not summary.complete or summary.rejected:
                raise SystemExit(f"the run lost or rejected bills: {summary}")
            size = sum(p.stat().st_size for p in Path(out).rglob("*.pdf"))
        return summary.rendered, size

    return run


SCENARIO_FUNCTIONS = {
    "a": plain_weasyprint,
    "b": chromium_page,
    "c": batch(None),
    "c-merged": batch(500),
    "c-chromium": batch(None, "chromium"),
}


def show(name: str, r: dict[str, Any]) -> None:
    print(
        f"{name:>14}: {r['bills']} bills in {r['wall']:.1f} s"
        f" = {r['bills'] / r['wall']:.2f} bills/s;"
        f" CPU {r['cpu'] / r['bills'] * 1000:.0f} ms/bill; peak RSS {r['peak_rss_mb']:.0f} MB;"
        f" {r['bytes_per_bill'] / 1000:.1f} KB/bill",
        flush=True,
    )


def ratios(results: dict[str, dict[str, Any]]) -> None:
    rate = {name: r["bills"] / r["wall"] for name, r in results.items()}
    for c in ("c", "c-merged", "c-chromium"):
        for base in ("a", "b"):
            if c in rate and base in rate:
                print(f"{c}/{base} = {rate[c] / rate[base]:.2f}×")


if __name__ == "__main__":
    main()
