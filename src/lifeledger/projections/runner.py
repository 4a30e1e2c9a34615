"""Keeping read models up to date: follow the ledger's global order in batches, and write each
batch's rows together with the projection's tracking position in one transaction.

So an event is applied exactly once: a crash loses the whole uncommitted batch and the
next run starts after the last committed position; two processes take turns on the
tracking row's lock and never apply one event twice. On PostgreSQL the follower wakes
on the event store's NOTIFY and also polls on a timeout (a lost notification never
stalls it); the library's SQLite recorder cannot notify, so there it polls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import Notification

from lifeledger.ledger import Ledger
from lifeledger.projections.database import Tx, ViewDatabase

log = logging.getLogger(__name__)

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS ll_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
)


@dataclass(frozen=True)
class Envelope:
    """A domain event with its place in the ledger's order."""

    position: int
    event: Any


class Projection:
    """A read model: its tables, and how one event changes them."""

    name: str = ""
    tables: Sequence[str] = ()
    ddl: Sequence[str] = ()

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        raise NotImplementedError

    def finish(self, tx: Tx) -> None:
        """Called once per batch, after its events (e.g. to refresh derived rows)."""

    def create(self, tx: Tx) -> None:
        for statement in self.ddl:
            tx.execute(statement)

    def drop(self, tx: Tx) -> None:
        for table in self.tables:
            tx.execute(f"DROP TABLE IF EXISTS {table}")


class Runner:
    """Applies the ledger's events to a set of projections."""

    def __init__(
        self,
        ledger: Ledger,
        db: ViewDatabase,
        projections: Sequence[Projection],
        batch_size: int = 2000,
    ) -> None:
        self.ledger = ledger
        self.db = db
        self.projections = list(projections)
        self.batch_size = batch_size
        self.applied = threading.Condition()
        self.setup()

    def setup(self) -> None:
        with self.db.transaction(lock=True) as tx:
            tx.execute(TRACKING_DDL)
            for projection in self.projections:
                projection.create(tx)
                tx.execute(
                    "INSERT INTO ll_tracking (name, position) VALUES (%s, 0) "
                    "ON CONFLICT (name) DO NOTHING",
                    (projection.name,),
                )

    def positions(self) -> dict[str, int]:
        rows = self.db.rows("SELECT name, position FROM ll_tracking")
        found = {row["name"]: int(row["position"]) for row in rows}
        return {p.name: found.get(p.name, 0) for p in self.projections}

    def position(self) -> int:
        """The position every projection has reached: reads reflect at least this much."""
        return min(self.positions().values(), default=0)

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply batches until every projection has reached the ledger's position."""
        total = 0
        while True:
            applied = self.run_batch()
            total += applied
            if progress and applied:
                progress(total)
            if not applied:
                return total

    def run_batch(self) -> int:
        """One batch for each projection that is behind; returns the events applied."""
        positions = self.positions()
        start = min(positions.values(), default=0) + 1
        notifications = self.ledger.recorder.select_notifications(
            start=start, limit=self.batch_size
        )
        if not notifications:
            return 0
        envelopes = [self._envelope(n) for n in notifications]
        applied = 0
        for projection in self.projections:
            applied = max(applied, self._apply_batch(projection, envelopes))
        with self.applied:
            self.applied.notify_all()
        return applied

    def _apply_batch(self, projection: Projection, envelopes: list[Envelope]) -> int:
        with self.db.transaction(lock=True) as tx:
            row = tx.row(
                "SELECT position FROM ll_tracking WHERE name = %s"
                + (" FOR UPDATE" if tx.postgres else ""),
                (projection.name,),
            )
            done = int(row["position"]) if row else 0
            todo = [e for e in envelopes if e.position > done]
            for envelope in todo:
                projection.apply(tx, envelope)
            if todo:
                projection.finish(tx)
                tx.execute(
                    "UPDATE ll_tracking SET position = %s WHERE name = %s",
                    (todo[-1].position, projection.name),
                )
            return len(todo)

    def _envelope(self, notification: Notification) -> Envelope:
        return Envelope(notification.id, self.ledger.mapper.to_domain_event(notification))

    def rebuild(
        self,
        names: Sequence[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Drop the named projections (all when none are named) and rebuild them from zero."""
        chosen = [p for p in self.projections if not names or p.name in names]
        with self.db.transaction(lock=True) as tx:
            for projection in chosen:
                projection.drop(tx)
                projection.create(tx)
                tx.execute(
                    "UPDATE ll_tracking SET position = 0 WHERE name = %s", (projection.name,)
                )
        return self.catch_up(progress)

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Block until every projection has applied `position` (read your own write)."""
        deadline = time.monotonic() + timeout
        while self.position() < position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self.applied:
                self.applied.wait(min(remaining, 0.05))
        return True


class Follower:
    """Runs a runner in a background thread: wake on NOTIFY (PostgreSQL) or poll, and restart
    after a failure (a supervisor), until stopped."""

    def __init__(self, runner: Runner, poll_seconds: float = 0.2) -> None:
        self.runner = runner
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.failures = 0
        self.thread = threading.Thread(target=self._supervise, name="projections", daemon=True)

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
                log.exception("projection runner failed; restarting in %.1fs", backoff)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _follow(self) -> None:
        listener = self._listen()
        try:
            while not self.stopping.is_set():
                if self.runner.run_batch():
                    continue
                self._wait_for_news(listener)
        finally:
            if listener is not None:
                listener.close()

    def _listen(self) -> psycopg.Connection[Any] | None:
        recorder = self.runner.ledger.recorder
        channel = getattr(recorder, "channel_name", None)
        if not self.runner.db.postgres or channel is None:
            return None
        conn = psycopg.connect(self.runner.db.url.conninfo(), autocommit=True)
        conn.execute(f'LISTEN "{channel}"')
        return conn

    def _wait_for_news(self, listener: psycopg.Connection[Any] | None) -> None:
        if listener is None:
            self.stopping.wait(self.poll_seconds)
            return
        for _ in listener.notifies(timeout=self.poll_seconds * 5, stop_after=1):
            break
