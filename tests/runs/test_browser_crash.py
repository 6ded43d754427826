"""A crashed browser does not stop the month: the part is printed again by a new
browser; the same part failing twice in a row stops the run, naming the records."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pypdfium2 as pdfium
import pytest
from processes import Started, kill_all, left_alive, start, tagged, wait_for, write_bills

pytestmark = [pytest.mark.chromium, pytest.mark.slow]


def browsers(run: Started) -> list[psutil.Process]:
    """The browsers' main processes of ``run`` (a Chromium whose parent is the driver)."""
    found = []
    for process in tagged(run.tag):
        try:
            parent = process.parent()
            if process.name() == "chromium" and parent and parent.name().startswith("node"):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def manifest(out: Path) -> list[dict[str, Any]]:
    path = out / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def assert_each_bill_once_with_its_own_data(out: Path, accounts: list[str]) -> None:
    printed = [str(b["account"]) for e in manifest(out) for b in e["bills"]]
    assert sorted(printed) == sorted(accounts)  # none lost, none twice
    for account in accounts:
        document = pdfium.PdfDocument(out / "bills" / f"{account}.pdf")
        try:
            assert len(document) == 1
            text = document[0].get_textpage().get_text_range()
        finally:
            document.close()
        assert account in text, f"bills/{account}.pdf holds another bill"


def test_a_killed_browser_is_replaced_and_its_part_printed_again(tmp_path: Path) -> None:
    source, out = tmp_path / "bills.jsonl", tmp_path / "run"
    accounts = write_bills(source, 150, seed=11)
    run = start("batch", source, "--out", out, "--engine", "chromium", "--workers", "2")
    try:
        wait_for(lambda: len(manifest(out)) >= 1, 120, "the first bills are printed")
        victim = browsers(run)[0]
        victim.kill()
        wait_for(lambda: victim.pid not in {p.pid for p in browsers(run)}, 10, "it dies")
        output, err = run.communicate(timeout=600)
    finally:
        kill_all(run.tag)
    assert run.returncode == 0, err
    assert "150 of 150 bills rendered into 150 files" in output
    assert "0 rejected" in output
    assert not (out / "rejected.jsonl").read_text()
    assert_each_bill_once_with_its_own_data(out, accounts)
    assert left_alive(run.tag, 5)[0] == []


def test_the_same_part_failing_twice_stops_the_run_naming_its_records(tmp_path: Path) -> None:
    source, out = tmp_path / "bills.jsonl", tmp_path / "run"
    accounts = write_bills(source, 60, seed=12)
    run = start("batch", source, "--out", out, "--engine", "chromium", "--workers", "1")
    stop = threading.Event()

    def kill_every_browser() -> None:  # a machine where Chromium cannot live long
        while not stop.is_set():
            for browser in browsers(run):
                try:
                    if time.time() - browser.create_time() > 2:  # started, then killed
                        browser.kill()
                except psutil.NoSuchProcess:
                    continue
            stop.wait(0.2)

    killer = threading.Thread(target=kill_every_browser)
    killer.start()
    try:
        _, err = run.communicate(timeout=300)
    finally:
        stop.set()
        killer.join()
        kill_all(run.tag)
    assert run.returncode == 3, err
    assert "error: the browser (Chromium) died" in err
    assert "twice in a row on the same part (records 1-50 of the input)" in err
    assert "Traceback" not in err
    assert left_alive(run.tag, 5)[0] == []
    # Nothing was lost: the same command, on a machine where Chromium lives, finishes.
    again = start("batch", source, "--out", out, "--engine", "chromium", "--workers", "1")
    output, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert "60 of 60 bills rendered" in output
    assert_each_bill_once_with_its_own_data(out, accounts)
