"""The preview app without a browser: routes, failures as the page shows them, the
files it refuses, the watcher, and the command line's ``preview`` options."""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from typer.testing import CliRunner

import alseco_bill.preview
from alseco_bill import Theme
from alseco_bill.cli import app as cli
from alseco_bill.preview import create_app
from alseco_bill.preview.watcher import Watcher
from alseco_bill.preview.workspace import Workspace
from alseco_bill.theme import packaged_dir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CITY_RU = "file:bills/city-ru.json"


@pytest.fixture
def bill_file(tmp_path: Path) -> Path:
    (tmp_path / "bills").mkdir()
    return Path(shutil.copy(EXAMPLES / "city-ru.json", tmp_path / "bills/city-ru.json"))


@pytest.fixture
def preview(designer: Path, bill_file: Path, tmp_path: Path) -> Starlette:
    # The project folder has examples/ but no gallery/: both are optional.
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLES / "region-kk.json", tmp_path / "examples/region-kk.json")
    theme = Theme.create(templates=designer)
    return create_app(theme, data=[bill_file], project=tmp_path, watch=False)


@pytest.fixture
def client(preview: Starlette) -> Iterator[TestClient]:
    with TestClient(preview, base_url="http://127.0.0.1:8000") as client:
        yield client


def rendered(client: TestClient, bill: str = CITY_RU) -> dict[str, Any]:
    response = client.get("/api/render", params={"bill": bill})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def refresh(preview: Starlette) -> None:
    workspace: Workspace = preview.state.workspace
    workspace.refresh()


def test_page_is_served_with_its_live_script(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-type"].startswith("text/html")
    assert "new WebSocket" in response.text
    assert 'id="frame"' in response.text


def test_bills_are_grouped_by_variant_and_language_chosen_file_first(client: TestClient) -> None:
    listed = client.get("/api/bills").json()
    assert listed["first"] == CITY_RU
    groups = listed["groups"]
    names = [group["name"] for group in groups]
    assert names == ["city · kk", "city · ru", "region · kk", "region · ru"]
    city_ru = next(group["bills"] for group in groups if group["name"] == "city · ru")
    assert [bill["id"] for bill in city_ru] == [CITY_RU, "sample:city-ru"]
    region_kk = next(group["bills"] for group in groups if group["name"] == "region · kk")
    assert region_kk[0]["title"] == "examples/region-kk.json"


def test_a_bill_renders_to_png_pages_and_html_with_served_static_files(
    client: TestClient,
) -> None:
    body = rendered(client)
    assert body["failure"] is None
    assert body["pages"] == 1
    png = client.get("/pages/1.png", params={"bill": CITY_RU})
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    html = client.get("/frame", params={"bill": CITY_RU}).text
    assert "Лицевой счёт" in html
    assert "file:" not in html
    assert 'src="/static/logos/aes.svg"' in html
    font = client.get("/static/fonts/NotoSans-Regular.ttf")
    assert font.status_code == 200
    assert font.content == (packaged_dir("static") / "fonts/NotoSans-Regular.ttf").read_bytes()


def test_every_sample_renders(client: TestClient) -> None:
    for bill in ("sample:city-kk", "sample:city-ru", "sample:region-kk", "sample:region-ru"):
        body = rendered(client, bill)
        assert body["failure"] is None, body
        assert body["pages"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2f..%2fpyproject.toml",
        "/static/logos/..%2f..%2f..%2fpyproject.toml",
        "/static/%2fetc%2fpasswd",
        "/static/logos/missing.svg",
        "/pages/2.png?bill=file:bills/city-ru.json",
        "/api/render?bill=..%2fpyproject.toml",
        "/frame?bill=/etc/passwd",
    ],
)
def test_only_the_projects_own_files_are_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_foreign_host_name_is_refused(client: TestClient) -> None:
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400


