"""The registry read model: acts with their registration index, the persons each act concerns,
corrections, the family graph's edges, guardianships, staged entries, and one current
document per person (refreshed, with the documents that mention them, after each batch).
"""

from __future__ import annotations

import json
from typing import Any

from lifeledger.commands import FACT_FIELDS, PERSON_PATHS
from lifeledger.domain.acts import Reference, get_path
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.entry import StagedEntry
from lifeledger.domain.registration import Registration, set_path
from lifeledger.projections import person_view
from lifeledger.projections.database import Tx
from lifeledger.projections.runner import Envelope, Projection

DDL = (
    """CREATE TABLE IF NOT EXISTS ll_act (
        act_id TEXT PRIMARY KEY, kind TEXT NOT NULL, authority TEXT NOT NULL,
        book TEXT NOT NULL, number TEXT NOT NULL, page INTEGER, province TEXT,
        registered_on TEXT NOT NULL, fact_date TEXT NOT NULL, fact_sort TEXT NOT NULL,
        source TEXT NOT NULL, content TEXT NOT NULL, original TEXT NOT NULL,
        pins TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, revoked_on TEXT,
        revocation TEXT, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
        position BIGINT NOT NULL,
        UNIQUE (authority, book, number))""",
    "CREATE INDEX IF NOT EXISTS ll_act_book ON ll_act (authority, book)",
    """CREATE TABLE IF NOT EXISTS ll_act_person (
        pin TEXT NOT NULL, act_id TEXT NOT NULL, role TEXT NOT NULL,
        PRIMARY KEY (pin, act_id, role))""",
    "CREATE INDEX IF NOT EXISTS ll_act_person_act ON ll_act_person (act_id)",
    """CREATE TABLE IF NOT EXISTS ll_correction (
        correction_id TEXT NOT NULL, target_id TEXT NOT NULL, seq INTEGER NOT NULL,
        field TEXT NOT NULL, before TEXT, after TEXT, position BIGINT NOT NULL,
        PRIMARY KEY (correction_id, seq))""",
    "CREATE INDEX IF NOT EXISTS ll_correction_target ON ll_correction (target_id)",
    """CREATE TABLE IF NOT EXISTS ll_parent (
        act_id TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, child_pin TEXT NOT NULL,
        parent_pin TEXT, parent_name TEXT, parent_birth_year INTEGER,
        registered_on TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, revoked_on TEXT,
        PRIMARY KEY (act_id, role))""",
    "CREATE INDEX IF NOT EXISTS ll_parent_child ON ll_parent (child_pin)",
    "CREATE INDEX IF NOT EXISTS ll_parent_parent ON ll_parent (parent_pin)",
    """CREATE TABLE IF NOT EXISTS ll_couple (
        act_id TEXT PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL, since TEXT NOT NULL,
        registered_on TEXT NOT NULL, divorce_act TEXT, divorced_on TEXT,
        divorce_registered_on TEXT, annulment INTEGER NOT NULL DEFAULT 0,
        revoked INTEGER NOT NULL DEFAULT 0, revoked_on TEXT)""",
    "CREATE INDEX IF NOT EXISTS ll_couple_a ON ll_couple (a)",
    "CREATE INDEX IF NOT EXISTS ll_couple_b ON ll_couple (b)",
    """CREATE TABLE IF NOT EXISTS ll_guardianship (
        act_id TEXT PRIMARY KEY, ward TEXT NOT NULL, guardian TEXT NOT NULL, kind TEXT,
        opened_on TEXT NOT NULL, registered_on TEXT NOT NULL, ended_act TEXT, ended_on TEXT,
        ended_registered_on TEXT, revoked INTEGER NOT NULL DEFAULT 0, revoked_on TEXT)""",
    "CREATE INDEX IF NOT EXISTS ll_guardianship_ward ON ll_guardianship (ward)",
    "CREATE INDEX IF NOT EXISTS ll_guardianship_guardian ON ll_guardianship (guardian)",
    """CREATE TABLE IF NOT EXISTS ll_entry (
        entry_id TEXT PRIMARY KEY, status TEXT NOT NULL, authority TEXT NOT NULL,
        book TEXT NOT NULL, number TEXT NOT NULL, kind TEXT, province TEXT,
        content TEXT NOT NULL, entered_by TEXT NOT NULL, batch TEXT, decided_by TEXT,
        act_id TEXT, reason TEXT, staged_at TEXT NOT NULL, position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ll_entry_status ON ll_entry (status, position)",
    """CREATE TABLE IF NOT EXISTS ll_person (
        pin TEXT PRIMARY KEY, full_name TEXT, name_folded TEXT, family_name TEXT,
        given_name TEXT, sex TEXT, birth_date TEXT, birth_year INTEGER, province TEXT,
        status TEXT, death_date TEXT, doc TEXT, position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ll_person_name ON ll_person (name_folded)",
    "CREATE INDEX IF NOT EXISTS ll_person_given ON ll_person (given_name, birth_year)",
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
)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


ENTRY_EVENTS = (
    StagedEntry.Staged,
    StagedEntry.Approved,
    StagedEntry.Conflicted,
    StagedEntry.Rejected,
)


class RegistryProjection(Projection):
    """Acts, persons and the family graph, as officers and auditors look them up."""

    name = "registry"
    tables = TABLES
    ddl = DDL

    def __init__(self) -> None:
        self.dirty: set[str] = set()
        self.position = 0

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        event = envelope.event
        self.position = envelope.position
        if isinstance(event, Registration.Registered):
            self._registered(tx, event, envelope.position)
        elif isinstance(event, Registration.Corrected):
            self._corrected(tx, event, envelope.position)
        elif isinstance(event, Registration.Revoked):
            self._revoked(tx, event)
        elif isinstance(event, ENTRY_EVENTS):
            self._entry(tx, event, envelope.position)

    def finish(self, tx: Tx) -> None:
        person_view.refresh(tx, self.dirty, self.position)
        self.dirty = set()

    # Acts

    def _registered(self, tx: Tx, event: Registration.Registered, position: int) -> None:
        act_id, content, ref = str(event.originator_id), event.content, event.reference
        fact = PartialDate.parse(event.occurred_on)
        tx.execute(
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
                _int(ref.get("page")),
                ref.get("province"),
                ref["registered_on"],
                event.occurred_on,
                fact.earliest.isoformat(),
                dumps(event.source),
                dumps(content),
                dumps(content),
                dumps(event.pins),
                dumps(event.recorded_by),
                event.timestamp.isoformat(),
                position,
            ),
        )
        tx.executemany(
            "INSERT INTO ll_act_person (pin, act_id, role) VALUES (%s,%s,%s) "
            "ON CONFLICT DO NOTHING",
            [(pin, act_id, role) for pin, role in _roles(event)],
        )
        self.dirty.update(event.pins)
        handler = _EDGES.get(event.kind)
        if handler is not None:
            handler(tx, event, act_id, ref["registered_on"])

    def _corrected(self, tx: Tx, event: Registration.Corrected, position: int) -> None:
        target = str(event.originator_id)
        row = tx.row("SELECT kind, content, pins FROM ll_act WHERE act_id = %s", (target,))
        if row is None:
            return
        content = json.loads(row["content"])
        updates: dict[str, Any] = {}
        for seq, change in enumerate(event.changes):
            set_path(content, change["field"], change["after"])
            if FACT_FIELDS.get(row["kind"], {}).get(change["field"]) == "on":
                fact = PartialDate.parse(str(change["after"]))
                updates = {"fact_date": str(fact), "fact_sort": fact.earliest.isoformat()}
            tx.execute(
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
        assignments = ", ".join(f"{column} = %s" for column in ["content", *updates])
        tx.execute(
            f"UPDATE ll_act SET {assignments} WHERE act_id = %s",
            (dumps(content), *updates.values(), target),
        )
        _refresh_edge_dates(tx, row["kind"], target, updates.get("fact_date"))
        self.dirty.update(json.loads(row["pins"]))

    def _revoked(self, tx: Tx, event: Registration.Revoked) -> None:
        act_id = str(event.originator_id)
        revocation = {
            "decision": event.decision,
            "decided_on": event.decided_on,
            "authority": event.authority,
            "reason": event.reason,
            "recorded_by": event.recorded_by,
        }
        tx.execute(
            "UPDATE ll_act SET revoked = 1, revocation = %s WHERE act_id = %s",
            (dumps(revocation), act_id),
        )
        for table in ("ll_parent", "ll_couple", "ll_guardianship"):
            tx.execute(f"UPDATE {table} SET revoked = 1 WHERE act_id = %s", (act_id,))
        tx.execute(
            "UPDATE ll_couple SET divorce_act = NULL, divorced_on = NULL, "
            "divorce_registered_on = NULL, annulment = 0 WHERE divorce_act = %s",
            (act_id,),
        )
        tx.execute(
            "UPDATE ll_guardianship SET ended_act = NULL, ended_on = NULL, "
            "ended_registered_on = NULL WHERE ended_act = %s",
            (act_id,),
        )
        row = tx.row("SELECT pins FROM ll_act WHERE act_id = %s", (act_id,))
        if row:
            self.dirty.update(json.loads(row["pins"]))

    # Staged entries (the approval and conflict queues)

    def _entry(self, tx: Tx, event: Any, position: int) -> None:
        entry_id = str(event.originator_id)
        if isinstance(event, StagedEntry.Staged):
            ref = Reference.at(event.content, "register")
            tx.execute(
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
        status = {
            StagedEntry.Approved: "approved",
            StagedEntry.Conflicted: "conflict",
            StagedEntry.Rejected: "rejected",
        }.get(type(event))
        if status is None:
            return
        reason = getattr(event, "reason", None)
        code = getattr(event, "code", "rejected-by-approver")
        tx.execute(
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


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") and str(value).isdigit() else None


def _roles(event: Registration.Registered) -> list[tuple[str, str]]:
    """(PIN, role) for each person the act concerns."""
    found = []
    for path in PERSON_PATHS.get(event.kind, ()):
        pin = get_path(event.content, f"{path}.pin")
        if pin:
            found.append((str(pin), path.split(".")[0].rstrip("s")))
    if event.kind == "divorce":
        found = [(pin, "spouse") for pin in event.pins]
    if event.kind == "correction":
        found = [(pin, "subject") for pin in event.pins]
    return found


def _birth_edges(tx: Tx, event: Registration.Registered, act_id: str, registered: str) -> None:
    child = str(get_path(event.content, "child.pin"))
    for role in ("mother", "father"):
        parent = event.content.get(role)
        if isinstance(parent, dict) and parent.get("full_name"):
            _parent_edge(tx, act_id, role, "birth", child, parent, registered)


def _parentage_edges(tx: Tx, event: Registration.Registered, act_id: str, registered: str) -> None:
    child = str(get_path(event.content, "child.pin"))
    kind = "adoption" if event.kind == "adoption" else "recognition"
    role = str(event.content.get("role"))
    _parent_edge(tx, act_id, role, kind, child, event.content.get("parent") or {}, registered)


def _parent_edge(
    tx: Tx, act_id: str, role: str, kind: str, child: str, parent: dict[str, Any], registered: str
) -> None:
    year = parent.get("birth_year") or str(parent.get("birth_date") or "")[:4] or None
    tx.execute(
        "INSERT INTO ll_parent (act_id, role, kind, child_pin, parent_pin, parent_name, "
        "parent_birth_year, registered_on) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) "
        "ON CONFLICT DO NOTHING",
        (
            act_id,
            role,
            kind,
            child,
            parent.get("pin"),
            parent.get("full_name"),
            _int(year),
            registered,
        ),
    )


def _marriage_edges(tx: Tx, event: Registration.Registered, act_id: str, registered: str) -> None:
    a, b = (str(get_path(event.content, f"spouses.{i}.pin")) for i in (0, 1))
    tx.execute(
        "INSERT INTO ll_couple (act_id, a, b, since, registered_on) VALUES (%s,%s,%s,%s,%s) "
        "ON CONFLICT DO NOTHING",
        (act_id, a, b, event.occurred_on, registered),
    )


def _divorce_edges(tx: Tx, event: Registration.Registered, act_id: str, registered: str) -> None:
    if isinstance(event.content.get("marriage"), dict):
        marriage = str(Reference.at(event.content, "marriage").act_id)
    else:
        a, b = event.pins[0], event.pins[-1]
        row = tx.row(
            "SELECT act_id FROM ll_couple WHERE ((a = %s AND b = %s) OR (a = %s AND b = %s)) "
            "AND divorce_act IS NULL AND revoked = 0 ORDER BY since DESC",
            (a, b, b, a),
        )
        if row is None:
            return
        marriage = row["act_id"]
    tx.execute(
        "UPDATE ll_couple SET divorce_act = %s, divorced_on = %s, divorce_registered_on = %s, "
        "annulment = %s WHERE act_id = %s",
        (
            act_id,
            event.occurred_on,
            registered,
            int(bool(event.content.get("annulment"))),
            marriage,
        ),
    )


def _guardianship_edges(
    tx: Tx, event: Registration.Registered, act_id: str, registered: str
) -> None:
    ward = str(get_path(event.content, "ward.pin"))
    guardian = str(get_path(event.content, "guardian.pin"))
    if event.kind == "guardianship_opened":
        kind = get_path(event.content, "guardianship.kind") or "minor"
        tx.execute(
            "INSERT INTO ll_guardianship (act_id, ward, guardian, kind, opened_on, registered_on) "
            "VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            (act_id, ward, guardian, kind, event.occurred_on, registered),
        )
        return
    tx.execute(
        "UPDATE ll_guardianship SET ended_act = %s, ended_on = %s, ended_registered_on = %s "
        "WHERE ward = %s AND guardian = %s AND ended_act IS NULL AND revoked = 0",
        (act_id, event.occurred_on, registered, ward, guardian),
    )


def _refresh_edge_dates(tx: Tx, kind: str, act_id: str, fact_date: str | None) -> None:
    """A corrected date of a marriage or divorce moves the couple's interval too."""
    if fact_date is None:
        return
    if kind == "marriage":
        tx.execute("UPDATE ll_couple SET since = %s WHERE act_id = %s", (fact_date, act_id))
    elif kind == "divorce":
        tx.execute(
            "UPDATE ll_couple SET divorced_on = %s WHERE divorce_act = %s", (fact_date, act_id)
        )


_EDGES = {
    "birth": _birth_edges,
    "parentage": _parentage_edges,
    "adoption": _parentage_edges,
    "marriage": _marriage_edges,
    "divorce": _divorce_edges,
    "guardianship_opened": _guardianship_edges,
    "guardianship_ended": _guardianship_edges,
}
