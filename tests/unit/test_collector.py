"""The garbage collector runs rarely during bulk loops, and as before once none runs."""

from __future__ import annotations

import gc
import threading

from lifeledger.collector import OLDER, RARE, rare_collections


def test_bulk_loops_raise_the_threshold_and_the_last_one_out_puts_it_back() -> None:
    before = gc.get_threshold()
    with rare_collections():
        assert gc.get_threshold() == (max(RARE, before[0]), *OLDER)
        with rare_collections():  # another loop, e.g. in another thread
            assert gc.get_threshold()[0] >= RARE
        assert gc.get_threshold()[0] >= RARE  # the first still runs
    assert gc.get_threshold() == before


def test_overlapping_threads_leave_the_threshold_as_it_was() -> None:
    before = gc.get_threshold()
    inside = threading.Barrier(4)

    def loop() -> None:
        with rare_collections():
            inside.wait()

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.get_threshold() == before


def test_a_failing_loop_puts_the_threshold_back() -> None:
    before = gc.get_threshold()
    try:
        with rare_collections():
            raise ValueError("the loop failed")
    except ValueError:
        pass
    assert gc.get_threshold() == before
