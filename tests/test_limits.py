"""Runaway templates end: the range limit, the size of the HTML, a deadline, recursion."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import EXAMPLES
from typer.testing import CliRunner

from alseco_bill import Renderer, TemplateLimitError, Theme, sample_bills
from alseco_bill.cli import app
from alseco_bill.limits import Overtime, within

runner = CliRunner()
SPIN = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
RUNAWAY = {
    "range": ("{% for i in range(10**9) %}x{% endfor %}", "MAX_RANGE"),
    "nested loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "",
    ),
    "a macro's buffer": ("{% macro m() %}" + SPIN + "{% endmacro %}{{ m() }}", "longer than"),
    "recursion": ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "calls itself"),
    "fan-out": (
        "{% macro m(n) %}{% if n < 60 %}{{ m(n + 1) }}{{ m(n + 1) }}{% endif %}{% endmacro %}"
        "{{ m(0) }}",
        "longer than",
    ),
    "big output": (
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
        "passes 5000000 characters",
    ),
}


def designer(folder: Path, text: str) -> Path:
    (folder / "partials").mkdir(parents=True, exist_ok=True)
    (folder / "partials" / "footer.html").write_text("<p>hello</p>\n" + text + "\n", "utf-8")
    return folder


@pytest.mark.parametrize("case", RUNAWAY)
def test_a_runaway_template_is_stopped_with_its_name_and_the_bill(
    tmp_path: Path, case: str
) -> None:
    text, reason = RUNAWAY[case]
    renderer = Renderer(Theme.create(designer(tmp_path, text)), deadline=1.5)
    bill = renderer.load(EXAMPLES / "city-ru.json")
    process = psutil.Process()
    before, started = process.memory_info().rss, time.monotonic()
    with pytest.raises(TemplateLimitError) as caught:
        renderer.html(bill)
    assert time.monotonic() - started < 6
    assert process.memory_info().rss - before < 600_000_000
    assert caught.value.bill == f"bill {bill.account}"
    assert caught.value.template is not None
    assert caught.value.template.endswith(".html")
    assert reason in caught.value.message


def spin_for_ever() -> None:
    while True:
        pass


def test_the_deadline_interrupts_only_its_own_block() -> None:
    with pytest.raises(Overtime), within(0.2):
        spin_for_ever()
    with within(0.2):
        pass
    time.sleep(0.4)  # the timer of the finished block must not fire now

    caught: list[BaseException] = []

    def spin() -> None:
        try:
            with within(0.2):
                while True:
                    time.sleep(0.01)
        except Overtime as exc:
            caught.append(exc)

    thread = threading.Thread(target=spin)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert caught, "the deadline reached a thread other than the main one"


LAYOUT_PAST_ITS_DEADLINE = """
import sys, time, warnings
from pathlib import Path
from alseco_bill import Renderer, TemplateLimitError
warnings.simplefilter("ignore")  # an Overtime that lands in a GC callback is unraisable
bill = Renderer().load(Path(sys.argv[1]))
rows = "".join(f"<tr><td>row {i}</td><td>{i}</td></tr>" for i in range(30000))
slow = Renderer(deadline=1.0)
started = time.monotonic()
try:
    slow.pdf(bill, f"<!DOCTYPE html><html><body><table>{rows}</table></body></html>")
except TemplateLimitError as exc:
    print(round(time.monotonic() - started, 1), exc.message, sep="\\n")
slow.deadline = 120.0  # a machine under load takes more than 1 s for any bill
print(slow.pdf(bill)[:5].decode())  # the engine still works afterwards
"""


def test_layout_has_a_deadline_too() -> None:
    # In a process of its own: the deadline's exception lands in whatever Python code
    # runs next, inside WeasyPrint, and a test worker must not carry what it leaves.
    done = subprocess.run(
        [sys.executable, "-c", LAYOUT_PAST_ITS_DEADLINE, str(EXAMPLES / "city-ru.json")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    took, message, pdf = done.stdout.splitlines()
    assert float(took) < 5
    assert "laying the bill out took longer than 1 s" in message
    assert pdf == "%PDF-"


def test_render_exits_3_naming_template_and_bill(tmp_path: Path) -> None:
    folder = designer(tmp_path / "t", SPIN)
    out = tmp_path / "bill.pdf"
    args = ["render", str(EXAMPLES / "city-ru.json"), "-o", str(out), "--templates", str(folder)]
    result = runner.invoke(app, [*args, "--deadline", "1"])
    assert result.exit_code == 3, result.output
    account = json.loads((EXAMPLES / "city-ru.json").read_text("utf-8"))["account"]
    assert f"bill {account}" in result.stderr
    assert "partials/footer.html" in result.stderr
    assert "longer than 1 s" in result.stderr
    assert not out.exists()


def write_bills(path: Path, count: int) -> list[str]:
    bills = list(sample_bills(count, seed=3))
    path.write_text("".join(b.model_dump_json(exclude_none=True) + "\n" for b in bills))
    return [b.account for b in bills]


def test_in_a_batch_such_a_bill_is_rejected_and_the_others_print(tmp_path: Path) -> None:
    accounts = write_bills(tmp_path / "bills.jsonl", 6)
    slow = accounts[2:4]
    condition = " or ".join(f"bill.account == '{a}'" for a in slow)
    folder = designer(tmp_path / "t", "{% if " + condition + " %}" + SPIN + "{% endif %}")
    out = tmp_path / "run"
    args = ["batch", str(tmp_path / "bills.jsonl"), "--out", str(out), "--workers", "1"]
    result = runner.invoke(app, [*args, "--templates", str(folder), "--deadline", "3"])
    assert result.exit_code == 1, result.output  # some rejected
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert sorted(r["account"] for r in rejected) == sorted(slow)
    assert all("filling took longer than 3 s" in r["errors"][0]["message"] for r in rejected)
    printed = sorted(p.stem for p in (out / "bills").glob("*.pdf"))
    assert printed == sorted(set(accounts) - set(slow))


def test_a_batch_whose_first_bills_all_fail_on_one_template_stops(tmp_path: Path) -> None:
    write_bills(tmp_path / "bills.jsonl", 40)
    folder = designer(tmp_path / "t", "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}")
    args = ["batch", str(tmp_path / "bills.jsonl"), "--out", str(tmp_path / "run")]
    started = time.monotonic()
    result = runner.invoke(app, [*args, "--workers", "1", "--templates", str(folder)])
    assert result.exit_code == 3, result.output
    assert "the first 5 bills: template error in partials/footer.html" in result.stderr
    assert "would fail every bill" in result.stderr
    assert time.monotonic() - started < 60
