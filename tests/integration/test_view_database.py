"""The read models' batched writes (`Tx.insert_many`, `Tx.defer_insert`): many rows in a few
statements, the same rows as one INSERT per row would give (both stores; PostgreSQL takes its
COPY paths from 1,000 rows)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from lifeledger.database import DO_NOTHING, OnConflict, ViewDatabase

COLUMNS = ("k", "v")


def table(
    database_url: str, ddl: str = "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL)"
) -> ViewDatabase:
    """A database holding one table, created as the read models' tables are (`Tx.create`)."""
    db = ViewDatabase(database_url, pool_size=1)
    with db.transaction(lock=True) as tx:
        tx.create(ddl)
    return db


def test_many_new_rows_with_do_nothing_all_arrive(database_url: str) -> None:
    db = table(database_url)
    try:
        with db.transaction() as tx:
            for i in range(3000):
                tx.defer_insert("t", COLUMNS, (f"k{i:05}", "Đức"), DO_NOTHING)
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
            tx.insert_many("t", COLUMNS, rows, DO_NOTHING)
            tx.execute("INSERT INTO t (k, v) VALUES ('after', 'the same transaction')")
        assert db.row("SELECT count(*) AS n FROM t") == {"n": 2001}
        assert db.row("SELECT v FROM t WHERE k = 'k00007'") == {"v": "first"}
        assert db.row("SELECT v FROM t WHERE k = 'k01999'") == {"v": "new"}
    finally:
        db.close()


def test_many_rows_of_a_plain_insert_arrive_as_written(database_url: str) -> None:
    """A plain INSERT of many rows (new persons in a catch-up) is copied straight into its
    table: every row arrives, text as it was (tabs, newlines, backslashes), NULLs too."""
    db = table(database_url)
    try:
        with db.transaction() as tx:
            tx.insert_many("t", COLUMNS, [(f"k{i:05}", f"Đức\t{i}\n\\N") for i in range(1500)])
        assert db.row("SELECT count(*) AS n FROM t") == {"n": 1500}
        assert db.row("SELECT v FROM t WHERE k = 'k01234'") == {"v": "Đức\t1234\n\\N"}
    finally:
        db.close()


def test_a_plain_insert_meeting_a_row_already_there_fails_and_writes_nothing(
    database_url: str,
) -> None:
    """Unlike INSERT … ON CONFLICT DO NOTHING, a plain INSERT never skips a row silently."""
    db = table(database_url)
    try:
        with db.transaction() as tx:
            tx.execute("INSERT INTO t (k, v) VALUES ('k00007', 'first')")
        rows = [(f"k{i:05}", "new") for i in range(1500)]
        refused = pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError))
        with refused, db.transaction() as tx:
            tx.insert_many("t", COLUMNS, rows)
        assert db.row("SELECT count(*) AS n, min(v) AS v FROM t") == {"n": 1, "v": "first"}
    finally:
        db.close()


def test_text_columns_of_created_tables_compare_bytewise(database_url: str) -> None:
    """`Tx.create`: the read models' text sorts and compares by its bytes on both stores
    (PostgreSQL's columns are `COLLATE "C"`, whatever the database's locale)."""
    db = table(database_url)
    try:
        with db.transaction() as tx:
            tx.insert_many("t", COLUMNS, [(k, "x") for k in ["đ", "a", "Z", "Đ", "b", "B", "á"]])
        rows = db.rows("SELECT k FROM t ORDER BY k")
        assert [r["k"] for r in rows] == ["B", "Z", "a", "b", "á", "Đ", "đ"]
        if db.postgres:
            collations = db.rows(
                "SELECT collation_name FROM information_schema.columns WHERE table_name = 't'"
            )
            assert [r["collation_name"] for r in collations] == ["C", "C"]
    finally:
        db.close()


NUMBERED = ("k", "label", "count", "year")


