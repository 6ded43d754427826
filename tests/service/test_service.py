"""The service with a real server (uvicorn on a free loopback port) and a real client."""

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
from typing import Any

import httpx2 as httpx
import psutil
import pytest
from conftest import run_tool
from openapi_spec_validator import validate

from alseco_bill import sample_bills

pytestmark = [pytest.mark.chromium, pytest.mark.slow]

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    folder = tmp_path_factory.mktemp("serve")
    tokens = folder / "tokens"
    tokens.write_text(f"# the test\ntester:{TOKEN}\n", "utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = Path(sys.executable).with_name("alseco-bill")
    command = [str(cli), "serve", "--port", str(port), "--engine", "chromium", "--workers", "2"]
    command += ["--token-file", str(tokens)]
    with (folder / "log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the server did not get ready: " + (folder / "log").read_text())
    yield url, process
    if process.poll() is None:
        stop(process)


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


def test_health_and_ready_need_no_token(server: tuple[str, Any]) -> None:
    url, _ = server
    assert httpx.get(url + "/healthz").status_code == 200
    assert httpx.get(url + "/readyz").json()["engine"] == "chromium"
    answer = httpx.get(url + "/v1/schema")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert (
        httpx.get(url + "/v1/schema", headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    assert httpx.get(url + "/v1/schema", headers=AUTH).json()["title"]


def test_openapi_is_valid(server: tuple[str, Any]) -> None:
    url, _ = server
    validate(httpx.get(url + "/openapi.json", headers=AUTH).json())


def test_a_bill_as_pdf_png_html_and_validated(server: tuple[str, Any], tmp_path: Path) -> None:
    url, _ = server
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


def test_problems_name_their_fields(server: tuple[str, Any]) -> None:
    url, _ = server
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


async def post_all(url: str, payloads: list[dict[str, Any]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(headers=AUTH, timeout=120, limits=limits) as client:
        return list(
            await asyncio.gather(*(client.post(url + "/v1/bills/pdf", json=p) for p in payloads))
        )


def test_fifty_concurrent_bills_each_get_their_own(server: tuple[str, Any], tmp_path: Path) -> None:
    url, _ = server
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


def test_a_bill_has_the_same_bytes_alone_and_among_thirty(server: tuple[str, Any]) -> None:
    url, _ = server
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


def test_one_overflowing_bill_among_twenty(server: tuple[str, Any]) -> None:
    url, _ = server
    payloads = bills(20, seed=24)
    payloads[7]["notices"] = [
        {"supplier": payloads[7]["suppliers"][0]["id"], "text": "Текст. " * 55}
    ] * 30
    answers = asyncio.run(post_all(url, payloads))
    statuses = [a.status_code for a in answers]
    assert statuses[7] == 422, answers[7].text
    assert statuses[:7] + statuses[8:] == [200] * 19
    assert answers[7].json()["type"].endswith("overflow")


def test_a_request_whose_client_went_away_is_not_rendered(server: tuple[str, Any]) -> None:
    url, _ = server

    async def busy_then_gone() -> list[httpx.Response]:
        # Both workers busy for seconds (each takes what waits, up to a part, when it
        # is free), then one more request whose client gives up long before a worker
        # is free: on a fast machine six bills a worker were done before it left.
        first = asyncio.ensure_future(post_all(url, bills(40, seed=28)))
        await asyncio.sleep(0.5)
        second = asyncio.ensure_future(post_all(url, bills(40, seed=30)))
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(headers=AUTH, timeout=0.3) as client:
            with pytest.raises(httpx.TimeoutException):
                await client.post(url + "/v1/bills/pdf", json=bills(1, seed=29)[0])
        return [*await first, *await second]

    assert [a.status_code for a in asyncio.run(busy_then_gone())] == [200] * 80
    metrics = httpx.get(url + "/metrics", headers=AUTH).text
    assert 'alseco_rejections_total{reason="client-gone"} 1.0' in metrics


def test_a_killed_worker_is_replaced(server: tuple[str, Any]) -> None:
    url, process = server
    workers = [p for p in psutil.Process(process.pid).children() if "python" in p.name().lower()]
    victim = max(workers, key=lambda p: p.create_time())
    victim.kill()
    answers = asyncio.run(post_all(url, bills(4, seed=25)))
    assert all(a.status_code in (200, 503) for a in answers)
    assert [a.status_code for a in asyncio.run(post_all(url, bills(4, seed=26)))] == [200] * 4


def test_sigterm_drains_and_ends_every_process(server: tuple[str, Any]) -> None:
    url, process = server

    async def load_then_term() -> list[httpx.Response]:
        task = asyncio.ensure_future(post_all(url, bills(10, seed=27)))
        await asyncio.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        return await task

    tree = psutil.Process(process.pid).children(recursive=True)
    answers = asyncio.run(load_then_term())
    assert all(a.status_code == 200 for a in answers)
    assert process.wait(60) == 0
    _, alive = psutil.wait_procs(tree, timeout=20)
    assert not alive
