"""Waiting for the feed to move: the channels that follow it (the live stream, webhooks, the
relay) sleep until the registry projection commits new feed rows. On PostgreSQL they are
woken by its notification (`event_feed.CHANNEL`) within milliseconds; SQLite cannot notify,
so there they poll. Either way a wait also ends at its timeout, so a lost notification only
delays, never stalls."""

from __future__ import annotations

from lifeledger.database import ViewDatabase
from lifeledger.following import Waiter
from lifeledger.projections import event_feed


class FeedWaiter(Waiter):
    """A `Waiter` on the feed's channel."""

    def __init__(self, db: ViewDatabase, poll_seconds: float = 0.05) -> None:
        super().__init__(db, event_feed.CHANNEL, poll_seconds)
