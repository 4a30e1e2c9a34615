"""Reading the event table directly, where the library's reads are too slow: the log in
pages that carry only the wanted topics' events (the projections' catch-up), and many
aggregates' events or current versions in one query (the ledger's batch loads)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql
from psycopg.rows import tuple_row


def _uuid_array(ids: list[UUID]) -> str:
    """One PostgreSQL array literal: psycopg would escape each element of a list separately."""
    return "{" + ",".join(str(i) for i in ids) + "}"


def _event_rows(recorder: PostgresApplicationRecorder, query: str, params: Any) -> list[Any]:
    """The rows of a read-only query of the event table (`{events}` in `query`) as tuples,
    sent in binary: the library's cursors make dicts, and its text results escape every
    event's state as hex."""
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
    others' ids and states are not even sent (most of a catch-up's notifications are events
    no projection reads)."""
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


RawEvent = tuple[int, Any, int, str, bytes]
"""A stored event as the table holds it: (position, originator id, version, topic, state).
The id is a UUID on PostgreSQL and the library's 32-digit hex text on SQLite."""


def read_events(recorder: Any, start: int, limit: int) -> list[RawEvent]:
    """Up to `limit` stored events from position `start` on, in ledger order, as raw rows:
    no decoding, no library objects (the Merkle log hashes them as stored)."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return _event_rows(
            recorder,
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {events} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s",
            (start, limit),
        )
    statement = (
        "SELECT rowid, originator_id, originator_version, topic, state FROM "
        f"{recorder.events_table_name} WHERE rowid >= ? ORDER BY rowid LIMIT ?"
    )
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, (start, limit))
        return [tuple(row) for row in cursor.fetchall()]


def event_position(recorder: Any, originator_id: UUID, version: int) -> int | None:
    """The position of one stored event (None: not in the store)."""
    if isinstance(recorder, PostgresApplicationRecorder):
        rows = _event_rows(
            recorder,
            "SELECT notification_id FROM {events} "
            "WHERE originator_id = %s AND originator_version = %s",
            (originator_id, version),
        )
    else:
        statement = (
            f"SELECT rowid FROM {recorder.events_table_name} "
            "WHERE originator_id = ? AND originator_version = ?"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (originator_id.hex, version))
            rows = cursor.fetchall()
    return int(rows[0][0]) if rows else None
