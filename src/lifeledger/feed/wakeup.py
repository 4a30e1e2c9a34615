"""Waiting for the feed to move: the channels that follow it (the live stream, webhooks, the
relay) sleep until the registry projection commits new feed rows. On PostgreSQL they are
woken by its notification (`event_feed.CHANNEL`) within milliseconds; SQLite cannot notify,
so there they poll. Either way a wait also ends at its timeout, so a lost notification only
delays, never stalls."""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from lifeledger.database import ViewDatabase
from lifeledger.projections import event_feed


class FeedWaiter:
    """`wait(timeout)` returns when the feed may have moved, or after `timeout` seconds.
    For one thread; `close()` when done."""

    def __init__(self, db: ViewDatabase, poll_seconds: float = 0.05) -> None:
        self.poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._listener: psycopg.Connection[Any] | None = None
        if db.postgres:
            self._listener = psycopg.connect(db.url.conninfo(), autocommit=True)
            self._listener.execute(f'LISTEN "{event_feed.CHANNEL}"')

    def wait(self, timeout: float) -> None:
        if self._listener is None:
            self._stopping.wait(min(timeout, self.poll_seconds))
            return
        for _ in self._listener.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
