"""The schema of the API's own tables (`api_*`: users, Idempotency-Key claims, the access and
import logs), in the ledger's database next to the read models, as an ordered list of steps.
`migrate` applies the steps a database has not had, each once, and records them in
`api_schema_version`. The prefix keeps the tables out of a rebuild of the read models.

A new column or table is a new step at the end; a step, once released, never changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lifeledger.api.timestamps import now
from lifeledger.database import Tx, ViewDatabase

MIGRATIONS_LOCK = 0x11FE1ED6E6
"""PostgreSQL advisory lock held while migrating: processes starting together migrate one
after the other (SQLite's write lock does the same)."""


@dataclass(frozen=True)
class Step:
    """One change of the schema: `version` is its place in `STEPS`, counting from 1."""

    version: int
    does: str
    apply: Callable[[Tx], None]


def _serial(tx: Tx) -> str:
    return "BIGSERIAL PRIMARY KEY" if tx.postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"


def _create_tables(tx: Tx) -> None:
    tx.execute(
        "CREATE TABLE IF NOT EXISTS api_user (name TEXT PRIMARY KEY, roles TEXT NOT NULL, "
        "provinces TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, "
        "disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)"
    )
    tx.execute(
        "CREATE TABLE IF NOT EXISTS api_idempotency (user_name TEXT NOT NULL, "
        "key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, "
        "body TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (user_name, key))"
    )
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS api_access (id {_serial(tx)}, at TEXT NOT NULL, "
        "user_name TEXT NOT NULL, roles TEXT NOT NULL, pin TEXT NOT NULL, "
        "what TEXT NOT NULL, detail TEXT)"
    )
    tx.execute("CREATE INDEX IF NOT EXISTS api_access_pin ON api_access (pin, at)")
    tx.execute("CREATE INDEX IF NOT EXISTS api_access_user ON api_access (user_name, at)")
    tx.execute(
        "CREATE TABLE IF NOT EXISTS api_import (import_id TEXT PRIMARY KEY, "
        "user_name TEXT NOT NULL, filename TEXT, approve_as TEXT, entered_by TEXT, "
        "status TEXT NOT NULL, counts TEXT NOT NULL, report TEXT NOT NULL, "
        "started_at TEXT NOT NULL, finished_at TEXT)"
    )


def _add_column(table: str, column: str, sql_type: str) -> Callable[[Tx], None]:
    """A step adding a column. A database made before this module (no `api_schema_version`)
    may have it already: the tables then gained their columns at each start."""

    def apply(tx: Tx) -> None:
        if tx.postgres:
            tx.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {sql_type}")
        elif column not in {row["name"] for row in tx.rows(f"PRAGMA table_info({table})")}:
            tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")

    return apply


def _create_webhook_tables(tx: Tx) -> None:
    """Webhook subscriptions (`feed.subscriptions`) and their recent deliveries."""
    tx.execute(
        "CREATE TABLE IF NOT EXISTS api_subscription (id TEXT PRIMARY KEY, "
        "owner TEXT NOT NULL, url TEXT NOT NULL, types TEXT NOT NULL, provinces TEXT NOT NULL, "
        "secret TEXT NOT NULL, state TEXT NOT NULL, pause_reason TEXT, "
        "cursor_position BIGINT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, "
        "next_attempt_at TEXT NOT NULL, lease_owner TEXT, lease_until TEXT, "
        "delivered_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    tx.execute("CREATE INDEX IF NOT EXISTS api_subscription_owner ON api_subscription (owner)")
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS api_delivery (id {_serial(tx)}, "
        "subscription_id TEXT NOT NULL, event_id TEXT NOT NULL, position BIGINT NOT NULL, "
        "attempt INTEGER NOT NULL, status INTEGER, latency_ms INTEGER NOT NULL, error TEXT, "
        "at TEXT NOT NULL)"
    )
    tx.execute(
        "CREATE INDEX IF NOT EXISTS api_delivery_subscription ON api_delivery (subscription_id, id)"
    )


STEPS = (
    Step(1, "the API's tables: users, Idempotency-Key answers, access and import logs",
         _create_tables),
    Step(2, "api_idempotency.claim: the token of the request holding a key",
         _add_column("api_idempotency", "claim", "TEXT")),
    Step(3, "api_import.position: the ledger's position once the import was written",
         _add_column("api_import", "position", "BIGINT")),
    Step(4, "api_import.provinces: those of the offices its lines name (NULL: not known)",
         _add_column("api_import", "provinces", "TEXT")),
    Step(5, "api_user.profile: what the user sees of the event feed's data (full, identity, "
            "statistics)",
         _add_column("api_user", "profile", "TEXT NOT NULL DEFAULT 'full'")),
    Step(6, "api_subscription and api_delivery: webhook subscriptions, their cursors and "
            "leases, and their recent deliveries",
         _create_webhook_tables),
)  # fmt: skip


def migrate(db: ViewDatabase) -> int:
    """Apply the steps this database has not had, in order, in one transaction; returns its
    version (that of the last step)."""
    with db.transaction(lock=True) as tx:
        if tx.postgres:
            tx.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATIONS_LOCK,))
        tx.execute(
            "CREATE TABLE IF NOT EXISTS api_schema_version (version INTEGER PRIMARY KEY, "
            "does TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        version = schema_version(tx)
        for step in STEPS[version:]:
            step.apply(tx)
            tx.execute(
                "INSERT INTO api_schema_version (version, does, applied_at) VALUES (%s, %s, %s)",
                (step.version, step.does, now()),
            )
            version = step.version
        return version


def schema_version(tx: Tx) -> int:
    """The version of the last step applied (0: none)."""
    row = tx.row("SELECT max(version) AS version FROM api_schema_version")
    return int(row["version"]) if row is not None and row["version"] is not None else 0
