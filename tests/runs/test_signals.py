"""However a run ends (SIGINT, SIGTERM, SIGHUP, its main process killed), it says how
far it got, leaves its run folder consistent, and leaves no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES
from processes import Started, kill_all, left_alive, names, start, tagged, wait_for, write_bills

from alseco_bill.runs.manifest import sha256

LINE = re.compile(r"interrupted after (\d+) of (\d+) bills; run the same command again to resume")


def manifest_lines(out: Path) -> list[dict[str, Any]]:
    path = out / "manifest.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def started_printing(process: Started, out: Path, files: int = 2) -> None:
    wait_for(lambda: len(manifest_lines(out)) >= files, 120, "the run prints its first bills")
    assert process.poll() is None


def signal_state(pid: int) -> str:
    """The signals process ``pid`` blocks, ignores and catches (``/proc``, Linux)."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return " ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def ended(process: Started, seconds: float = 10) -> tuple[str, float]:
    """The process's stderr once it and every process it started are gone."""
    try:
        # 60 s, not 30: once, beside the other half of the tests, a run printing 0.1
        # bills a second had said it was interrupted but not ended 30 s after SIGINT
        # (0.4-1.4 s here, alone or beside four busy loops).
        _, err = process.communicate(timeout=60)
        alive, took = left_alive(process.tag, seconds)
        assert alive == [], f"left alive after {took:.1f} s: {names(alive)}"
        return err, took
    finally:
        kill_all(process.tag)


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
)
def test_a_signalled_batch_says_so_and_the_rerun_finishes_it(
    tmp_path: Path, signum: int, code: int
) -> None:
    source, out = tmp_path / "bills.jsonl", tmp_path / "run"
    accounts = write_bills(source, 40)
    run = start("batch", source, "--out", out, "--workers", "2")
    started_printing(run, out)
    # Once, in a whole run of the tests, a SIGINT was not acted on and the run finished
    # with 0: what the kernel says of the process's signals tells an inherited ignore or
    # mask from a lost exception.
    state = signal_state(run.pid)
    os.kill(run.pid, signum)
    err, _ = ended(run)
    assert run.returncode == code, f"{err}\nbefore the signal: {state}"
    assert "Traceback" not in err
    said = LINE.findall(err)
    assert len(said) == 1, err
    finished, total = map(int, said[0])
    assert total == 40
    # The manifest holds at that moment: what it lists is there, with its checksum.
    entries = manifest_lines(out)
    assert len(entries) >= finished > 0
    for entry in entries:
        assert sha256((out / str(entry["file"])).read_bytes()) == entry["sha256"]
    # A half-written file, as a kill -9 leaves one: the rerun removes it.
    (out / "bills" / f".{accounts[-1]}.pdf.x1y2.part").write_bytes(b"")
    again = start("batch", source, "--out", out, "--workers", "2")
    output, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "40 of 40 bills rendered" in output
    assert f"{len(entries)} were done by an earlier run" in output
    assert not list(out.rglob(".*.part"))
    lines = manifest_lines(out)
    assert sorted(str(b["account"]) for e in lines for b in e["bills"]) == sorted(accounts)


@pytest.mark.chromium
@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_no_process_of_a_chromium_batch_outlives_it(tmp_path: Path, signum: int) -> None:
    source, out = tmp_path / "bills.jsonl", tmp_path / "run"
    write_bills(source, 200)
    run = start("batch", source, "--out", out, "--engine", "chromium", "--workers", "2")

    def workers_and_browsers() -> bool:
        # The main process starts a browser of its own first, to ask its version.
        seen = names(tagged(run.tag))
        return {"alseco-bill", "python"} <= set(seen) and seen.count("chromium") >= 2

    wait_for(workers_and_browsers, 120, "workers and their browsers start")
    killed = time.monotonic()
    os.kill(run.pid, signum)
    _, took = ended(run, seconds=5)
    print(f"{signal.Signals(signum).name}: nothing left after {time.monotonic() - killed:.1f} s")
    assert took < 5


@pytest.mark.chromium
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_no_process_of_a_chromium_render_outlives_it(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "bill.pdf"
    run = start("render", EXAMPLES / "city-ru.json", "-o", out, "--engine", "chromium")
    wait_for(lambda: "chromium" in names(tagged(run.tag)), 60, "Chromium starts")
    os.kill(run.pid, signum)
    err, took = ended(run, seconds=5)
    assert took < 5
    if signum == signal.SIGTERM:
        assert run.returncode == 143
        assert "interrupted after 0 of 1 bills" in err
        assert "Traceback" not in err
