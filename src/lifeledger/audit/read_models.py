"""Are the read models what the events say? Rebuild them into a scratch database with the
projections' own code, up to the position each stored one has reached, and compare row by
row: every stored row changed, missing or added is a `Difference`.

All persons (`sample=None`) compares every table, a chunk of rows at a time in key order
(both stores order text bytewise, so both sides page alike); a sample of N persons compares
the rows about them (their person rows, documents and name words, their acts with those
acts' persons, corrections and family edges). The registry's rebuild replays the whole
ledger either way (a person's rows and document depend on acts naming only their relatives
too); a sample spares the statistics and the documents of the persons outside it."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifeledger.database import Tx, ViewDatabase
from lifeledger.jsoncodec import dumps
from lifeledger.ledger import Ledger
from lifeledger.projections import documents, person_view
from lifeledger.projections.registry import RegistryProjection
from lifeledger.projections.runner import Batch, Envelope, Projection, Runner
from lifeledger.projections.statistics import StatisticsProjection
from lifeledger.settings import Settings
from lifeledger.stored_events import read_log

IGNORED_TABLES = frozenset({"ll_doc_touched", "ll_doc_state"})
"""The person documents' own bookkeeping (which are due for a refresh), not read models."""
IGNORED_COLUMNS = {"ll_person": frozenset({"position"})}
"""Columns that say which batch wrote a row: batches fall differently in a rebuild."""
BY_PERSON = {
    "ll_person": ("pin",),
    "ll_person_doc": ("pin",),
    "ll_name_word": ("pin",),
    "ll_act_person": ("pin",),
    "ll_parent": ("child_pin", "parent_pin"),
    "ll_couple": ("a", "b"),
    "ll_guardianship": ("ward", "guardian"),
}
BY_ACT = {
    "ll_act": ("act_id",),
    "ll_act_person": ("act_id",),
    "ll_correction": ("correction_id", "target_id"),
    "ll_stat_act": ("act_id",),
}
"""For a sample: the columns naming the sampled persons, or their acts, in each table (the
tables of neither, e.g. the event feed, are compared only when checking all persons)."""
CHUNK = 5000


