"""Keeping read models up to date: follow the ledger's global order in batches, and write each
batch's rows together with the projection's tracking position in one transaction.

So an event is applied exactly once: a crash loses the whole uncommitted batch and the
next run starts after the last committed position; two processes take turns on the
tracking row's lock and never apply one event twice. On PostgreSQL the follower wakes
on the event store's NOTIFY and also polls on a timeout (a lost notification never
stalls it); the library's SQLite recorder cannot notify, so there it polls.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lifeledger.collector import rare_collections
from lifeledger.database import BYTEWISE_TEXT, Tx, ViewDatabase
from lifeledger.ledger import Ledger
from lifeledger.stored_events import read_log

log = logging.getLogger(__name__)

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS ll_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
)
SCHEMA_DDL = "CREATE TABLE IF NOT EXISTS ll_schema (name TEXT PRIMARY KEY, schema TEXT NOT NULL)"
SETUP_LOCK = 0x11FE1ED6E4


@dataclass(frozen=True)
class Envelope:
    """A domain event with its place in the ledger's order."""

    position: int
    event: Any
    topic: str = ""
    originator: str = field(init=False)
    """The event's originator id as text: the act's or entry's id in the read models (made
    once here: several projections and rows need it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "originator", str(self.event.originator_id))


@dataclass
class Batch:
    """Notifications read in one go: the position of the last (`count` 0: none was there),
    and, by projection, the events among them it reads and what it prepared of them (see
    `Projection.prepare`)."""

    last: int
    count: int
    envelopes: dict[str, list[Envelope]] = field(default_factory=dict)
    prepared: dict[str, Any] = field(default_factory=dict)


class Projection:
    """A read model: its tables, and how a batch of events changes them."""

    name: str = ""
    tables: Sequence[str] = ()
    ddl: Sequence[str] = ()
    topics: Sequence[str] = ()
    """Prefixes of the event topics it reads (empty: all); the runner decodes no others."""
    version: str = "1"
    """Bump when what the projection writes changes without its DDL changing."""

    @property
    def schema(self) -> str:
        """Its tables' shape and its version: a change makes `setup` rebuild it from zero."""
        text = "\n".join([self.version, BYTEWISE_TEXT, *self.ddl])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def wants(self, topic: str) -> bool:
        return not self.topics or topic.startswith(tuple(self.topics))

    def prepare(self, envelopes: Sequence[Envelope]) -> Any:
        """The part of applying a batch that needs no database (the rows its new acts insert,
        say), done while the batch before is applied and handed to `apply_batch` (the runner
        reads and decodes one batch ahead, in a thread of its own). None: nothing to do."""
        return None

    def apply_batch(self, tx: Tx, envelopes: Sequence[Envelope], prepared: Any = None) -> None:
        """Apply a batch of events, in order, within the batch's transaction; `prepared` is what
        `prepare` made of these envelopes or of more (None: not prepared)."""
        raise NotImplementedError

    def begin(self, position: int) -> None:
        """A batch of the runner's starts: its transaction found the projection at `position`
        (for a projection that keeps what it wrote in memory: see `end`)."""

    def end(self, position: int | None) -> None:
        """The batch's transaction committed, the projection now at `position` (None: it
        failed and changed nothing)."""

    def when_idle(self, db: ViewDatabase) -> int:
        """Work to do once the projection has caught up (e.g. caches of its rows), in small
        steps; returns how much it did (0: nothing left)."""
        return 0

    def create(self, tx: Tx) -> None:
        for statement in self.ddl:
            tx.create(statement)

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
        # The topics some projection reads (none: a projection reads every event).
        wanted = [p.topics for p in self.projections]
        self._topics = [] if not all(wanted) else sorted({t for ts in wanted for t in ts})
        self._helpers = ThreadPoolExecutor(
            max(1, len(self.projections) - 1), thread_name_prefix="projections"
        )
        self.setup()

    def close(self) -> None:
        self._helpers.shutdown()

    def setup(self) -> None:
        """Create the tables; a projection whose schema changed since its tables were made is
        dropped and starts again from zero (the next catch-up rebuilds it)."""
        with self.db.transaction(lock=True) as tx:
            if tx.postgres:  # one process at a time creates or replaces the tables
                tx.execute("SELECT pg_advisory_xact_lock(%s)", (SETUP_LOCK,))
            tx.hold_read_models(alone=True)  # it may drop a projection's tables
            tx.execute(TRACKING_DDL)
            tx.execute(SCHEMA_DDL)
            for projection in self.projections:
                row = tx.row("SELECT schema FROM ll_schema WHERE name = %s", (projection.name,))
                if row is None or row["schema"] != projection.schema:
                    self._reset(tx, projection)
                else:
                    projection.create(tx)

    def _reset(self, tx: Tx, projection: Projection) -> None:
        projection.drop(tx)
        projection.create(tx)
        for table, column in (("ll_tracking", "position"), ("ll_schema", "schema")):
            value = 0 if column == "position" else projection.schema
            tx.execute(
                f"INSERT INTO {table} (name, {column}) VALUES (%s, %s) "
                f"ON CONFLICT (name) DO UPDATE SET {column} = excluded.{column}",
                (projection.name, value),
            )

    def positions(self) -> dict[str, int]:
        rows = self.db.rows("SELECT name, position FROM ll_tracking")
        found = {row["name"]: int(row["position"]) for row in rows}
        return {p.name: found.get(p.name, 0) for p in self.projections}

    def position(self) -> int:
        """The position every projection has reached: reads reflect at least this much."""
        return min(self.positions().values(), default=0)

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply batches until every projection has reached the ledger's position; returns
        how many events the batches covered. The next batch is read and decoded in a second
        thread while one is applied (an event already applied, e.g. by another runner, is
        skipped when its turn comes), and the planner's statistics are refreshed in a third."""
        total = batches = 0
        with (
            rare_collections(),
            ThreadPoolExecutor(1, thread_name_prefix="projections-read") as reader,
            ThreadPoolExecutor(1, thread_name_prefix="projections-analyze") as analyzer,
        ):
            upcoming = reader.submit(self._read, self.position() + 1)
            analyzed: Future[None] = analyzer.submit(lambda: None)
            while True:
                batch = upcoming.result()
                if not batch.count:
                    analyzed.result()
                    return total
                upcoming = reader.submit(self._read, batch.last + 1)
                self._apply(batch)
                total += batch.count
                batches += 1
                if batches & (batches - 1) == 0:  # 1, 2, 4, 8…: while the tables grow fast
                    analyzed.result()
                    analyzed = analyzer.submit(self._analyze)  # while the next batch is applied
                if progress:
                    progress(total)

    def idle_work(self) -> int:
        """One step of each projection's idle work (see `Projection.when_idle`)."""
        return sum(projection.when_idle(self.db) for projection in self.projections)

    def settle(self, progress: Callable[[int], None] | None = None) -> int:
        """Catch up, then do the idle work until none is left; returns the events applied."""
        total = self.catch_up(progress)
        while self.idle_work():
            total += self.catch_up(progress)
        return total

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics of the read models' tables, so the projections'
        own queries keep using their indexes while a catch-up fills them (autovacuum may be
        off, and runs only every minute when on)."""
        if not self.db.postgres:
            return
        tables = [table for projection in self.projections for table in projection.tables]
        with self.db.transaction() as tx:
            tx.hold_read_models()
            # The planner needs the tables' sizes, not fine histograms: a small sample (3,000
            # rows instead of 30,000) cut ANALYZE's share of a catch-up from a fifth to little
            # (autovacuum analyzes with the full sample later).
            tx.execute("SET LOCAL default_statistics_target = 10")
            tx.execute(f"ANALYZE {', '.join(tables)}")

    def run_batch(self) -> int:
        """One batch for each projection that is behind; returns how many events it covered
        (0: every projection is at the ledger's position). Events another runner applied
        meanwhile are skipped, never applied twice."""
        batch = self._read(self.position() + 1)
        if batch.count:
            self._apply(batch)
        return batch.count

    def _read(self, start: int) -> Batch:
        """The next batch: the events some projection reads, decoded (the others are not
        even read), and what each projection prepares of them."""
        page = read_log(self.ledger.recorder, start, self.batch_size, self._topics)
        to_domain_event = self.ledger.mapper.to_domain_event
        events = [Envelope(n.id, to_domain_event(n), n.topic) for n in page.wanted]
        envelopes = {p.name: [e for e in events if p.wants(e.topic)] for p in self.projections}
        prepared = {p.name: p.prepare(envelopes[p.name]) for p in self.projections}
        return Batch(page.last, page.count, envelopes, prepared)

    def _apply(self, batch: Batch) -> None:
        """Each projection applies the batch in its own transaction, the others in threads
        of their own (one waits on the database while another computes)."""
        first, *others = self.projections
        running = [self._helpers.submit(self._apply_batch, p, batch) for p in others]
        self._apply_batch(first, batch)
        for each in running:
            each.result()
        with self.applied:
            self.applied.notify_all()

    def _apply_batch(self, projection: Projection, batch: Batch) -> int:
        """Apply the events after the projection's position and move the position to the
        batch's last, in one transaction; returns the position it had."""
        last = batch.last
        try:
            with self.db.transaction(lock=True) as tx:
                tx.hold_read_models()
                if tx.postgres:
                    # A crash may lose the last batches' commits, rows and position together:
                    # the next run applies them again. So the batch need not wait for the disk.
                    tx.execute("SET LOCAL synchronous_commit = off")
                row = tx.row(
                    "SELECT position FROM ll_tracking WHERE name = %s"
                    + (" FOR UPDATE" if tx.postgres else ""),
                    (projection.name,),
                )
                done = int(row["position"]) if row else 0
                if done >= last:
                    return done
                projection.begin(done)
                todo = [e for e in batch.envelopes[projection.name] if e.position > done]
                projection.apply_batch(tx, todo, batch.prepared.get(projection.name))
                tx.execute(
                    "UPDATE ll_tracking SET position = %s WHERE name = %s",
                    (last, projection.name),
                )
        except BaseException:
            projection.end(None)
            raise
        projection.end(last)
        return done

    def rebuild(
        self,
        names: Sequence[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Drop the named projections (all when none are named) and rebuild them from zero."""
        chosen = [p for p in self.projections if not names or p.name in names]
        unknown = set(names) - {p.name for p in self.projections}
        if unknown:
            raise ValueError(f"no projection named {', '.join(sorted(unknown))}")
        with self.db.transaction(lock=True) as tx:
            tx.hold_read_models(alone=True)
            for projection in chosen:
                self._reset(tx, projection)
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
