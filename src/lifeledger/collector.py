"""Python's cyclic garbage collector, asked to run rarely while a bulk loop runs.

A catch-up decodes and writes tens of thousands of events a second, an import validates and
saves thousands of entries, each a tree of fresh dicts and lists that reference counting
frees (they hold no cycles). The collector, which by default walks the young objects every
700 allocations, spent a fifth of a catch-up's time finding nothing (and, over the large heap
of the aggregates an import keeps, a quarter of an import's). `rare_collections` raises that
count for as long as any bulk loop of the process runs (threads may overlap: an import and the
projections' catch-up in one API process), then puts back what was set before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RARE = 100_000
"""Allocations between two collections of the youngest generation, during a bulk loop."""
OLDER = (100, 1000)
"""Collections of the younger generation between two of the next, during a bulk loop (the
default 10 and 10 made a full pass over the heap every ten million allocations: 8 % of a
catch-up of 100,000 entries); cycles left in the oldest generation wait for the loop's end."""


class _Holders:
    lock = threading.Lock()
    count = 0
    saved = gc.get_threshold()


@contextmanager
def rare_collections() -> Iterator[None]:
    with _Holders.lock:
        if _Holders.count == 0:
            _Holders.saved = gc.get_threshold()
            gc.set_threshold(max(RARE, _Holders.saved[0]), *OLDER)
        _Holders.count += 1
    try:
        yield
    finally:
        with _Holders.lock:
            _Holders.count -= 1
            if _Holders.count == 0:
                gc.set_threshold(*_Holders.saved)
