"""The ledger's own tables beside its events (the read models, the API's users and logs), in
its database (SQLite file or PostgreSQL): transactions, `insert_many`, the read models' lock.

One small interface over both: SQL is written once with `%s` placeholders and
portable types (TEXT, BIGINT, JSON kept as TEXT); rows come back as dicts.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from lifeledger.database_url import DatabaseUrl

Row = dict[str, Any]
Columns = tuple[str, ...]
Rows = Sequence[Sequence[Any]]
_TEXT_TYPE = re.compile(r"\bTEXT\b")
BYTEWISE_TEXT = 'TEXT COLLATE "C"'
"""Text columns on PostgreSQL (see `Tx.create`)."""
_ROWS_PER_INSERT = 5000
READ_MODELS_LOCK = 0x11FE1ED6E5
"""PostgreSQL advisory lock: a rebuild holds it alone, every other writer shares it."""
_ROWS_TO_COPY = 1000


@dataclass(frozen=True)
class OnConflict:
    """What an INSERT does with a row whose key (`key`; none: any unique one) the table
    already holds: nothing, or set columns from the new row (`replace`) or add the new row's
    value to them (`add`)."""

    key: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    add: tuple[str, ...] = ()

    @property
    def does_nothing(self) -> bool:
        return not self.replace and not self.add

    def __post_init__(self) -> None:
        if (self.replace or self.add) and not self.key:
            raise ValueError("an update on conflict needs the key it conflicts on")

    def sql(self, table: str) -> str:
        """The clause, as it follows the INSERT's VALUES."""
        target = f" ({', '.join(self.key)})" if self.key else ""
        if self.does_nothing:
            return f" ON CONFLICT{target} DO NOTHING"
        sets = [f"{c} = excluded.{c}" for c in self.replace]
        sets += [f"{c} = {table}.{c} + excluded.{c}" for c in self.add]
        return f" ON CONFLICT{target} DO UPDATE SET {', '.join(sets)}"


DO_NOTHING = OnConflict()
"""Skip a row whose key the table already holds."""

Statement = str | Columns
"""A queued write: an SQL statement, or the columns of an INSERT (see `Queue.defer_insert`)."""


class Queue:
    """Where a projection queues its writes: a transaction (`Tx`), or `Writes` kept for one."""

    def defer(self, table: str, statement: str, params: Sequence[Any]) -> None:
        """Queue a write to `table` (see `Tx`)."""
        self._queue(table, statement, None, params)

    def defer_insert(
        self,
        table: str,
        columns: Columns,
        row: Sequence[Any],
        on_conflict: OnConflict | None = None,
    ) -> None:
        """Queue a row to insert into `table`, to go with the next rows of the same INSERT
        (see `Tx.insert_many`; pass the same `columns` and `on_conflict` objects, module
        constants, and queuing costs no more than `defer`)."""
        self._queue(table, columns, on_conflict, row)

    def _queue(
        self, table: str, statement: Statement, conflict: OnConflict | None, params: Sequence[Any]
    ) -> None:
        raise NotImplementedError


