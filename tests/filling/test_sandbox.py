"""Templates run in Jinja's sandbox: a designer's template cannot reach Python."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES
from typer.testing import CliRunner

from alseco_bill import Renderer, TemplateError, Theme, load_bill
from alseco_bill.cli import app

runner = CliRunner()
HOSTILE = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ self.__init__.__globals__.__builtins__.open('/etc/passwd').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ '{0.__class__.__mro__}'.format(bill) }}",
    "{% set _ = bill.services.append(bill.services[0]) %}",
    "{{ bill.__class__.model_fields }}",
]


def override(folder: Path, partial: str, text: str) -> Path:
    """A designer's folder whose ``partials/<partial>`` holds ``text`` on line 2."""
    (folder / "partials").mkdir(parents=True, exist_ok=True)
    (folder / "partials" / partial).write_text("<p>hello</p>\n" + text + "\n", "utf-8")
    return folder


@pytest.mark.parametrize("expression", HOSTILE)
def test_an_unsafe_access_is_a_template_error_naming_file_and_line(
    tmp_path: Path, expression: str
) -> None:
    theme = Theme.create(override(tmp_path / "t", "footer.html", expression))
    renderer = Renderer(theme)
    bill = renderer.load(EXAMPLES / "city-ru.json")
    with pytest.raises(TemplateError) as caught:
        renderer.html(bill)
    assert caught.value.template == "partials/footer.html"
    assert caught.value.line == 2
    assert "unsafe" in caught.value.message
    assert "root:" not in caught.value.message  # neither `id` nor /etc/passwd ran


def test_what_templates_legitimately_use_still_works() -> None:
    html = Renderer().html(load_bill(EXAMPLES / "region-kk.json"))
    assert "<svg" in html  # payment_qr and stub_barcode
    assert "logos/" in html  # static_url


def test_render_and_batch_exit_3_on_an_unsafe_template(tmp_path: Path) -> None:
    designer = override(tmp_path / "t", "footer.html", HOSTILE[0])
    out = tmp_path / "bill.pdf"
    result = runner.invoke(
        app,
        ["render", str(EXAMPLES / "city-ru.json"), "-o", str(out), "--templates", str(designer)],
    )
    assert result.exit_code == 3, result.output
    assert "partials/footer.html, line 2" in result.stderr
    assert "unsafe" in result.stderr
    assert "uid=" not in result.output
    assert not out.exists()

    source = tmp_path / "bills.jsonl"
    source.write_text((EXAMPLES / "city-ru.json").read_text("utf-8").replace("\n", "") + "\n")
    result = runner.invoke(
        app,
        [
            "batch",
            str(source),
            "--out",
            str(tmp_path / "run"),
            "--workers",
            "1",
            "--templates",
            str(designer),
        ],
    )
    assert result.exit_code == 3, result.output
    assert "unsafe" in result.stderr
    assert "Traceback" not in result.output


def test_snapshot_check_exits_3_on_an_unsafe_template(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    (gallery / "city-ru.json").write_text((EXAMPLES / "city-ru.json").read_text("utf-8"))
    designer = override(tmp_path / "t", "footer.html", HOSTILE[1])
    result = runner.invoke(
        app,
        [
            "snapshot",
            "check",
            "--gallery",
            str(gallery),
            "--report",
            str(tmp_path / "report"),
            "--templates",
            str(designer),
        ],
    )
    assert result.exit_code == 3, result.output
    assert "unsafe" in result.output
