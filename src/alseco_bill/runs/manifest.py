"""The record of a print run on disk, so that a killed run resumes where it stopped.

``manifest.jsonl`` has a line per finished output file (its checksum, and which
record is on which page); ``rejected.jsonl`` a line per rejected record with every
reason. A file counts as done only if it exists with the recorded checksum, and an
output file is always written under a temporary name and renamed, so a half-written
PDF never looks complete. ``run.json`` holds the options: resuming with other
options is refused rather than mixing two runs in one folder.

One run at a time: the manifest holds a lock on ``.lock`` in the folder (``fcntl``),
which the kernel drops when the process ends however it ends, so a second run on
the folder is refused while the first lives, and a killed run never blocks a resume.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import Problem, RunFolderBusyError, RunMismatchError
from ..files import naming, remove_temporaries, write_atomic


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Manifest:
    """What an output folder already holds, and appending to it as a run goes on."""

    def __init__(self, out: Path, options: dict[str, Any]) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(out)
        try:
            self._open(options)
        except BaseException:
            os.close(self._lock)
            raise

    def _open(self, options: dict[str, Any]) -> None:
        out = self.out
        self._check_options(options)
        # Half-written files of an interrupted run: never complete, never needed.
        remove_temporaries(out)
        self.entries = {
            e["file"]: e for e in _read_lines(out / "manifest.jsonl") if _intact(out, e)
        }
        self.rejected = {r["number"]: r for r in _read_lines(out / "rejected.jsonl")}
        # Rewrite both logs with only what holds, so a torn last line or a file that
        # changed since is forgotten, and will be made again.
        _rewrite(out / "manifest.jsonl", self.entries.values())
        _rewrite(out / "rejected.jsonl", self.rejected.values())
        self._bills = sum(len(e["bills"]) for e in self.entries.values())
        self._manifest = _append(out / "manifest.jsonl")
        self._rejected = _append(out / "rejected.jsonl")

    @property
    def finished(self) -> int:
        """How many records are rendered or rejected so far."""
        return self._bills + len(self.rejected)

    def done_numbers(self) -> set[int]:
        """Records already rendered (in a verified file) or already rejected."""
        done = {b["number"] for e in self.entries.values() for b in e["bills"]}
        return done | set(self.rejected)

    def rendered_accounts(self) -> dict[str, int]:
        """Account → record number, for every bill in a verified file."""
        return {b["account"]: b["number"] for e in self.entries.values() for b in e["bills"]}

    def has_file(self, relative: str) -> bool:
        return relative in self.entries

    def add_file(self, relative: str, pdf: bytes, bills: list[tuple[int, str]]) -> None:
        """Write ``pdf`` atomically, then record it with its bills (one page each)."""
        write_atomic(self.out / relative, pdf)
        entry = {
            "file": relative,
            "sha256": sha256(pdf),
            "bills": [
                {"number": number, "account": account, "page": page}
                for page, (number, account) in enumerate(bills, start=1)
            ],
        }
        if relative in self.entries:  # made again: its old record no longer holds
            self._bills -= len(self.entries[relative]["bills"])
        self.entries[relative] = entry
        self._bills += len(bills)
        _write_line(self._manifest, entry)

    def reject(
        self, number: int, source: str, account: str | None, problems: list[Problem]
    ) -> None:
        if number in self.rejected:
            return
        row = {
            "number": number,
            "source": source,
            "account": account,
            "errors": [{"path": p.path, "message": p.message} for p in problems],
        }
        self.rejected[number] = row
        _write_line(self._rejected, row)

    def close(self) -> None:
        try:
            self._manifest.close()
            self._rejected.close()
        finally:
            os.close(self._lock)  # and with it the lock

    def _check_options(self, options: dict[str, Any]) -> None:
        path = self.out / "run.json"
        if path.exists():
            previous = json.loads(path.read_text("utf-8"))
            if previous != options:
                changed = sorted(
                    k for k in options.keys() | previous.keys() if options.get(k) != previous.get(k)
                )
                raise RunMismatchError(
                    f"{self.out} holds a run made with other options ({', '.join(changed)}); "
                    "use a new --out folder or the same options"
                )
        else:
            write_atomic(path, json.dumps(options, indent=2, ensure_ascii=False).encode())


def _lock(out: Path) -> int:
    """Lock ``out`` for this process (``fcntl.lockf``: a lock of the process, not
    inherited by its children, dropped by the kernel when it ends); its pid is written
    into the lock file for the message of a run refused."""
    path = out / ".lock"
    with naming(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        who = f" (process {holder})" if holder.isdigit() else ""
        raise RunFolderBusyError(
            f"another run{who} is using {out}; wait for it to finish, or use another --out"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _intact(out: Path, entry: dict[str, Any]) -> bool:
    path = out / str(entry["file"])
    return path.is_file() and sha256(path.read_bytes()) == str(entry["sha256"])


def _read_lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                yield json.loads(line)
            except ValueError:
                continue  # a line torn by a kill; its record will be done again


def _rewrite(path: Path, rows: Any) -> None:
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    write_atomic(path, text.encode())


def _append(path: Path) -> IO[str]:
    return path.open("a", encoding="utf-8")


def _write_line(handle: IO[str], row: dict[str, Any]) -> None:
    with naming(Path(handle.name)):
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        # Flushed, not fsynced: a killed process loses nothing flushed; a power cut may
        # tear the last line, which _read_lines skips and the run redoes.
        handle.flush()
