"""The API's own tables are made and changed by numbered steps, each applied once, on both
stores: on a new database, on one made before the migrations (the tables then gained their
columns at each start), and on one made before those columns existed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lifeledger.api.import_log import ImportLog
from lifeledger.api.migrations import STEPS, migrate
from lifeledger.auth import UserStore
from lifeledger.database import ViewDatabase

LATEST = len(STEPS)

BEFORE_MIGRATIONS = [  # the tables as the setup before this module left them, every column
    "CREATE TABLE api_user (name TEXT PRIMARY KEY, roles TEXT NOT NULL, "
    "provinces TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, "
    "disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)",
    "CREATE TABLE api_idempotency (user_name TEXT NOT NULL, key TEXT NOT NULL, "
    "fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, "
    "created_at TEXT NOT NULL, claim TEXT, PRIMARY KEY (user_name, key))",
    "CREATE TABLE api_access (id {serial}, at TEXT NOT NULL, user_name TEXT NOT NULL, "
    "roles TEXT NOT NULL, pin TEXT NOT NULL, what TEXT NOT NULL, detail TEXT)",
    "CREATE INDEX api_access_pin ON api_access (pin, at)",
    "CREATE INDEX api_access_user ON api_access (user_name, at)",
    "CREATE TABLE api_import (import_id TEXT PRIMARY KEY, user_name TEXT NOT NULL, "
    "filename TEXT, approve_as TEXT, entered_by TEXT, status TEXT NOT NULL, "
    "counts TEXT NOT NULL, report TEXT NOT NULL, started_at TEXT NOT NULL, "
    "finished_at TEXT, position BIGINT, provinces TEXT)",
]

BEFORE_POSITIONS = (  # the import log as the first versions made it
    "CREATE TABLE api_import (import_id TEXT PRIMARY KEY, user_name TEXT NOT NULL, "
    "filename TEXT, approve_as TEXT, entered_by TEXT, status TEXT NOT NULL, "
    "counts TEXT NOT NULL, report TEXT NOT NULL, started_at TEXT NOT NULL, "
    "finished_at TEXT)"
)


@pytest.fixture
def db(database_url: str) -> Iterator[ViewDatabase]:
    opened = ViewDatabase(database_url, pool_size=1)
    try:
        yield opened
    finally:
        opened.close()


def applied(db: ViewDatabase) -> list[int]:
    return [int(r["version"]) for r in db.rows("SELECT version FROM api_schema_version")]


def make(db: ViewDatabase, *statements: str) -> None:
    serial = "BIGSERIAL PRIMARY KEY" if db.postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    with db.transaction(lock=True) as tx:
        for statement in statements:
            tx.execute(statement.replace("{serial}", serial))


def an_import_is_kept_whole(db: ViewDatabase) -> None:
    log = ImportLog(db)
    log.start("a" * 32, "lan", "x.jsonl", None, "op-1")
    log.finish("a" * 32, "done", {"lines": 0}, [], position=42, provinces=["001", "034"])
    found = log.get("a" * 32)
    assert found is not None
    assert (found["position"], found["provinces"]) == (42, ["001", "034"])


def test_the_steps_are_numbered_in_order_from_one() -> None:
    assert [step.version for step in STEPS] == list(range(1, LATEST + 1))


def test_a_new_database_gets_every_step_once(db: ViewDatabase) -> None:
    assert migrate(db) == LATEST
    assert migrate(db) == LATEST  # as every start does
    assert applied(db) == list(range(1, LATEST + 1))
    an_import_is_kept_whole(db)
    assert db.rows("SELECT claim FROM api_idempotency") == []


def test_a_database_made_before_the_migrations_migrates_cleanly(db: ViewDatabase) -> None:
    make(db, *BEFORE_MIGRATIONS)
    assert migrate(db) == LATEST
    assert applied(db) == list(range(1, LATEST + 1))
    an_import_is_kept_whole(db)


def test_an_import_log_made_before_positions_were_kept_gains_the_columns(
    db: ViewDatabase,
) -> None:
    make(db, BEFORE_POSITIONS)
    assert migrate(db) == LATEST
    an_import_is_kept_whole(db)


def test_a_step_already_recorded_is_not_applied_again(db: ViewDatabase) -> None:
    migrate(db)
    make(db, "DROP TABLE api_access")
    assert migrate(db) == LATEST
    assert applied(db) == list(range(1, LATEST + 1))
    with pytest.raises(Exception, match="api_access"):
        db.rows("SELECT * FROM api_access")


def test_tables_older_than_their_columns_gain_them_and_keep_their_rows(db: ViewDatabase) -> None:
    """Step 2 on an idempotency table made before `claim`, step 5 on users made before
    profiles: the columns are added, the rows already there stay and read as before."""
    make(
        db,
        BEFORE_MIGRATIONS[0],
        BEFORE_MIGRATIONS[1].replace(", claim TEXT", ""),
        "INSERT INTO api_user (name, roles, provinces, key_hash, created_at) "
        "VALUES ('lan', 'officer', '034', 'h', '2026-01-01')",
    )
    assert migrate(db) == LATEST
    assert db.rows("SELECT claim FROM api_idempotency") == []
    users = UserStore(db)
    (lan,) = users.users()
    assert (lan.name, lan.roles, lan.provinces, lan.profile) == (
        "lan",
        ("officer",),
        ("034",),
        "full",
    )
    key = users.add("feed", ["subscriber"], ["034"], profile="statistics")
    found = users.authenticate(key)
    assert found is not None and found.profile == "statistics"
