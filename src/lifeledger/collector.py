"""Python's cyclic garbage collector, asked to run rarely while a bulk loop runs (ADR 7).

The bulk loops (a catch-up, an import, a worker checking lines) allocate fast and make no
cycles, so the collector's passes find nothing. `rare_collections` raises its thresholds for
as long as any bulk loop of the process runs (they may overlap in threads), then puts back
what was set before.
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
default 10 and 10 make a full pass over the heap every ten million allocations); cycles left
in the oldest generation wait for the loop's end."""


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
