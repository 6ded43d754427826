"""Worker processes with warm engines, and the queue that feeds them in batches.

Each worker process keeps one renderer (its browser or WeasyPrint fonts) for its
life (``runs.worker.renderer_for``). Requests wait in one bounded queue; each worker
takes everything waiting (up to the engine's part size) as one batch, which the
engine lays out as one document (``write_each``) and cuts into one PDF per bill, so
an idle server answers one bill at once and a busy one answers many per document.
Each request gets its own outcome: its PDF or its own error.

Under load, answers go out a batch at a time and their clients' next requests come
back together, a few milliseconds apart (each is read and checked by the server
first). A worker that comes free while another is busy therefore gathers for a
moment (``GATHER_S``, while the queue still grows) before it takes, and takes its
share (of all the bills waiting or being printed, split among all the workers):
one document of many instead of a cascade of small ones, and documents of about
the same size, which is where the throughput and the even latency of coalescing
come from. A lone request on an idle server is taken at
once.

A worker that dies takes its batch with it: the pool is rebuilt and the batch tried
once more; a browser that dies is replaced by the worker and the batch tried once
more too; a second failure answers each of its requests with a 503 problem.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing import util

from ..bill.model import Bill
from ..engines import engine_for
from ..engines.session import drawn_life
from ..errors import BillError, EngineCrashedError, EngineError, TextOverflowError
from ..pdf.options import PdfOptions
from ..render import ref_of, with_fields
from ..runs.worker import Settings, renderer_for
from .problems import Problem


@dataclass(frozen=True)
class Job:
    """One bill to print, as the server read it (pickled to the worker in a fifth of
    the time it takes to read its JSON again), filled here."""

    bill: Bill
    archive: bool = False
    tagged: bool = False


Outcome = bytes | BillError | str  # a PDF, the bill's own error, or an unexpected error


_printed = {"bills": 0, "life": 0}  # by this worker's engine since it was (re)built
# How long a worker that came free under load waits for the burst of requests that
# the last answers bring (at most; it stops once the queue no longer grows).
GATHER_S = 0.06
_GATHER_STEP_S = 0.012
# A worker's engine is built again after at most this many bills (at least three
# quarters of it, ``drawn_life``: workers that renewed theirs at the same moment would
# leave no one printing for a while).
# Its page's memory is bounded on its own (``engines.session``); this bounds what the
# browser's other processes keep. A renewal stops the worker for a browser's start,
# 3 s or so: at 2,000 a busy server made 21.9 bills/s, at 10,000 26.5.
RENEW_AFTER = 10_000


def _warm(settings: Settings) -> None:
    """A worker's start: its engine built now, closed when the worker ends."""
    renderer = renderer_for(settings)
    renderer.engine  # noqa: B018 - the browser or fonts, started before the first bill
    util.Finalize(None, renderer.close, exitpriority=10)


def _render(settings: Settings, jobs: list[Job], renew_after: int) -> list[Outcome]:
    """Every job's PDF: plain ones laid out together, archive or tagged ones alone.
    The engine is closed and built again after ``renew_after`` bills at most (memory)."""
    renderer = renderer_for(settings)
    if not _printed["life"]:
        _printed["life"] = drawn_life(renew_after)
    if _printed["bills"] >= _printed["life"]:
        renderer.close()  # the next use builds a new engine (a new browser)
        _printed["bills"] = _printed["life"] = 0
    _printed["bills"] += len(jobs)
    outcomes: list[Outcome] = [""] * len(jobs)
    try:
        bills = [job.bill for job in jobs]
        pages: list[tuple[int, str]] = []
        for i, (job, bill) in enumerate(zip(jobs, bills, strict=True)):
            try:
                html = renderer.html(bill)
            except BillError as exc:
                outcomes[i] = exc
                continue
            if job.archive or job.tagged:
                outcomes[i] = _alone(settings, job, bill, html)
            else:
                pages.append((i, html))
        jobs_html = [(h, ref_of(bills[i])) for i, h in pages]
        try:
            written = renderer.engine.write_each(jobs_html)
        except EngineCrashedError:  # no bill's fault: once more, with a new engine,
            renderer.close()  # as the batch's render_chunk does
            try:
                written = renderer.engine.write_each(jobs_html)
            except EngineCrashedError as exc:
                renderer.close()
                return [EngineError("", f"the engine crashed twice: {exc}")] * len(jobs)
        for (i, _), result in zip(pages, written, strict=True):
            if isinstance(result, TextOverflowError):  # named by the bill's fields
                result = with_fields(result, bills[i])
            outcomes[i] = result
    except Exception as exc:  # answered with a request id
        return [f"{type(exc).__name__}: {exc}"] * len(jobs)
    return outcomes


def _alone(settings: Settings, job: Job, bill: Bill, html: str) -> Outcome:
    options = PdfOptions(job.archive, job.tagged)
    engine = engine_for(options, settings.engine)
    renderer = renderer_for(
        replace(settings, engine=engine, archive=job.archive, tagged=job.tagged)
    )
    try:
        return renderer.pdf(bill, html)
    except BillError as exc:
        return exc


