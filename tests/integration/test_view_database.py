"""The read models' batched writes: many rows in a few statements, the same rows as one
INSERT per row would give (both stores; PostgreSQL takes its COPY paths from 1,000 rows)."""

from __future__ import annotations

from lifeledger.projections.database import ViewDatabase

INSERT = "INSERT INTO t (k, v) VALUES (%s, %s) ON CONFLICT DO NOTHING"


def table(database_url: str) -> ViewDatabase:
    db = ViewDatabase(database_url, pool_size=1)
    with db.transaction(lock=True) as tx:
        tx.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
    return db


def test_many_new_rows_with_do_nothing_all_arrive(database_url: str) -> None:
    db = table(database_url)
    try:
        with db.transaction() as tx:
            for i in range(3000):
                tx.defer("t", INSERT, (f"k{i:05}", "Đức"))
        assert db.row("SELECT count(*) AS n, min(v) AS v FROM t") == {"n": 3000, "v": "Đức"}
    finally:
        db.close()


def test_rows_already_there_are_skipped_and_the_others_arrive(database_url: str) -> None:
    """The straight COPY meets a row that is there (or twice in the batch): it is undone,
    and the rows go in as the INSERT … ON CONFLICT DO NOTHING says."""
    db = table(database_url)
    try:
        with db.transaction() as tx:
            tx.execute("INSERT INTO t (k, v) VALUES ('k00007', 'first')")
        with db.transaction() as tx:
            rows = [(f"k{i:05}", "new") for i in range(2000)] + [("k01999", "twice")]
            tx.executemany(INSERT, rows)
            tx.execute("INSERT INTO t (k, v) VALUES ('after', 'the same transaction')")
        assert db.row("SELECT count(*) AS n FROM t") == {"n": 2001}
        assert db.row("SELECT v FROM t WHERE k = 'k00007'") == {"v": "first"}
        assert db.row("SELECT v FROM t WHERE k = 'k01999'") == {"v": "new"}
    finally:
        db.close()
