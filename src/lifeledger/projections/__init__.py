"""Read models, kept from the ledger's global order: `Projections` is what the API and the CLI use.

Projections(ledger)            the read models of one ledger, in its own database
  .runner                      catch_up / rebuild / wait_for(position) / positions
  .follow()                    keep them up to date in a background thread
  .person(pin, as_of)          the life chain and family lookups (see `queries`)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifeledger.database import ViewDatabase
from lifeledger.following import Follower, channel_of
from lifeledger.projections.queries import Queries
from lifeledger.projections.registry import RegistryProjection
from lifeledger.projections.runner import Runner
from lifeledger.projections.statistics import StatisticsProjection

if TYPE_CHECKING:
    from lifeledger.ledger import Ledger


class Projections(Queries):
    """The read models of a ledger, the runner that keeps them, and their queries."""

    def __init__(self, ledger: Ledger, batch_size: int | None = None) -> None:
        self.ledger = ledger
        self.db = ViewDatabase(ledger.settings.database_url, pool_size=ledger.settings.pool_size)
        # Batches of events per transaction: large on PostgreSQL (throughput); smaller on
        # SQLite, where a batch holds the one write lock that the ledger's writers wait for.
        size = batch_size or (20_000 if self.db.postgres else 2_000)
        projections = [RegistryProjection(), StatisticsProjection()]
        self.runner = Runner(ledger, self.db, projections, batch_size=size)
        self.follower: Follower | None = None
        super().__init__(self.db, self.runner)

    def follow(self, poll_seconds: float = 0.2) -> Follower:
        """Keep the read models up to date in a background thread (supervised)."""
        runner = self.runner

        def step() -> bool:
            return bool(runner.run_batch() or runner.idle_work())

        channel = channel_of(self.ledger.recorder)
        self.follower = Follower("projections", step, self.db, channel, poll_seconds)
        self.follower.start()
        return self.follower

    def close(self) -> None:
        if self.follower is not None:
            self.follower.stop()
        self.runner.close()
        self.db.close()


__all__ = ["Projections"]
