"""Read models, kept from the ledger's global order: `Projections` is what the API and the CLI use.

Projections(ledger)            the read models of one ledger, in its own database
  .runner                      catch_up / rebuild / wait_for(position) / positions
  .follow()                    keep them up to date in a background thread
  .person(pin, as_of)          the life chain and family lookups (see `queries`)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifeledger.projections.database import ViewDatabase
from lifeledger.projections.queries import Queries
from lifeledger.projections.registry import RegistryProjection
from lifeledger.projections.runner import Follower, Runner
from lifeledger.projections.statistics import StatisticsProjection

if TYPE_CHECKING:
    from lifeledger.ledger import Ledger


class Projections(Queries):
    """The read models of a ledger, the runner that keeps them, and their queries."""

    def __init__(self, ledger: Ledger, batch_size: int = 2000) -> None:
        self.ledger = ledger
        self.db = ViewDatabase(ledger.settings.database_url, pool_size=ledger.settings.pool_size)
        self.runner = Runner(
            ledger, self.db, [RegistryProjection(), StatisticsProjection()], batch_size=batch_size
        )
        self.follower: Follower | None = None
        super().__init__(self.db, self.runner)

    def follow(self, poll_seconds: float = 0.2) -> Follower:
        """Keep the read models up to date in a background thread (supervised)."""
        self.follower = Follower(self.runner, poll_seconds).start()
        return self.follower

    def close(self) -> None:
        if self.follower is not None:
            self.follower.stop()
        self.db.close()


__all__ = ["Projections"]