def test_an_undefined_variable_names_the_designers_file_and_line(
    preview: Starlette, client: TestClient, designer: Path
) -> None:
    labels = designer / "ru/labels.html"
    lines = labels.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "{{ undefined_thing }}\n")  # after the two-line comment
    labels.write_text("".join(lines), encoding="utf-8")
    refresh(preview)
    body = rendered(client)
    failure = body["failure"]
    assert failure["kind"] == "template"
    assert failure["file"] == str(labels)
    assert failure["line"] == 3
    assert "undefined_thing" in failure["message"]
    assert body["pages"] == 0
    assert client.get("/frame", params={"bill": CITY_RU}).status_code == 404


def test_a_syntax_error_names_the_file_and_line(
    preview: Starlette, client: TestClient, designer: Path
) -> None:
    # A new override of a packaged partial: the packaged one was cached before.
    assert rendered(client)["failure"] is None
    partial = designer / "partials/footer.html"
    partial.parent.mkdir()
    partial.write_text("<footer>\n{% if %}\n</footer>\n", encoding="utf-8")
    refresh(preview)
    failure = rendered(client)["failure"]
    assert failure["kind"] == "template"
    assert failure["file"] == str(partial)
    assert failure["line"] == 2


def test_a_changed_template_is_picked_up_after_a_refresh(
    preview: Starlette, client: TestClient, designer: Path
) -> None:
    assert "Лицевой счёт" in client.get("/frame", params={"bill": CITY_RU}).text
    labels = designer / "ru/labels.html"
    labels.write_text(
        labels.read_text(encoding="utf-8").replace("Лицевой счёт", "Номер счёта"),
        encoding="utf-8",
    )
    refresh(preview)
    html = client.get("/frame", params={"bill": CITY_RU}).text
    assert "Номер счёта" in html
    assert "Лицевой счёт" not in html


def test_invalid_data_lists_each_problem_with_its_path(
    preview: Starlette, client: TestClient, bill_file: Path
) -> None:
    data = json.loads(bill_file.read_text(encoding="utf-8"))
    data["account"] = "12"
    bill_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    refresh(preview)
    failure = rendered(client)["failure"]
    assert failure["kind"] == "data"
    assert failure["file"] == str(bill_file)
    message = "must be exactly 10 digits, e.g. 1234567890 (got '12')"
    assert {"path": "account", "message": message} in failure["problems"]


def test_broken_json_is_reported_with_its_line(
    preview: Starlette, client: TestClient, bill_file: Path
) -> None:
    bill_file.write_text('{\n  "variant": "city",\n  oops\n}', encoding="utf-8")
    refresh(preview)
    failure = rendered(client)["failure"]
    assert failure["kind"] == "data"
    assert "line 3" in failure["problems"][0]["message"]


def test_a_city_bill_overflowing_its_sheet_still_shows_its_html(
    preview: Starlette, client: TestClient, bill_file: Path
) -> None:
    data = json.loads(bill_file.read_text(encoding="utf-8"))
    supplier = data["suppliers"][0]["id"]
    data["notices"] = [{"supplier": supplier, "text": "Очень длинное сообщение. " * 15}] * 30
    bill_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    refresh(preview)
    body = rendered(client)
    assert body["failure"]["kind"] == "layout"
    assert body["failure"]["file"].endswith("ru/city.html")
    assert "must fit 1 A4 sheet" in body["failure"]["message"]
    assert body["html"] is True
    assert "Очень длинное сообщение" in client.get("/frame", params={"bill": CITY_RU}).text


def test_a_changed_logo_is_printed_after_a_refresh(tmp_path: Path, bill_file: Path) -> None:
    static = tmp_path / "my-static"
    (static / "logos").mkdir(parents=True)
    logo = Path(shutil.copy(packaged_dir("static") / "logos/aes.svg", static / "logos/aes.svg"))
    workspace = Workspace(Theme.create(static=static), [bill_file], tmp_path)
    before = workspace.outcome(CITY_RU)
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<rect width="10" height="10" fill="#ff0000"/></svg>',
        encoding="utf-8",
    )
    workspace.refresh()
    after = workspace.outcome(CITY_RU)
    workspace.close()
    assert before is not None
    assert after is not None
    assert (before[0], after[0]) == (0, 1)
    assert before[1].pages[0] != after[1].pages[0]
    with TestClient(create_app(Theme.create(static=static), project=tmp_path, watch=False)) as c:
        served = c.get("/static/logos/aes.svg", headers={"host": "127.0.0.1"})
    assert 'fill="#ff0000"' in served.text


