"""The bounds a bill's work must keep: time for filling and layout, size of its HTML.

A designer's template can loop for ever (``{% for i in range(10**5) %}`` nested, a
macro that calls itself twice at every level); Jinja's sandbox limits one ``range``
but not time. ``within(seconds)`` runs a block under a deadline: when it passes, the
thread running the block gets an ``Overtime`` exception at its next Python
instruction (``PyThreadState_SetAsyncExc``), in any thread, so a print run's worker,
``render`` and the preview's threads are all bounded. ``Overtime`` is a
``BaseException``: code that catches ``Exception`` (WeasyPrint does, around images)
does not swallow it.

Only code that runs Python is interrupted: a block that waits on another process (a
browser) is bounded by that process's own time-outs instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from types import TracebackType

# A bill's filled HTML is ~50 KB; a template that makes a hundred times that is
# looping, not printing a bill.
MAX_HTML = 5_000_000  # characters
DEADLINE = 20.0  # seconds a bill may take to fill, and again to lay out


class Overtime(BaseException):
    """The deadline of a ``within`` block passed while it ran."""


def _raise_in(thread_id: int, exception: type[BaseException]) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception)
    )


def _take_pending() -> None:
    """Let an ``Overtime`` raised in this thread and not delivered yet land here and
    drop it: Python delivers it at a loop's jump back. (Not cleared through
    ``PyThreadState_SetAsyncExc(id, NULL)``, which signals the interpreter again with
    nothing to deliver.)"""
    with contextlib.suppress(Overtime):
        for _ in range(3):
            pass


class within:  # a statement: ``with within(2.0): ...``
    """Run the ``with`` block for at most ``seconds``; past that it raises ``Overtime``.

    The exception may surface at the block's very end (even from ``__exit__``), so
    catch ``Overtime`` around the ``with`` statement, not inside it.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._fired = False
        self._done = False
        self._timer: threading.Timer | None = None
        self._thread = 0

    def __enter__(self) -> within:
        if self.seconds is not None:
            self._thread = threading.get_ident()
            self._timer = threading.Timer(self.seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                self._fired = True
                _raise_in(self._thread, Overtime)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
            if self._fired and kind is not Overtime:
                # Fired but not delivered yet (deliver it here rather than later, in
                # code that has nothing to do with the block), or delivered into code
                # that swallowed it (a weakref callback of the garbage collector) while
                # the block went on: either way the block ran past its deadline.
                _take_pending()
                raise Overtime from value
