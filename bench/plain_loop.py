"""The WeasyPrint plain loop over our templates, this checkout against another revision.

    .venv/bin/python bench/plain_loop.py --against b17928e          # 40 bills, 6 rounds
    .venv/bin/python bench/plain_loop.py --against HEAD --count 60 --rounds 8
    .venv/bin/python bench/plain_loop.py --against b17928e --instructions --count 8

The loop is bench.py's (a): one ``weasyprint.HTML(...).write_pdf()`` per bill, default
options, each bill parsed and filled by that revision's own package and templates. The
revision is checked out in a temporary git worktree (removed at the end) and run with
``PYTHONPATH`` pointing at its ``src``; both read the same bills (made by this checkout).

On this noisy 2-core machine one loop after the other differed by up to 43 % between
runs of the same code, so each round runs both loops AT ONCE, each pinned to its own
core, and the next round swaps the cores: what slows the machine slows both. Each
prints its process CPU ms a bill; the figure to quote is the median of the rounds'
ratios (this checkout / the revision).

Even in pairs the ratio moves by a few percent from round to round, more than a small
change saves. ``--instructions`` counts instead: each loop runs under valgrind's
cachegrind, once over the warm bill alone and once over it and the bills, both with
one hash seed, and the difference is what the bills cost, in instructions. The same
checkouts count within 0.1 % of each other from run to run (one run is the figure),
so a change of a percent shows. Instructions are not seconds (C code such as Pango's
runs more of them a second than WeasyPrint's Python), so quote both; and the ratio
depends on which bills, so compare counts of the same ``--count``. It needs valgrind
(``apt-get install valgrind``); each bill takes about 5 s under it.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import make_bills, plain_weasyprint

ROOT = Path(__file__).resolve().parents[1]
PR_SET_PDEATHSIG = 1
VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="", help="the git revision to compare with")
    parser.add_argument("--count", type=int, default=40, help="bills a loop")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions (cachegrind), not CPU time"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--warm", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(f"{loop(Path(args.one), Path(args.warm)):.1f}")
        return
    if not args.against:
        parser.error("--against REVISION is required")
    # SIGTERM unwinds like Ctrl-C, so the loops are killed and the worktree removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as tmp:
        bills = make_bills(Path(tmp), args.count)
        other = Path(tmp) / "other"
        git("worktree", "add", "--detach", str(other), args.against)
        sources = {"this checkout": ROOT / "src", args.against: other / "src"}
        try:
            if args.instructions:
                count_instructions(sources, bills)
            else:
                compare(sources, bills, args.rounds)
        finally:
            git("worktree", "remove", "--force", str(other))


def git(*arguments: str) -> None:
    subprocess.run(["git", *arguments], cwd=ROOT, check=True, capture_output=True)


def compare(sources: dict[str, Path], bills: Path, rounds: int) -> None:
    """Both loops timed at once, ``rounds`` times, swapping cores; their ratios."""
    revision = list(sources)[1]
    ratios = []
    print(f"ms a bill (process CPU), {bills.read_text().count(chr(10))} bills a loop")
    for number in range(rounds):
        cores = (number % 2, 1 - number % 2)
        outputs = run_together([loop_command(bills)] * 2, list(sources.values()), cores)
        ms = [float(output.split()[-1]) for output in outputs]
        ratio = ms[0] / ms[1]
        ratios.append(ratio)
        print(
            f"round {number + 1}: this checkout {ms[0]:.0f} (core {cores[0]}), "
            f"{revision} {ms[1]:.0f} (core {cores[1]}): {ratio:.2f}"
        )
    print(
        f"this checkout / {revision}: median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}, {rounds} rounds)"
    )


def count_instructions(sources: dict[str, Path], bills: Path) -> None:
    """Each side's instructions a bill: (warm bill and ``bills``) less (warm bill alone)."""
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    revision = list(sources)[1]
    count = bills.read_text().count(chr(10))
    none = bills.parent / "none.jsonl"
    none.touch()
    found: dict[Path, list[int]] = {}
    for what in (none, bills):
        counts = [bills.parent / f"{i}.{what.stem}.cachegrind" for i in range(len(sources))]
        # valgrind's own lines go to a log beside its counts, the loop's errors to ours.
        command = loop_command(what)
        commands = [
            [*VALGRIND, f"--cachegrind-out-file={out}", f"--log-file={out}.log", *command]
            for out in counts
        ]
        run_together(commands, list(sources.values()), (0, 1))
        for source, out in zip(sources.values(), counts, strict=True):
            found.setdefault(source, []).append(summary(out))
    per_bill = [(total - warm) / count for warm, total in found.values()]
    print(f"instructions a bill (cachegrind), {count} bills a loop")
    for name, instructions in zip(sources, per_bill, strict=True):
        print(f"{name}: {instructions / 1e6:.1f} million")
    print(f"this checkout / {revision}: {per_bill[0] / per_bill[1]:.3f}")


def summary(cachegrind_out: Path) -> int:
    """The instructions counted in a cachegrind output file (its ``summary:`` line)."""
    found = re.search(r"^summary: (\d+)", cachegrind_out.read_text(), re.MULTILINE)
    if found is None:
        sys.exit(f"no summary in {cachegrind_out}")
    return int(found.group(1))


def loop_command(bills: Path) -> list[str]:
    """The command of one loop over ``bills`` (after one warm bill)."""
    warm = make_bills(bills.parent, 1)
    return [sys.executable, __file__, "--one", str(bills), "--warm", str(warm)]


def run_together(
    commands: list[list[str]], sources: list[Path], cores: tuple[int, int]
) -> list[str]:
    """Both commands at once, each on its own core with the package in its ``sources``
    entry; their standard output, in order. One hash seed: the same work each run."""
    children = []
    try:
        for command, source, core in zip(commands, sources, cores, strict=True):
            children.append(
                subprocess.Popen(
                    command,
                    env={**os.environ, "PYTHONPATH": str(source), "PYTHONHASHSEED": "0"},
                    stdout=subprocess.PIPE,
                    text=True,
                    preexec_fn=lambda core=core: pinned(core),  # type: ignore[misc]
                )
            )
        outputs = [child.communicate(timeout=1800)[0] for child in children]
    finally:
        for child in children:  # a loop that failed or timed out ends with us
            child.kill()
            child.wait()
    if any(child.returncode for child in children):
        sys.exit("a loop failed (its error is above)")
    return outputs


def pinned(core: int) -> None:
    """In a loop's process before it starts: run on ``core`` only, and die with us."""
    os.sched_setaffinity(0, {core})
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def loop(bills: Path, warm: Path) -> float:
    """bench.py's (a) over ``bills`` with whichever package ``PYTHONPATH`` gives: its
    process CPU ms a bill, after it ran once over ``warm`` (one bill), so that neither
    side pays for its imports: a fresh worktree has no bytecode yet, and nothing is
    written here (PYTHONDONTWRITEBYTECODE)."""
    plain_weasyprint(warm)
    start = time.process_time()
    count, _, _ = plain_weasyprint(bills)
    return (time.process_time() - start) / max(count, 1) * 1000


if __name__ == "__main__":
    main()
