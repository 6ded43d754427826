"""Print runs: nothing lost, delivery order, resuming after a kill, Dask, exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, cast

import pytest
from conftest import run_tool
from typer.testing import CliRunner

from alseco_bill import render_batch, sample_bills
from alseco_bill.cli import app
from alseco_bill.errors import RunMismatchError
from alseco_bill.runs import run as batch
from alseco_bill.runs.records import delivery_key, peek

GOOD = 24


def write_run(path: Path) -> dict[str, int]:
    """GOOD valid bills, then bad records of every kind; returns their numbers.

    Record 4 is made invalid; its valid original comes again at the end, and is the
    first *valid* bill for its account, so it is rendered, not rejected as a duplicate.
    """
    lines = [bill.model_dump_json() for bill in sample_bills(GOOD, seed=11)]
    original_4 = lines[3]
    wrong_sum = json.loads(lines[3])
    wrong_sum["services"][0]["to_pay"] = "1.00"
    overflow = json.loads(lines[5])
    overflow["account"] = "1111111111"
    overflow["notices"] = [
        {"supplier": overflow["suppliers"][0]["id"], "text": "Текст. " * 55}
    ] * 30
    lines[3] = json.dumps(wrong_sum, ensure_ascii=False)
    lines += ["{not json", json.dumps(overflow, ensure_ascii=False), lines[7], original_4]
    lines += ['{"consumer": "not an object"}', "[" * 100_000]
    data = "\n".join(lines).encode() + b"\n" + b'{"account": "\xff\xfe"}\n'
    path.write_bytes(data)
    return {
        "wrong_sum": 4,
        "not_json": GOOD + 1,
        "overflow": GOOD + 2,
        "duplicate": GOOD + 3,
        "consumer_not_object": GOOD + 5,
        "deep": GOOD + 6,
        "not_utf8": GOOD + 7,
    }


RENDERED = [n for n in range(1, GOOD + 5) if n not in (4, GOOD + 1, GOOD + 2, GOOD + 3)]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.pdf"))
    }


@pytest.fixture(scope="module")
def run_input(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("input") / "bills.jsonl"
    return path, write_run(path)


@pytest.fixture(scope="module")
def per_bill_run(
    run_input: tuple[Path, dict[str, int]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    summary = render_batch(run_input[0], out, workers=2)
    assert summary.complete
    return out


@pytest.mark.slow
def test_every_record_is_rendered_or_rejected(
    per_bill_run: Path, run_input: tuple[Path, dict[str, int]]
) -> None:
    bad = run_input[1]
    rejected = {row["number"]: row for row in read_jsonl(per_bill_run / "rejected.jsonl")}
    assert set(rejected) == set(bad.values())
    rendered = [b for e in read_jsonl(per_bill_run / "manifest.jsonl") for b in e["bills"]]
    assert sorted(b["number"] for b in rendered) == RENDERED
    assert rejected[bad["wrong_sum"]]["errors"][0]["path"] == "services[0].to_pay"
    assert rejected[bad["not_json"]]["errors"][0]["message"].startswith("not valid JSON")
    assert "2 pages but must fit 1" in rejected[bad["overflow"]]["errors"][0]["message"]
    assert "already in this run (record 8)" in rejected[bad["duplicate"]]["errors"][0]["message"]
    assert rejected[bad["duplicate"]]["source"].endswith(f"bills.jsonl:{bad['duplicate']}")
    assert rejected[bad["not_utf8"]]["errors"][0]["message"].startswith("not UTF-8 text")
    assert "nested absurdly deep" in rejected[bad["deep"]]["errors"][0]["message"]
    assert rejected[bad["consumer_not_object"]]["errors"][0]["path"] == "variant"


def test_per_bill_files_match_the_manifest(per_bill_run: Path) -> None:
    entries = read_jsonl(per_bill_run / "manifest.jsonl")
    assert len(entries) == len(RENDERED)
    for entry in entries:
        pdf = per_bill_run / entry["file"]
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == entry["sha256"]
        assert entry["file"] == f"bills/{entry['bills'][0]['account']}.pdf"
    sample = per_bill_run / entries[0]["file"]
    assert "Pages:           1" in run_tool("pdfinfo", sample)
    assert oct(sample.stat().st_mode & 0o044) == oct(0o044), "print files must be readable"
    assert not list(per_bill_run.rglob("*.part"))


@pytest.mark.slow
def test_merged_files_in_delivery_order(
    run_input: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "PART", 4)  # files of 10 are joined from parts of 4, 4, 2
    out = tmp_path / "merged"
    summary = render_batch(run_input[0], out, merge=10, workers=2)
    assert (summary.rendered, summary.rejected, summary.files) == (len(RENDERED), 7, 3)
    text = run_input[0].read_bytes().decode(errors="replace")
    records = {i + 1: peek(line) for i, line in enumerate(text.splitlines())}
    placed = []
    for entry in read_jsonl(out / "manifest.jsonl"):
        pdf = out / entry["file"]
        assert f"Pages:           {len(entry['bills'])}" in run_tool("pdfinfo", pdf)
        for bill in entry["bills"]:
            page = run_tool("pdftotext", "-f", str(bill["page"]), "-l", str(bill["page"]), pdf, "-")
            assert bill["account"] in page
            placed.append(delivery_key(records[bill["number"]]))
    assert placed == sorted(placed), "bills are not in delivery order"
    size = sum((out / e["file"]).stat().st_size for e in read_jsonl(out / "manifest.jsonl"))
    # Fonts are embedded once per part, not per bill: a bill alone is ~23 KB, parts of
    # four ~13 KB a bill. bench/ measures real files (500 bills, parts of 50).
    assert size / summary.rendered < 16_000
    again = render_batch(run_input[0], tmp_path / "again", merge=10, workers=1)
    assert again.complete
    assert digest(tmp_path / "again") == digest(out), "merged files are not reproducible"


def test_delivery_key_compares_numbers_as_numbers() -> None:
    def key(street: str, house: str, flat: str | None) -> Any:
        address = {"locality": "Алматы", "street": street, "house": house, "flat": flat}
        return delivery_key({"consumer": {"address": address}})

    walk = [
        key("ул. А", "9", "2"),
        key("ул. А", "10", "1"),
        key("ул. А", "10А", None),
        key("ул. А", "10А", "3"),
        key("ул. Б", "1", "10"),
    ]
    assert sorted(walk) == walk
    assert delivery_key(None) > key("ул. Я", "999", "999")
    assert delivery_key({"consumer": "not an object"}) == delivery_key(None)


@pytest.mark.slow
def test_a_killed_run_resumes_and_ends_as_a_clean_run(
    per_bill_run: Path, run_input: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    cli = Path(sys.executable).with_name("alseco-bill")  # the installed command
    command = [str(cli), "batch", str(run_input[0]), "--out", str(out), "--workers", "1"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while len(list((out / "bills").glob("*.pdf"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = len(read_jsonl(out / "manifest.jsonl"))
    rejected_before = len(read_jsonl(out / "rejected.jsonl"))
    assert 3 <= done_before < len(RENDERED), "the kill should land mid-run"
    # A file damaged after it was recorded is found by its checksum and made again.
    damaged = out / read_jsonl(out / "manifest.jsonl")[0]["file"]
    damaged.write_bytes(damaged.read_bytes()[:100])

    summary = render_batch(run_input[0], out, workers=2)
    assert summary.complete
    assert summary.resumed == done_before - 1 + rejected_before
    assert digest(out) == digest(per_bill_run)
    assert sorted(r["number"] for r in read_jsonl(out / "rejected.jsonl")) == sorted(
        run_input[1].values()
    )


@pytest.mark.chromium
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["plain", "tagged"])
def test_a_resumed_chromium_run_has_the_bytes_of_an_uninterrupted_one(
    tmp_path: Path, kind: str
) -> None:
    """Bills made again on resume share a part with other neighbours, at other places
    in it; their files are the same bytes all the same (tagged ones too, each with
    its own part of the structure tree)."""
    source = tmp_path / "bills.jsonl"
    source.write_text(
        "".join(b.model_dump_json() + "\n" for b in sample_bills(60, seed=12)), "utf-8"
    )
    tagged = kind == "tagged"
    whole = tmp_path / "whole"
    assert render_batch(source, whole, workers=2, engine="chromium", tagged=tagged).complete
    resumed = tmp_path / "resumed"
    shutil.copytree(whole, resumed)
    entries = read_jsonl(resumed / "manifest.jsonl")
    for entry in (entries[9], entries[33], entries[58]):  # three parts' middles and end
        (resumed / entry["file"]).write_bytes(b"%PDF-1.7\n")
    summary = render_batch(source, resumed, workers=1, engine="chromium", tagged=tagged)
    assert summary.complete
    assert summary.resumed == 57
    assert digest(resumed) == digest(whole)


def test_resuming_with_other_options_is_refused(
    per_bill_run: Path, tmp_path: Path, run_input: tuple[Path, dict[str, int]]
) -> None:
    with pytest.raises(RunMismatchError, match="merge"):
        render_batch(run_input[0], per_bill_run, merge=5)
    # The same path with other bills in it is another run, too.
    source = tmp_path / "bills.jsonl"
    source.write_text(sample_bills(1, seed=5).__next__().model_dump_json() + "\n", "utf-8")
    assert render_batch(source, tmp_path / "out", workers=1).complete
    source.write_text(sample_bills(1, seed=6).__next__().model_dump_json() + "\n", "utf-8")
    with pytest.raises(RunMismatchError, match="input_fingerprint"):
        render_batch(source, tmp_path / "out", workers=1)


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_result(
    per_bill_run: Path, run_input: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:  # type: ignore[no-untyped-call]
        summary = render_batch(run_input[0], tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert summary.complete
    assert digest(tmp_path / "dask") == digest(per_bill_run)
    assert read_jsonl(tmp_path / "dask" / "rejected.jsonl") == read_jsonl(
        per_bill_run / "rejected.jsonl"
    )


def test_a_folder_of_json_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, bill in enumerate(sample_bills(3, seed=2)):
        (folder / f"{i}.json").write_text(bill.model_dump_json(), "utf-8")
    (folder / "3.json").write_text("[]", "utf-8")
    summary = render_batch(folder, tmp_path / "out", workers=1)
    assert (summary.total, summary.rendered, summary.rejected) == (4, 3, 1)
    assert read_jsonl(tmp_path / "out" / "rejected.jsonl")[0]["source"] == str(folder / "3.json")


def test_cli_exit_codes_and_log_lines(
    run_input: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    runner = CliRunner()
    source = tmp_path / "few.jsonl"
    source.write_bytes(b"".join(run_input[0].read_bytes().splitlines(keepends=True)[:3]))
    result = runner.invoke(
        app, ["batch", str(source), "--out", str(tmp_path / "a"), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "3 of 3 bills rendered into 3 files" in result.stdout
    assert "3/3 bills (" in result.stderr  # log lines, not a bar, when not on a terminal

    broken = tmp_path / "tpl" / "partials"
    broken.mkdir(parents=True)
    (broken / "footer.html").write_text("{{ bill.no_such_field }}", "utf-8")
    result = runner.invoke(
        app,
        [
            "batch",
            str(source),
            "--out",
            str(tmp_path / "b"),
            "--workers",
            "1",
            "--templates",
            str(tmp_path / "tpl"),
        ],
    )
    assert result.exit_code == 3
    assert "template error in partials/footer.html, line 1" in result.stderr

    result = runner.invoke(app, ["batch", str(run_input[0]), "--out", str(tmp_path / "a")])
    assert result.exit_code == 2
    assert "holds a run made with other options (input, input_fingerprint)" in result.stderr


def test_stopping_the_workers_waits_for_the_pools_manager_thread() -> None:
    # Left running, it closes its wake-up pipe while the interpreter's exit hook writes
    # to it: a traceback (EBADF) after the line that says the run was interrupted.
    pool = ProcessPoolExecutor(max_workers=2, mp_context=get_context("forkserver"))
    busy = [pool.submit(time.sleep, 30) for _ in range(3)]
    deadline = time.monotonic() + 60
    while len(pool._processes) < 2 or not all(p.is_alive() for p in pool._processes.values()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # typeshed has the attribute's type wrong (_ThreadWakeup).
    manager = cast(threading.Thread, pool._executor_manager_thread)
    assert manager.is_alive()
    started = time.monotonic()
    batch.stop_workers(pool, grace=5)
    assert not manager.is_alive()
    assert time.monotonic() - started < 10
    assert all(future.done() for future in busy)