def numbered(database_url: str) -> ViewDatabase:
    return table(
        database_url, "CREATE TABLE n (k TEXT PRIMARY KEY, label TEXT, count BIGINT, year BIGINT)"
    )


@pytest.mark.parametrize("on_conflict", [None, DO_NOTHING])
def test_many_rows_with_values_of_another_type_than_their_column_arrive_converted(
    database_url: str, on_conflict: OnConflict | None
) -> None:
    """Messy values (a number in a text column, digits as text in a number column) arrive
    as one INSERT per row would store them, however the rows are copied."""
    db = numbered(database_url)
    try:
        rows: list[tuple[object, ...]] = [(f"k{i:05}", f"nhãn {i}", i, None) for i in range(1500)]
        rows[700] = ("k00700", 1234, "56", "1999")
        with db.transaction() as tx:
            tx.insert_many("n", NUMBERED, rows, on_conflict)
        assert db.row("SELECT count(*) AS n, sum(count) AS total FROM n") == {
            "n": 1500,
            "total": sum(range(1500)) - 700 + 56,
        }
        assert db.row("SELECT label, count, year FROM n WHERE k = 'k00700'") == {
            "label": "1234",
            "count": 56,
            "year": 1999,
        }
        assert db.row("SELECT label, year FROM n WHERE k = 'k01499'") == {
            "label": "nhãn 1499",
            "year": None,
        }
    finally:
        db.close()


def test_many_rows_with_a_number_beyond_its_column_are_refused_whole(database_url: str) -> None:
    """An integer too big for its column is refused (never wrapped or rounded), and the
    transaction writes nothing."""
    db = numbered(database_url)
    try:
        rows = [(f"k{i:05}", "x", i, 2000) for i in range(1500)]
        rows[1200] = ("k01200", "x", 2**64, 2000)
        refused = pytest.raises((OverflowError, psycopg.DataError))
        with refused, db.transaction() as tx:
            tx.insert_many("n", NUMBERED, rows)
        assert db.row("SELECT count(*) AS n FROM n") == {"n": 0}
    finally:
        db.close()


@pytest.mark.parametrize("count", [1, 10, 1500])
def test_rows_already_there_are_updated_from_the_new_ones_or_added_to(
    database_url: str, count: int
) -> None:
    """`OnConflict(replace=…)` sets columns from the new row, `OnConflict(add=…)` adds the new
    row's value to the old, for one row, a few (unnest) or many (COPY through a staging
    table)."""
    db = numbered(database_url)
    try:
        with db.transaction() as tx:
            tx.insert_many("n", NUMBERED, [(f"k{i:05}", "old", i, 1990) for i in range(count)])
        replace = OnConflict(key=("k",), replace=("label",))
        add = OnConflict(key=("k",), add=("count", "year"))
        with db.transaction() as tx:
            tx.insert_many(
                "n", NUMBERED, [(f"k{i:05}", "new", 0, 0) for i in range(count)], replace
            )
            tx.insert_many("n", NUMBERED, [(f"k{i:05}", "x", 100, 1) for i in range(count)], add)
        last = f"k{count - 1:05}"
        assert db.row("SELECT label, count, year FROM n WHERE k = %s", (last,)) == {
            "label": "new",
            "count": count - 1 + 100,
            "year": 1991,
        }
        assert db.row("SELECT count(*) AS n FROM n") == {"n": count}
    finally:
        db.close()


def test_a_plain_executemany_of_an_insert_still_writes_every_row(database_url: str) -> None:
    """`executemany` runs its statement once per row, the driver's way (an INSERT written as
    text, such as the API's access log, takes no fast path)."""
    db = table(database_url)
    try:
        with db.transaction() as tx:
            tx.executemany(
                "INSERT INTO t (k, v) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(f"k{i:05}", "v") for i in range(50)] + [("k00001", "twice")],
            )
        assert db.row("SELECT count(*) AS n, max(v) AS v FROM t") == {"n": 50, "v": "v"}
    finally:
        db.close()
