"""The registry read model: acts with their registration index, the persons each act concerns,
corrections, the family graph's edges, guardianships, staged entries, and each person's
current identity (`ll_person`, refreshed after each batch; see `identity`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lifeledger.database import Queue, Tx, ViewDatabase, Writes
from lifeledger.domain.act_layout import FACT_FIELDS
from lifeledger.domain.acts import Reference, get_path
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.entry import StagedEntry
from lifeledger.domain.registration import Registration, set_path
from lifeledger.jsoncodec import dumps, loads
from lifeledger.projections import documents, identity
from lifeledger.projections.family_edges import (
    move_edge_dates,
    parse_int,
    revoke_edges,
    write_edges,
)
from lifeledger.projections.runner import Envelope, Projection

DDL = (
    """CREATE TABLE IF NOT EXISTS ll_act (
        act_id TEXT PRIMARY KEY, kind TEXT NOT NULL, authority TEXT NOT NULL,
        book TEXT NOT NULL, number TEXT NOT NULL, page BIGINT, province TEXT,
        registered_on TEXT NOT NULL, fact_date TEXT NOT NULL, fact_sort TEXT NOT NULL,
        source TEXT NOT NULL, content TEXT NOT NULL, original TEXT,
        pins TEXT NOT NULL, revoked BIGINT NOT NULL DEFAULT 0, revoked_on TEXT,
        revocation TEXT, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
        position BIGINT NOT NULL,
        UNIQUE (authority, book, number))""",
    """CREATE TABLE IF NOT EXISTS ll_act_person (
        pin TEXT NOT NULL, act_id TEXT NOT NULL, role TEXT NOT NULL,
        PRIMARY KEY (pin, act_id, role))""",
    "CREATE INDEX IF NOT EXISTS ll_act_person_act ON ll_act_person (act_id)",
    """CREATE TABLE IF NOT EXISTS ll_correction (
        correction_id TEXT NOT NULL, target_id TEXT NOT NULL, seq BIGINT NOT NULL,
        field TEXT NOT NULL, before TEXT, after TEXT, position BIGINT NOT NULL,
        PRIMARY KEY (correction_id, seq))""",
    "CREATE INDEX IF NOT EXISTS ll_correction_target ON ll_correction (target_id)",
    """CREATE TABLE IF NOT EXISTS ll_parent (
        act_id TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, child_pin TEXT NOT NULL,
        parent_pin TEXT, parent_name TEXT, parent_birth_year BIGINT,
        registered_on TEXT NOT NULL, revoked BIGINT NOT NULL DEFAULT 0, revoked_on TEXT,
        PRIMARY KEY (act_id, role))""",
    "CREATE INDEX IF NOT EXISTS ll_parent_child ON ll_parent (child_pin)",
    "CREATE INDEX IF NOT EXISTS ll_parent_parent ON ll_parent (parent_pin)",
    """CREATE TABLE IF NOT EXISTS ll_couple (
        act_id TEXT PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL, since TEXT NOT NULL,
        authority TEXT NOT NULL, book TEXT NOT NULL, number TEXT NOT NULL,
        registered_on TEXT NOT NULL, divorce_act TEXT, divorced_on TEXT,
        divorce_registered_on TEXT, annulment BIGINT NOT NULL DEFAULT 0,
        revoked BIGINT NOT NULL DEFAULT 0, revoked_on TEXT)""",
    "CREATE INDEX IF NOT EXISTS ll_couple_a ON ll_couple (a)",
    "CREATE INDEX IF NOT EXISTS ll_couple_b ON ll_couple (b)",
    """CREATE TABLE IF NOT EXISTS ll_guardianship (
        act_id TEXT PRIMARY KEY, ward TEXT NOT NULL, guardian TEXT NOT NULL, kind TEXT,
        opened_on TEXT NOT NULL, registered_on TEXT NOT NULL, ended_act TEXT, ended_on TEXT,
        ended_registered_on TEXT, revoked BIGINT NOT NULL DEFAULT 0, revoked_on TEXT)""",
    "CREATE INDEX IF NOT EXISTS ll_guardianship_ward ON ll_guardianship (ward)",
    "CREATE INDEX IF NOT EXISTS ll_guardianship_guardian ON ll_guardianship (guardian)",
    """CREATE TABLE IF NOT EXISTS ll_entry (
        entry_id TEXT PRIMARY KEY, status TEXT NOT NULL, authority TEXT NOT NULL,
        book TEXT NOT NULL, number TEXT NOT NULL, kind TEXT, province TEXT,
        content TEXT NOT NULL, entered_by TEXT NOT NULL, batch TEXT, decided_by TEXT,
        act_id TEXT, reason TEXT, staged_at TEXT NOT NULL, position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ll_entry_status ON ll_entry (status, position)",
    "CREATE INDEX IF NOT EXISTS ll_entry_book ON ll_entry (authority, book)",
    "CREATE INDEX IF NOT EXISTS ll_entry_batch ON ll_entry (batch, status)",
    """CREATE TABLE IF NOT EXISTS ll_person (
        pin TEXT PRIMARY KEY, full_name TEXT, name_folded TEXT, family_name TEXT,
        given_name TEXT, sex TEXT, birth_date TEXT, birth_year BIGINT, province TEXT,
        status TEXT, death_date TEXT, sources TEXT NOT NULL, guard TEXT NOT NULL,
        position BIGINT NOT NULL)""",
    # Search (see `search`): by birth date, and by each word of each folded name, so that a
    # word prefix is one index range.
    "CREATE INDEX IF NOT EXISTS ll_person_birth ON ll_person (birth_date)",
    "CREATE INDEX IF NOT EXISTS ll_person_name ON ll_person (name_folded)",
    """CREATE TABLE IF NOT EXISTS ll_name_word (
        word TEXT NOT NULL, pin TEXT NOT NULL, PRIMARY KEY (word, pin))""",
    *documents.DDL,
)
TABLES = (
    "ll_act",
    "ll_act_person",
    "ll_correction",
    "ll_parent",
    "ll_couple",
    "ll_guardianship",
    "ll_entry",
    "ll_person",
    "ll_name_word",
    *documents.TABLES,
)


