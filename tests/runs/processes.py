"""Real ``alseco-bill`` processes for the tests of faults: start, signal, and prove
that every process they started has ended."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil

from alseco_bill import sample_bills

CLI = str(Path(sys.executable).parent / "alseco-bill")
TAG = "ALSECO_TEST_TAG"


def write_bills(path: Path, count: int, seed: int = 7) -> list[str]:
    bills = list(sample_bills(count, seed=seed))
    path.write_text("".join(b.model_dump_json(exclude_none=True) + "\n" for b in bills))
    return [b.account for b in bills]


class Started(subprocess.Popen[str]):
    """A process with a tag in its environment, which everything it starts inherits
    (Chromium too, though Playwright starts it in a session of its own)."""

    tag: str


def start(*args: str | Path) -> Started:
    """``alseco-bill *args``, tagged so that the test finds every process it started."""
    tag = uuid.uuid4().hex
    env = {**os.environ, "COLUMNS": "200", TAG: tag}
    process = Started(
        [CLI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_as_in_a_terminal,
    )
    process.tag = tag
    _started.append(process)
    return process


_started: list[Started] = []


def _as_in_a_terminal() -> None:
    """Ctrl-C's signal as a terminal's foreground command has it. Tests run in the
    background of a shell inherit it ignored, and a command keeps what it inherits
    (as ``nohup`` and ``&`` expect), so a test of Ctrl-C would see nothing happen."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def end_started() -> None:
    """After each test (``tests/conftest.py``): whatever a test started and left, even
    one that failed half-way, is killed, waited for and its pipes closed, so that it
    cannot haunt the next test as a warning."""
    while _started:
        process = _started.pop()
        kill_all(process.tag)
        if process.poll() is None:
            process.kill()
        process.wait(30)
        # Closed, not read to the end: a descendant that escaped the tag could hold
        # the pipe open, and reading would then wait for it forever.
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def tagged(tag: str) -> list[psutil.Process]:
    """Every live process whose environment carries ``tag`` (zombies are dead)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() != psutil.STATUS_ZOMBIE and process.environ().get(TAG) == tag:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
            continue
    return found


def names(processes: list[psutil.Process]) -> list[str]:
    """The names of those of ``processes`` still there (a browser's helper may end
    between the listing and the asking)."""
    found = []
    for process in processes:
        try:
            found.append(process.name())
        except psutil.NoSuchProcess:
            continue
    return found


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Wait until ``condition()``; returns the seconds it took, fails after ``seconds``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.1)
    return time.monotonic() - started


def left_alive(tag: str, seconds: float) -> tuple[list[psutil.Process], float]:
    """Wait up to ``seconds`` for the processes of ``tag`` to end; what is still
    alive, and how long it took."""
    started = time.monotonic()
    alive = tagged(tag)
    while alive and time.monotonic() - started < seconds:
        time.sleep(0.2)
        alive = tagged(tag)
    return alive, time.monotonic() - started


def kill_all(tag: str) -> None:
    """Clean up after a failed test: SIGKILL whatever is left of ``tag``."""
    for process in tagged(tag):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
