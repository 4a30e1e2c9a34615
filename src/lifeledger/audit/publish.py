"""Publishing the Merkle log's signed digest into the ledger (and so into the event feed),
periodically: run by the log's follower in `serve` when it has nothing to append."""

from __future__ import annotations

import logging
import time
from contextlib import suppress

from eventsourcing.persistence import IntegrityError

from lifeledger.audit.keys import KeyFileError, load_signer
from lifeledger.audit.log import MerkleLog
from lifeledger.domain.digest import LedgerDigest

log = logging.getLogger(__name__)


class DigestPublisher:
    """Publishes a digest every `every_seconds` while the log grows (the first a period after
    the start, so restarts add none): none while nothing is written (a digest of a tree
    already published says nothing new)."""

    def __init__(self, merkle: MerkleLog, key_file: str, source: str, every_seconds: float):
        self.merkle = merkle
        self.key_file = key_file
        self.source = source
        self.every_seconds = every_seconds
        self._published_size = -1
        self._published_at = time.monotonic()  # the first after a period: not at each start

    def __call__(self) -> None:
        if time.monotonic() - self._published_at < self.every_seconds:
            return
        size = self.merkle.head().tree_size
        if size == 0 or size <= self._published_size:
            return
        try:
            signer = load_signer(self.key_file)
        except KeyFileError as error:
            log.warning("no digest published: %s", error)
            self._published_at = time.monotonic()
            return
        digest = signer.digest(self.source, size, self.merkle.root(size))
        with suppress(IntegrityError):  # another process published this tree's digest
            self.merkle.ledger.save(LedgerDigest(digest))
        # The digest's own event grows the tree by one: not worth a digest of its own.
        self._published_size = size + 1
        self._published_at = time.monotonic()