ENTRY_EVENTS = (
    StagedEntry.Staged,
    StagedEntry.Approved,
    StagedEntry.Conflicted,
    StagedEntry.Rejected,
)
ENTRY_STATUS = {
    StagedEntry.Approved: "approved",
    StagedEntry.Conflicted: "conflict",
    StagedEntry.Rejected: "rejected",
}


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
    )

    def __init__(self) -> None:
        self.known = identity.Known()

    def begin(self, position: int) -> None:
        self.known.begin(position)

    def end(self, position: int | None) -> None:
        self.known.end(position)

    def prepare(self, envelopes: Sequence[Envelope]) -> Prepared:
        """What the batch's new acts and staged entries write and say about their persons:
        these need nothing from the database (corrections and revocations do)."""
        prepared = Prepared()
        for envelope in envelopes:
            event, writes = envelope.event, Writes()
            if isinstance(event, Registration.Registered):
                described = identity.persons_of(event.kind, event.content)
                prepared.facts[envelope.position] = identity.facts_of_event(envelope, described)
                _registered(writes, envelope, identity.roles(event, described))
            elif isinstance(event, ENTRY_EVENTS):
                _entry(writes, envelope)
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
        changes = identity.Changes(known=self.known)
        for envelope in envelopes:
            changes.add(prepared.facts.get(envelope.position, {}))
        changes.read_stored(tx, sorted(changes.added))
        amended = _amended_acts(tx, envelopes)
        act_updates: list[Update] = []
        for envelope in envelopes:
            event, position = envelope.event, envelope.position
            if position in prepared.writes:
                tx.replay(prepared.writes[position])
            elif isinstance(event, Registration.Corrected):
                changes.reread.update(_corrected(tx, envelope, amended, act_updates))
            elif isinstance(event, Registration.Revoked):
                changes.reread.update(_revoked(tx, envelope, amended, act_updates))
        # After all the batch's new acts (so they go in as one INSERT): an update only ever
        # touches an act registered before it.
        for statement, params in act_updates:
            tx.defer("ll_act", statement, params)
        if envelopes:
            identity.refresh(tx, changes, envelopes[-1].position)
            touched = set(changes.added) | changes.reread
            for envelope in envelopes:
                if isinstance(envelope.event, Registration.Registered):
                    touched.update(envelope.event.pins)
            documents.touch(tx, touched, envelopes[-1].position)

    def when_idle(self, db: ViewDatabase) -> int:
        """Bring the stored person documents up to date (see `documents`)."""
        return documents.refresh(db)


@dataclass
class Prepared:
    """A batch's new acts and entries, prepared (see `RegistryProjection.prepare`): by
    position, the facts each act adds about its persons and the writes of each."""

    facts: dict[int, dict[str, identity.Fact]] = field(default_factory=dict)
    writes: dict[int, Writes] = field(default_factory=dict)


# Acts

Update = tuple[str, Sequence[Any]]
"""An UPDATE of ll_act and its parameters."""


def _registered(tx: Queue, envelope: Envelope, roles: list[tuple[str, str]]) -> None:
    event: Registration.Registered = envelope.event
    act_id, content, ref = envelope.originator, event.content, event.reference
    tx.defer(
        "ll_act",
        "INSERT INTO ll_act (act_id, kind, authority, book, number, page, province, "
        "registered_on, fact_date, fact_sort, source, content, original, pins, recorded_by, "
        "recorded_at, position) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
        "ON CONFLICT (act_id) DO NOTHING",
        (
            act_id,
            event.kind,
            ref["authority"],
            ref["book"],
            ref["number"],
            parse_int(ref.get("page")),
            ref.get("province"),
            ref["registered_on"],
            event.occurred_on,
            identity.fact_sort(event.occurred_on),
            dumps(event.source),
            dumps(content),
            None,
            dumps(event.pins),
            dumps(event.recorded_by),
            event.timestamp.isoformat(),
            envelope.position,
        ),
    )
    for pin, role in roles:
        tx.defer(
            "ll_act_person",
            "INSERT INTO ll_act_person (pin, act_id, role) VALUES (%s,%s,%s) "
            "ON CONFLICT DO NOTHING",
            (pin, act_id, role),
        )
    write_edges(tx, event, act_id, ref["registered_on"])


