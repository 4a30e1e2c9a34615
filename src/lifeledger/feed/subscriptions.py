"""Webhook subscriptions and their recent deliveries (tables `api_subscription`,
`api_delivery`, migration step 6): what the API makes and changes for their owners, and what
the delivering processes (`feed.webhooks`) claim, move and pause.

A subscription's `cursor` is the ledger position delivered through: it moves only after the
receiver answered 2xx, in the same transaction as that delivery's record, so a process that
dies resends at most the event it was sending. A process delivers a subscription only while
it holds its lease (`lease_owner`, `lease_until`), so two never send one subscription's events
at once; a lease not renewed in time (its process died) is taken over.

A subscription's signing secret is stored as `feed.secret_box` says: sealed when the store has
a secrets key, in clear otherwise; it is opened only when a delivering process claims the
subscription, and handed to the API only when made (creation, rotation)."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lifeledger.api.timestamps import now
from lifeledger.database import Row, Tx, ViewDatabase
from lifeledger.feed.secret_box import (
    SEALED_PREFIX,
    SecretBox,
    is_sealed,
    revealed,
    stored_form,
)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
KEPT_DELIVERIES = 100
"""Deliveries kept per subscription (the most recent); older ones are deleted."""
ACTIVE, PAUSED = "active", "paused"
PAUSED_BY_OWNER = "paused by its owner"
COLUMNS = (
    "id, owner, url, types, provinces, state, pause_reason, cursor_position, failures, "
    "next_attempt_at, delivered_at, created_at, updated_at"
)


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def later(seconds: float) -> str:
    """The time `seconds` from now, as `timestamps.now` writes it (text that sorts as time)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Subscription:
    id: str
    owner: str
    url: str
    types: tuple[str, ...]
    provinces: tuple[str, ...]
    state: str
    pause_reason: str | None
    cursor: int
    failures: int
    next_attempt_at: str
    delivered_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, row: Row) -> Subscription:
        return cls(
            id=row["id"],
            owner=row["owner"],
            url=row["url"],
            types=_split(row["types"]),
            provinces=_split(row["provinces"]),
            state=row["state"],
            pause_reason=row["pause_reason"],
            cursor=int(row["cursor_position"]),
            failures=int(row["failures"]),
            next_attempt_at=row["next_attempt_at"],
            delivered_at=row["delivered_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class Delivery:
    """One attempt to send one event: `status` the receiver's (None: no answer, see
    `error`)."""

    event_id: str
    position: int
    attempt: int
    status: int | None
    latency_ms: int
    error: str | None
    at: str = ""


@dataclass(frozen=True)
class Changes:
    """What a PATCH changes (None: unchanged)."""

    url: str | None = None
    types: Sequence[str] | None = None
    provinces: Sequence[str] | None = None
    state: str | None = None
    rotate_secret: bool = False


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def _join(values: Sequence[str]) -> str:
    return ",".join(sorted(set(values)))


class SubscriptionStore:
    """The subscriptions of every owner; an owner reaches only their own (another's id reads
    as an unknown one)."""

    def __init__(self, db: ViewDatabase, box: SecretBox | None = None) -> None:
        self.db = db
        self.box = box

    # The owners' side (the API)

    def create(
        self, owner: str, url: str, types: Sequence[str], provinces: Sequence[str], cursor: int
    ) -> tuple[Subscription, str]:
        """A new active subscription delivering the events after `cursor`; with its secret,
        which is shown this once."""
        sub_id, secret, at = "sub_" + uuid.uuid4().hex, new_secret(), now()
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "INSERT INTO api_subscription (id, owner, url, types, provinces, secret, state, "
                "cursor_position, failures, next_attempt_at, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s)",
                (sub_id, owner, url, _join(types), _join(provinces),
                 stored_form(self.box, sub_id, secret), ACTIVE, cursor, at, at, at),
            )  # fmt: skip
            made = _find(tx, owner, sub_id)
        assert made is not None
        return made, secret

    def count(self, owner: str) -> int:
        row = self.db.row("SELECT count(*) AS n FROM api_subscription WHERE owner = %s", (owner,))
        return int(row["n"]) if row else 0

    def of_owner(self, owner: str) -> list[Subscription]:
        rows = self.db.rows(
            f"SELECT {COLUMNS} FROM api_subscription WHERE owner = %s ORDER BY created_at, id",
            (owner,),
        )
        return [Subscription.of(row) for row in rows]

    def find(self, owner: str, sub_id: str) -> Subscription | None:
        row = self.db.row(
            f"SELECT {COLUMNS} FROM api_subscription WHERE owner = %s AND id = %s",
            (owner, sub_id),
        )
        return Subscription.of(row) if row is not None else None

    def change(
        self, owner: str, sub_id: str, changes: Changes
    ) -> tuple[Subscription, str | None] | None:
        """Apply `changes`; the subscription as it now is and its new secret if rotated
        (None: no such subscription of this owner). Resuming clears the failures and the
        reason and tries at once; pausing keeps the cursor."""
        sets: dict[str, Any] = {"updated_at": now()}
        if changes.url is not None:
            sets["url"] = changes.url
        if changes.types is not None:
            sets["types"] = _join(changes.types)
        if changes.provinces is not None:
            sets["provinces"] = _join(changes.provinces)
        if changes.state == PAUSED:
            sets.update(state=PAUSED, pause_reason=PAUSED_BY_OWNER)
        elif changes.state == ACTIVE:
            sets.update(state=ACTIVE, pause_reason=None, failures=0, next_attempt_at=now())
        secret = new_secret() if changes.rotate_secret else None
        if secret is not None:
            sets["secret"] = stored_form(self.box, sub_id, secret)
        assignments = ", ".join(f"{column} = %s" for column in sets)
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                f"UPDATE api_subscription SET {assignments} WHERE owner = %s AND id = %s",
                (*sets.values(), owner, sub_id),
            )
            changed = _find(tx, owner, sub_id)
        return (changed, secret) if changed is not None else None

    def delete(self, owner: str, sub_id: str) -> bool:
        with self.db.transaction(lock=True) as tx:
            if _find(tx, owner, sub_id) is None:
                return False
            tx.execute("DELETE FROM api_delivery WHERE subscription_id = %s", (sub_id,))
            tx.execute("DELETE FROM api_subscription WHERE id = %s", (sub_id,))
        return True

    def deliveries(self, sub_id: str) -> list[Delivery]:
        """The most recent deliveries, newest first."""
        rows = self.db.rows(
            "SELECT event_id, position, attempt, status, latency_ms, error, at FROM api_delivery "
            "WHERE subscription_id = %s ORDER BY id DESC LIMIT %s",
            (sub_id, KEPT_DELIVERIES),
        )
        return [Delivery(**row) for row in rows]

    # The delivering processes' side (`feed.webhooks`)

    def due(self, feed_position: int) -> list[str]:
        """Active subscriptions whose next attempt is due, with events up to `feed_position`
        they may not have had yet, that no process holds."""
        at = now()
        rows = self.db.rows(
            "SELECT id FROM api_subscription WHERE state = %s AND next_attempt_at <= %s "
            "AND cursor_position < %s AND (lease_until IS NULL OR lease_until < %s) "
            "ORDER BY next_attempt_at",
            (ACTIVE, at, feed_position, at),
        )
        return [row["id"] for row in rows]

    def claim(self, sub_id: str, worker: str, lease_seconds: float) -> Claimed | None:
        """Take the subscription's lease when it is active, due and not held by another;
        what to deliver (its secret opened), or None. A secret still in clear is sealed on
        the way when the store has a key (one written by a process without it, during an
        upgrade). `SecretUnreadable` when the secret cannot be opened: the lease is then
        held, for the caller to postpone and release."""
        at = now()
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "UPDATE api_subscription SET lease_owner = %s, lease_until = %s WHERE id = %s "
                "AND state = %s AND next_attempt_at <= %s "
                "AND (lease_until IS NULL OR lease_until < %s OR lease_owner = %s)",
                (worker, later(lease_seconds), sub_id, ACTIVE, at, at, worker),
            )
            row = tx.row(
                f"SELECT {COLUMNS}, secret, lease_owner FROM api_subscription WHERE id = %s",
                (sub_id,),
            )
            if row is None or row["lease_owner"] != worker:
                return None
            if self.box is not None and not is_sealed(row["secret"]):
                _seal(tx, self.box, sub_id, row["secret"])
        return Claimed(Subscription.of(row), revealed(self.box, sub_id, row["secret"]))

    def seal_clear_secrets(self) -> int:
        """Seal every secret still stored in clear (those of before a key was configured);
        how many. Without a key, none.

        `serve` and `deliver` call this when they start, rather than leaving each secret to
        be sealed when it is next claimed: a paused subscription, or one whose owner may
        receive nothing, is not claimed for as long as that lasts, and its secret would stay
        readable in every backup meanwhile. `claim` still seals one it finds in clear, written
        by a process without the key while this one runs."""
        if self.box is None:
            return 0
        rows = self.db.rows(
            "SELECT id, secret FROM api_subscription WHERE secret NOT LIKE %s",
            (SEALED_PREFIX + "%",),
        )
        for row in rows:
            with self.db.transaction(lock=True) as tx:
                _seal(tx, self.box, row["id"], row["secret"])
        return len(rows)

    def delivered(
        self, sub_id: str, worker: str, delivery: Delivery, lease_seconds: float
    ) -> Subscription | None:
        """Record a delivery the receiver took (2xx) and move the cursor to its event, in one
        transaction; renews the lease. The subscription as it now is, or None when the lease
        was lost (then nothing moved: another process resends the event)."""
        at = now()
        with self.db.transaction(lock=True) as tx:
            if not _holds(tx, sub_id, worker):
                return None
            _record(tx, sub_id, delivery, at)
            tx.execute(
                "UPDATE api_subscription SET cursor_position = %s, failures = 0, "
                "delivered_at = %s, lease_until = %s WHERE id = %s",
                (delivery.position, at, later(lease_seconds), sub_id),
            )
            return _find_any(tx, sub_id)

    def failed(
        self, sub_id: str, worker: str, delivery: Delivery, retry_in: float, max_failures: int
    ) -> None:
        """Record a failed delivery; count it and retry after `retry_in` seconds, or pause the
        subscription (with the failure as its reason) at `max_failures` in a row. Releases
        the lease."""
        with self.db.transaction(lock=True) as tx:
            if not _holds(tx, sub_id, worker):
                return
            _record(tx, sub_id, delivery, now())
            row = tx.row("SELECT failures FROM api_subscription WHERE id = %s", (sub_id,))
            failures = (int(row["failures"]) if row else 0) + 1
            paused = failures >= max_failures
            reason = (
                f"{failures} failed deliveries in a row; the last: {describe(delivery)}"
                if paused
                else None
            )
            tx.execute(
                "UPDATE api_subscription SET failures = %s, next_attempt_at = %s, state = %s, "
                "pause_reason = %s, lease_owner = NULL, "
                "lease_until = NULL WHERE id = %s",
                (failures, later(retry_in), PAUSED if paused else ACTIVE, reason, sub_id),
            )

    def skip_to(self, sub_id: str, worker: str, position: int) -> None:
        """Move the cursor over events the subscription does not receive (they matched none of
        its filters), up to `position`."""
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "UPDATE api_subscription SET cursor_position = %s WHERE id = %s "
                "AND lease_owner = %s AND cursor_position < %s",
                (position, sub_id, worker, position),
            )

    def postpone(self, sub_id: str, worker: str, seconds: float) -> None:
        """Look at the subscription again only after `seconds` (its owner may receive nothing
        now); counts no failure."""
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "UPDATE api_subscription SET next_attempt_at = %s WHERE id = %s "
                "AND lease_owner = %s",
                (later(seconds), sub_id, worker),
            )

    def release(self, sub_id: str, worker: str) -> None:
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "UPDATE api_subscription SET lease_owner = NULL, lease_until = NULL "
                "WHERE id = %s AND lease_owner = %s",
                (sub_id, worker),
            )


