"""Choosing the event store from `LIFELEDGER_DATABASE_URL`: the one place that knows the
eventsourcing library's persistence settings, plus creating and dropping PostgreSQL
databases (tests and benchmarks make their own)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit
from uuid import UUID

import orjson
import psycopg
from eventsourcing.persistence import JSONTranscoder, Notification, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql
from psycopg.rows import tuple_row

from lifeledger.jsoncodec import holds_long_number


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed `sqlite:///…` or `postgresql://…` URL."""

    scheme: str
    path: str = ""
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = ""

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
            if not path:
                raise ValueError(f"database URL {url!r}: expected sqlite:///path/to/file.db")
            return cls("sqlite", path=path)
        if parts.scheme in ("postgresql", "postgres"):
            return cls(
                "postgresql",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username or "postgres"),
                password=unquote(parts.password or ""),
                dbname=parts.path.lstrip("/") or "postgres",
            )
        raise ValueError(f"database URL {url!r}: the scheme must be sqlite or postgresql")

    @property
    def is_postgres(self) -> bool:
        return self.scheme == "postgresql"

    def eventsourcing_env(self, pool_size: int = 5) -> dict[str, str]:
        """The library's settings for this store (passed as `env=`, which wins over os.environ)."""
        if not self.is_postgres:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            # The library requires a password even under trust authentication.
            "POSTGRES_PASSWORD": self.password or "unused",
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(pool_size),
            "POSTGRES_CONNECT_TIMEOUT": "10",
            # Off on purpose: with it on, applications in one schema write into each other's tables.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "APPLICATION_RECORDER_TOPIC": "lifeledger.store:ColumnArrayRecorder",
        }

    def conninfo(self, dbname: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname or self.dbname,
            password=self.password or None,
            connect_timeout=10,
        )

    def with_dbname(self, dbname: str) -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{dbname}"


class ColumnArrayRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, inserting a batch as four column arrays instead of one
    array of composite values: same statement shape, table lock and NOTIFY. The arrays are sent
    in binary (`%b`): in text psycopg quotes and escapes every element in Python, which took
    three times as long (measured: 1,500 events 42 ms in text, 12 ms in binary)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_columns_statement = sql.SQL(
            "INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::integer[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(sql.Identifier(self.datastore.schema), sql.Identifier(self.events_table_name))

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        columns = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        curs.execute(self.insert_columns_statement, columns, binary=True)


MARKER = b'"_type_"'  # how the library marks an encoded value (see `EventTranscoder`)
ENCODE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class EventTranscoder(JSONTranscoder):
    """The library's JSON transcoder on orjson (several times faster than the standard
    library: an import encodes every event, a catch-up decodes every one): the same JSON, the
    same values.

    The library marks an encoded value (a time, a UUID) as an object `{"_type_": name,
    "_data_": data}`. Writing, orjson hands times and dataclasses to the library's own
    transcodings; it would write a UUID or an Enum itself, so events hold none (their
    attributes are JSON's own types; `tests/unit/test_event_transcoder.py` checks every
    event class). What orjson refuses (integers beyond 64 bits, keys that are not text) is
    written by the library's encoder. Reading, a marked object whose name is registered
    becomes the value again, innermost first, as the library's hook does; an unknown name
    stays a plain object instead of failing the read: entries holding such objects are now
    refused (`check_storable`), but one stored before must not stop the projections. Text
    holding a run of 19 digits or more (perhaps an integer beyond 64 bits, which orjson
    would read as a float) is read by the library's parser."""

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(obj, default=self._encode_obj, option=ENCODE_OPTIONS)
        except orjson.JSONEncodeError:
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        if holds_long_number(data):
            return super().decode(data)
        value = orjson.loads(data)
        if type(value) is not dict:
            return self._revive(value)
        marked = [
            key
            for key, item in value.items()
            if type(item) is dict and len(item) == 2 and "_type_" in item and "_data_" in item
        ]
        if len(marked) != data.count(MARKER):  # some are nested: walk the whole tree
            return self._revive(value)
        for key in marked:  # the usual case: the event's timestamp alone
            value[key] = self._revive(value[key])
        return value

    def _revive(self, value: Any) -> Any:
        if type(value) is list:
            for index, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[index] = self._revive(item)
            return value
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                value[key] = self._revive(item)
        if len(value) == 2 and "_data_" in value:
            name = value.get("_type_")
            transcoding = self.names.get(name) if type(name) is str else None
            if transcoding is not None:
                return transcoding.decode(value["_data_"])
        return value


def create_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` (connecting to `postgres`)."""
    parsed = DatabaseUrl.parse(url)
    with psycopg.connect(parsed.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.dbname)))


def drop_database(url: str) -> None:
    parsed = DatabaseUrl.parse(url)
    with psycopg.connect(parsed.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parsed.dbname))
        )


def _uuid_array(ids: list[UUID]) -> str:
    """One PostgreSQL array literal: psycopg would escape each element of a list separately."""
    return "{" + ",".join(str(i) for i in ids) + "}"


def _event_rows(recorder: PostgresApplicationRecorder, query: str, params: Any) -> list[Any]:
    """The rows of a read-only query of the event table (`{events}` in `query`) as tuples,
    sent in binary: the library's cursors make dicts (a tenth of a catch-up's time), and
    its text results escape every event's state as hex."""
    events = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    statement = sql.SQL(query).format(events=events)
    with recorder.datastore.transaction(commit=False) as cursor:
        plain = cast(Any, cursor)
        plain.row_factory = tuple_row
        plain.execute(statement, params, prepare=True, binary=True)
        return list(plain.fetchall())


@dataclass
class LogPage:
    """Notifications read in one go: the position of the last (`start` − 1 when none was
    there), how many were read, and those of the wanted topics."""

    last: int
    count: int
    wanted: list[Notification]


def read_log(recorder: Any, start: int, limit: int, topics: Sequence[str] = ()) -> LogPage:
    """Up to `limit` notifications from position `start`, of which those whose topic starts
    with one of `topics` (all when none is given) come with their events. On PostgreSQL the
    others' ids and states are not even sent (two thirds of a catch-up's notifications are
    events no projection reads)."""
    if not isinstance(recorder, PostgresApplicationRecorder):
        page = list(recorder.select_notifications(start=start, limit=limit))
        wanted = [n for n in page if not topics or n.topic.startswith(tuple(topics))]
        return LogPage(page[-1].id if page else start - 1, len(page), wanted)
    patterns = [_like_prefix(topic) for topic in topics] or ["%"]
    rows = _event_rows(
        recorder,
        "SELECT notification_id, topic, CASE WHEN wanted THEN originator_id END, "
        "originator_version, CASE WHEN wanted THEN state END "
        "FROM (SELECT *, topic LIKE ANY(%s) AS wanted FROM {events} WHERE notification_id >= %s "
        "ORDER BY notification_id LIMIT %s) AS page ORDER BY notification_id",
        (patterns, start, limit),
    )
    wanted = [
        Notification(id=row[0], originator_id=row[2], originator_version=row[3], topic=row[1],
                     state=row[4])
        for row in rows
        if row[4] is not None
    ]  # fmt: skip
    return LogPage(rows[-1][0] if rows else start - 1, len(rows), wanted)


def _like_prefix(text: str) -> str:
    """A LIKE pattern for text starting with `text`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def select_stored_events(recorder: Any, aggregate_ids: list[UUID]) -> list[StoredEvent]:
    """All stored events of many aggregates in one query (the library reads one at a time),
    ordered by aggregate and version."""
    rows = _aggregate_rows(
        recorder,
        aggregate_ids,
        "SELECT originator_id, originator_version, topic, state FROM {events} "
        "WHERE originator_id {ids} ORDER BY originator_id, originator_version",
    )
    return [StoredEvent(*row) for row in rows]


def stored_versions(recorder: Any, aggregate_ids: list[UUID]) -> dict[UUID, int]:
    """The current version of each of these aggregates in the store (absent: none stored).
    On PostgreSQL one correlated `max` per id, answered from the end of the primary key
    index (asked with `GROUP BY` it scanned the whole table, and reading every version made
    the client's work grow with each person's history)."""
    if not aggregate_ids:
        return {}
    if isinstance(recorder, PostgresApplicationRecorder):
        rows = _event_rows(
            recorder,
            "SELECT k.id, (SELECT max(originator_version) FROM {events} "
            "WHERE originator_id = k.id) FROM unnest(%s::uuid[]) AS k(id)",
            (_uuid_array(aggregate_ids),),
        )
    else:
        rows = _aggregate_rows(
            recorder,
            aggregate_ids,
            "SELECT originator_id, max(originator_version) FROM {events} "
            "WHERE originator_id {ids} GROUP BY originator_id",
        )
    return {aggregate_id: version for aggregate_id, version in rows if version is not None}


def _aggregate_rows(recorder: Any, aggregate_ids: list[UUID], query: str) -> list[Any]:
    """The rows of a query of the event table (`{events}`) about many aggregates (`{ids}`:
    where their id goes), with the id first, as a UUID, whatever the store."""
    if not aggregate_ids:
        return []
    if isinstance(recorder, PostgresApplicationRecorder):
        statement = query.replace("{ids}", "= ANY(%s::uuid[])")
        return _event_rows(recorder, statement, (_uuid_array(aggregate_ids),))
    return [(UUID(row[0]), *row[1:]) for row in _sqlite_rows(recorder, query, aggregate_ids)]


def _sqlite_rows(recorder: Any, query: str, aggregate_ids: list[UUID]) -> list[Any]:
    """`_aggregate_rows` on SQLite: 500 ids at a time (its limit on parameters)."""
    rows: list[Any] = []
    for start in range(0, len(aggregate_ids), 500):
        chunk = [i.hex for i in aggregate_ids[start : start + 500]]
        ids = f"IN ({','.join('?' * len(chunk))})"
        statement = query.format(events=recorder.events_table_name, ids=ids)
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, chunk)
            rows += cursor.fetchall()
    return rows
