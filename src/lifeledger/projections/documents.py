"""Stored person documents: what a read "now" returns, kept off the catch-up path.

The registry projection notes, in each batch's transaction, the persons the batch touched
(`ll_doc_touched`: cheap, one row per person and batch, only ever inserted). When the
projections have caught up, the follower calls `refresh`, which rebuilds the documents of
those persons and of their relatives (whose documents name them) and records the registry
position the stored documents reflect (`ll_doc_state`). A read serves a stored document only
when that position is the registry's own position, read in the same statement; otherwise (a
batch was applied since, or a rebuild is under way) the document is assembled at read time.
So a read never answers from a document older than the position it reports, and a bulk
import never waits for documents to be rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable

from lifeledger.database import DO_NOTHING, OnConflict, Tx, ViewDatabase
from lifeledger.jsoncodec import dumps
from lifeledger.projections import person_view

DDL = (
    "CREATE TABLE IF NOT EXISTS ll_person_doc (pin TEXT PRIMARY KEY, doc TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS ll_doc_touched (
        pin TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (pin, position))""",
    "CREATE TABLE IF NOT EXISTS ll_doc_state (id INTEGER PRIMARY KEY, position BIGINT NOT NULL)",
    "INSERT INTO ll_doc_state (id, position) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
)
TABLES = ("ll_person_doc", "ll_doc_touched", "ll_doc_state")
TOUCHED_COLUMNS = ("pin", "position")
DOC_COLUMNS = ("pin", "doc")
NEW_DOC = OnConflict(key=("pin",), replace=("doc",))
CHUNK = 500
"""Persons whose documents are rebuilt together (SQLite allows some 32,000 parameters)."""

REGISTRY_POSITION = "(SELECT position FROM ll_tracking WHERE name = 'registry')"
BUILT_POSITION = "(SELECT position FROM ll_doc_state WHERE id = 1)"
STORED = (
    f"SELECT {REGISTRY_POSITION} AS position, {BUILT_POSITION} AS built, "
    "(SELECT doc FROM ll_person_doc WHERE pin = %s) AS doc"
)


def touch(tx: Tx, pins: Iterable[str], position: int) -> None:
    """Note that a batch ending at `position` changed what these persons' documents (and
    their relatives') say: a row of its own (new rows copy straight into the table, where
    updating each person's one row cost PostgreSQL a tenth of a catch-up's work); `refresh`
    deletes a person's rows up to the position it built their document at."""
    for pin in sorted(set(pins)):
        tx.defer_insert("ll_doc_touched", TOUCHED_COLUMNS, (pin, position), DO_NOTHING)


def stored(db: ViewDatabase, pin: str) -> tuple[str, int] | None:
    """The person's stored document (JSON text) and the position it reflects, if the stored
    documents are up to date with the registry; one statement, one snapshot."""
    row = db.row(STORED, (pin,))
    if row is None or row["doc"] is None or row["position"] != row["built"]:
        return None
    return row["doc"], int(row["position"])


def refresh(db: ViewDatabase, limit: int = 5 * CHUNK) -> int:
    """Rebuild the documents of up to `limit` touched persons (and their relatives), in one
    transaction that holds the documents' state row; returns how many touched persons it
    took (0: the documents are up to date with the registry)."""
    if _up_to_date(db):
        return 0
    with db.transaction(lock=True) as tx:
        tx.hold_read_models()
        if tx.postgres:
            # Hundreds of keys per lookup: the tables are in memory, so index probes are cheap
            # (with the default cost, PostgreSQL scans whole tables for them).
            tx.execute("SET LOCAL random_page_cost = 1.1")
            tx.execute("SELECT 1 FROM ll_doc_state WHERE id = 1 FOR UPDATE")
        row = tx.row(f"SELECT {REGISTRY_POSITION} AS position")
        registry = int(row["position"]) if row and row["position"] is not None else 0
        touched = [
            r["pin"]
            for r in tx.rows(
                "SELECT DISTINCT pin FROM ll_doc_touched WHERE position <= %s "
                "ORDER BY pin LIMIT %s",
                (registry, limit),
            )
        ]
        for start in range(0, len(touched), CHUNK):
            _rebuild(tx, touched[start : start + CHUNK], registry)
        if len(touched) < limit:
            tx.execute("UPDATE ll_doc_state SET position = %s WHERE id = 1", (registry,))
        return len(touched)


def status(db: ViewDatabase) -> dict[str, int]:
    """The registry position the stored documents reflect, and how many touched persons wait
    for theirs to be rebuilt."""
    row = db.row(
        f"SELECT {BUILT_POSITION} AS position, "
        "(SELECT count(DISTINCT pin) FROM ll_doc_touched) AS pending"
    )
    return {"position": int(row["position"] or 0), "pending": int(row["pending"])} if row else {}


def _up_to_date(db: ViewDatabase) -> bool:
    row = db.row(
        f"SELECT {REGISTRY_POSITION} AS position, {BUILT_POSITION} AS built, "
        "EXISTS (SELECT 1 FROM ll_doc_touched) AS pending"
    )
    return row is not None and row["position"] == row["built"] and not row["pending"]


def _rebuild(tx: Tx, touched: list[str], registry: int) -> None:
    """Rebuild the documents of `touched` and of their relatives, except the relatives still
    waiting in `ll_doc_touched`: their turn comes before the state moves on (so a backlog,
    such as a rebuild's, builds each document about once)."""
    related, params = person_view.related_query(tx, touched)
    statement = (
        f"SELECT DISTINCT pin FROM ({related}) AS related WHERE pin IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM ll_doc_touched t WHERE t.pin = related.pin)"
    )
    affected = {row["pin"] for row in tx.rows(statement, params)}
    affected.update(touched)
    documents = person_view.build(affected, person_view.load(tx, affected))
    for pin in sorted(affected):
        if pin in documents:
            row = (pin, dumps(documents[pin]))
            tx.defer_insert("ll_person_doc", DOC_COLUMNS, row, NEW_DOC)
        else:
            tx.defer("ll_person_doc", "DELETE FROM ll_person_doc WHERE pin = %s", (pin,))
    where, values = tx.any_of("pin", touched)
    tx.execute(f"DELETE FROM ll_doc_touched WHERE {where} AND position <= %s", [*values, registry])