def test_the_theme_folders_bill_folders_and_outside_data_files_are_watched(
    designer: Path, bill_file: Path, tmp_path: Path
) -> None:
    (tmp_path / "gallery").mkdir()
    project_bill = Path(shutil.copy(bill_file, tmp_path / "gallery/mine.json"))
    workspace = Workspace(Theme.create(templates=designer), [bill_file, project_bill], tmp_path)
    folders = workspace.watched_folders()
    assert folders[0] == designer.resolve()
    assert packaged_dir("templates").resolve() in folders
    assert packaged_dir("static").resolve() in folders
    assert (tmp_path / "gallery").resolve() in folders
    assert workspace.watched_files() == [bill_file.resolve()]


def changes_seen(
    watcher_args: tuple[list[Path], list[Path]], save: Callable[[], Awaitable[None]]
) -> list[set[Path]]:
    """What a ``Watcher`` over ``watcher_args`` reports while ``save`` writes files;
    it stops at the first report (or fails after 5 s)."""
    seen: list[set[Path]] = []

    async def scenario() -> None:
        stop = anyio.Event()

        async def changed(paths: set[Path]) -> None:
            seen.append(paths)
            stop.set()

        watcher = Watcher(*watcher_args, changed)
        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(watcher.run, stop)
                await anyio.sleep(0.2)  # inotify watches are set up in the watcher's thread
                await save()

    anyio.run(scenario)
    return seen


def test_the_watcher_reports_a_saved_file(designer: Path, bill_file: Path) -> None:
    async def save() -> None:
        (designer / "ru/labels.html").write_text("{# changed #}", encoding="utf-8")

    seen = changes_seen(([designer], [bill_file]), save)
    assert seen == [{(designer / "ru/labels.html").resolve()}]


def test_the_watcher_follows_a_data_file_but_not_its_neighbours(bill_file: Path) -> None:
    async def save() -> None:
        (bill_file.parent / "notes.txt").write_text("not a bill", encoding="utf-8")
        await anyio.sleep(0.3)
        bill_file.write_text("{}", encoding="utf-8")

    seen = changes_seen(([], [bill_file]), save)
    assert seen == [{bill_file.resolve()}]


def test_the_command_parses_options_and_calls_serve(
    monkeypatch: pytest.MonkeyPatch, designer: Path, bill_file: Path
) -> None:
    calls: list[dict[str, Any]] = []

    def serve(theme: Theme, **options: Any) -> None:
        calls.append({"theme": theme, **options})

    monkeypatch.setattr(alseco_bill.preview, "serve", serve)
    args = ["preview", "--templates", str(designer), "--data", str(bill_file), "--port", "9000"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert call["theme"].template_dirs[0] == designer.resolve()
    assert call["data"] == [bill_file]
    assert (call["host"], call["port"], call["open_browser"]) == ("127.0.0.1", 9000, False)


def test_the_command_refuses_a_missing_data_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["preview", "--data", str(tmp_path / "missing.json")])
    assert result.exit_code == 2


@pytest.mark.chromium
def test_the_preview_shows_the_chromium_engines_pages(bill_file: Path, tmp_path: Path) -> None:
    app = create_app(
        Theme.create(), data=[bill_file], project=tmp_path, watch=False, engine="chromium"
    )
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        body = rendered(client)
        assert body["failure"] is None
        assert body["pages"] == 1
        png = client.get("/pages/1.png", params={"bill": CITY_RU})
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
        workspace: Workspace = app.state.workspace
        assert workspace.engine == "chromium"
        # A refresh renders again in the same thread, where the browser lives.
        workspace.refresh()
        assert rendered(client)["failure"] is None
