"""The registry read model: a dispatcher of each batch's events to the writers of its tables,
each of which owns its tables' DDL: acts (`act_rows`), the family graph's edges
(`family_edges`), staged entries (`staged_entries`), each person's current identity
(`person_rows`, refreshed after each batch) with the search's word index (`name_index`), and
the stored person documents (`documents`), and the event feed (`event_feed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lifeledger.database import Tx, ViewDatabase, Writes
from lifeledger.domain.digest import LedgerDigest
from lifeledger.domain.registration import Registration, persons_of
from lifeledger.projections import (
    act_rows,
    documents,
    event_feed,
    family_edges,
    identity,
    name_index,
    person_rows,
    staged_entries,
)
from lifeledger.projections.runner import Envelope, Projection

DDL = (
    *act_rows.DDL,
    *family_edges.DDL,
    *staged_entries.DDL,
    *person_rows.DDL,
    *name_index.DDL,
    *documents.DDL,
    *event_feed.DDL,
)
TABLES = (
    *act_rows.TABLES,
    *family_edges.TABLES,
    *staged_entries.TABLES,
    *person_rows.TABLES,
    *name_index.TABLES,
    *documents.TABLES,
    *event_feed.TABLES,
)


class RegistryProjection(Projection):
    """Acts, persons and the family graph, as officers and auditors look them up."""

    name = "registry"
    tables = TABLES
    ddl = DDL
    version = "2"  # 2: persons none of whose acts in force describes them are deleted
    """Bumped when the rows or the stored person documents change shape without the DDL."""
    topics = (
        "lifeledger.domain.registration:Registration.",
        "lifeledger.domain.entry:StagedEntry.",
        "lifeledger.domain.digest:LedgerDigest.",
    )

    def __init__(self) -> None:
        self.row_cache = person_rows.PersonRowCache()

    def begin(self, position: int) -> None:
        self.row_cache.begin(position)

    def end(self, position: int | None) -> None:
        self.row_cache.end(position)

    def prepare(self, envelopes: Sequence[Envelope]) -> Prepared:
        """What the batch's new acts and staged entries write and say about their persons:
        these need nothing from the database (corrections and revocations do)."""
        prepared = Prepared()
        for envelope in envelopes:
            event, writes = envelope.event, Writes()
            if isinstance(event, Registration.Registered):
                described = persons_of(event.kind, event.content)
                prepared.facts[envelope.position] = identity.facts_of_event(envelope, described)
                act_rows.write_registered(writes, envelope, identity.roles(event))
                event_feed.write_new(writes, envelope, described)
            elif isinstance(event, staged_entries.ENTRY_EVENTS):
                staged_entries.write_entry(writes, envelope)
                event_feed.write_new(writes, envelope)
            elif isinstance(event, LedgerDigest.Published):  # a digest: the feed's row only
                event_feed.write_new(writes, envelope)
            else:
                continue
            prepared.writes[envelope.position] = writes
        return prepared

    def apply_batch(
        self, tx: Tx, envelopes: Sequence[Envelope], prepared: Prepared | None = None
    ) -> None:
        """Write the batch's rows, then refresh the persons it touched (their stored rows are
        read first, before any write is queued)."""
        if prepared is None:  # e.g. a batch applied without the runner
            prepared = self.prepare(envelopes)
        changes = person_rows.Changes(cache=self.row_cache)
        for envelope in envelopes:
            changes.add(prepared.facts.get(envelope.position, {}))
        changes.read_stored(tx, sorted(changes.added))
        amended = act_rows.amended_acts(tx, envelopes)
        staged = event_feed.staged_contents(tx, envelopes)
        act_updates: list[act_rows.Update] = []
        for envelope in envelopes:
            event, position = envelope.event, envelope.position
            if position in prepared.writes:
                tx.replay(prepared.writes[position])
            # Corrections, revocations, entry decisions; before a correction changes `amended`.
            event_feed.write_change(tx, envelope, amended, staged)
            if isinstance(event, Registration.Corrected):
                pins = act_rows.write_correction(tx, envelope, amended, act_updates)
                changes.reread.update(pins)
            elif isinstance(event, Registration.Revoked):
                pins = act_rows.write_revocation(tx, envelope, amended, act_updates)
                changes.reread.update(pins)
        # After all the batch's new acts (so they go in as one INSERT): an update only ever
        # touches an act registered before it.
        for statement, params in act_updates:
            tx.defer("ll_act", statement, params)
        if envelopes:
            person_rows.refresh(tx, changes, envelopes[-1].position)
            touched = set(changes.added) | changes.reread
            for envelope in envelopes:
                if isinstance(envelope.event, Registration.Registered):
                    touched.update(envelope.event.pins)
            documents.touch(tx, touched, envelopes[-1].position)
            event_feed.announce(tx)

    def when_idle(self, db: ViewDatabase) -> int:
        """Bring the stored person documents up to date (see `documents`)."""
        return documents.refresh(db)


@dataclass
class Prepared:
    """A batch's new acts and entries, prepared (see `RegistryProjection.prepare`): by
    position, the facts each act adds about its persons and the writes of each."""

    facts: dict[int, dict[str, identity.Fact]] = field(default_factory=dict)
    writes: dict[int, Writes] = field(default_factory=dict)
