"""Shared fixtures: the example bills and PDF inspection with real tools."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alseco_bill import Renderer, Theme
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.theme import packaged_dir

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = ("city-kk", "city-ru", "region-kk", "region-ru")
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@pytest.fixture(autouse=True)
def _signal_handlers_restored() -> Iterator[None]:
    # A command run in-process (CliRunner) installs its SIGTERM/SIGHUP handlers, and
    # an interrupted one ignores the signals: neither may outlive the test, or the
    # test worker and every process it starts afterwards would inherit them.
    kept = {signum: signal.getsignal(signum) for signum in SIGNALS}
    yield
    for signum, handler in kept.items():
        signal.signal(signum, handler)


@pytest.fixture(autouse=True)
def _end_what_the_test_started() -> Iterator[None]:
    yield
    processes = sys.modules.get("processes")  # tests/runs/processes.py, once imported
    if processes is not None:
        processes.end_started()


@pytest.fixture(scope="module")
def engine() -> Iterator[ChromiumEngine]:
    """One Chromium engine (and browser) for a test module's bills."""
    writer = ChromiumEngine(Theme.create())
    yield writer
    writer.close()


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
def example_data() -> Callable[[str], dict[str, Any]]:
    """A fresh, mutable copy of an example bill's JSON data."""

    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
        return data

    return load


@pytest.fixture
def designer(tmp_path: Path) -> Path:
    """A designer's override folder holding a copy of the Russian labels."""
    folder = tmp_path / "templates"
    (folder / "ru").mkdir(parents=True)
    shutil.copy(packaged_dir("templates") / "ru/labels.html", folder / "ru/labels.html")
    return folder


def run_tool(*args: str | Path) -> str:
    """Run a PDF tool nobody here wrote and return its output; fail on its failure."""
    assert shutil.which(str(args[0])), f"{args[0]} is not installed (scripts/dev.sh installs it)"
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{args[0]} failed: {result.stderr or result.stdout}"
    return result.stdout
