"""A signed digest of the Merkle log, recorded in the ledger so that it leaves by the event
feed: every subscriber then holds copies of the log's earlier states, witnesses outside the
ledger's database that an intruder cannot reach (docs/audit.md)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from lifeledger.domain.acts import ledger_id


def digest_id(tree_size: int) -> UUID:
    """One digest per tree size: two processes publishing the same tree collide on it."""
    return ledger_id("digest", str(tree_size))


class LedgerDigest(Aggregate):
    """`digest`: `{ledger, tree_size, root_hash, time, key_id, signature}` as
    `GET /v1/ledger/digest` answers it."""

    class Published(Aggregate.Created):
        digest: dict[str, Any]

    def __init__(self, digest: dict[str, Any]) -> None:
        self.digest = digest

    @classmethod
    def create_id(cls, digest: dict[str, Any]) -> UUID:
        return digest_id(int(digest["tree_size"]))
