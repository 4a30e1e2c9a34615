"""What keeps the ledger's derived state current while it runs: the read models (the
projections) and the Merkle log, each followed in a background thread, and the log's signed
digests published into the feed when the ledger has a key.

`lifeledger serve` runs them in each of its processes unless `LIFELEDGER_FOLLOW_IN_SERVE`
is false; `lifeledger follow` runs them in a process of their own. Apart, their CPU-bound
work no longer shares the interpreter's lock with the requests and live streams: under a
heavy import, the live stream's latency halves (docs/benchmarks.md)."""

from __future__ import annotations

from lifeledger.audit.log import MerkleLog
from lifeledger.audit.publish import DigestPublisher
from lifeledger.following import Follower
from lifeledger.projections import Projections
from lifeledger.settings import Settings


class Followers:
    """`start()` follows the ledger with the projections and the Merkle log; `stop()`."""

    def __init__(self, settings: Settings, projections: Projections, merkle: MerkleLog) -> None:
        self.settings = settings
        self.projections = projections
        self.merkle = merkle
        self.running: list[Follower] = []

    def start(self) -> None:
        poll = 0.2 if self.projections.db.postgres else 0.05
        self.running.append(self.projections.follow(poll_seconds=poll))
        self.running.append(self.merkle.follow(poll_seconds=poll, when_idle=self._publisher()))

    def stop(self) -> None:
        for follower in self.running:
            follower.stop()
        self.running.clear()

    def _publisher(self) -> DigestPublisher | None:
        """Digests into the feed, when the ledger has a key and publishing is on."""
        settings = self.settings
        if not settings.signing_key_file or not settings.digest_publish_seconds:
            return None
        return DigestPublisher(
            self.merkle,
            settings.signing_key_file,
            settings.event_source,
            settings.digest_publish_seconds,
        )
