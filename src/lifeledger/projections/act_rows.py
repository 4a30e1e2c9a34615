"""The acts as the registry projection writes them: `ll_act` (each act with its registration
index, content and revocation), `ll_act_person` (the persons each act concerns, with their
role) and `ll_correction` (each corrected field, before and after)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from lifeledger.database import DO_NOTHING, OnConflict, Queue, Tx
from lifeledger.domain.act_layout import FACT_FIELDS
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.registration import Registration, set_path
from lifeledger.jsoncodec import dumps, loads
from lifeledger.projections.family_edges import (
    move_edge_dates,
    parse_int,
    revoke_edges,
    write_edges,
)
from lifeledger.projections.identity import fact_sort
from lifeledger.projections.runner import Envelope

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
)
TABLES = ("ll_act", "ll_act_person", "ll_correction")
ACT_COLUMNS = (
    "act_id",
    "kind",
    "authority",
    "book",
    "number",
    "page",
    "province",
    "registered_on",
    "fact_date",
    "fact_sort",
    "source",
    "content",
    "original",
    "pins",
    "recorded_by",
    "recorded_at",
    "position",
)
NEW_ACT = OnConflict(key=("act_id",))
PARTY_COLUMNS = ("pin", "act_id", "role")
CORRECTION_COLUMNS = ("correction_id", "target_id", "seq", "field", "before", "after", "position")

Update = tuple[str, Sequence[Any]]
"""An UPDATE of ll_act and its parameters."""


def write_registered(tx: Queue, envelope: Envelope, roles: list[tuple[str, str]]) -> None:
    """A new act: its row, its persons with their roles, and its family graph edges."""
    event: Registration.Registered = envelope.event
    act_id, content, ref = envelope.originator, event.content, event.reference
    row = (
        act_id,
        event.kind,
        ref["authority"],
        ref["book"],
        ref["number"],
        parse_int(ref.get("page")),
        ref.get("province"),
        ref["registered_on"],
        event.occurred_on,
        fact_sort(event.occurred_on),
        dumps(event.source),
        dumps(content),
        None,
        dumps(event.pins),
        dumps(event.recorded_by),
        event.timestamp.isoformat(),
        envelope.position,
    )
    tx.defer_insert("ll_act", ACT_COLUMNS, row, NEW_ACT)
    for pin, role in roles:
        tx.defer_insert("ll_act_person", PARTY_COLUMNS, (pin, act_id, role), DO_NOTHING)
    write_edges(tx, event, act_id, ref["registered_on"])


def amended_acts(tx: Tx, envelopes: Sequence[Envelope]) -> dict[str, dict[str, Any]]:
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


def write_correction(
    tx: Tx, envelope: Envelope, amended: dict[str, dict[str, Any]], act_updates: list[Update]
) -> list[str]:
    """A correction's changed fields, and its act's new content (an UPDATE added to
    `act_updates`); returns the PINs of the corrected act's persons."""
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
        values = (
            event.correction,
            target,
            seq,
            change["field"],
            dumps(change.get("before")),
            dumps(change["after"]),
            position,
        )
        tx.defer_insert("ll_correction", CORRECTION_COLUMNS, values, DO_NOTHING)
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


def write_revocation(
    tx: Tx, envelope: Envelope, amended: dict[str, dict[str, Any]], act_updates: list[Update]
) -> list[str]:
    """A revoked act and its edges stop counting (an UPDATE added to `act_updates`); returns
    the PINs of the act's persons."""
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
