"""How the pool forms its batches: equal shares for the workers, gathered under load."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import EXAMPLES

from alseco_bill import Renderer
from alseco_bill.runs.worker import Settings, renderer_for
from alseco_bill.service import pool
from alseco_bill.service.pool import Job, Pool

BILL = Renderer().parse((EXAMPLES / "city-ru.json").read_bytes())


def _queue(target: Pool, count: int) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(count):
        waiting = pool._Waiting(Job(BILL), loop.create_future(), time.monotonic() + 30)
        target.queue.append(waiting)


def _took(target: Pool) -> int:
    """How many bills a worker coming free takes (they are then being printed)."""
    batch = target._take()
    target.in_flight += len(batch)
    return len(batch)


def test_workers_coming_free_together_share_what_waits() -> None:
    async def batches() -> list[int]:
        target = Pool(Settings(), workers=2, part_size=50)
        _queue(target, 21)
        return [_took(target), _took(target)]

    assert asyncio.run(batches()) == [11, 10]


def test_a_worker_takes_its_share_of_all_the_bills_not_of_the_queue() -> None:
    async def batches() -> list[int]:
        target = Pool(Settings(), workers=2, part_size=50)
        target.in_flight = 7  # the other worker prints a document of 7
        _queue(target, 18)  # the clients of this worker's last document came back
        took = _took(target)
        target.in_flight -= 7  # the other's document is done: its 7 clients come back
        _queue(target, 7)
        return [took, _took(target)]

    # 13 of the 25 bills, then 12: from 18 and 7, two documents of about the same size.
    assert asyncio.run(batches()) == [13, 12]


def test_a_part_is_the_most_a_worker_takes() -> None:
    async def batch() -> int:
        target = Pool(Settings(), workers=2, part_size=50)
        _queue(target, 130)
        return _took(target)

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
    monkeypatch.setitem(pool._printed, "life", 0)
    settings = Settings()
    engines = []
    try:
        for _ in range(3):
            outcome = pool._render(settings, [Job(BILL)], renew_after=2)
            assert isinstance(outcome[0], bytes), outcome
            engines.append(renderer_for(settings).engine)
    finally:
        renderer_for(settings).close()
    assert engines[0] is engines[1]
    assert engines[2] is not engines[1]
