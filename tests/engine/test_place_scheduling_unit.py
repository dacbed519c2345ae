"""Planning many stacks: the first stack of each place (region, role, profile) reads its
listings, the rest of the place follow once it is done, and places do not wait for each
other (engine.plan_place_by_place); the garbage collector runs seldom meanwhile."""

from __future__ import annotations

import gc
import threading

import pytest

from reconciler.engine import fewer_collections, interleaved, plan_place_by_place

PATIENCE = 30  # seconds; only reached when the order is wrong


def test_a_place_slow_to_read_holds_back_only_its_own_stacks():
    started = {index: threading.Event() for index in range(5)}
    first_read = threading.Event()

    def plan(index: int) -> int:
        started[index].set()
        if index == 0:  # the first stack of its place, reading a long listing
            assert first_read.wait(PATIENCE)
        return index * 10

    planned: dict = {}
    runner = threading.Thread(target=lambda: planned.update(
        plan_place_by_place([[0, 1, 2], [3, 4]], plan)))
    runner.start()
    try:
        # The other place is planned meanwhile, all of it ...
        assert started[3].wait(PATIENCE) and started[4].wait(PATIENCE)
        # ... while the stacks sharing the slow place's listings wait for it, not on a worker.
        assert not started[1].is_set() and not started[2].is_set()
    finally:
        first_read.set()
        runner.join(PATIENCE)
    assert {index: future.result() for index, future in planned.items()} == \
        {index: index * 10 for index in range(5)}


def test_a_failing_first_stack_does_not_stop_the_rest_of_its_place():
    def plan(index: int) -> int:
        if index == 0:
            raise RuntimeError("listing failed")
        return index

    planned = plan_place_by_place([[0, 1], [2]], plan)
    assert isinstance(planned[0].exception(), RuntimeError)
    assert planned[1].result() == 1 and planned[2].result() == 2


def test_places_take_turns():
    assert interleaved([[0, 1, 2], [3], [4, 5]]) == [0, 3, 4, 1, 5, 2]


def test_planning_collects_garbage_seldom_and_restores_the_collector():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with fewer_collections():
        assert gc.get_threshold()[0] >= 50_000 and gc.get_freeze_count() > frozen
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a plan that fails")
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
