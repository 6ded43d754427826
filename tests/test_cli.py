"""The command line: outputs, messages and exit codes (0 ok, 1 invalid, 2 usage, 3 render)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import EXAMPLES, ROOT
from typer.testing import CliRunner

from alseco_bill import Bill
from alseco_bill.cli import app

Data = Callable[[str], dict[str, Any]]
runner = CliRunner()


def test_render_pdf_and_pngs(tmp_path: Path) -> None:
    out = tmp_path / "out" / "region-kk.pdf"
    result = runner.invoke(
        app, ["render", str(EXAMPLES / "region-kk.json"), "-o", str(out), "--png"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "out" / "region-kk-1.png").read_bytes().startswith(b"\x89PNG")
    assert f"wrote {out}" in result.stdout
    assert not list(out.parent.glob(".*.part")), "a temporary file was left behind"


def test_render_html(tmp_path: Path) -> None:
    out = tmp_path / "city-kk.html"
    result = runner.invoke(
        app, ["render", str(EXAMPLES / "city-kk.json"), "--html", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert 'lang="kk"' in html


def test_invalid_data_exits_1_and_names_the_field(tmp_path: Path, example_data: Data) -> None:
    data = example_data("city-ru")
    data["services"][2]["to_pay"] = "1.00"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    out = tmp_path / "bad.pdf"
    result = runner.invoke(app, ["render", str(source), "-o", str(out)])
    assert result.exit_code == 1
    assert f"error: bill {data['account']} ({source}): " in result.stderr
    assert "services[2].to_pay: to_pay 1.00 is not" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_validate_reports_each_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"account": "1"}', "utf-8")
    good = EXAMPLES / "city-kk.json"
    result = runner.invoke(app, ["validate", str(good), str(broken)])
    assert result.exit_code == 1
    assert f"ok: {good}" in result.stdout
    assert "account: must be exactly 10 digits" in result.stderr
    assert "variant: Field required" in result.stderr
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["render", str(tmp_path / "none.json"), "-o", "x.pdf"]).exit_code == 2
    assert runner.invoke(app, ["render", str(EXAMPLES / "city-kk.json")]).exit_code == 2
    assert runner.invoke(app, ["sample", "--variant", "village"]).exit_code == 2
    result = runner.invoke(
        app,
        ["render", str(EXAMPLES / "city-kk.json"), "-o", "x.pdf", "--templates", "/no/such/dir"],
    )
    assert result.exit_code == 2
    assert "not a folder: /no/such/dir" in result.stderr


def test_template_error_exits_3(tmp_path: Path) -> None:
    (tmp_path / "kk").mkdir()
    (tmp_path / "kk" / "city.html").write_text(
        '{% extends "layout/city.html" %}\n{% from "kk/labels.html" import labels %}\n'
        "{% block heading %}{{ bill.nothing }}{% endblock %}\n",
        "utf-8",
    )
    result = runner.invoke(
        app,
        [
            "render",
            str(EXAMPLES / "city-kk.json"),
            "-o",
            str(tmp_path / "x.pdf"),
            "--templates",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 3
    assert "template error in kk/city.html, line 3:" in result.stderr
    assert "nothing" in result.stderr


def test_schema_is_the_committed_one() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "ALSECO consolidated utility bill"
    assert "services" in schema["required"]
    committed = json.loads((ROOT / "docs" / "bill.schema.json").read_text("utf-8"))
    assert schema == committed, "docs/bill.schema.json is stale: alseco-bill schema > it"


def test_sample_is_a_valid_bill() -> None:
    result = runner.invoke(app, ["sample", "--variant", "region", "--lang", "kk", "--seed", "7"])
    assert result.exit_code == 0
    bill = Bill.model_validate_json(result.stdout)
    assert (bill.variant, bill.language) == ("region", "kk")
    again = runner.invoke(app, ["sample", "--variant", "region", "--lang", "kk", "--seed", "7"])
    assert again.stdout == result.stdout


def test_sample_count_prints_json_lines() -> None:
    result = runner.invoke(app, ["sample", "--count", "5", "--seed", "1"])
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert len({Bill.model_validate_json(line).account for line in lines}) == 5
