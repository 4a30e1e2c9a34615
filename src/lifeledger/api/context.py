"""What one running app holds: the ledger, its projections (followed in a background thread),
the users, and the API's own tables. Opened in the app's lifespan, closed at shutdown."""

from __future__ import annotations

import logging

from lifeledger.api.access_log import AccessLog
from lifeledger.api.idempotency import IdempotencyStore
from lifeledger.api.import_log import ImportLog
from lifeledger.api.metrics import Metrics
from lifeledger.api.migrations import migrate
from lifeledger.api.problems import ApiProblem
from lifeledger.api.stream import FeedHub
from lifeledger.audit.log import MerkleLog
from lifeledger.auth import UserStore
from lifeledger.feed.secret_box import SecretBox, configured_box
from lifeledger.feed.subscriptions import SubscriptionStore
from lifeledger.feed.webhooks import Deliverer, sealing_note
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections
from lifeledger.settings import Settings
from lifeledger.upkeep import Followers

log = logging.getLogger(__name__)


class ApiContext:
    """The services behind the routes."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.ledger = Ledger(settings)
        try:
            self.projections = Projections(self.ledger)
            db = self.projections.db
            self.users = UserStore(db, settings.auth_cache_seconds)
            migrate(db)
            self.merkle = MerkleLog(self.ledger, db)
            self.secret_box: SecretBox | None = configured_box(settings.secrets_key_file)
            note = sealing_note(self.subscriptions())
            log.log(logging.INFO if self.secret_box else logging.WARNING, note)
        except BaseException:
            self.ledger.close()
            raise
        self.idempotency = IdempotencyStore(db, settings.idempotency_claim_seconds)
        self.imports = ImportLog(db)
        self.access = AccessLog(db, settings.access_log_flush_seconds)
        self.followers = Followers(settings, self.projections, self.merkle)
        self.hub = FeedHub(db)  # wakes the live streams (GET /v1/events/stream)
        metrics.watch_lag(self.positions)
        self.webhooks = Deliverer(settings, db) if settings.webhooks_in_serve else None

    def start(self) -> None:
        """Keep the read models and the Merkle log up to date in this process (unless they
        are followed apart: `follow_in_serve`), and wake the live streams."""
        if self.settings.follow_in_serve:
            self.followers.start()
        if self.webhooks is not None:
            self.webhooks.start()
        self.hub.start()  # on the app's event loop: called from its lifespan

    def close(self) -> None:
        self.hub.close()
        if self.webhooks is not None:
            self.webhooks.stop()
        self.idempotency.close()
        self.access.close()
        self.followers.stop()
        self.projections.close()
        self.ledger.close()

    def subscriptions(self) -> SubscriptionStore:
        """The webhook subscriptions, their secrets sealed with the configured key."""
        return SubscriptionStore(self.projections.db, self.secret_box)

    def positions(self) -> tuple[int, int]:
        """(the ledger's position, the position every read model has applied)."""
        return self.ledger.position(), self.projections.runner.position()

    def await_position(self, min_position: int | None) -> None:
        """Wait (bounded) until the read models have applied `min_position`."""
        if min_position is None or min_position <= 0:
            return
        runner = self.projections.runner
        if runner.position() >= min_position:
            return
        head = self.ledger.position()
        if min_position > head:
            raise ApiProblem(
                422,
                "position-not-reached",
                "No such ledger position",
                f"min_position: {min_position} is beyond the ledger's position {head}",
                field="min_position",
            )
        if not runner.wait_for(min_position, timeout=self.settings.read_wait_seconds):
            raise ApiProblem(
                503,
                "projection-behind",
                "The read models have not reached that position yet",
                f"min_position: the read models are at {runner.position()}, "
                f"not yet at {min_position}; retry shortly",
                headers={"Retry-After": "1"},
            )
