"""The event feed's read model, written by the registry projection in its batches:
`ll_event` (each act- and entry-level event, in ledger order, with what its envelope needs)
and `ll_event_province` (the provinces each concerns, so a subscriber's provinces and the
`type` filter are applied by the database).

A row is written in the same transaction as the registry's tracking position, so every row
at or before that position is final: the feed never serves beyond it (see docs/events.md).

A registered act's row keeps neither its content nor its time: the act's own row in
`ll_act`, written in the same batch, has both (`content` as registered, kept in `original`
once a correction changes `content`; `recorded_at`, the event's timestamp), and `page` joins
them back by the act's id (`content_of`), splicing the content's JSON into the row's. The
content was two thirds of a feed row's bytes, encoded and written twice in every catch-up:
storing it once took about 30 % off the feed's CPU in a catch-up, for one primary-key join
and 10 – 18 % more time when read (docs/benchmarks.md: the rows themselves still cost). A
registered act's `subject` is its parties' PINs, as for every other event, so no row keeps
it. The changes of an act and the entries' events keep their whole `data`: they are few.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lifeledger.database import DO_NOTHING, Queue, Tx, ViewDatabase
from lifeledger.domain.digest import LedgerDigest
from lifeledger.domain.entry import StagedEntry
from lifeledger.domain.registration import Described, Registration, persons_of
from lifeledger.feed import envelopes
from lifeledger.feed.envelopes import Amended, Data, FeedEvent
from lifeledger.jsoncodec import dumps, loads
from lifeledger.projections.runner import Envelope

DDL = (
    """CREATE TABLE IF NOT EXISTS ll_event (
        position BIGINT PRIMARY KEY, event_id TEXT NOT NULL, type TEXT NOT NULL,
        time TEXT, provinces TEXT NOT NULL,
        data TEXT NOT NULL, content_of TEXT)""",
    "CREATE INDEX IF NOT EXISTS ll_event_type ON ll_event (type, position)",
    """CREATE TABLE IF NOT EXISTS ll_event_province (
        province TEXT NOT NULL, position BIGINT NOT NULL, type TEXT NOT NULL,
        PRIMARY KEY (province, position))""",
)
TABLES = ("ll_event", "ll_event_province")
PROJECTION = "registry"
"""The projection that writes these tables (its tracking row bounds the feed)."""
EVENT_COLUMNS = (
    "position",
    "event_id",
    "type",
    "time",
    "provinces",
    "data",
    "content_of",
)
SELECTED = (
    f"{', '.join('e.' + column for column in EVENT_COLUMNS)}, "
    "COALESCE(a.original, a.content) AS content, a.recorded_at "
    "FROM ll_event e LEFT JOIN ll_act a ON a.act_id = e.content_of"
)
"""A feed row, with the registered content and the time of the act it names in `content_of`."""
PROVINCE_COLUMNS = ("province", "position", "type")
DECISIONS = (StagedEntry.Approved, StagedEntry.Rejected, StagedEntry.Conflicted)
CHANNEL = "lifeledger_feed"
"""PostgreSQL notification channel: told when a batch of the feed's rows commits (see
`feed.wakeup`)."""


def announce(tx: Tx) -> None:
    """Wake the feed's readers in every process when this transaction commits (PostgreSQL
    sends a notification at commit, never before; SQLite readers poll)."""
    if tx.postgres:
        tx.execute("SELECT pg_notify(%s, '')", (CHANNEL,))


def write(tx: Queue, event: FeedEvent) -> None:
    """An event whose `data` is stored whole (a change of an act, an entry)."""
    row = (
        event.position,
        event.event_id,
        event.type,
        event.time,
        dumps(list(event.provinces)),
        dumps(event.data),
        None,
    )
    _insert(tx, row, event.type, event.provinces)


def _insert(tx: Queue, row: tuple[Any, ...], type_: str, provinces: tuple[str, ...]) -> None:
    tx.defer_insert("ll_event", EVENT_COLUMNS, row, DO_NOTHING)
    for province in provinces:
        where = (province, row[0], type_)
        tx.defer_insert("ll_event_province", PROVINCE_COLUMNS, where, DO_NOTHING)


def write_registered(tx: Queue, envelope: Envelope, described: Described) -> None:
    """A new act (`described`: the persons its content describes, `persons_of`), as
    `envelopes.registered` makes it, but for its `content`: the act's row in `ll_act` keeps
    it as registered (`original` once corrected) and its time (`recorded_at`, the event's
    timestamp), and `page` reads them from there."""
    event: Registration.Registered = envelope.event
    people = envelopes.with_sexes(event.parties, described)
    provinces = envelopes.provinces_of(event.reference, envelopes.subject_of(people))
    type_ = envelopes.PREFIX + envelopes.ACT_TYPES[event.kind]
    rest = {
        "kind": event.kind,
        "occurred_on": event.occurred_on,
        "parties": people,
        "reference": event.reference,
    }
    row = (
        envelope.position,
        envelopes.event_id(envelope),
        type_,
        None,
        dumps(list(provinces)),
        dumps(rest),
        envelope.originator,
    )
    _insert(tx, row, type_, provinces)


def write_new(tx: Queue, envelope: Envelope, described: Described | None = None) -> None:
    """A new act (`described`: as `write_registered`; None: found here) or a newly staged
    entry: needs nothing from the database."""
    event = envelope.event
    if isinstance(event, Registration.Registered):
        if described is None:
            described = persons_of(event.kind, event.content)
        write_registered(tx, envelope, described)
    elif isinstance(event, StagedEntry.Staged):
        write(tx, envelopes.entry(envelope, event.content))
    elif isinstance(event, LedgerDigest.Published):
        write(tx, envelopes.digest(envelope))


def staged_contents(tx: Tx, batch: Sequence[Envelope]) -> dict[str, Data]:
    """The contents of the staged entries the batch's decisions name, from the batch's own
    events or else `ll_entry` (written by an earlier batch: an entry is staged before it is
    decided)."""
    wanted = {e.originator for e in batch if isinstance(e.event, DECISIONS)}
    if not wanted:
        return {}
    found: dict[str, Data] = {
        e.originator: e.event.content
        for e in batch
        if isinstance(e.event, StagedEntry.Staged) and e.originator in wanted
    }
    missing = sorted(wanted - found.keys())
    if missing:
        where, params = tx.any_of("entry_id", missing)
        for row in tx.rows(f"SELECT entry_id, content FROM ll_entry WHERE {where}", params):
            found[row["entry_id"]] = loads(row["content"])
    return found


def write_change(
    tx: Queue, envelope: Envelope, amended: dict[str, Amended], staged: dict[str, Data]
) -> None:
    """A correction or revocation of an act (as it stood before it: `amended`), or an entry's
    decision (`staged`: the entries' contents, see `staged_contents`)."""
    event = envelope.event
    act: Amended | None = amended.get(envelope.originator)
    if isinstance(event, Registration.Corrected) and act is not None:
        write(tx, envelopes.corrected(envelope, act))
    elif isinstance(event, Registration.Revoked) and act is not None:
        write(tx, envelopes.revoked(envelope, act))
    elif isinstance(event, DECISIONS) and envelope.originator in staged:
        write(tx, envelopes.entry(envelope, staged[envelope.originator]))


@dataclass(frozen=True)
class Page:
    """Events after a position, in ledger order; `next_after` is where the next page starts,
    `position` the registry's tracked position (the feed never reaches beyond it)."""

    events: list[FeedEvent]
    next_after: int
    position: int

    @functools.cached_property
    def by_province(self) -> dict[str, list[FeedEvent]]:
        """The page's events concerning each province, in ledger order (made once per page:
        a page the live stream's readers share is picked from by each of them)."""
        found: dict[str, list[FeedEvent]] = {}
        for event in self.events:
            for province in event.provinces:
                found.setdefault(province, []).append(event)
        return found


def tracked_position(db: ViewDatabase) -> int:
    row = db.row("SELECT position FROM ll_tracking WHERE name = %s", (PROJECTION,))
    return int(row["position"]) if row is not None else 0


def page(
    db: ViewDatabase,
    after: int,
    limit: int,
    types: Sequence[str] = (),
    provinces: Sequence[str] = (),
) -> Page:
    """Up to `limit` events after `after` and at or before the tracked position, of `types`
    (empty: all), concerning `provinces` (empty: all).

    The tracked position is read first: the rows at or before it were committed with it or
    before it, and no row at or before it can commit later, so the page holds every matching
    event up to its last and skips none. A page shorter than `limit` ends at the tracked
    position: the next starts after it."""
    position = tracked_position(db)
    if provinces:
        chosen = ", ".join(["%s"] * len(provinces))
        query = (
            f"SELECT {SELECTED} WHERE e.position IN ("
            f"SELECT DISTINCT position FROM ll_event_province WHERE province IN ({chosen}) "
            f"AND {_within('', types)} ORDER BY position LIMIT %s) ORDER BY e.position"
        )
    else:
        query = f"SELECT {SELECTED} WHERE {_within('e.', types)} ORDER BY e.position LIMIT %s"
    params = [*provinces, after, position, *types, limit]
    events = [_from_row(row) for row in db.rows(query, params)]
    full = len(events) == limit
    next_after = events[-1].position if full else max(after, position)
    return Page(events, next_after, position)


def _within(table: str, types: Sequence[str]) -> str:
    """The condition on `table`'s (`e.` or none) position and type: after, at or before, of."""
    where = f"{table}position > %s AND {table}position <= %s"
    if types:
        where += f" AND {table}type IN ({', '.join(['%s'] * len(types))})"
    return where


def _from_row(row: dict[str, Any]) -> FeedEvent:
    data, time, content = loads(row["data"]), row["time"], None
    if row["content_of"] is not None:  # a registered act: `data` as `envelopes.registered`
        # made it, its content kept apart, unread until a reader must see less of it.
        data, time, content = {"act": row["content_of"], **data}, row["recorded_at"], row["content"]
    return FeedEvent(
        position=int(row["position"]),
        event_id=row["event_id"],
        type=row["type"],
        time=time,
        subject=envelopes.subject_of(data.get("parties", ())),  # a digest has none
        provinces=provinces_of_row(row["provinces"]),
        data=data,
        content=content,
    )


@functools.lru_cache(maxsize=4096)
def provinces_of_row(text: str) -> tuple[str, ...]:
    """A row's `provinces` (a JSON list of codes): few distinct values, each read once."""
    return tuple(loads(text))
