"""Monthly print runs: every record of the input ends as a rendered bill or a rejection.

Bills are rendered in chunks by worker processes on this machine, or by a Dask
cluster, each worker keeping one ``Renderer`` for the whole run. Results are taken
in submission order, so a run's output does not depend on which worker was faster,
and only a few chunks are in flight, so memory stays flat however long the input.

Without ``merge`` each bill becomes ``bills/<account>.pdf``. With ``merge=N`` bills
are sorted into delivery order (``records.delivery_key``) and written as print-shop
files ``print/print-00001.pdf`` of N bills each; the manifest tells which bill is on
which page of which file.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from multiprocessing import forkserver, get_context
from pathlib import Path
from typing import TypeVar

from ..engines import engine_info
from ..errors import Problem, TemplateLimitError
from ..pdf.options import PdfOptions
from ..pdf.outline import print_file
from ..theme import Theme
from .lifetime import worker_started
from .manifest import Manifest
from .records import (
    DeliveryKey,
    Record,
    count_records,
    delivery_key,
    peek,
    read_again,
    read_records,
)
from .worker import ChunkResult, Settings, render_chunk

# Bills per task, unless the engine fixes it (``Capabilities.task_size``: an engine
# that lays a task out as one document puts its font subsets in every file).
CHUNK = 8  # without merging: small tasks keep workers even
PART = 50  # when merging (each part embeds its fonts once)
# A run whose first bills all run past the bounds on one template stops: that
# template would fail every bill of the month, one deadline at a time.
STOP_AFTER = 5
T = TypeVar("T")
Progress = Callable[[int, int], None]  # (records finished, total)


@dataclass(frozen=True)
class BatchOptions:
    out: Path
    merge: int | None = None
    workers: int | None = None
    scheduler: str | None = None
    settings: Settings = field(default_factory=Settings)


@dataclass
class BatchSummary:
    total: int = 0
    rendered: int = 0
    rejected: int = 0
    resumed: int = 0  # records an earlier, interrupted run of the same command finished
    files: int = 0

    @property
    def complete(self) -> bool:
        """Nothing lost: every record is rendered or rejected."""
        return self.rendered + self.rejected == self.total


def run_batch(
    source: Path, options: BatchOptions, progress: Progress | None = None
) -> BatchSummary:
    """Render every record of ``source`` into ``options.out``; resumes an earlier run."""
    settings = options.settings
    engine_info(settings.engine).check(PdfOptions(settings.archive, settings.tagged), options.merge)
    if not options.scheduler:
        _start_forkserver(settings.engine)
    theme = Theme.create([Path(p) for p in settings.templates], [Path(p) for p in settings.static])
    # Contents, not only paths: resuming after the input or a template changed would
    # mix two different runs in one folder.
    run_options = {
        "input": str(source.resolve()),
        "input_fingerprint": fingerprint([source]),
        "merge": options.merge,
        "engine": settings.engine,
        "archive": settings.archive,
        "tagged": settings.tagged,
        "templates": list(settings.templates),
        "static": list(settings.static),
        "theme_fingerprint": fingerprint(theme.roots),
        "version": version("alseco-bill"),
        # Another browser or WeasyPrint lays out and subsets differently: other bytes.
        "engine_version": engine_info(settings.engine).version(),
    }
    manifest = Manifest(options.out, run_options)
    run = _Run(source, manifest, options.settings, progress or (lambda done, total: None))
    summary = BatchSummary(total=count_records(source), resumed=len(manifest.done_numbers()))
    run.total, run.printed_any = summary.total, bool(manifest.entries)
    try:
        with _executor(options) as (executor, workers):
            run.executor, run.workers = executor, workers
            run.report(summary.total)
            if options.merge:
                run.merged(options.merge, summary.total)
            else:
                run.per_bill(summary.total)
    finally:
        manifest.close()
    summary.rendered = sum(len(e["bills"]) for e in manifest.entries.values())
    summary.rejected = len(manifest.rejected)
    summary.files = len(manifest.entries)
    return summary


@dataclass(frozen=True, order=True)
class _Indexed:
    """A record of the input in delivery order, and where to read it again."""

    key: DeliveryKey
    number: int
    source: str = field(compare=False)
    offset: int = field(compare=False)


@dataclass(frozen=True)
class _Part:
    """A task of a merged run: some records of one print file."""

    file: str  # the print file's name in the run folder
    records: list[_Indexed]
    last: bool  # the file's last part: the file is joined when it is done


@dataclass
class _PrintFile:
    """A print file as its parts come back: each part's PDF, the pages of it to keep
    (a bill whose account came earlier is dropped), and the bills kept, in order."""

    pdfs: list[bytes] = field(default_factory=list)
    keep: list[list[int]] = field(default_factory=list)
    bills: list[tuple[int, str]] = field(default_factory=list)  # (record number, account)
    bookmarks: list[str] = field(default_factory=list)


@dataclass
class _Run:
    source: Path
    manifest: Manifest
    settings: Settings
    progress: Progress
    executor: Executor | None = None
    workers: int = 1
    # Account → the record whose bill was rendered for it. Duplicates are decided
    # after validation and in processing order, so the first *valid* record wins, the
    # same whether the run went straight through or was resumed.
    accounts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    printed_any: bool = False  # a bill of this folder is printed (by this run or before)
    limits: dict[str, int] = field(default_factory=dict)  # template → bills it failed

    def per_bill(self, total: int) -> None:
        done = self.manifest.done_numbers()
        self.accounts = self.manifest.rendered_accounts()

        size = self.task_size(CHUNK)

        def chunks() -> Iterator[list[Record]]:
            chunk: list[Record] = []
            for record in read_records(self.source):
                if record.number not in done and self._readable(record):
                    chunk.append(record)
                if len(chunk) == size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        for chunk, result in self._results(chunks(), merge=False):
            self._rejections(chunk, result)
            for (number, account), pdf in zip(result.rendered, result.pdfs, strict=True):
                if self._claim(number, account, chunk):
                    self.manifest.add_file(f"bills/{account}.pdf", pdf, [(number, account)])
                    self.report(total)  # per file: an interruption says how far it got
            self.report(total)

    def merged(self, size: int, total: int) -> None:
        # Delivery order needs every address before the first file: index the input
        # (key, number, where to find it), not the bills, and read each group again.
        self.accounts = self.manifest.rendered_accounts()
        index = sorted(
            _Indexed(delivery_key(peek(record.text)), record.number, record.source, record.offset)
            for record in read_records(self.source)
            if self._readable(record)
        )
        names = [f"print/print-{i // size + 1:05d}.pdf" for i in range(0, len(index), size)]
        todo = [
            (name, index[i * size : (i + 1) * size])
            for i, name in enumerate(names)
            if not self.manifest.has_file(name)
        ]
        # A file is laid out in parts, one task each, so that every worker helps with
        # every file; the parts are joined in order when the last arrives. Each part
        # embeds its own font subset: ~1 KB a bill more than one document per file,
        # for all cores instead of one.
        step = self.task_size(PART)
        parts = [
            _Part(name, group[i : i + step], last=i + step >= len(group))
            for name, group in todo
            for i in range(0, len(group), step)
        ]

        def chunks() -> Iterator[list[Record]]:
            for part in parts:
                yield read_again(
                    self.source, [(r.number, r.source, r.offset) for r in part.records]
                )

        file = _PrintFile()
        for part, (records, result) in zip(parts, self._results(chunks(), merge=True), strict=True):
            self._rejections(records, result)
            if result.merged is not None:
                file.pdfs.append(result.merged)
                file.keep.append([])
                for page, (number, account) in enumerate(result.rendered):
                    if self._claim(number, account, records):
                        file.keep[-1].append(page)
                        file.bills.append((number, account))
                        file.bookmarks.append(result.bookmarks[number])
            if part.last:
                if file.bills:
                    whole = len(file.pdfs) == 1 and len(file.keep[0]) == len(result.rendered)
                    title = f"ALSECO print file {Path(part.file).stem}: {len(file.bills)} bills"
                    pdf = print_file(file.pdfs, None if whole else file.keep, title, file.bookmarks)
                    self.manifest.add_file(part.file, pdf, file.bills)
                file = _PrintFile()
                self.report(total)

    def task_size(self, default: int) -> int:
        """Bills per task for this run's engine: its own, or ``default``."""
        return engine_info(self.settings.engine).capabilities.task_size or default

    def report(self, total: int) -> None:
        self.progress(self.manifest.finished, total)

    def _readable(self, record: Record) -> bool:
        """False, with the record rejected, when it is not even text."""
        if record.problem is None:
            return True
        self.manifest.reject(record.number, record.source, None, [Problem("", record.problem)])
        return False

    def _claim(self, number: int, account: str, records: list[Record]) -> bool:
        """Whether this rendered bill is the first for its account; if not, reject it."""
        first = self.accounts.setdefault(account, number)
        if first == number:
            return True
        source = next(r.source for r in records if r.number == number)
        problem = Problem("account", f"account {account} is already in this run (record {first})")
        self.manifest.reject(number, source, account, [problem])
        return False

    def _rejections(self, records: list[Record], result: ChunkResult) -> None:
        sources = {r.number: r.source for r in records}
        self.printed_any = self.printed_any or bool(result.rendered)
        for rejection in result.rejected:
            self.manifest.reject(
                rejection.number, sources[rejection.number], rejection.account, rejection.problems
            )
            self._stop_on(rejection.limit)

    def _stop_on(self, limit: TemplateLimitError | None) -> None:
        """Stop the run when its first bills all ran past the bounds on one template."""
        if limit is None or self.printed_any:
            return
        template = limit.template or "<template>"
        failed = self.limits[template] = self.limits.get(template, 0) + 1
        if failed >= min(STOP_AFTER, self.total):
            raise TemplateLimitError(
                f"the first {failed} bills",
                limit.template,
                limit.line,
                f"{limit.reason}; the run stops, since this template would fail every bill",
            )

    def _results(
        self, chunks: Iterator[list[Record]], merge: bool
    ) -> Iterator[tuple[list[Record], ChunkResult]]:
        """Each chunk with its result, in submission order; three per worker pending,
        enough to keep every worker busy while results are written, few enough to keep
        memory flat."""
        assert self.executor is not None
        pending: deque[tuple[list[Record], Future[ChunkResult]]] = deque()
        for chunk in chunks:
            items = [(r.number, r.text) for r in chunk]
            pending.append((chunk, self.executor.submit(render_chunk, self.settings, items, merge)))
            if len(pending) >= 3 * self.workers:
                records, future = pending.popleft()
                yield records, future.result()
        while pending:
            records, future = pending.popleft()
            yield records, future.result()


