"""The read models' tables, in the ledger's own database (SQLite file or PostgreSQL).

One small interface over both: SQL is written once with `%s` placeholders and
portable types (TEXT, BIGINT, JSON kept as TEXT); rows come back as dicts.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from lifeledger.store import DatabaseUrl

Row = dict[str, Any]


class Tx:
    """A transaction on the read models' database."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self._cursor = cursor
        self.postgres = postgres

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._portable(statement), params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(self._portable(statement), rows)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(self._portable(statement), params)
        if self.postgres:
            return list(self._cursor.fetchall())
        return [dict(row) for row in self._cursor.fetchall()]

    def row(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        found = self.rows(statement, params)
        return found[0] if found else None

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition `column is one of values`, with its parameters."""
        if self.postgres:
            return f"{column} = ANY(%s)", [list(values)]
        return f"{column} IN ({','.join(['%s'] * len(values)) or 'NULL'})", list(values)

    def _portable(self, statement: str) -> str:
        return statement if self.postgres else statement.replace("%s", "?")


class ViewDatabase:
    """Connections to the read models' tables."""

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self.url = DatabaseUrl.parse(url)
        self.postgres = self.url.is_postgres
        self._local = threading.local()
        self._pool: ConnectionPool[Any] | None = None
        if self.postgres:
            self._pool = ConnectionPool(
                self.url.conninfo(),
                min_size=1,
                max_size=pool_size,
                open=True,
                kwargs={"row_factory": dict_row, "autocommit": False},
            )

    @contextmanager
    def transaction(self, lock: bool = False) -> Iterator[Tx]:
        """One transaction; `lock` takes SQLite's write lock at once (PostgreSQL locks rows)."""
        if self._pool is not None:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                yield Tx(cursor, postgres=True)
            return
        conn = self._sqlite()
        conn.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
        try:
            yield Tx(conn.cursor(), postgres=False)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.transaction() as tx:
            return tx.rows(statement, params)

    def row(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        with self.transaction() as tx:
            return tx.row(statement, params)

    def _sqlite(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.url.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