@dataclass
class _Waiting:
    job: Job
    future: asyncio.Future[tuple[Outcome, int]]
    deadline: float
    gone: Callable[[], bool] = field(default=lambda: False)


class Pool:
    """``workers`` processes rendering batches of up to ``part_size`` queued bills."""

    def __init__(
        self,
        settings: Settings,
        workers: int,
        *,
        max_queue: int = 64,
        part_size: int = 50,
        coalesce: bool = True,
        renew_after: int = RENEW_AFTER,
        on_document: Callable[[int], None] = lambda bills: None,
        on_gone: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.workers = workers
        self.max_queue = max_queue
        self.part_size = part_size if coalesce else 1
        self.renew_after = renew_after
        self.on_document = on_document
        self.on_gone = on_gone
        self.queue: deque[_Waiting] = deque()
        self.in_flight = 0
        self.ready = False
        self._wake = asyncio.Event()
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0
        self._tasks: list[asyncio.Task[None]] = []

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm,
            initargs=(self.settings,),
        )

    async def start(self) -> None:
        self._executor = self._new_executor()
        loop = asyncio.get_running_loop()
        # One batch per worker at once, so every worker starts its engine now.
        await asyncio.gather(
            *(loop.run_in_executor(self._executor, time.sleep, 0.3) for _ in range(self.workers))
        )
        self._tasks = [asyncio.create_task(self._dispatch()) for _ in range(self.workers)]
        self.ready = True

    async def close(self) -> None:
        self.ready = False
        for task in self._tasks:
            task.cancel()
        for waiting in self.queue:
            if not waiting.future.done():
                waiting.future.set_exception(Problem(503, "draining", "the server is stopping"))
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)

    async def submit(
        self, job: Job, deadline: float, gone: Callable[[], bool] = lambda: False
    ) -> tuple[Outcome, int]:
        """The job's outcome and how many bills shared its document; raises a 429
        ``Problem`` when the queue is full, a 504 one past ``deadline``."""
        if len(self.queue) >= self.max_queue:
            raise Problem(429, "queue-full", f"{len(self.queue)} bills are waiting; retry soon")
        future: asyncio.Future[tuple[Outcome, int]] = asyncio.get_running_loop().create_future()
        self.queue.append(_Waiting(job, future, deadline, gone))
        self._wake.set()
        try:
            return await asyncio.wait_for(asyncio.shield(future), deadline - time.monotonic())
        except TimeoutError:
            future.cancel()
            raise Problem(
                504, "deadline", "the bill was not rendered before its deadline"
            ) from None

    def _take(self) -> list[_Waiting]:
        batch: list[_Waiting] = []
        now = time.monotonic()
        # A worker's share is of every bill waiting or being printed, not only of the
        # queue: under a steady load the clients of one document come back together,
        # so documents keep their sizes, and a worker taking the whole queue kept
        # documents of 18 and 7 at 32 clients (the 18 waited longest). Equal shares
        # even the documents out within a few turns.
        share = -(-(len(self.queue) + self.in_flight) // self.workers)
        while self.queue and len(batch) < min(self.part_size, share):
            waiting = self.queue.popleft()
            if waiting.future.done() or waiting.deadline <= now:
                continue  # answered: past its deadline
            if waiting.gone():  # its client went away: not rendered
                waiting.future.set_exception(Problem(499, "client-gone", "the client went away"))
                self.on_gone()
                continue
            batch.append(waiting)
        return batch

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self.queue:
                self._wake.clear()
                await self._wake.wait()
            if self.in_flight and self.part_size > 1:
                await self._gather()
            batch = self._take()
            if not batch:
                continue
            self.in_flight += len(batch)
            try:
                outcomes = await self._run(loop, [w.job for w in batch])
            finally:
                self.in_flight -= len(batch)
            self.on_document(len(batch))
            for waiting, outcome in zip(batch, outcomes, strict=True):
                if not waiting.future.done():
                    waiting.future.set_result((outcome, len(batch)))

    async def _gather(self) -> None:
        """Wait while requests still arrive (up to ``GATHER_S``, or a part's worth)."""
        end = time.monotonic() + GATHER_S
        waiting = len(self.queue)
        while waiting < self.part_size and time.monotonic() < end:
            await asyncio.sleep(_GATHER_STEP_S)
            if len(self.queue) == waiting:
                return
            waiting = len(self.queue)

    async def _run(self, loop: asyncio.AbstractEventLoop, jobs: list[Job]) -> list[Outcome]:
        for attempt in range(2):
            executor, generation = self._executor, self._generation
            assert executor is not None
            try:
                return await loop.run_in_executor(
                    executor, _render, self.settings, jobs, self.renew_after
                )
            except BrokenProcessPool:
                if generation == self._generation:  # the first to see it rebuilds
                    self._generation += 1
                    self._executor = self._new_executor()
                    executor.shutdown(wait=False, cancel_futures=True)
                if attempt:
                    break
        error = EngineError("", "a render worker stopped twice while printing this bill")
        return [error] * len(jobs)