def fingerprint(paths: Sequence[Path]) -> str:
    """A digest of the files at ``paths`` (files, or folders searched recursively).

    File contents are hashed; a folder of many inputs is hashed by its files' names,
    sizes and modification times, which a changed input also changes.
    """
    digest = hashlib.sha256()
    for path in paths:
        if path.is_file():
            with path.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
            continue
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = file.stat()
            digest.update(
                f"{file.relative_to(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode()
            )
    return digest.hexdigest()


def _start_forkserver(engine_name: str) -> None:
    """Start the process the local workers are forked from, if it is not running.

    forkserver: workers start from a clean process, not a fork of one that may hold
    threads (the progress display) or open files. It imports the worker and its
    engine once, for all workers; started first, it does so while this process
    checks the options and reads the input, where the first task would otherwise
    wait for it (some 0.6 s of one core)."""
    engine = engine_info(engine_name)
    get_context("forkserver").set_forkserver_preload(
        ["alseco_bill.runs.worker", "alseco_bill.runs.lifetime", engine.module, *engine.libraries]
    )
    forkserver.ensure_running()


@contextmanager
def _executor(options: BatchOptions) -> Iterator[tuple[Executor, int]]:
    """The executor, and how many tasks it runs at once (processes or threads)."""
    if options.scheduler:
        from distributed import Client

        with Client(options.scheduler) as client:  # type: ignore[no-untyped-call]
            threads = sum(client.nthreads().values()) or 1
            yield client.get_executor(pure=False), threads
        return
    workers = options.workers or os.cpu_count() or 1
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("forkserver"),
        initializer=worker_started,
        initargs=(os.getpid(),),
    )
    try:
        yield pool, workers
    except BaseException:
        # Interrupted or failed: the workers' tasks are not waited for, they are ended.
        stop_workers(pool)
        raise
    pool.shutdown()


def stop_workers(pool: ProcessPoolExecutor, grace: float = 5.0) -> None:
    """End ``pool``'s worker processes now (SIGTERM: each ends its browsers first;
    SIGKILL after ``grace`` seconds), dropping the tasks not yet done."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    # Taken now: shutdown() forgets it.
    manager = getattr(pool, "_executor_manager_thread", None)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1)
    pool.shutdown(wait=False, cancel_futures=True)
    # The pool's manager thread closes its wake-up pipe as it ends; if it is still
    # ending when the interpreter exits, the exit hook of concurrent.futures writes to
    # the pipe as it closes (a traceback, EBADF). Its processes are gone: it ends soon.
    if manager is not None:
        manager.join(grace)
