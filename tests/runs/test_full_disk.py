"""A full disk: the message names the file, the exit code is 5 (not usage), the run
folder stays consistent and the same command finishes once there is room."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES
from typer.testing import CliRunner

from alseco_bill import sample_bills
from alseco_bill.cli import app

runner = CliRunner()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KB file system (tmpfs), made bigger with ``grow``; needs root."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def grow(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)


def fill(disk: Path) -> None:
    with (disk / "ballast").open("wb", buffering=0) as ballast:
        try:
            while True:
                ballast.write(b"\0" * 4096)
        except OSError:
            pass


def test_render_on_a_full_disk_names_the_file_and_exits_5(small_disk: Path) -> None:
    fill(small_disk)
    out = small_disk / "bill.pdf"
    result = runner.invoke(app, ["render", str(EXAMPLES / "city-ru.json"), "-o", str(out)])
    assert result.exit_code == 5, result.output
    assert f"error: {out}: No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert not list(small_disk.glob(".*.part"))


def test_a_batch_on_a_full_disk_stops_with_5_and_the_rerun_finishes(
    small_disk: Path, tmp_path: Path
) -> None:
    source = tmp_path / "bills.jsonl"
    bills = list(sample_bills(20, seed=5))
    source.write_text("".join(b.model_dump_json(exclude_none=True) + "\n" for b in bills))
    out = small_disk / "run"
    args = ["batch", str(source), "--out", str(out), "--workers", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 5, result.output
    assert "No space left on device" in result.stderr
    assert f"error: {out}/" in result.stderr  # a path in the run folder, never empty
    # What the manifest says is done is really there, and nothing else is claimed.
    entries = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert 0 < len(entries) < 20
    assert all((out / e["file"]).is_file() for e in entries)

    grow(small_disk)
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "20 of 20 bills rendered" in again.stdout
    assert sorted(p.stem for p in (out / "bills").glob("*.pdf")) == sorted(b.account for b in bills)
    assert not list(out.rglob(".*.part"))
