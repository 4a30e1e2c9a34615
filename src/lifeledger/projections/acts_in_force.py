"""Which acts count on a date: registered by then and not revoked by then (a revoked act stays
in the ledger and counts for nothing once revoked: docs/adr/0002-revoked-acts.md), and each
person's acts as they stood then, later corrections undone."""

from __future__ import annotations

import json
from collections import defaultdict

from lifeledger.database import Row, Tx
from lifeledger.domain.registration import set_path
from lifeledger.jsoncodec import loads


def in_force_on(row: Row, as_of: str | None, registered: str = "registered_on") -> bool:
    """Did the ledger count this row on `as_of` (registered by then, not revoked by then)?
    None: now."""
    return registered_by(row, as_of, registered) and not revoked_by(row, as_of)


def registered_by(row: Row, as_of: str | None, registered: str = "registered_on") -> bool:
    """Was this row registered by `as_of` (None: now)?"""
    return as_of is None or (row[registered] is not None and row[registered] <= as_of)


def revoked_by(row: Row, as_of: str | None) -> bool:
    """Had a decision revoked this row by `as_of` (None: now)? Its date is the decision's."""
    return bool(row.get("revoked")) and (as_of is None or (row.get("revoked_on") or "") <= as_of)


def load_acts(
    tx: Tx, pins: list[str], as_of: str | None, revoked: bool = False
) -> dict[str, list[Row]]:
    """Each person's acts in force in fact-date order (sorted here: the database need not sort
    wide rows), with their content as it stood on `as_of` when one is given. `revoked`: the
    acts revoked by then too (a history read), each flagged in its `revoked` column (an act
    revoked after `as_of` was not revoked then)."""
    found: dict[str, list[Row]] = defaultdict(list)
    where, params = tx.any_of("ap.pin", pins)
    acts = tx.rows(
        "SELECT ap.pin, ap.role, a.act_id, a.kind, a.authority, a.book, a.number, "
        "a.registered_on, a.fact_date, a.fact_sort, a.content, a.original, a.revoked, "
        "a.revoked_on, a.revocation, a.source, a.position FROM ll_act_person ap "
        f"JOIN ll_act a ON a.act_id = ap.act_id WHERE {where}",
        params,
    )
    acts.sort(key=lambda a: (a["fact_sort"], a["registered_on"], a["position"]))
    for act in acts:
        if registered_by(act, as_of):
            act["revoked"] = revoked_by(act, as_of)
            if revoked or not act["revoked"]:
                found[act["pin"]].append(act)
    if as_of is not None:
        _undo_later_corrections(tx, [a for acts in found.values() for a in acts], as_of)
    return found


def _undo_later_corrections(tx: Tx, acts: list[Row], as_of: str) -> None:
    """Show each act's content as it stood on `as_of`: its original plus earlier corrections."""
    if not acts:
        return
    where, params = tx.any_of("c.target_id", sorted({a["act_id"] for a in acts}))
    applied: dict[str, list[Row]] = defaultdict(list)
    for change in tx.rows(
        "SELECT c.target_id, c.field, c.after, k.registered_on FROM ll_correction c "
        f"JOIN ll_act k ON k.act_id = c.correction_id WHERE {where} "
        "ORDER BY c.position, c.seq",
        params,
    ):
        if change["registered_on"] <= as_of:
            applied[change["target_id"]].append(change)
    for act in acts:
        if act["original"] is None:  # never corrected: the content is the original
            continue
        content = loads(act["original"])
        for change in applied.get(act["act_id"], []):
            set_path(content, change["field"], loads(change["after"]))
        act["content"] = json.dumps(content)
