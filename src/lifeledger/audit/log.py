"""The ledger's Merkle log: every stored event a leaf, in ledger order (leaf index = the
event's ordinal; positions may have gaps), kept in the ledger's database beside the read models.

Tables (docs/adr/0009-merkle-log.md):
    ll_merkle_leaf  leaf_index → position, originator id, version, leaf hash
    ll_merkle_node  (level ≥ 1, index) → the hash of each complete aligned subtree
    ll_merkle_head  the tree's size and the last ledger position it covers

Complete subtrees never change, so these answer an inclusion or consistency proof for any
size the log ever had with a few dozen rows read in one query (`merkle.recorded`). A batch
appends its leaves, the nodes they complete and the new head in one transaction, after
checking that the head is where it read it: a crash loses the whole batch, two processes
never append the same event twice, and the next run resumes after the last committed one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lifeledger.audit.leaves import id_bytes, leaf_hashes
from lifeledger.audit.merkle import (
    Frontier,
    Nodes,
    consistency_path,
    inclusion_path,
    range_hash,
    recorded,
)
from lifeledger.database import Tx, ViewDatabase
from lifeledger.following import Follower, channel_of
from lifeledger.ledger import Ledger
from lifeledger.stored_events import read_events

log = logging.getLogger(__name__)

LEAVES, NODES, HEAD = "ll_merkle_leaf", "ll_merkle_node", "ll_merkle_head"
LEAF_COLUMNS = ("leaf_index", "position", "originator_id", "version", "hash")
NODE_COLUMNS = ("level", "idx", "hash")
SETUP_LOCK = 0x11FE1ED6E6
"""PostgreSQL advisory lock: one process at a time creates the log's tables."""


def ddl(postgres: bool) -> list[str]:
    blob = "BYTEA" if postgres else "BLOB"
    return [
        f"""CREATE TABLE IF NOT EXISTS {LEAVES} (leaf_index BIGINT PRIMARY KEY,
            position BIGINT NOT NULL, originator_id {blob} NOT NULL, version BIGINT NOT NULL,
            hash {blob} NOT NULL)""",
        f"CREATE INDEX IF NOT EXISTS {LEAVES}_event ON {LEAVES} (originator_id, version)",
        f"""CREATE TABLE IF NOT EXISTS {NODES} (level INTEGER NOT NULL, idx BIGINT NOT NULL,
            hash {blob} NOT NULL, PRIMARY KEY (level, idx))""",
        f"""CREATE TABLE IF NOT EXISTS {HEAD} (name TEXT PRIMARY KEY,
            tree_size BIGINT NOT NULL, position BIGINT NOT NULL)""",
        f"INSERT INTO {HEAD} (name, tree_size, position) VALUES ('log', 0, 0) "
        "ON CONFLICT (name) DO NOTHING",
    ]


@dataclass(frozen=True)
class Head:
    """The log's size and the last ledger position it covers."""

    tree_size: int
    position: int


@dataclass(frozen=True)
class Leaf:
    """A leaf as the log stored it."""

    index: int
    position: int
    originator: bytes
    version: int
    hash: bytes


