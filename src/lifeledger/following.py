"""Waiting for the database to have news, and the background threads that do: the
projections' runner and the Merkle log follow the event store, the live stream's hub follows
the feed. Each waits on a PostgreSQL notification channel (and a timeout, so a lost
notification only delays, never stalls), or polls on SQLite, which cannot notify."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from lifeledger.database import ViewDatabase

log = logging.getLogger(__name__)


def channel_of(recorder: Any) -> str | None:
    """The event store's notification channel (its PostgreSQL recorder's), if it has one."""
    channel: str | None = getattr(recorder, "channel_name", None)
    return channel


class Waiter:
    """`wait(timeout)` returns when `channel` was notified, or after `timeout` seconds; on
    SQLite (or without a channel) after `poll_seconds` at most. For one thread; `close()`
    when done. LISTEN starts here: read the state after making it, and a commit in between
    is seen either way."""

    def __init__(self, db: ViewDatabase, channel: str | None, poll_seconds: float = 0.05) -> None:
        self.poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._listener: psycopg.Connection[Any] | None = None
        if db.postgres and channel is not None:
            self._listener = psycopg.connect(db.url.conninfo(), autocommit=True)
            self._listener.execute(f'LISTEN "{channel}"')

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


class Follower:
    """Runs `step` in a background thread: again at once while it says there is more to do
    (returns true), else after the next notification on `channel` or `poll_seconds` (five
    times that when notifications can wake it); restarted with a growing pause after a
    failure (its connection lost, say), until stopped."""

    def __init__(
        self,
        name: str,
        step: Callable[[], bool],
        db: ViewDatabase,
        channel: str | None,
        poll_seconds: float = 0.2,
    ) -> None:
        self.name = name
        self.step = step
        self.db = db
        self.channel = channel
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.failures = 0
        self.thread = threading.Thread(target=self._supervise, name=name, daemon=True)

    def start(self) -> Follower:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)

    def _supervise(self) -> None:
        backoff = self.poll_seconds
        while not self.stopping.is_set():
            try:
                self._follow()
            except Exception:
                self.failures += 1
                log.exception("%s failed; restarting in %.1fs", self.name, backoff)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _follow(self) -> None:
        waiter = Waiter(self.db, self.channel, self.poll_seconds)
        try:
            while not self.stopping.is_set():
                if not self.step():
                    waiter.wait(self.poll_seconds * 5)
        finally:
            waiter.close()


def wait_for_stop() -> None:
    """Block the main thread until SIGTERM or Ctrl-C: the commands that follow the ledger
    (`lifeledger follow`, `projections run`) stop then."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signal, _frame: stopping.set())
    try:
        while not stopping.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
