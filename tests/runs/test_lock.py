"""One run at a time on a run folder: two real processes; a killed run's lock is stale."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from processes import kill_all, left_alive, start, wait_for, write_bills


def test_a_second_run_on_the_same_folder_is_refused_while_the_first_runs(
    tmp_path: Path,
) -> None:
    source, out = tmp_path / "bills.jsonl", tmp_path / "run"
    accounts = write_bills(source, 40)
    first = start("batch", source, "--out", out, "--workers", "1")
    try:
        wait_for(lambda: (out / "manifest.jsonl").exists(), 60, "the first run starts")
        second = start("batch", source, "--out", out, "--workers", "1")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2, err
        assert f"another run (process {first.pid}) is using {out}" in err
        assert "Traceback" not in err
        assert first.poll() is None, "the first run was to be still running"
        _, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
    finally:
        kill_all(first.tag)
    lines = (out / "manifest.jsonl").read_text().splitlines()
    bills = sorted(b["account"] for line in lines for b in json.loads(line)["bills"])
    assert bills == sorted(accounts)  # each once: the second run wrote nothing
    assert left_alive(first.tag, 10)[0] == []


HOLD = """
import sys, time
from pathlib import Path
from alseco_bill.runs.manifest import Manifest
Manifest(Path(sys.argv[1]), {"input": "x"})
print("locked", flush=True)
time.sleep(600)
"""


def test_the_lock_of_a_killed_run_does_not_block_a_resume(tmp_path: Path) -> None:
    source, out = tmp_path / "bills.jsonl", tmp_path / "run"
    write_bills(source, 3)
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        refused = start("batch", source, "--out", out)
        _, err = refused.communicate(timeout=60)
        assert refused.returncode == 2
        assert f"another run (process {holder.pid})" in err
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    (out / "run.json").unlink()  # the holder's options were not a batch's
    resumed = start("batch", source, "--out", out, "--workers", "1")
    output, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert "3 of 3 bills rendered" in output
