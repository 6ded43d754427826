"""Real ``alseco-bill`` processes for the tests of faults: start, signal, and prove
that every process they started has ended."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from alseco_bill import sample_bills

CLI = str(Path(sys.executable).parent / "alseco-bill")


def write_bills(path: Path, count: int, seed: int = 7) -> list[str]:
    bills = list(sample_bills(count, seed=seed))
    path.write_text("".join(b.model_dump_json(exclude_none=True) + "\n" for b in bills))
    return [b.account for b in bills]


def start(*args: str | Path) -> subprocess.Popen[str]:
    """``alseco-bill *args`` in a session of its own (so that the test can find every
    process it started, by session id, even those whose parent died)."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.Popen(
        [CLI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )


def session_of(pid: int) -> list[psutil.Process]:
    """Every live process of session ``pid`` (zombies are dead: not counted)."""
    found = []
    for process in psutil.process_iter(["pid", "status"]):
        try:
            if os.getsid(process.pid) == pid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
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


def left_alive(sid: int, seconds: float) -> tuple[list[psutil.Process], float]:
    """Wait up to ``seconds`` for session ``sid`` to end; what is still alive and when."""
    started = time.monotonic()
    alive = session_of(sid)
    while alive and time.monotonic() - started < seconds:
        time.sleep(0.2)
        alive = session_of(sid)
    return alive, time.monotonic() - started


def kill_session(sid: int) -> None:
    """Clean up after a failed test: SIGKILL whatever is left of session ``sid``."""
    for process in session_of(sid):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
