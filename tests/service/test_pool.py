"""How the pool forms its batches: shared among free workers, gathered under load."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import EXAMPLES

from alseco_bill.runs.worker import Settings, renderer_for
from alseco_bill.service import pool
from alseco_bill.service.pool import Job, Pool


def _queue(target: Pool, count: int) -> None:
    loop = asyncio.get_running_loop()
    for i in range(count):
        waiting = pool._Waiting(Job(str(i)), loop.create_future(), time.monotonic() + 30)
        target.queue.append(waiting)


def test_the_free_workers_share_what_waits() -> None:
    async def batches() -> list[int]:
        target = Pool(Settings(), workers=2, part_size=50)
        _queue(target, 21)
        target._free = 2  # both workers came free at once
        first = len(target._take())
        target._free = 1
        return [first, len(target._take())]

    assert asyncio.run(batches()) == [11, 10]


def test_a_part_is_the_most_a_worker_takes() -> None:
    async def batch() -> int:
        target = Pool(Settings(), workers=2, part_size=50)
        _queue(target, 80)
        target._free = 1
        return len(target._take())

    assert asyncio.run(batch()) == 50


@pytest.fixture
def slow_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Steps long enough that a busy machine never misses an arrival."""
    monkeypatch.setattr(pool, "GATHER_S", 30.0)
    monkeypatch.setattr(pool, "_GATHER_STEP_S", 0.1)


@pytest.mark.usefixtures("slow_steps")
def test_under_load_a_free_worker_waits_for_the_requests_still_coming() -> None:
    async def gathered() -> int:
        target = Pool(Settings(), workers=2, part_size=50)
        _queue(target, 1)

        async def arrive() -> None:  # the burst the last answers bring
            for _ in range(9):
                await asyncio.sleep(0.01)
                _queue(target, 1)

        await asyncio.gather(target._gather(), arrive())
        return len(target.queue)

    assert asyncio.run(gathered()) == 10


@pytest.mark.usefixtures("slow_steps")
def test_gathering_stops_when_nothing_more_comes() -> None:
    async def gathered() -> float:
        target = Pool(Settings(), workers=2, part_size=50)
        _queue(target, 3)
        began = time.monotonic()
        await target._gather()
        return time.monotonic() - began

    assert asyncio.run(gathered()) < 15  # one step, not the 30 s it may wait


def test_a_worker_builds_its_engine_again_after_renew_after_bills(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(pool._printed, "bills", 0)
    text = (EXAMPLES / "city-ru.json").read_text("utf-8")
    settings = Settings()
    engines = []
    try:
        for _ in range(3):
            outcome = pool._render(settings, [Job(text)], renew_after=2)
            assert isinstance(outcome[0], bytes), outcome
            engines.append(renderer_for(settings).engine)
    finally:
        renderer_for(settings).close()
    assert engines[0] is engines[1]
    assert engines[2] is not engines[1]
