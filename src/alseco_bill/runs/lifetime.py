"""No process of a run outlives it: worker processes end with the run, and take their
browsers (Playwright's node driver, Chromium and its zygotes and renderers) with them.

A worker process watches the run's main process itself (a ``pidfd``, or its parent
pipe where there is none) and ends the moment it dies, however it dies (``kill -9``,
the out-of-memory killer). Ending, it kills every process below it first: Chromium
is started by the node driver, which is a child of the worker, so the driver's
death alone does not end it. The worker is a child subreaper (Linux), so a process
of its tree whose parent died is still below it, and found.

Signals a terminal sends to the whole foreground group (Ctrl-C, hang-up) are the
main process's to handle: workers ignore them, and the main process stops them.
SIGTERM (from the main process, or anyone) ends a worker the same way.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def worker_started(main_pid: int) -> None:
    """The initializer of a run's worker process; ``main_pid`` is the run's process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminated)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    # The forkserver is our parent: if it ends, so do we (and our tree, by SIGTERM).
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    threading.Thread(target=_watch, args=(main_pid,), name="lifeline", daemon=True).start()


def _watch(main_pid: int) -> None:
    """Wait for the run's main process to end, then end this worker and its tree."""
    try:
        fd = os.pidfd_open(main_pid)
    except (OSError, AttributeError):  # no pidfd: poll
        while _alive(main_pid):
            threading.Event().wait(0.5)
    else:
        select.select([fd], [], [])
    end_tree(exit_code=1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminated(signum: int, frame: FrameType | None) -> None:
    end_tree(exit_code=128 + signum)


def end_tree(exit_code: int) -> None:
    """Kill every process below this one, then end this one at once."""
    for _ in range(3):  # a process may start another while we look
        below = descendants(os.getpid())
        if not below:
            break
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
    os._exit(exit_code)


def descendants(root: int) -> list[int]:
    """The pids of every live process below ``root`` (from ``/proc``; Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
