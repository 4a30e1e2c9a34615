"""Background followers of the event store: the projections' runner and the Merkle log each
run a step in a thread of their own, woken by the event store's NOTIFY on PostgreSQL (and a
timeout, so a lost notification never stalls them), polling on SQLite, and restarted with a
growing pause after a failure, until stopped."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from lifeledger.database import ViewDatabase

log = logging.getLogger(__name__)


class Follower:
    """Runs `step` in a background thread: again at once while it says there is more to do
    (returns true), else after the next notification or `poll_seconds`."""

    def __init__(
        self,
        name: str,
        step: Callable[[], bool],
        db: ViewDatabase,
        recorder: Any,
        poll_seconds: float = 0.2,
    ) -> None:
        self.name = name
        self.step = step
        self.db = db
        self.channel: str | None = getattr(recorder, "channel_name", None)
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.failures = 0
        self.thread = threading.Thread(target=self._supervise, name=name, daemon=True)

    def start(self) -> Follower:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
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
        listener = self._listen()
        try:
            while not self.stopping.is_set():
                if not self.step():
                    self._wait_for_news(listener)
        finally:
            if listener is not None:
                listener.close()

    def _listen(self) -> psycopg.Connection[Any] | None:
        if not self.db.postgres or self.channel is None:
            return None
        conn = psycopg.connect(self.db.url.conninfo(), autocommit=True)
        conn.execute(f'LISTEN "{self.channel}"')
        return conn

    def _wait_for_news(self, listener: psycopg.Connection[Any] | None) -> None:
        if listener is None:
            self.stopping.wait(self.poll_seconds)
            return
        for _ in listener.notifies(timeout=self.poll_seconds * 5, stop_after=1):
            break


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
