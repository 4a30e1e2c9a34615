"""The family graph's edges as the registry projection writes them: parent–child edges (birth,
recognition, adoption: `ll_parent`), couples with their end (divorce, annulment: `ll_couple`)
and guardianships (`ll_guardianship`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lifeledger.database import DO_NOTHING, Queue, Row
from lifeledger.domain.acts import Reference, get_path, is_whole_number
from lifeledger.domain.registration import Registration
from lifeledger.domain.vocabulary import BLOOD_ROLES, ActKind

DDL = (
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
)
TABLES = ("ll_parent", "ll_couple", "ll_guardianship")
PARENT_COLUMNS = (
    "act_id",
    "role",
    "kind",
    "child_pin",
    "parent_pin",
    "parent_name",
    "parent_birth_year",
    "registered_on",
)
COUPLE_COLUMNS = ("act_id", "a", "b", "since", "authority", "book", "number", "registered_on")
GUARDIANSHIP_COLUMNS = ("act_id", "ward", "guardian", "kind", "opened_on", "registered_on")


def write_edges(tx: Queue, event: Registration.Registered, act_id: str, registered: str) -> None:
    """The edges an act adds to the family graph, if any."""
    handler = _EDGES.get(event.kind)
    if handler is not None:
        handler(tx, event, act_id, registered)


def revoke_edges(tx: Queue, act_id: str, revoked_on: str) -> None:
    """A revoked act's edges stop counting; a revoked divorce or end reopens what it ended."""
    for table in TABLES:
        tx.defer(
            table,
            f"UPDATE {table} SET revoked = 1, revoked_on = %s WHERE act_id = %s",
            (revoked_on, act_id),
        )
    tx.defer(
        "ll_couple",
        "UPDATE ll_couple SET divorce_act = NULL, divorced_on = NULL, "
        "divorce_registered_on = NULL, annulment = 0 WHERE divorce_act = %s",
        (act_id,),
    )
    tx.defer(
        "ll_guardianship",
        "UPDATE ll_guardianship SET ended_act = NULL, ended_on = NULL, "
        "ended_registered_on = NULL WHERE ended_act = %s",
        (act_id,),
    )


def move_edge_dates(tx: Queue, kind: str, act_id: str, fact_date: str | None) -> None:
    """A corrected date of a marriage or divorce moves the couple's interval too."""
    if fact_date is None:
        return
    if kind == ActKind.MARRIAGE:
        tx.defer(
            "ll_couple", "UPDATE ll_couple SET since = %s WHERE act_id = %s", (fact_date, act_id)
        )
    elif kind == ActKind.DIVORCE:
        tx.defer(
            "ll_couple",
            "UPDATE ll_couple SET divorced_on = %s WHERE divorce_act = %s",
            (fact_date, act_id),
        )


def parse_int(value: Any) -> int | None:
    """A whole number that a BIGINT column holds, else None (an act stored before its page
    and birth years were checked may hold any value)."""
    return int(value) if is_whole_number(value, 18) else None


def _birth_edges(tx: Queue, event: Registration.Registered, act_id: str, registered: str) -> None:
    child = str(get_path(event.content, "child.pin"))
    for role in BLOOD_ROLES:
        parent = event.content.get(role)
        if isinstance(parent, dict) and parent.get("full_name"):
            _parent_edge(tx, act_id, role, ActKind.BIRTH, child, parent, registered)


def _parentage_edges(
    tx: Queue, event: Registration.Registered, act_id: str, registered: str
) -> None:
    child = str(get_path(event.content, "child.pin"))
    kind = ActKind.ADOPTION if event.kind == ActKind.ADOPTION else "recognition"
    role = str(event.content.get("role"))
    _parent_edge(tx, act_id, role, kind, child, event.content.get("parent") or {}, registered)


def _parent_edge(
    tx: Queue,
    act_id: str,
    role: str,
    kind: str,
    child: str,
    parent: dict[str, Any],
    registered: str,
) -> None:
    year = parent.get("birth_year") or str(parent.get("birth_date") or "")[:4] or None
    row = (
        act_id,
        role,
        kind,
        child,
        parent.get("pin"),
        parent.get("full_name"),
        parse_int(year),
        registered,
    )
    tx.defer_insert("ll_parent", PARENT_COLUMNS, row, DO_NOTHING)


def _marriage_edges(
    tx: Queue, event: Registration.Registered, act_id: str, registered: str
) -> None:
    a, b = (str(get_path(event.content, f"spouses.{i}.pin")) for i in (0, 1))
    ref = event.reference
    row = (
        act_id,
        a,
        b,
        event.occurred_on,
        ref["authority"],
        ref["book"],
        ref["number"],
        registered,
    )
    tx.defer_insert("ll_couple", COUPLE_COLUMNS, row, DO_NOTHING)


def marriage_registration(couple: Row) -> dict[str, Any]:
    """A couple's marriage registration, as every read writes a registration reference."""
    return {key: couple[key] for key in ("authority", "book", "number", "registered_on")}


def _divorce_edges(tx: Queue, event: Registration.Registered, act_id: str, registered: str) -> None:
    """The divorce ends the marriage it names, else the couple's latest marriage still open
    (found by the UPDATE itself, so the write needs no read and can be prepared)."""
    end = (
        "UPDATE ll_couple SET divorce_act = %s, divorced_on = %s, divorce_registered_on = %s, "
        "annulment = %s WHERE act_id = "
    )
    ended = (act_id, event.occurred_on, registered, int(bool(event.content.get("annulment"))))
    if isinstance(event.content.get("marriage"), dict):
        marriage = str(Reference.at(event.content, "marriage").act_id)
        tx.defer("ll_couple", end + "%s", (*ended, marriage))
        return
    a, b = event.pins[0], event.pins[-1]
    tx.defer(
        "ll_couple",
        end + "(SELECT act_id FROM ll_couple WHERE ((a = %s AND b = %s) OR (a = %s AND b = %s)) "
        "AND divorce_act IS NULL AND revoked = 0 ORDER BY since DESC LIMIT 1)",
        (*ended, a, b, b, a),
    )


def _guardianship_edges(
    tx: Queue, event: Registration.Registered, act_id: str, registered: str
) -> None:
    ward = str(get_path(event.content, "ward.pin"))
    guardian = str(get_path(event.content, "guardian.pin"))
    if event.kind == ActKind.GUARDIANSHIP_OPENED:
        kind = get_path(event.content, "guardianship.kind") or "minor"
        row = (act_id, ward, guardian, kind, event.occurred_on, registered)
        tx.defer_insert("ll_guardianship", GUARDIANSHIP_COLUMNS, row, DO_NOTHING)
        return
    tx.defer(
        "ll_guardianship",
        "UPDATE ll_guardianship SET ended_act = %s, ended_on = %s, ended_registered_on = %s "
        "WHERE ward = %s AND guardian = %s AND ended_act IS NULL AND revoked = 0",
        (act_id, event.occurred_on, registered, ward, guardian),
    )


_EDGES: dict[str, Callable[[Queue, Registration.Registered, str, str], None]] = {
    ActKind.BIRTH: _birth_edges,
    ActKind.PARENTAGE: _parentage_edges,
    ActKind.ADOPTION: _parentage_edges,
    ActKind.MARRIAGE: _marriage_edges,
    ActKind.DIVORCE: _divorce_edges,
    ActKind.GUARDIANSHIP_OPENED: _guardianship_edges,
    ActKind.GUARDIANSHIP_ENDED: _guardianship_edges,
}
