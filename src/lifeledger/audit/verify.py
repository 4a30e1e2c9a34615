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

from lifeledger.audit.leaves import Unreadable, event_id, hash_event
from lifeledger.audit.log import Leaf, MerkleLog
from lifeledger.audit.merkle import Frontier
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
        frontier = Frontier()
        pending: list[Found] = []  # the leaves of the block being recomputed
        start = 1
        while outcome.anomaly is None:
            page = read_events(self.recorder, start, 16 * self.block)
            if not page:
                break
            start = page[-1][0] + 1
            made: list[tuple[int, int, bytes]] = []  # the nodes the page completed
            for event in page:
                found = self._found(frontier.size, event)
                if found is None:
                    outcome.anomaly = self._unreadable(event)
                    break
                pending.append(found)
                frontier.append(found.hash, made)
                if frontier.size in self.sizes:
                    outcome.roots[frontier.size] = frontier.root()
            completed = [(index, node) for level, index, node in made if level == self.level]
            outcome.anomaly = outcome.anomaly or self._check_blocks(
                completed, pending, head.tree_size
            )
            pending = pending[len(completed) * self.block :]
            outcome.events = frontier.size
            if progress:
                progress(frontier.size, max(head.tree_size, frontier.size))
        if outcome.anomaly is None:
            outcome.anomaly = self._check_tail(pending, frontier.size, head.tree_size)
        return outcome

    def _found(self, index: int, event: RawEvent) -> Found | None:
        try:
            originator, leaf = hash_event(event)
        except Unreadable:
            return None
        return Found(index, event[0], originator, event[2], leaf)

    def _unreadable(self, event: RawEvent) -> Anomaly:
        return Anomaly(
            "altered", event[0], f"{event[1]}:{event[2]}", "its stored row does not fit a leaf"
        )

    def _check_blocks(
        self, completed: list[tuple[int, bytes]], pending: list[Found], tree_size: int
    ) -> Anomaly | None:
        """Compare each completed block's root with the log's (blocks the log holds whole)."""
        size = self.block
        logged = [(block, root) for block, root in completed if (block + 1) * size <= tree_size]
        if not logged:  # _check_leaves compares those below the log's size, if any
            return self._check_leaves(pending[: len(completed) * size], tree_size)
        stored = self.log.level_nodes(self.level, logged[0][0], logged[-1][0])
        first_block = completed[0][0]
        for block, root in logged:
            if stored.get(block) != root:
                offset = (block - first_block) * size
                return self._check_leaves(pending[offset : offset + size], tree_size, whole=True)
        unlogged = pending[len(logged) * size : len(completed) * size]
        return self._check_leaves(unlogged, tree_size) if unlogged else None

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
