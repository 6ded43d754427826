"""The preview's door: its WebSocket talks only to pages it served, and data files too
broken to read are listed with their problem instead of stopping the server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from alseco_bill import Theme
from alseco_bill.preview import create_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = "http://127.0.0.1:8000"
EVENTS = "ws://127.0.0.1:8000/events"
BROKEN = {
    "deep.json": b"[" * 100_000,
    "latin1.json": '{"variant": "city", "language": "ru", "account": "Ёж"}'.encode("cp1251"),
    "nul.json": b"\x00\x00\x00{",
    "twice.json": b'{"variant": "city", "variant": "region"}',
}


def project(folder: Path, broken: bool) -> Starlette:
    examples = folder / "examples"
    examples.mkdir()
    shutil.copy(EXAMPLES / "city-ru.json", examples / "city-ru.json")
    for name, content in BROKEN.items() if broken else ():
        (examples / name).write_bytes(content)
    return create_app(project=folder, watch=False)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(project(tmp_path, broken=False), base_url=BASE) as client:
        yield client


@pytest.fixture
def broken_client(tmp_path: Path) -> Iterator[TestClient]:
    """A preview whose project holds, next to a good bill, files of every broken kind."""
    with TestClient(project(tmp_path, broken=True), base_url=BASE) as client:
        yield client


def test_the_previews_own_page_may_listen(client: TestClient) -> None:
    with client.websocket_connect(EVENTS, headers={"Origin": BASE}) as socket:
        assert socket.receive_json() == {"version": 0}


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://127.0.0.1:8001",  # another local server, another origin
        "http://localhost:8000",  # the same server under another name is another origin
        "https://127.0.0.1:8000.evil.example",
        "null",  # a sandboxed frame or a file:// page
        None,  # browsers always send one
    ],
)
def test_a_foreign_origin_is_refused(client: TestClient, origin: str | None) -> None:
    headers = {"Origin": origin} if origin is not None else {}
    with (
        pytest.raises(WebSocketDisconnect) as caught,
        client.websocket_connect(EVENTS, headers=headers) as socket,
    ):
        socket.receive_json()
    assert caught.value.code == 1008


def test_unreadable_files_are_listed_with_their_problem(broken_client: TestClient) -> None:
    client = broken_client
    response = client.get("/api/bills")
    assert response.status_code == 200
    groups = {group["name"]: group["bills"] for group in response.json()["groups"]}
    unreadable = {bill["title"]: bill.get("problem") for bill in groups["unreadable"]}
    assert unreadable == {
        "examples/deep.json": "not a bill: the JSON is nested absurdly deep",
        "examples/latin1.json": "not UTF-8 text (at byte 50)",
        "examples/nul.json": "not valid JSON: Expecting value at line 1, column 1",
        "examples/twice.json": "variant: the key 'variant' is given more than once in this "
        "object; give it once",
    }
    assert [bill["title"] for bill in groups["city · ru"]] == ["examples/city-ru.json", "sample"]
    for title in unreadable:
        body = client.get("/api/render", params={"bill": f"file:{title}"}).json()
        assert body["failure"]["kind"] == "data", title
        assert body["pages"] == 0


def test_a_static_symlink_leading_outside_is_not_served(tmp_path: Path) -> None:
    secret = tmp_path / "secret.svg"
    secret.write_text("<svg xmlns='http://www.w3.org/2000/svg'><!-- SECRET --></svg>")
    logos = tmp_path / "static" / "logos"
    logos.mkdir(parents=True)
    (logos / "aes.svg").symlink_to(secret)
    (tmp_path / "project").mkdir()
    app = create_app(
        Theme.create(static=tmp_path / "static"), project=tmp_path / "project", watch=False
    )
    with TestClient(app, base_url=BASE) as client:
        response = client.get("/static/logos/aes.svg")
        assert response.status_code == 404
        assert "SECRET" not in response.text
        assert client.get("/static/logos/gas.svg").status_code == 200
