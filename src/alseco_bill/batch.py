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

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

from .engines import merge_pdfs
from .errors import Problem
from .manifest import Manifest
from .records import (
    DeliveryKey,
    Record,
    account_of,
    count_records,
    delivery_key,
    peek,
    read_again,
    read_records,
)
from .worker import ChunkResult, Settings, render_chunk

CHUNK = 8  # bills per task without merging: small enough to keep workers evenly busy
PART = 50  # bills per task when merging
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
    run_options = {
        "input": str(source.resolve()),
        "merge": options.merge,
        "engine": options.settings.engine,
        "templates": list(options.settings.templates),
        "static": list(options.settings.static),
    }
    manifest = Manifest(options.out, run_options)
    run = _Run(source, manifest, options.settings, progress or (lambda done, total: None))
    summary = BatchSummary(total=count_records(source), resumed=len(manifest.done_numbers()))
    try:
        with _executor(options) as (executor, limit):
            run.executor, run.limit = executor, limit
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


@dataclass
class _Run:
    source: Path
    manifest: Manifest
    settings: Settings
    progress: Progress
    executor: Executor | None = None
    limit: int = 1
    accounts: dict[str, int] = field(default_factory=dict)  # account → record number

    def per_bill(self, total: int) -> None:
        done = self.manifest.done_numbers()
        self.accounts = {
            b["account"]: b["number"] for e in self.manifest.entries.values() for b in e["bills"]
        }

        def chunks() -> Iterator[list[Record]]:
            chunk: list[Record] = []
            for record in read_records(self.source):
                if record.number not in done and self._unique(record, peek(record.text)):
                    chunk.append(record)
                if len(chunk) == CHUNK:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        for chunk, result in self._results(chunks(), merge=False):
            for (number, account), pdf in zip(result.rendered, result.pdfs, strict=True):
                self.manifest.add_file(f"bills/{account}.pdf", pdf, [(number, account)])
            self._rejections(chunk, result)
            self.report(total)

    def merged(self, size: int, total: int) -> None:
        # Delivery order needs every address before the first file: index the input
        # (key, number, where to find it), not the bills, and read each group again.
        index: list[tuple[DeliveryKey, int, str, int]] = []
        for record in read_records(self.source):
            data = peek(record.text)
            if self._unique(record, data):
                index.append((delivery_key(data), record.number, record.source, record.offset))
        index.sort()
        names = [f"print/print-{i // size + 1:05d}.pdf" for i in range(0, len(index), size)]
        todo = [
            (name, index[i * size : (i + 1) * size])
            for i, name in enumerate(names)
            if not self.manifest.has_file(name)
        ]

        # A file is laid out in parts of PART bills, one task each, so that every
        # worker helps with every file; the parts are joined in order when the last
        # arrives. Each part embeds its own font subset: ~1 KB a bill more than one
        # document per file, for all cores instead of one.
        parts = [
            (name, group[i : i + PART], i + PART >= len(group))
            for name, group in todo
            for i in range(0, len(group), PART)
        ]

        def chunks() -> Iterator[list[Record]]:
            for _, part, _ in parts:
                yield read_again(self.source, [(n, src, at) for _, n, src, at in part])

        pdfs: list[bytes] = []
        bills: list[tuple[int, str]] = []
        for (name, _, last), (records, result) in zip(
            parts, self._results(chunks(), merge=True), strict=True
        ):
            self._rejections(records, result)
            if result.merged is not None:
                pdfs.append(result.merged)
                bills += result.rendered
            if last:
                if pdfs:
                    self.manifest.add_file(
                        name, pdfs[0] if len(pdfs) == 1 else merge_pdfs(pdfs), bills
                    )
                pdfs, bills = [], []
                self.report(total)

    def report(self, total: int) -> None:
        self.progress(self.manifest.finished, total)

    def _unique(self, record: Record, data: dict[str, object] | None) -> bool:
        """False, with the record rejected, when its account is already in the run."""
        account = account_of(data)
        if account is None:
            return True  # validation will reject it with its reasons
        if account in self.accounts and self.accounts[account] != record.number:
            first = self.accounts[account]
            problem = Problem(
                "account", f"account {account} is already in this run (record {first})"
            )
            self.manifest.reject(record.number, record.source, account, [problem])
            return False
        self.accounts[account] = record.number
        return True

    def _rejections(self, records: list[Record], result: ChunkResult) -> None:
        sources = {r.number: r.source for r in records}
        for rejection in result.rejected:
            self.manifest.reject(
                rejection.number, sources[rejection.number], rejection.account, rejection.problems
            )

    def _results(
        self, chunks: Iterator[list[Record]], merge: bool
    ) -> Iterator[tuple[list[Record], ChunkResult]]:
        """Each chunk with its result, in submission order, at most ``limit`` pending."""
        assert self.executor is not None
        pending: deque[tuple[list[Record], Future[ChunkResult]]] = deque()
        for chunk in chunks:
            items = [(r.number, r.text) for r in chunk]
            pending.append((chunk, self.executor.submit(render_chunk, self.settings, items, merge)))
            if len(pending) >= self.limit:
                records, future = pending.popleft()
                yield records, future.result()
        while pending:
            records, future = pending.popleft()
            yield records, future.result()


@contextmanager
def _executor(options: BatchOptions) -> Iterator[tuple[Executor, int]]:
    """The executor, and how many tasks may be pending: enough to keep every worker
    busy while results are written, few enough to keep memory flat."""
    if options.scheduler:
        from distributed import Client

        with Client(options.scheduler) as client:  # type: ignore[no-untyped-call]
            threads = sum(client.nthreads().values()) or 1
            yield client.get_executor(pure=False), 3 * threads
        return
    workers = options.workers or os.cpu_count() or 1
    # forkserver: workers start from a clean process, not a fork of one that may
    # hold threads (the progress display) or open files.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver")) as pool:
        yield pool, 3 * workers