class Writes(Queue):
    """Writes made before their transaction is open (see `Projection.prepare`), in order;
    `Tx.replay` queues them."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, Statement, OnConflict | None, Sequence[Any]]] = []

    def _queue(
        self, table: str, statement: Statement, conflict: OnConflict | None, params: Sequence[Any]
    ) -> None:
        self.queued.append((table, statement, conflict, params))


class Tx(Queue):
    """A transaction on the read models' database.

    `defer` (a statement) and `defer_insert` (a row) queue a write to run later with its
    table's other queued writes, as one `executemany` per statement or one `insert_many` per
    INSERT: a projection writes a batch of events in a few round trips
    (on PostgreSQL `insert_many` sends many rows as one `INSERT … SELECT FROM unnest(arrays)`,
    one statement per 5,000 rows instead of one per row, and from 1,000 rows on by COPY, which
    formats the rows in C rather than Python: straight into the table when it can, else into
    a temporary table and one `INSERT … SELECT` from it (see `_copy_many`; rows of one INSERT …
    ON CONFLICT DO UPDATE must then have distinct keys), in the binary format when the
    columns allow (see `_copy`)).
    Writes to one table keep their order; writes to different tables are independent (no
    statement of ours reads one table to write another). Any other statement, and the end of
    the transaction, runs the queued writes first, so reads always see them.
    """

    def __init__(self, cursor: Any, postgres: bool, types: dict[str, dict[str, str]]) -> None:
        self._cursor = cursor
        self.postgres = postgres
        self._types = types
        self._deferred: dict[
            str, list[tuple[Statement, OnConflict | None, list[Sequence[Any]]]]
        ] = {}

    def _queue(
        self, table: str, statement: Statement, conflict: OnConflict | None, params: Sequence[Any]
    ) -> None:
        queued = self._deferred.setdefault(table, [])
        if queued:
            last, last_conflict, rows = queued[-1]
            if last == statement and (last_conflict is conflict or last_conflict == conflict):
                rows.append(params)
                return
        queued.append((statement, conflict, [params]))

    def replay(self, writes: Writes) -> None:
        """Queue writes made beforehand, as if deferred now."""
        for table, statement, on_conflict, params in writes.queued:
            self._queue(table, statement, on_conflict, params)

    def flush(self) -> None:
        """Run the queued writes."""
        deferred, self._deferred = self._deferred, {}
        for table, queued in deferred.items():
            for statement, on_conflict, rows in queued:
                if isinstance(statement, str):
                    self._execute_many(statement, rows)
                else:
                    self._insert_many(table, statement, on_conflict, rows)

    def create(self, statement: str) -> None:
        """Run one of a projection's DDL statements. On PostgreSQL the text columns it creates
        compare bytewise (`COLLATE "C"`, as SQLite compares): the read models' text is
        identifiers, ISO dates, folded names and JSON, and a locale's collation (even
        C.UTF-8's) made every index key compare through `strcoll`, a large share of
        PostgreSQL's work in a catch-up."""
        self.execute(_TEXT_TYPE.sub(BYTEWISE_TEXT, statement) if self.postgres else statement)

    def hold_read_models(self, alone: bool = False) -> None:
        """First in a transaction that writes the read models: a rebuild (`alone`) waits for
        every batch, document step and ANALYZE under way and they wait for it, so its DROPs
        never deadlock with them (PostgreSQL; SQLite's write lock already does this)."""
        if self.postgres:
            shared = "" if alone else "_shared"
            self.execute(f"SELECT pg_advisory_xact_lock{shared}(%s)", (READ_MODELS_LOCK,))

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.flush()
        self._cursor.execute(self._portable(statement), params)

    def executemany(self, statement: str, rows: Rows) -> None:
        """Run one statement for each row (the driver's own way: for many rows of an INSERT,
        `insert_many` is faster)."""
        self.flush()
        self._execute_many(statement, rows)

    def _execute_many(self, statement: str, rows: Rows) -> None:
        if rows:
            self._cursor.executemany(self._portable(statement), rows)

    def insert_many(
        self, table: str, columns: Columns, rows: Rows, on_conflict: OnConflict | None = None
    ) -> None:
        """INSERT rows of `columns` into `table` (None: a plain INSERT, which a row already
        there makes fail), in as few statements as the store allows (see the class docstring)."""
        self.flush()
        self._insert_many(table, columns, on_conflict, rows)

    def _insert_many(
        self, table: str, columns: Columns, on_conflict: OnConflict | None, rows: Rows
    ) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        tail = on_conflict.sql(table) if on_conflict else ""
        if not self.postgres or len(rows) == 1:
            values = ", ".join(["%s"] * len(columns))
            statement = f"INSERT INTO {table} ({names}) VALUES ({values}){tail}"
            self._cursor.executemany(self._portable(statement), rows)
            return
        if len(rows) >= _ROWS_TO_COPY:
            self._copy_many(table, names, on_conflict, rows)
            return
        types = self._column_types(table)
        arrays = ", ".join(f"%b::{types[column]}[]" for column in columns)
        unnest = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){tail}"
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            self._cursor.execute(unnest, [list(values) for values in zip(*chunk, strict=True)])

    def _copy_many(
        self, table: str, columns: str, on_conflict: OnConflict | None, rows: Rows
    ) -> None:
        """INSERT many rows by COPY: straight into the table for a plain INSERT or when
        `_copy_straight` can, else into a temporary table and from there by one
        `INSERT … SELECT` (in the rows' order)."""
        if on_conflict is None:  # a plain INSERT: straight into the table
            self._copy(table, table, columns, rows)
            return
        if on_conflict.does_nothing and self._copy_straight(table, columns, rows):
            return
        tail = on_conflict.sql(table)
        staging = f"ll_copy_{table}"
        self._cursor.execute(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {columns} FROM {table} "
            "WITH NO DATA"
        )
        self._copy(staging, table, columns, rows)
        self._cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM {staging}{tail}")
        self._cursor.execute(f"DROP TABLE {staging}")

    def _copy_straight(self, table: str, columns: str, rows: Rows) -> bool:
        """COPY the rows into the table itself, in a savepoint: for an INSERT … ON CONFLICT
        DO NOTHING whose rows are all new (a catch-up's acts, links and edges) this skips the
        staging table and the conflict checks, a fifth of PostgreSQL's work in a catch-up.
        A row already there undoes it (False): the staging path then skips such rows."""
        self._cursor.execute("SAVEPOINT ll_copy_straight")
        try:
            self._copy(table, table, columns, rows)
        except psycopg.errors.UniqueViolation:
            self._cursor.execute("ROLLBACK TO SAVEPOINT ll_copy_straight")
            return False
        self._cursor.execute("RELEASE SAVEPOINT ll_copy_straight")
        return True

    def _copy(self, into: str, table: str, columns: str, rows: Rows) -> None:
        """COPY rows into `into` (`table` or its staging copy), in PostgreSQL's binary format
        when every column is text or bigint: nothing to escape, so about half the formatting
        work of text, for Python and for PostgreSQL. A binary dumper refuses a value of
        another Python type than its column's (a number in a text column) and never converts
        one wrongly (an integer beyond bigint is refused too, where an `integer` column's
        dumper would wrap it, hence bigint only): the rows then go as text, which PostgreSQL
        converts or refuses as it always did."""
        types = self._column_types(table)
        binary = [types[column.strip()] for column in columns.split(",")]
        target = f"{into} ({columns})"
        if not set(binary) <= {"text", "bigint"}:
            self._copy_rows(f"COPY {target} FROM STDIN", rows)
            return
        self._cursor.execute("SAVEPOINT ll_copy_binary")
        try:
            self._copy_rows(f"COPY {target} FROM STDIN (FORMAT BINARY)", rows, binary)
        except (TypeError, OverflowError):
            self._cursor.execute("ROLLBACK TO SAVEPOINT ll_copy_binary")
            self._copy_rows(f"COPY {target} FROM STDIN", rows)
            return
        self._cursor.execute("RELEASE SAVEPOINT ll_copy_binary")

    def _copy_rows(self, statement: str, rows: Rows, types: list[str] | None = None) -> None:
        with self._cursor.copy(statement) as copy:
            if types:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)

    def _column_types(self, table: str) -> dict[str, str]:
        if table not in self._types:
            self._cursor.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = %s AND table_schema = current_schema()",
                (table,),
            )
            self._types[table] = {r["column_name"]: r["data_type"] for r in self._cursor}
        return self._types[table]

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        self.flush()
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
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []  # SQLite: one per thread
        self._types: dict[str, dict[str, str]] = {}  # PostgreSQL column types, per table
        self._pool: ConnectionPool[Any] | None = None
        if self.postgres:
            self._pool = ConnectionPool(
                self.url.conninfo(),
                min_size=1,
                max_size=pool_size,
                open=True,
                # Autocommit: a lone statement (`row`, `rows`) is one round trip; a
                # `transaction` sends its own BEGIN and COMMIT.
                kwargs={"row_factory": dict_row, "autocommit": True},
            )

    @contextmanager
    def transaction(self, lock: bool = False) -> Iterator[Tx]:
        """One transaction; `lock` takes SQLite's write lock at once (PostgreSQL locks rows)."""
        if self._pool is not None:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                tx = Tx(cursor, postgres=True, types=self._types)
                yield tx
                tx.flush()
            return
        conn = self._sqlite()
        conn.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
        try:
            tx = Tx(conn.cursor(), postgres=False, types=self._types)
            yield tx
            tx.flush()
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one statement, run on its own (atomic without a transaction block)."""
        if self._pool is not None:
            with self._pool.connection() as conn:
                return list(conn.execute(statement, params).fetchall())
        with self.transaction() as tx:
            return tx.rows(statement, params)

    def row(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        found = self.rows(statement, params)
        return found[0] if found else None

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
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:  # every thread's
            conn.close()
        self._local = threading.local()
