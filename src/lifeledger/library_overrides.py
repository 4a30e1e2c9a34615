"""The ledger's replacements of eventsourcing internals (pinned to 9.5.x; the full list, with
`Ledger.save` and the direct reads of the event table, is docs/adr/0003-library-overrides.md):
the PostgreSQL recorder's batch insert and the application's save."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import Recording, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

EVENT_TABLES_LOCK = 0x11FE1ED6E7
"""PostgreSQL advisory lock held while the event store's tables are made (`create_table`)."""


class ColumnArrayRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, inserting a batch as four column arrays instead of one
    array of composite values: same statement shape, table lock and NOTIFY. The arrays are sent
    in binary (`%b`): in text psycopg quotes and escapes every element in Python, which took
    three times as long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_columns_statement = sql.SQL(
            "INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::integer[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(sql.Identifier(self.datastore.schema), sql.Identifier(self.events_table_name))

    def create_table(self) -> None:
        """The library's, one process at a time: processes starting together (a server and a
        `projections rebuild`) ran its statements concurrently, and PostgreSQL refused one with
        "tuple concurrently updated". The lock is held by a connection of its own while the
        library's statements run on others from the pool."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT pg_advisory_xact_lock(%s)", (EVENT_TABLES_LOCK,))
            super().create_table()

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


def save_aggregates(
    app: Application[UUID], aggregates: Iterable[Any], saved_kwargs: dict[str, Any]
) -> list[Recording[UUID]]:
    """`Application.save` without its per-object runtime protocol checks, costly in a large
    batch (the ledger only ever saves aggregates): collect each aggregate's pending events,
    record them in one transaction, then notify as the library does."""
    processing = ProcessingEvent[UUID]()
    for aggregate in aggregates:
        processing.events.extend(aggregate.collect_events())
        processing.aggregates[aggregate.id] = aggregate
    processing.saved_kwargs.update(saved_kwargs)
    recordings = app._record(processing)
    app._notify(recordings)
    return recordings