@dataclass(frozen=True)
class Claimed:
    """A subscription held by this process, with its signing secret."""

    subscription: Subscription
    secret: str


def describe(delivery: Delivery) -> str:
    if delivery.status is not None:
        return f"HTTP {delivery.status}"
    return delivery.error or "no answer"


def _seal(tx: Tx, box: SecretBox, sub_id: str, clear: str) -> None:
    """Replace a clear secret by its sealed form, unless it changed meanwhile (rotated: the
    new one is sealed already)."""
    tx.execute(
        "UPDATE api_subscription SET secret = %s WHERE id = %s AND secret = %s",
        (box.seal(sub_id, clear), sub_id, clear),
    )


def _find(tx: Tx, owner: str, sub_id: str) -> Subscription | None:
    row = tx.row(
        f"SELECT {COLUMNS} FROM api_subscription WHERE owner = %s AND id = %s", (owner, sub_id)
    )
    return Subscription.of(row) if row is not None else None


def _find_any(tx: Tx, sub_id: str) -> Subscription | None:
    row = tx.row(f"SELECT {COLUMNS} FROM api_subscription WHERE id = %s", (sub_id,))
    return Subscription.of(row) if row is not None else None


def _holds(tx: Tx, sub_id: str, worker: str) -> bool:
    """Whether `worker` holds the subscription's lease; on PostgreSQL the row stays locked
    until the transaction ends, so the lease cannot be taken over meanwhile."""
    lock = " FOR UPDATE" if tx.postgres else ""
    row = tx.row(f"SELECT lease_owner FROM api_subscription WHERE id = %s{lock}", (sub_id,))
    return row is not None and row["lease_owner"] == worker


def _record(tx: Tx, sub_id: str, delivery: Delivery, at: str) -> None:
    tx.execute(
        "INSERT INTO api_delivery (subscription_id, event_id, position, attempt, status, "
        "latency_ms, error, at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (sub_id, delivery.event_id, delivery.position, delivery.attempt, delivery.status,
         delivery.latency_ms, delivery.error, at),
    )  # fmt: skip
    tx.execute(
        "DELETE FROM api_delivery WHERE subscription_id = %s AND id <= (SELECT id FROM "
        "api_delivery WHERE subscription_id = %s ORDER BY id DESC LIMIT 1 OFFSET %s)",
        (sub_id, sub_id, KEPT_DELIVERIES),
    )
