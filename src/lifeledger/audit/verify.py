"""`lifeledger verify`: recompute the Merkle tree from the stored events and hold it against
the log, and against digests taken earlier.

The events are read in ledger order and hashed as leaves; every block of 1,024 leaves the
recomputed tree completes is compared with the log's stored node for it (one row per block),
and only a block that differs is compared leaf by leaf, to name the first event that was
altered, deleted, inserted or reordered. A digest's tree is recomputed up to its size: its
root must be the digest's (the ledger still extends what was signed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple
from uuid import UUID

from lifeledger.audit.leaves import Unreadable, event_id, hash_event, id_bytes, leaf_hashes
from lifeledger.audit.log import Leaf, MerkleLog
from lifeledger.audit.merkle import Frontier, block_root
from lifeledger.stored_events import RawEvent, event_position, read_events

BLOCK_LEVEL = 10
"""Blocks of 2**10 leaves: one stored node read per 1,024 events recomputed."""


class Found(NamedTuple):
    """A recomputed leaf: the event as stored now (a tuple: one is made per event)."""

    leaf_index: int
    position: int
    originator: bytes
    version: int
    hash: bytes


@dataclass(frozen=True)
class Anomaly:
    """The first difference between the events and the log."""

    kind: str  # altered, deleted, inserted, reordered
    position: int
    event_id: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: position {self.position}, event {self.event_id}: {self.detail}"


@dataclass
class Outcome:
    """What a verification found: the events recomputed, the log's size, the first anomaly
    (None: the events are the log), and the recomputed roots at the sizes asked for."""

    events: int = 0
    tree_size: int = 0
    anomaly: Anomaly | None = None
    roots: dict[int, bytes] = field(default_factory=dict)


class Verifier:
    """One pass over the stored events against the log."""

    def __init__(
        self, merkle_log: MerkleLog, sizes: tuple[int, ...] = (), block_level: int = BLOCK_LEVEL
    ) -> None:
        self.log = merkle_log
        self.recorder = merkle_log.ledger.recorder
        self.sizes = set(sizes)
        self.level = block_level
        self.block = 1 << block_level

    def run(self, progress: Callable[[int, int], None] | None = None) -> Outcome:
        head = self.log.head()
        outcome = Outcome(tree_size=head.tree_size)
        blocks = Frontier()  # the tree of the whole blocks so far, a block root its leaf
        rows: list[RawEvent] = []  # the events after the last whole block, and their hashes
        hashes: list[bytes] = []
        start = 1
        while outcome.anomaly is None:
            page = read_events(self.recorder, start, 16 * self.block)
            if not page:
                break
            start = page[-1][0] + 1
            try:
                hashes += leaf_hashes(page)
            except Unreadable:
                outcome.anomaly = self._unreadable(page)
                break
            rows += page
            whole = len(hashes) - len(hashes) % self.block
            roots = [block_root(hashes[i : i + self.block]) for i in range(0, whole, self.block)]
            self._note_roots(outcome, blocks, roots, hashes)
            done = blocks.size * self.block
            outcome.anomaly = self._check_blocks(blocks.size, roots, rows, hashes, head.tree_size)
            blocks.extend(roots)
            rows, hashes = rows[whole:], hashes[whole:]
            outcome.events = done + whole + len(hashes)
            if progress:
                progress(outcome.events, max(head.tree_size, outcome.events))
        if outcome.anomaly is None:
            done = blocks.size * self.block
            tail = self._founds(done, rows, hashes)
            outcome.anomaly = self._check_tail(tail, done + len(tail), head.tree_size)
        return outcome

    def _note_roots(
        self, outcome: Outcome, blocks: Frontier, roots: list[bytes], hashes: list[bytes]
    ) -> None:
        """The roots at the sizes asked for that this page reached: the whole blocks' edge,
        then the edge of the leaves after them."""
        done = blocks.size * self.block
        for size in self.sizes:
            if not done < size <= done + len(hashes):
                continue
            whole, rest = divmod(size - done, self.block)
            edge = Frontier(blocks.size, blocks.edge)
            edge.extend(roots[:whole])
            tail = Frontier()
            tail.extend(hashes[whole * self.block : whole * self.block + rest])
            outcome.roots[size] = Frontier(size, [*edge.edge, *tail.edge]).root()

    def _founds(self, first: int, rows: list[RawEvent], hashes: list[bytes]) -> list[Found]:
        return [
            Found(first + i, row[0], id_bytes(row[1]), row[2], leaf)
            for i, (row, leaf) in enumerate(zip(rows, hashes, strict=True))
        ]

    def _unreadable(self, page: list[RawEvent]) -> Anomaly:
        for event in page:
            try:
                hash_event(event)
            except Unreadable as error:
                return Anomaly("altered", event[0], f"{event[1]}:{event[2]}", str(error))
        raise AssertionError("a page that fits no leaf has a row that does not")

    def _check_blocks(
        self,
        first_block: int,
        roots: list[bytes],
        rows: list[RawEvent],
        hashes: list[bytes],
        tree_size: int,
    ) -> Anomaly | None:
        """Compare each whole block's root with the log's node for it (the blocks the log
        holds whole); the leaves of the others below the log's size one by one."""
        size, done = self.block, first_block * self.block
        logged = [j for j in range(len(roots)) if (first_block + j + 1) * size <= tree_size]
        if logged:
            stored = self.log.level_nodes(self.level, first_block, first_block + logged[-1])
            for j in logged:
                if stored.get(first_block + j) != roots[j]:
                    part = slice(j * size, (j + 1) * size)
                    found = self._founds(done + j * size, rows[part], hashes[part])
                    return self._check_leaves(found, tree_size, whole=True)
        rest = slice(len(logged) * size, len(roots) * size)
        if done + rest.start >= tree_size:
            return None
        found = self._founds(done + rest.start, rows[rest], hashes[rest])
        return self._check_leaves(found, tree_size)

    def _check_tail(self, pending: list[Found], recomputed: int, tree_size: int) -> Anomaly | None:
        """The leaves after the last whole block, and the log's leaves beyond the events."""
        anomaly = self._check_leaves(pending, tree_size)
        if anomaly is None and recomputed < tree_size:
            missing = self.log.leaves(recomputed, recomputed + 1)
            return self._gone(missing[0]) if missing else None
        return anomaly

    def _check_leaves(
        self, found: list[Found], tree_size: int, whole: bool = False
    ) -> Anomaly | None:
        """Leaf by leaf: the first recomputed leaf that is not the logged one (events the
        log does not hold yet are no anomaly). `whole`: the block's root differed, so one of
        its leaves must (else the log's own node is what was changed)."""
        if not found:
            return None
        first = found[0].leaf_index
        end = min(found[-1].leaf_index + 1, tree_size)
        logged = self.log.leaves(first, end) if end > first else []
        for now, then in zip(found, logged, strict=False):
            if (now.position, now.originator, now.version, now.hash) != (
                then.position, then.originator, then.version, then.hash,
            ):  # fmt: skip
                return self._classify(now, then)
        if len(logged) < end - first:  # the log lacks leaves it counts: its tables were cut
            index = first + len(logged)
            return Anomaly(
                "deleted", found[index - first].position, "?", f"the log lacks leaf {index}"
            )
        if whole:
            return Anomaly(
                "altered", found[0].position, "?",
                f"the log's node of leaves {first}…{found[-1].leaf_index} was changed",
            )  # fmt: skip
        return None

    def _classify(self, now: Found, then: Leaf) -> Anomaly:
        """Name the difference at the first leaf that is not the logged one."""
        found_id = event_id(now.originator, now.version)
        if now.position == then.position and (now.originator, now.version) == (
            then.originator, then.version,
        ):  # fmt: skip
            return Anomaly(
                "altered", now.position, found_id, "its stored bytes are not those logged"
            )
        if now.position <= then.position:
            elsewhere = self.log.find(now.originator, now.version)
            if elsewhere is not None and elsewhere.position != now.position:
                return Anomaly(
                    "reordered", now.position, found_id,
                    f"logged at position {elsewhere.position}, now stored at {now.position}",
                )  # fmt: skip
            if now.position == then.position:
                return Anomaly(
                    "altered", now.position, found_id,
                    f"the log holds {event_id(then.originator, then.version)} at this position",
                )  # fmt: skip
            return Anomaly("inserted", now.position, found_id, "stored, but never logged here")
        return self._gone(then)

    def _gone(self, then: Leaf) -> Anomaly:
        """A logged event whose position holds no event now: moved, or deleted."""
        logged_id = event_id(then.originator, then.version)
        moved_to = event_position(self.recorder, UUID(bytes=then.originator), then.version)
        if moved_to is not None:
            return Anomaly(
                "reordered", then.position, logged_id,
                f"logged at position {then.position}, now stored at {moved_to}",
            )  # fmt: skip
        return Anomaly("deleted", then.position, logged_id, "logged, but no longer stored")
