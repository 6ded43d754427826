"""The service with real servers (uvicorn on free loopback ports) and a real client: one
with two workers and tokens, and one-worker servers with a small queue, a short
deadline or a broken theme."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx2 as httpx
import psutil
import pytest
from conftest import run_tool
from openapi_spec_validator import validate

from alseco_bill import sample_bills
from alseco_bill.service.problems import BASE, MEDIA_TYPE, TITLES
from alseco_bill.theme import packaged_dir

pytestmark = [pytest.mark.chromium, pytest.mark.slow]

TOKEN = "s3cret-token"


class Server(NamedTuple):
    """A running ``alseco-bill serve``: its address, its process, and the file that
    holds its output (one JSON line per request)."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(folder: Path, *extra_args: str) -> Server:
    """``alseco-bill serve --engine chromium`` on a free loopback port with
    ``extra_args``, its output in ``folder / "log"``; returned once it is ready."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = Path(sys.executable).with_name("alseco-bill")
    command = [str(cli), "serve", "--port", str(port), "--engine", "chromium", *extra_args]
    log_file = folder / "log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                return Server(url, process, log_file)
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    for child in psutil.Process(process.pid).children(recursive=True):
        child.kill()
    process.kill()
    process.wait(10)
    pytest.fail("the server did not get ready: " + log_file.read_text())


def serving(
    tmp_path_factory: pytest.TempPathFactory, name: str, *extra_args: str
) -> Iterator[Server]:
    """A module fixture's server: started, yielded, stopped (if a test did not)."""
    started = start_server(tmp_path_factory.mktemp(name), *extra_args)
    yield started
    if started.process.poll() is None:
        stop(started.process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two workers and a token file."""
    tokens = tmp_path_factory.mktemp("tokens") / "tokens"
    tokens.write_text(f"# the test\ntester:{TOKEN}\n", "utf-8")
    yield from serving(tmp_path_factory, "serve", "--workers", "2", "--token-file", str(tokens))


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM; the server exits 0 and every process it started is gone."""
    tree = psutil.Process(process.pid).children(recursive=True)
    assert tree, "the server should have started workers"
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    _, alive = psutil.wait_procs(tree, timeout=20)
    assert not alive, f"left running: {[p.pid for p in alive]}"


AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {**AUTH, "Content-Type": "application/json"}


def bills(count: int, seed: int) -> list[dict[str, Any]]:
    return [json.loads(b.model_dump_json()) for b in sample_bills(count, seed=seed)]


def text_of(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return run_tool("pdftotext", "-layout", path, "-")


def test_health_and_ready_need_no_token(server: Server) -> None:
    url = server.url
    assert httpx.get(url + "/healthz").status_code == 200
    assert httpx.get(url + "/readyz").json()["engine"] == "chromium"
    answer = httpx.get(url + "/v1/schema")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert (
        httpx.get(url + "/v1/schema", headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    assert httpx.get(url + "/v1/schema", headers=AUTH).json()["title"]


def test_openapi_is_valid(server: Server) -> None:
    url = server.url
    validate(httpx.get(url + "/openapi.json", headers=AUTH).json())


def test_a_bill_as_pdf_png_html_and_validated(server: Server, tmp_path: Path) -> None:
    url = server.url
    bill = bills(1, seed=21)[0]
    answer = httpx.post(url + "/v1/bills/pdf", json=bill, headers=AUTH, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert (
        f'filename="{bill["account"]}-{bill["period"]}.pdf"'
        in answer.headers["content-disposition"]
    )
    assert answer.headers["etag"].startswith('"')
    assert answer.headers["x-engine"].startswith("chromium Chromium ")
    assert bill["account"] in text_of(answer.content, tmp_path, "one")
    png = httpx.post(url + "/v1/bills/png?dpi=50", json=bill, headers=AUTH, timeout=60)
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    html = httpx.post(url + "/v1/bills/html", json=bill, headers=AUTH)
    assert html.status_code == 200
    assert bill["account"] in html.text
    assert httpx.post(url + "/v1/bills/validate", json=bill, headers=AUTH).status_code == 200
    assert httpx.post(url + "/v1/bills/png?dpi=9", json=bill, headers=AUTH).status_code == 400


def test_problems_name_their_fields(server: Server) -> None:
    url = server.url
    bill = bills(1, seed=22)[0]
    bill["services"][0]["to_pay"] = "1.00"
    answer = httpx.post(url + "/v1/bills/validate", json=bill, headers=AUTH)
    assert answer.status_code == 422
    body = answer.json()
    assert body["type"].endswith("/invalid-bill")
    assert any(p["path"].startswith("services[0]") for p in body["problems"])
    assert "Traceback" not in answer.text
    post = url + "/v1/bills/pdf"
    assert httpx.post(post, content=b"{not json", headers=JSON).status_code == 400
    duplicate = b'{"account": "1", "account": "2"}'
    assert httpx.post(post, content=duplicate, headers=JSON).status_code == 422
    assert (
        httpx.post(post, content=b"{}", headers={**AUTH, "Content-Type": "text/plain"}).status_code
        == 415
    )
    big = httpx.post(post, content=b" " * (1 << 20 + 1), headers=JSON)
    assert big.status_code == 413
    assert big.headers["content-type"] == "application/problem+json"


def log_entries(log: Path, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """The server's JSON log lines of the requests ``wanted`` (by request id), waited
    for a few seconds: a line is written as its answer leaves."""
    deadline = time.monotonic() + 10
    while True:
        found: dict[str, dict[str, Any]] = {}
        for line in log.read_text("utf-8").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("request_id") in wanted and "route" in entry:
                    found[entry["request_id"]] = entry
        if set(found) == wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_the_request_id_is_echoed_or_made_and_logged(server: Server) -> None:
    url = server.url
    bill = bills(1, seed=31)[0]
    given = httpx.post(
        url + "/v1/bills/pdf", json=bill, headers={**AUTH, "X-Request-Id": "abc-123"}, timeout=60
    )
    assert given.status_code == 200, given.text
    assert given.headers["x-request-id"] == "abc-123"
    made = httpx.post(url + "/v1/bills/validate", json=bill, headers=AUTH, timeout=60)
    assert made.status_code == 200
    made_id = made.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_id)
    # A problem carries the id in its body too.
    wrong = httpx.post(
        url + "/v1/bills/validate", json={}, headers={**AUTH, "X-Request-Id": "abc-124"}, timeout=60
    )
    assert wrong.status_code == 422
    assert wrong.headers["x-request-id"] == wrong.json()["request_id"] == "abc-124"

    entries = log_entries(server.log, {"abc-123", made_id, "abc-124"})
    assert {k: (e["route"], e["status"]) for k, e in entries.items()} == {
        "abc-123": ("/v1/bills/pdf", 200),
        made_id: ("/v1/bills/validate", 200),
        "abc-124": ("/v1/bills/validate", 422),
    }
    assert entries["abc-123"]["token"] == "tester"  # the token's name, never the token
    assert entries["abc-123"]["bills_in_document"] >= 1
    # Neither the bill's personal fields nor the token, in any line, raw or as read
    # (json.dumps writes Cyrillic as \uXXXX escapes).
    consumer = bill["consumer"]
    secrets = [TOKEN, consumer["name"], consumer["address"]["street"]]
    for line in server.log.read_text("utf-8").splitlines():
        shown = json.dumps(json.loads(line), ensure_ascii=False) if line.startswith("{") else line
        for secret in secrets:
            assert secret not in line
            assert secret not in shown


def test_odd_bodies_and_digits_are_the_callers_problems(server: Server) -> None:
    """Both were 500 internal errors: a body nested too deep for Python's JSON reader
    (a RecursionError), and digits str.isdigit() takes but int() refuses."""
    url = server.url
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = httpx.post(url + "/v1/bills/validate", content=deep, headers=JSON, timeout=30)
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith("/invalid-bill")
    assert "nested" in answer.json()["problems"][0]["message"]
    bill = bills(1, seed=32)[0]
    for name in ("dpi", "page"):
        odd = httpx.post(
            url + "/v1/bills/png", params={name: "²"}, json=bill, headers=AUTH, timeout=30
        )
        assert odd.status_code == 400, odd.text
        assert odd.json()["type"].endswith("/bad-request")


async def post_all(url: str, payloads: list[dict[str, Any]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(headers=AUTH, timeout=120, limits=limits) as client:
        return list(
            await asyncio.gather(*(client.post(url + "/v1/bills/pdf", json=p) for p in payloads))
        )


def test_fifty_concurrent_bills_each_get_their_own(server: Server, tmp_path: Path) -> None:
    url = server.url
    payloads = bills(50, seed=23)
    answers = asyncio.run(post_all(url, payloads))
    assert [a.status_code for a in answers] == [200] * 50
    for i, (payload, answer) in enumerate(zip(payloads, answers, strict=True)):
        text = text_of(answer.content, tmp_path, str(i))
        assert payload["account"] in text
        # The total as the bill prints it, digits grouped with any space, decimal comma.
        total = payload["totals"]["to_pay"].replace(".", ",")
        assert total in re.sub(r"(?<=\d)[\s\u00a0\u202f](?=\d)", "", text)
    metrics = httpx.get(url + "/metrics", headers=AUTH).text
    assert 'alseco_requests_total{route="/v1/bills/pdf",status="200"}' in metrics
    # Concurrent requests shared documents: some document held more than one bill.
    count = float(metrics.split("alseco_bills_per_document_count ")[1].split()[0])
    assert count < 50


def test_a_bill_has_the_same_bytes_alone_and_among_thirty(server: Server) -> None:
    url = server.url
    payloads = bills(30, seed=25)
    alone = [httpx.post(url + "/v1/bills/pdf", json=p, headers=AUTH, timeout=60) for p in payloads]
    before = httpx.get(url + "/metrics", headers=AUTH).text
    together = asyncio.run(post_all(url, payloads))
    after = httpx.get(url + "/metrics", headers=AUTH).text
    assert [a.status_code for a in alone + together] == [200] * 60
    # The thirty were laid out in fewer than thirty documents: they shared.
    documents = [
        float(m.split("alseco_bills_per_document_count ")[1].split()[0]) for m in (before, after)
    ]
    assert documents[1] - documents[0] < 30
    for one, among in zip(alone, together, strict=True):
        assert hashlib.sha256(one.content).digest() == hashlib.sha256(among.content).digest()
        assert one.headers["etag"] == among.headers["etag"]


def test_one_overflowing_bill_among_twenty(server: Server) -> None:
    url = server.url
    payloads = bills(20, seed=24)
    payloads[7]["notices"] = [
        {"supplier": payloads[7]["suppliers"][0]["id"], "text": "Текст. " * 55}
    ] * 30
    answers = asyncio.run(post_all(url, payloads))
    statuses = [a.status_code for a in answers]
    assert statuses[7] == 422, answers[7].text
    assert statuses[:7] + statuses[8:] == [200] * 19
    assert answers[7].json()["type"].endswith("overflow")


@pytest.fixture(scope="module")
def long_queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One worker, and room for a hundred waiting bills."""
    yield from serving(tmp_path_factory, "serve-long-queue", "--workers", "1", "--queue", "200")


def test_a_request_whose_client_went_away_is_not_rendered(long_queue: Server) -> None:
    url = long_queue.url

    async def busy_then_gone() -> list[httpx.Response]:
        # Fifty bills waiting ahead of it: the worker takes a part of at most fifty
        # when it is free, so a whole part of fifty is printed before this request
        # could be taken, far longer than its client waits.
        load = asyncio.ensure_future(post_all(url, bills(100, seed=28)))
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(headers=AUTH, timeout=10) as watcher:
            while True:  # asked without blocking the loop that sends the hundred
                metrics = (await watcher.get(url + "/metrics")).text
                if float(re.findall(r"^alseco_queue_depth (\S+)", metrics, re.M)[0]) >= 50:
                    break
                assert time.monotonic() < deadline, "the bills did not queue up"
                await asyncio.sleep(0.05)
        async with httpx.AsyncClient(headers=AUTH, timeout=0.3) as client:
            with pytest.raises(httpx.TimeoutException):
                await client.post(url + "/v1/bills/pdf", json=bills(1, seed=29)[0])
        return await load

    assert [a.status_code for a in asyncio.run(busy_then_gone())] == [200] * 100
    assert metric(url, 'alseco_rejections_total{reason="client-gone"}') == 1


def test_a_killed_worker_is_replaced(server: Server) -> None:
    url, process = server.url, server.process
    workers = [p for p in psutil.Process(process.pid).children() if "python" in p.name().lower()]
    victim = max(workers, key=lambda p: p.create_time())
    victim.kill()
    answers = asyncio.run(post_all(url, bills(4, seed=25)))
    assert all(a.status_code in (200, 503) for a in answers)
    assert [a.status_code for a in asyncio.run(post_all(url, bills(4, seed=26)))] == [200] * 4


def test_sigterm_drains_and_ends_every_process(server: Server) -> None:
    url, process = server.url, server.process

    done = 'alseco_requests_total{route="/v1/bills/pdf",status="200"}'
    before = metric(url, done)

    async def load_then_term() -> list[httpx.Response]:
        task = asyncio.ensure_future(post_all(url, bills(10, seed=27)))
        # Every request has arrived (waiting, printing or answered): one that arrives
        # after the signal is refused with 503, as it should be.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = await asyncio.to_thread(metric, url, "alseco_queue_depth")
            printing = await asyncio.to_thread(metric, url, "alseco_in_flight")
            answered = await asyncio.to_thread(metric, url, done)
            if waiting + printing + answered - before >= 10:
                break
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        return await task

    tree = psutil.Process(process.pid).children(recursive=True)
    answers = asyncio.run(load_then_term())
    assert all(a.status_code == 200 for a in answers)
    assert process.wait(60) == 0
    _, alive = psutil.wait_procs(tree, timeout=20)
    assert not alive


# Servers with small limits or a broken theme, one worker each and no token file
# (the token post_all and metric send is ignored).


def assert_problem(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """``answer`` is a problem+json of ``status`` and ``kind``, with a detail and its
    request id; no traceback. Returns its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == MEDIA_TYPE
    body: dict[str, Any] = answer.json()
    assert body["type"] == BASE + kind
    assert body["title"] == TITLES[kind]
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["request_id"] == answer.headers["x-request-id"]
    assert "Traceback" not in answer.text
    assert 'File "' not in answer.text
    return body


def metric(url: str, sample: str) -> float:
    """The value of one sample of ``/metrics`` (0 while it has none)."""
    for line in httpx.get(url + "/metrics", headers=AUTH, timeout=10).text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    return 0.0


@pytest.fixture(scope="module")
def small_queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One worker, and two places in the queue."""
    yield from serving(tmp_path_factory, "serve-queue", "--workers", "1", "--queue", "2")


def test_a_full_queue_answers_429_with_retry_after(small_queue: Server) -> None:
    url = small_queue.url
    # The worker prints the first bills for a second or more while the others
    # arrive: two of them wait, the rest find the queue full.
    answers = asyncio.run(post_all(url, bills(20, seed=33)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) == {200, 429}, statuses
    assert statuses.count(200) >= 2  # the queue's two places at least
    for answer in answers:
        if answer.status_code == 200:
            assert answer.content.startswith(b"%PDF-")
        else:
            assert int(answer.headers["retry-after"]) >= 1
            assert_problem(answer, 429, "queue-full")
    full = metric(url, 'alseco_rejections_total{reason="queue-full"}')
    assert full == statuses.count(429)
    # The queue drained: the next bill is printed.
    after = httpx.post(url + "/v1/bills/pdf", json=bills(1, seed=34)[0], timeout=60)
    assert after.status_code == 200


@pytest.fixture(scope="module")
def short_deadline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One worker, and 10 ms for a request: no bill is printed that fast."""
    yield from serving(tmp_path_factory, "serve-deadline", "--workers", "1", "--deadline", "0.01")


def test_past_its_deadline_a_request_is_504_and_the_server_goes_on(
    short_deadline: Server,
) -> None:
    url = short_deadline.url
    bill = bills(1, seed=35)[0]
    for route in ("/v1/bills/pdf", "/v1/bills/png"):
        answer = httpx.post(url + route, json=bill, timeout=30)
        assert_problem(answer, 504, "deadline")
        assert "retry-after" not in answer.headers
    assert metric(url, 'alseco_rejections_total{reason="deadline"}') == 2
    # It goes on answering: what needs no print, and the next bill's 504 again.
    assert httpx.get(url + "/healthz", timeout=10).status_code == 200
    assert httpx.get(url + "/readyz", timeout=10).status_code == 200
    assert httpx.post(url + "/v1/bills/validate", json=bill, timeout=30).status_code == 200
    html = httpx.post(url + "/v1/bills/html", json=bill, timeout=30)
    assert html.status_code == 200
    assert bill["account"] in html.text
    assert_problem(httpx.post(url + "/v1/bills/pdf", json=bill, timeout=30), 504, "deadline")
    # The late bills were dropped, not left waiting or printing.
    deadline = time.monotonic() + 20
    while metric(url, "alseco_queue_depth") or metric(url, "alseco_in_flight"):
        assert time.monotonic() < deadline, "the late bills are still queued or printing"
        time.sleep(0.2)


BROKEN_LINE = 3  # of partials/stub.html, which only region bills include


@pytest.fixture(scope="module")
def broken_theme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One worker, and a designer's ``--templates`` folder whose stub (the region
    bills' tear-off part) uses a filter nobody defined."""
    templates = tmp_path_factory.mktemp("broken-theme")
    (templates / "partials").mkdir()
    lines = (packaged_dir("templates") / "partials/stub.html").read_text("utf-8").splitlines()
    lines.insert(BROKEN_LINE - 1, "<p>{{ bill.account|no_such_filter }}</p>")
    (templates / "partials/stub.html").write_text("\n".join(lines) + "\n", "utf-8")
    yield from serving(
        tmp_path_factory, "serve-theme", "--workers", "1", "--templates", str(templates)
    )


def of_variant(variant: str, seed: int) -> dict[str, Any]:
    return next(b for b in bills(10, seed=seed) if b["variant"] == variant)


def test_a_template_error_is_a_500_naming_the_template_and_line(broken_theme: Server) -> None:
    url = broken_theme.url
    region = of_variant("region", seed=36)
    for route in ("/v1/bills/pdf", "/v1/bills/html"):  # filled by the worker; by the server
        answer = httpx.post(url + route, json=region, timeout=60)
        body = assert_problem(answer, 500, "template-error")
        assert f"partials/stub.html, line {BROKEN_LINE}" in body["detail"]
        assert "no_such_filter" in body["detail"]
        assert (body["template"], body["line"]) == ("partials/stub.html", BROKEN_LINE)
        assert str(broken_theme.log.parent.parent) not in answer.text  # no server paths
    # The rest of the theme works: a city bill has no stub.
    city = httpx.post(url + "/v1/bills/pdf", json=of_variant("city", seed=36), timeout=60)
    assert city.status_code == 200, city.text


def the_browser(server: Server) -> psutil.Process:
    """The Chromium browser (not one of its helpers) of the server's one worker."""
    browsers = []
    for process in psutil.Process(server.process.pid).children(recursive=True):
        try:  # a helper may end between the listing and the asking
            name, arguments = process.name(), process.cmdline()
        except psutil.NoSuchProcess:
            continue
        if "chrom" in name.lower() and not any(a.startswith("--type=") for a in arguments):
            browsers.append(process)
    assert len(browsers) == 1, browsers
    return browsers[0]


def test_a_killed_browser_is_replaced_and_its_request_printed(broken_theme: Server) -> None:
    """A browser that died is no bill's fault: the worker starts another and prints
    the request again."""
    url = broken_theme.url
    city = of_variant("city", seed=37)
    # A printed bill first: the worker starts its browser for its first page.
    first = httpx.post(url + "/v1/bills/pdf", json=city, timeout=90)
    assert first.status_code == 200
    browser = the_browser(broken_theme)
    browser.kill()
    browser.wait(10)
    answer = httpx.post(url + "/v1/bills/pdf", json=city, timeout=90)
    assert answer.status_code == 200, answer.text
    assert answer.headers["etag"] == first.headers["etag"]  # the same bill, the same bytes
    assert the_browser(broken_theme).pid != browser.pid
    again = httpx.post(url + "/v1/bills/pdf", json=city, timeout=90)
    assert again.status_code == 200, again.text