@dataclass(frozen=True)
class Difference:
    """A stored row that is not what the events make it: `column` holds another value
    (`stored`, `rebuilt`), or the whole row is missing (`column` None, `stored` None) or
    added (`column` None, `rebuilt` None)."""

    table: str
    key: dict[str, Any]
    column: str | None
    stored: Any
    rebuilt: Any

    def __str__(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        if self.column is None:
            what = "missing" if self.stored is None else "added (no event makes it)"
            return f"{self.table} [{key}]: row {what}"
        return (
            f"{self.table} [{key}] {self.column}: stored {self.stored!r}, rebuilt {self.rebuilt!r}"
        )


def differences(settings: Settings, sample: int | None = None) -> list[Difference]:
    """Every difference between the stored read models and a rebuild from the events, for
    `sample` persons chosen at random (None: all)."""
    if sample is not None and sample < 1:
        raise ValueError(f"sample: {sample} is not a number of persons (1 or more)")
    ledger = Ledger(settings)
    stored = ViewDatabase(settings.database_url, pool_size=2)
    try:
        with tempfile.TemporaryDirectory(prefix="lifeledger-check-") as scratch:
            rebuilt = ViewDatabase(f"sqlite:///{Path(scratch) / 'rebuilt.db'}")
            try:
                tables = rebuild(ledger, stored, rebuilt, everything=sample is None)
                if sample is None:
                    found = compare_all(stored, rebuilt, tables)
                else:
                    found = compare_sample(stored, rebuilt, tables, sample)
                return without_pending_documents(stored, found)
            finally:
                rebuilt.close()
    finally:
        stored.close()
        ledger.close()


def rebuild(
    ledger: Ledger, stored: ViewDatabase, scratch: ViewDatabase, everything: bool
) -> list[str]:
    """The read models rebuilt into `scratch`, each up to the position its stored one has
    reached (one that never ran: not at all); returns the tables to compare. Not
    `everything` (for a sample): the registry only, and no person documents (the sample's
    are built by `compare_sample`)."""
    reached = {r["name"]: int(r["position"]) for r in stored.rows(_TRACKED)}
    chosen = [RegistryProjection(), *([StatisticsProjection()] if everything else [])]
    tables = []
    for projection in chosen:
        if projection.name not in reached:
            continue
        runner = BoundedRunner(ledger, scratch, [projection], reached[projection.name])
        try:
            runner.catch_up()
            while everything and runner.idle_work():  # the documents, as a follower makes them
                pass
        finally:
            runner.close()
        tables += [t for t in projection.tables if t not in IGNORED_TABLES]
    return tables


_TRACKED = "SELECT name, position FROM ll_tracking"


def without_pending_documents(stored: ViewDatabase, found: list[Difference]) -> list[Difference]:
    """`found`, less the stored person documents due for a refresh by the follower's idle
    work (a read does not serve them: it assembles the document then)."""
    state = stored.row(
        f"SELECT {documents.REGISTRY_POSITION} AS position, {documents.BUILT_POSITION} AS built"
    )
    behind = state is None or state["position"] != state["built"]
    pending = {r["pin"] for r in stored.rows("SELECT DISTINCT pin FROM ll_doc_touched")}
    return [
        d for d in found if d.table != "ll_person_doc" or not (behind or d.key["pin"] in pending)
    ]


class BoundedRunner(Runner):
    """A runner that stops at `last`: where the stored read model it is compared with is."""

    def __init__(
        self, ledger: Ledger, db: ViewDatabase, projections: Sequence[Projection], last: int
    ) -> None:
        self.last = last
        super().__init__(ledger, db, projections)

    def _read(self, start: int) -> Batch:
        if start > self.last:
            return Batch(start - 1, 0)
        topics = sorted({t for p in self.projections for t in p.topics})
        page = read_log(self.ledger.recorder, start, self.batch_size, topics)
        to_domain_event = self.ledger.mapper.to_domain_event
        events = [Envelope(n.id, to_domain_event(n), n.topic) for n in page.wanted]
        events = [e for e in events if e.position <= self.last]
        envelopes = {p.name: [e for e in events if p.wants(e.topic)] for p in self.projections}
        prepared = {p.name: p.prepare(envelopes[p.name]) for p in self.projections}
        return Batch(min(page.last, self.last), page.count, envelopes, prepared)


def compare_all(stored: ViewDatabase, rebuilt: ViewDatabase, tables: list[str]) -> list[Difference]:
    """Every row of every table."""
    found: list[Difference] = []
    for table in tables:
        found += _compare_all(stored, rebuilt, table, _key_of(rebuilt, table))
    return found


def compare_sample(
    stored: ViewDatabase, rebuilt: ViewDatabase, tables: list[str], sample: int
) -> list[Difference]:
    """The rows about `sample` persons chosen at random among those the events make."""
    # SQLite's random(): the scratch database picks the sample without handing every PIN over.
    query = "SELECT pin FROM ll_person ORDER BY random() LIMIT %s"
    chosen = sorted(r["pin"] for r in rebuilt.rows(query, (sample,)))
    _build_documents(rebuilt, chosen)
    acts = sorted(_acts_of(stored, chosen) | _acts_of(rebuilt, chosen))
    found: list[Difference] = []
    for table in tables:
        if table in BY_PERSON or table in BY_ACT:
            rows = _about(table, chosen, acts)
            found += _differ(table, _key_of(rebuilt, table), rows(stored), rows(rebuilt))
    return found


def _build_documents(db: ViewDatabase, pins: list[str]) -> None:
    """The stored documents of `pins`, as the registry's idle work makes them."""
    with db.transaction(lock=True) as tx:
        built = person_view.build(set(pins), person_view.load(tx, set(pins)))
        for pin, document in sorted(built.items()):
            row = (pin, dumps(document))
            tx.defer_insert("ll_person_doc", documents.DOC_COLUMNS, row, documents.NEW_DOC)


def _key_of(db: ViewDatabase, table: str) -> list[str]:
    """The table's primary key columns (read from the scratch SQLite database)."""
    columns = db.rows(f"SELECT name, pk FROM pragma_table_info('{table}') WHERE pk > 0")
    return [c["name"] for c in sorted(columns, key=lambda c: c["pk"])]


def _acts_of(db: ViewDatabase, pins: list[str]) -> set[str]:
    with db.transaction() as tx:
        where, params = tx.any_of("pin", pins)
        return {
            r["act_id"] for r in tx.rows(f"SELECT act_id FROM ll_act_person WHERE {where}", params)
        }


Rows = list[dict[str, Any]]


def _about(table: str, pins: list[str], acts: list[str]) -> Callable[[ViewDatabase], Rows]:
    """A reader of the table's rows naming one of `pins` or of `acts`."""

    def read(db: ViewDatabase) -> Rows:
        with db.transaction() as tx:
            conditions: list[str] = []
            params: list[Any] = []
            for columns, values in (
                (BY_PERSON.get(table, ()), pins),
                (BY_ACT.get(table, ()), acts),
            ):
                for column in columns:
                    condition, more = tx.any_of(column, values)
                    conditions.append(condition)
                    params += more
            return tx.rows(f"SELECT * FROM {table} WHERE {' OR '.join(conditions)}", params)

    return read


def _compare_all(
    stored: ViewDatabase, rebuilt: ViewDatabase, table: str, key: list[str]
) -> list[Difference]:
    """The whole table, a chunk of the rebuilt rows at a time with the stored rows of the
    same key range (the last chunk: all the stored rows after it)."""
    found: list[Difference] = []
    after: list[Any] | None = None
    while True:
        chunk = _chunk(rebuilt, table, key, after, None, CHUNK)
        last = [chunk[-1][k] for k in key] if len(chunk) == CHUNK else None
        found += _differ(table, key, _chunk(stored, table, key, after, last, None), chunk)
        if last is None:
            return found
        after = last


def _chunk(
    db: ViewDatabase,
    table: str,
    key: list[str],
    after: list[Any] | None,
    upto: list[Any] | None,
    limit: int | None,
) -> Rows:
    """The rows whose key is after `after` and up to `upto` (None: unbounded), in key order."""
    columns = f"({', '.join(key)})"
    marks = f"({', '.join(['%s'] * len(key))})"
    conditions: list[str] = ["1 = 1"]
    params: list[Any] = []
    if after is not None:
        conditions.append(f"{columns} > {marks}")
        params += after
    if upto is not None:
        conditions.append(f"{columns} <= {marks}")
        params += upto
    statement = f"SELECT * FROM {table} WHERE {' AND '.join(conditions)} ORDER BY {', '.join(key)}"
    if limit is not None:
        statement += f" LIMIT {int(limit)}"
    with db.transaction() as tx:
        return _plain(tx, statement, params)


def _plain(tx: Tx, statement: str, params: list[Any]) -> Rows:
    return [dict(row) for row in tx.rows(statement, params)]


def _differ(table: str, key: list[str], stored: Rows, rebuilt: Rows) -> list[Difference]:
    """The differences between the same table's stored and rebuilt rows, by key."""
    ignored = IGNORED_COLUMNS.get(table, frozenset())
    by_key = {tuple(r[k] for k in key): r for r in stored}
    found: list[Difference] = []
    for row in rebuilt:
        at = tuple(row[k] for k in key)
        named = dict(zip(key, at, strict=True))
        mine = by_key.pop(at, None)
        if mine is None:
            found.append(Difference(table, named, None, None, row))
            continue
        for column, value in row.items():
            if column not in ignored and mine.get(column) != value:
                found.append(Difference(table, named, column, mine.get(column), value))
    for at, row in by_key.items():
        found.append(Difference(table, dict(zip(key, at, strict=True)), None, row, None))
    return found
