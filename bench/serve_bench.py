"""The service under load from a real load tool (Debian's ``wrk``), on loopback only.

For each of coalescing on and off (one document per request, as Gotenberg does) it
starts ``alseco-bill serve --engine chromium`` on a free 127.0.0.1 port, warms it,
and at concurrency 1, 8 and 32 posts ``--count`` different sample bills through a
Lua script (each wrk thread stops after its share, and wrk's ``-d`` bounds the time),
then reads bills/s, p50/p95/p99 and errors from wrk's own report. In the same run
the batch (``render_batch --engine chromium``, per-bill files) on the same bills
gives its bills/s, and one warm engine in this process the median time of one bill
(what a request at concurrency 1 is compared with). Then, with ``--rss N``, one more
server takes N requests at concurrency 8 while a sampler adds up the RSS of all its
processes (server, workers, browsers) ten times a second: the RSS "after 1,000" is
the median of the per-second peaks while requests 1,000 to 1,500 were answered, and
"after N" that of the last 500. Every server is stopped with SIGTERM and must exit 0.

    .venv/bin/python bench/serve_bench.py --count 2000 --rss 5000
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx
import psutil

from alseco_bill import render_batch, sample_bills

LUA = r"""
local bodies = {}
for line in io.lines(os.getenv("BILLS")) do bodies[#bodies + 1] = line end
local share = tonumber(os.getenv("SHARE"))
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end
function init(args)
  counter = id
  sent = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  counter = counter + 1
  return wrk.format(nil, "/v1/bills/pdf", nil, bodies[(counter % #bodies) + 1])
end
function response(status, headers, body)
  sent = sent + 1
  if sent >= share then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local out = io.open(os.getenv("REPORT"), "w")
  out:write(string.format(
    '{"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "errors": %d}',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
  out:close()
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(coalesce: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cli = Path(sys.executable).with_name("alseco-bill")
    flag = "--coalesce" if coalesce else "--no-coalesce"
    command = [str(cli), "serve", "--port", str(port), "--engine", "chromium", flag]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                return server, url
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not get ready")


_clients = threading.local()
# How often a row looks at the server's count of answers: each look is a render of
# /metrics in the server's event loop.
POLL_S = 0.25


def answered(url: str) -> float:
    """How many bill requests the server has answered (its own /metrics), asked over
    one kept-alive connection per thread."""
    client: httpx.Client | None = getattr(_clients, "client", None)
    if client is None:
        client = _clients.client = httpx.Client(timeout=30)
    text = client.get(url + "/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('alseco_requests_total{route="/v1/bills/pdf"')
    )


def settle(url: str) -> None:
    last = -1.0
    while (now := answered(url)) != last:
        last = now
        time.sleep(1.5)


def load(url: str, bills: Path, concurrency: int, count: int, limit_s: int) -> dict[str, float]:
    """``count`` requests at ``concurrency``: wrk runs for its whole ``-d`` whatever
    its threads do, so the time is taken from the server's count of answers, and wrk
    is stopped (SIGINT: it reports) once ``count`` are answered."""
    with tempfile.TemporaryDirectory() as folder:
        script, report = Path(folder, "post.lua"), Path(folder, "report.json")
        script.write_text(LUA, "utf-8")
        threads = min(concurrency, 2)
        env = {"BILLS": str(bills), "SHARE": str(count // threads), "REPORT": str(report)}
        command = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{limit_s}s"]
        command += ["--timeout", "30s", "--latency", "-s", str(script), url]
        before = answered(url)
        began = time.perf_counter()
        tool = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while tool.poll() is None and answered(url) - before < count:
            time.sleep(POLL_S)
        seconds = time.perf_counter() - began
        done = answered(url) - before
        tool.send_signal(signal.SIGINT)
        tool.wait(60)
        settle(url)  # requests wrk left in flight are answered before the next row
        result: dict[str, float] = json.loads(report.read_text("utf-8"))
        result["bills_per_s"] = done / seconds
        return result


class TreeRss(threading.Thread):
    """Ten times a second: the RSS of the server and every process below it, and how
    many requests it had answered; kept as per-second peaks."""

    def __init__(self, server: subprocess.Popen[bytes], url: str) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(server.pid)
        self.url = url
        self.peaks: list[tuple[float, int]] = []  # (answered, peak bytes) a second
        self.running = True

    def run(self) -> None:
        while self.running:
            peak, second = 0, time.monotonic() + 1
            while time.monotonic() < second:
                total = 0
                for process in [self.root, *self.root.children(recursive=True)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        continue
                peak = max(peak, total)
                time.sleep(0.1)
            self.peaks.append((answered(self.url), peak))

    def median_between(self, low: float, high: float) -> float:
        """Median of the per-second peaks while answers ``low`` to ``high`` came, MB."""
        inside = [rss for done, rss in self.peaks if low <= done < high]
        return statistics.median(inside) / 2**20 if inside else float("nan")


def rss_run(bills: Path, count: int, max_seconds: int) -> tuple[float, float]:
    server, url = start(True)
    sampler = TreeRss(server, url)
    try:
        load(url, bills, 8, 16, 60)
        before = answered(url)
        sampler.start()
        load(url, bills, 8, count, max_seconds)
        sampler.running = False
        sampler.join()
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(60)
        assert code == 0, f"the server exited {code}"
    return (
        sampler.median_between(before + 1000, before + 1500),
        sampler.median_between(before + count - 500, before + count + 1),
    )


def warm_single(bills: Path, times: int = 20) -> float:
    """Median ms of one bill by a warm Chromium engine in this process."""
    from alseco_bill import Renderer

    renderer = Renderer(engine="chromium")
    lines = bills.read_text("utf-8").splitlines()
    try:
        renderer.pdf(renderer.parse(lines[0]))  # the browser starts
        spent = []
        for line in lines[1 : times + 1]:
            began = time.perf_counter()
            renderer.pdf(renderer.parse(line))
            spent.append((time.perf_counter() - began) * 1000)
    finally:
        renderer.close()
    return statistics.median(spent)


def row(coalesce: bool, concurrency: int, r: dict[str, float]) -> str:
    return (
        f"{'on ' if coalesce else 'off'}      {concurrency:2d}  {r['bills_per_s']:7.1f}  "
        f"{r['p50']:6.0f}  {r['p95']:6.0f}  {r['p99']:6.0f}  {int(r['errors']):6d}  "
        f"({int(r['requests'])} answered in {r['seconds']:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200, help="requests per concurrency")
    parser.add_argument("--max-seconds", type=int, default=600, help="per concurrency")
    parser.add_argument("--rss", type=int, default=0, help="requests of the RSS run")
    parser.add_argument("--only-rss", action="store_true", help="skip the rows and the batch")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    work = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    bills = work / "bills.jsonl"
    bills.write_text(
        "".join(b.model_dump_json() + "\n" for b in sample_bills(args.count, seed=7)), "utf-8"
    )
    rows = []
    print("coalesce  c   bills/s  p50 ms  p95 ms  p99 ms  errors", flush=True)
    for coalesce in () if args.only_rss else (True, False):
        server, url = start(coalesce)
        try:
            load(url, bills, 8, 16, 60)  # warm: every worker's browser has printed
            for concurrency in (1, 8, 32):
                result = load(url, bills, concurrency, args.count, args.max_seconds)
                rows.append((coalesce, concurrency, result))
                print(row(coalesce, concurrency, result), flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(60)
            assert code == 0, f"the server exited {code}"
    if rows:
        began = time.perf_counter()
        summary = render_batch(bills, work / "batch", engine="chromium")
        batch_rate = summary.rendered / (time.perf_counter() - began)
        single = warm_single(bills)
        print(f"{args.count} requests a row, 2 cores shared; batch {batch_rate:.1f} bills/s")
        print(f"one bill by a warm engine in-process: {single:.0f} ms (median of 20)")
        for coalesce, concurrency, r in rows:
            print(f"{row(coalesce, concurrency, r)}  {r['bills_per_s'] / batch_rate:5.2f}x batch")
        on = {c: r for coalesce, c, r in rows if coalesce}
        off = {c: r for coalesce, c, r in rows if not coalesce}
        ratio = on[32]["bills_per_s"] / off[32]["bills_per_s"]
        print(f"c=32: {ratio:.2f}x one document a request")
        print(f"c=1: p50 {on[1]['p50']:.0f} ms = {on[1]['p50'] / single:.2f}x the warm bill")
    if args.rss:
        bills.write_text(  # a different bill for every request
            "".join(b.model_dump_json() + "\n" for b in sample_bills(args.rss, seed=8)), "utf-8"
        )
        after_1000, after_all = rss_run(bills, args.rss, args.max_seconds * 3)
        print(
            f"server RSS (all its processes): {after_1000:.0f} MB after 1,000 requests, "
            f"{after_all:.0f} MB after {args.rss:,} ({after_all / after_1000 - 1:+.1%})",
            flush=True,
        )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