def _amended_acts(tx: Tx, envelopes: Sequence[Envelope]) -> dict[str, dict[str, Any]]:
    """The acts the batch corrects or revokes, as they stand before it (kind, content, pins):
    copied from the batch's own event for an act it registers, the others read in one query.
    The corrections then change these copies, so a batch needs no read per correction."""
    amending = (Registration.Corrected, Registration.Revoked)
    targets = {e.originator for e in envelopes if isinstance(e.event, amending)}
    found: dict[str, dict[str, Any]] = {}
    for envelope in envelopes:
        event, act_id = envelope.event, envelope.originator
        if isinstance(event, Registration.Registered) and act_id in targets:
            found[act_id] = copy.deepcopy(
                {"kind": event.kind, "content": event.content, "pins": event.pins}
            )
    missing = sorted(targets - found.keys())
    if missing:
        where, params = tx.any_of("act_id", missing)
        query = f"SELECT act_id, kind, content, pins FROM ll_act WHERE {where}"
        for row in tx.rows(query, params):
            found[row["act_id"]] = {
                "kind": row["kind"],
                "content": loads(row["content"]),
                "pins": loads(row["pins"]),
            }
    return found


def _corrected(
    tx: Tx, envelope: Envelope, amended: dict[str, dict[str, Any]], act_updates: list[Update]
) -> list[str]:
    event: Registration.Corrected = envelope.event
    target, position = envelope.originator, envelope.position
    row = amended.get(target)
    if row is None:
        return []
    content = row["content"]
    updates: dict[str, Any] = {}
    for seq, change in enumerate(event.changes):
        set_path(content, change["field"], change["after"])
        if FACT_FIELDS.get(row["kind"], {}).get(change["field"]) == "on":
            fact = PartialDate.parse(str(change["after"]))
            updates = {"fact_date": str(fact), "fact_sort": fact.earliest.isoformat()}
        tx.defer(
            "ll_correction",
            "INSERT INTO ll_correction (correction_id, target_id, seq, field, before, after, "
            "position) VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            (
                event.correction,
                target,
                seq,
                change["field"],
                dumps(change.get("before")),
                dumps(change["after"]),
                position,
            ),
        )
    # The first correction keeps the content as registered in `original`.
    assignments = ", ".join(f"{column} = %s" for column in ["content", *updates])
    assignments += ", original = COALESCE(original, content)"
    act_updates.append(
        (
            f"UPDATE ll_act SET {assignments} WHERE act_id = %s",
            (dumps(content), *updates.values(), target),
        )
    )
    move_edge_dates(tx, row["kind"], target, updates.get("fact_date"))
    pins: list[str] = row["pins"]
    return pins


def _revoked(
    tx: Tx, envelope: Envelope, amended: dict[str, dict[str, Any]], act_updates: list[Update]
) -> list[str]:
    event: Registration.Revoked = envelope.event
    act_id = envelope.originator
    revocation = {
        "decision": event.decision,
        "decided_on": event.decided_on,
        "authority": event.authority,
        "reason": event.reason,
        "recorded_by": event.recorded_by,
    }
    act_updates.append(
        (
            "UPDATE ll_act SET revoked = 1, revoked_on = %s, revocation = %s WHERE act_id = %s",
            (event.decided_on, dumps(revocation), act_id),
        )
    )
    revoke_edges(tx, act_id, event.decided_on)
    pins: list[str] = amended[act_id]["pins"] if act_id in amended else []
    return pins


# Staged entries (the approval and conflict queues)


def _entry(tx: Queue, envelope: Envelope) -> None:
    event, entry_id, position = envelope.event, envelope.originator, envelope.position
    if isinstance(event, StagedEntry.Staged):
        ref = Reference.at(event.content, "register")
        tx.defer(
            "ll_entry",
            "INSERT INTO ll_entry (entry_id, status, authority, book, number, kind, province,"
            " content, entered_by, batch, staged_at, position) "
            "VALUES (%s,'pending',%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            (
                entry_id,
                ref.authority,
                ref.book,
                ref.number,
                event.content.get("kind"),
                get_path(event.content, "register.province"),
                dumps(event.content),
                event.entered_by,
                event.batch,
                event.timestamp.isoformat(),
                position,
            ),
        )
        return
    status = ENTRY_STATUS.get(type(event))
    if status is None:
        return
    reason = getattr(event, "reason", None)
    code = getattr(event, "code", "rejected-by-approver")
    tx.defer(
        "ll_entry",
        "UPDATE ll_entry SET status = %s, decided_by = %s, act_id = %s, reason = %s, "
        "position = %s WHERE entry_id = %s",
        (
            status,
            event.by,
            getattr(event, "act", None),
            dumps({"code": code, "detail": reason}) if reason else None,
            position,
            entry_id,
        ),
    )