class MerkleLog:
    """The Merkle log of one ledger, in the ledger's database."""

    def __init__(self, ledger: Ledger, db: ViewDatabase, batch_size: int | None = None) -> None:
        self.ledger = ledger
        self.db = db
        self.batch_size = batch_size or (20_000 if db.postgres else 2_000)
        self.appended = threading.Condition()
        self._frontier: Frontier | None = None  # the edge after the last batch this made
        self.setup()

    def setup(self) -> None:
        with self.db.transaction(lock=True) as tx:
            if tx.postgres:
                tx.execute("SELECT pg_advisory_xact_lock(%s)", (SETUP_LOCK,))
            for statement in ddl(tx.postgres):
                tx.execute(statement)

    # Appending

    def head(self, tx: Tx | None = None, lock: bool = False) -> Head:
        query = f"SELECT tree_size, position FROM {HEAD} WHERE name = 'log'"
        if tx is None:
            row = self.db.row(query)
        else:
            row = tx.row(query + (" FOR UPDATE" if lock and tx.postgres else ""))
        assert row is not None, "the log's head row is made by setup"
        return Head(int(row["tree_size"]), int(row["position"]))

    def run_batch(self) -> int:
        """Append the next batch of stored events; returns how many (0: the log is at the
        ledger's position). The events are read and hashed before the head is locked, and
        the batch is dropped (0 appended, retried) when another process moved the head."""
        start = self.head()
        events = read_events(self.ledger.recorder, start.position + 1, self.batch_size)
        if not events:
            return 0
        hashed = zip([id_bytes(event[1]) for event in events], leaf_hashes(events), strict=True)
        with self.db.transaction(lock=True) as tx:
            if self.head(tx, lock=True) != start:
                self._frontier = None
                return 0
            frontier = self._edge(tx, start.tree_size)
            leaves: list[tuple[int, int, bytes, int, bytes]] = []
            completed: list[tuple[int, int, bytes]] = []
            for event, (originator, leaf) in zip(events, hashed, strict=True):
                leaves.append((frontier.size, event[0], originator, event[2], leaf))
                frontier.append(leaf, completed)
            tx.insert_many(LEAVES, LEAF_COLUMNS, leaves)
            tx.insert_many(NODES, NODE_COLUMNS, completed)
            tx.execute(
                f"UPDATE {HEAD} SET tree_size = %s, position = %s WHERE name = 'log'",
                (frontier.size, events[-1][0]),
            )
            self._frontier = None  # until the commit
        self._frontier = frontier
        with self.appended:
            self.appended.notify_all()
        return len(events)

    def _edge(self, tx: Tx, size: int) -> Frontier:
        """The tree's right edge at `size`: kept from the last batch, else read."""
        kept = self._frontier
        if kept is not None and kept.size == size:
            return Frontier(size, kept.edge)
        wanted = Frontier.edge_nodes(size)
        found = self._nodes(tx, wanted)
        return Frontier(size, [found[node] for node in wanted])

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Append until the log is at the ledger's position; returns the events appended."""
        total = 0
        while count := self.run_batch():
            total += count
            if progress:
                progress(total)
        return total

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Block until the log covers the ledger's `position`."""
        deadline = time.monotonic() + timeout
        while self.head().position < position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self.appended:
                self.appended.wait(min(remaining, 0.05))
        return True

    # Reading

    def _nodes(
        self, tx: Tx | None, wanted: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], bytes]:
        """The hashes of these complete subtrees ((0, i): leaf i), in one query."""
        if not wanted:
            return {}
        by_level: dict[int, list[int]] = {}
        for level, index in wanted:
            by_level.setdefault(level, []).append(index)
        parts: list[str] = []
        params: list[Any] = []
        for level, indexes in sorted(by_level.items()):
            among = f"IN ({', '.join(['%s'] * len(indexes))})"
            if level == 0:
                parts.append(
                    f"SELECT 0 AS level, leaf_index AS idx, hash FROM {LEAVES} "
                    f"WHERE leaf_index {among}"
                )
                params += indexes
            else:
                parts.append(
                    f"SELECT level, idx, hash FROM {NODES} WHERE level = %s AND idx {among}"
                )
                params += [level, *indexes]
        statement = " UNION ALL ".join(parts)
        rows = tx.rows(statement, params) if tx else self._rows(statement, params)
        found = {(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in rows}
        missing = [node for node in wanted if node not in found]
        if missing:
            raise LookupError(f"the log has no node {missing[0]}")
        return found

    def _rows(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            return tx.rows(statement, params)

    def _answer(self, plan: Callable[[Nodes], Any]) -> Any:
        """Run `plan` (a proof or a root) on the nodes it reads, fetched in one query."""
        found = self._nodes(None, recorded(plan))
        return plan(lambda level, index: found[(level, index)])

    def root(self, size: int) -> bytes:
        """MTH of the first `size` leaves (any size the log has had)."""
        result: bytes = self._answer(lambda nodes: range_hash(nodes, 0, size))
        return result

    def inclusion(self, index: int, size: int) -> list[bytes]:
        result: list[bytes] = self._answer(lambda nodes: inclusion_path(nodes, index, size))
        return result

    def consistency(self, old: int, new: int) -> list[bytes]:
        result: list[bytes] = self._answer(lambda nodes: consistency_path(nodes, old, new))
        return result

    def find(self, originator: bytes, version: int) -> Leaf | None:
        """The first leaf of this event (None: not logged)."""
        rows = self.leaf_rows("originator_id = %s AND version = %s", (originator, version), 1)
        return rows[0] if rows else None

    def leaves(self, start: int, end: int) -> list[Leaf]:
        """The stored leaves of indexes start … end − 1, in order."""
        return self.leaf_rows("leaf_index >= %s AND leaf_index < %s", (start, end), end - start)

    def leaf_rows(self, where: str, params: Sequence[Any], limit: int) -> list[Leaf]:
        rows = self._rows(
            f"SELECT {', '.join(LEAF_COLUMNS)} FROM {LEAVES} WHERE {where} "
            "ORDER BY leaf_index LIMIT %s",
            [*params, limit],
        )
        return [
            Leaf(int(r["leaf_index"]), int(r["position"]), bytes(r["originator_id"]),
                 int(r["version"]), bytes(r["hash"]))
            for r in rows
        ]  # fmt: skip

    def level_nodes(self, level: int, first: int, last: int) -> dict[int, bytes]:
        """The stored nodes of `level` with index first … last."""
        rows = self._rows(
            f"SELECT idx, hash FROM {NODES} WHERE level = %s AND idx >= %s AND idx <= %s",
            (level, first, last),
        )
        return {int(r["idx"]): bytes(r["hash"]) for r in rows}

    def follow(
        self, poll_seconds: float = 0.2, when_idle: Callable[[], None] | None = None
    ) -> Follower:
        """Keep the log at the ledger's position in a background thread (supervised);
        `when_idle` runs whenever the log has caught up (e.g. publishing a digest)."""

        def step() -> bool:
            if self.run_batch():
                return True
            if when_idle is not None:
                when_idle()
            return False

        channel = channel_of(self.ledger.recorder)
        return Follower("merkle-log", step, self.db, channel, poll_seconds).start()
