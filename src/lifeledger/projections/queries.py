"""Reads of the read models. Every answer carries the ledger position it reflects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lifeledger.domain.acts import get_path
from lifeledger.projections import person_view
from lifeledger.projections.database import Row, Tx, ViewDatabase
from lifeledger.projections.runner import Runner


@dataclass(frozen=True)
class Read:
    """An answer and the ledger position it reflects."""

    data: Any
    position: int


class Queries:
    """Person, life chain and correction lookups."""

    def __init__(self, db: ViewDatabase, runner: Runner) -> None:
        self.db = db
        self.runner = runner

    def _position(self, tx: Tx, name: str = "registry") -> int:
        row = tx.row("SELECT position FROM ll_tracking WHERE name = %s", (name,))
        return int(row["position"]) if row else 0

    def person(self, pin: str, as_of: str | None = None) -> Read:
        """The person's current document, or as the ledger stood on `as_of` (None: unknown)."""
        with self.db.transaction() as tx:
            position = self._position(tx)
            if as_of is None:
                row = tx.row("SELECT doc FROM ll_person WHERE pin = %s", (pin,))
                return Read(json.loads(row["doc"]) if row else None, position)
            rows = person_view.load(tx, {pin}, as_of)
            if not rows.acts.get(pin):
                return Read(None, position)
            return Read(person_view.build({pin}, rows)[pin], position)

    def timeline(self, pin: str, as_of: str | None = None) -> Read:
        """The person's acts in fact-date order, each with its reference, source and corrections."""
        with self.db.transaction() as tx:
            position = self._position(tx)
            acts = person_view.load(tx, {pin}, as_of).acts.get(pin, [])
            if not acts:
                return Read(None, position)
            trail = self._corrections_of(tx, [a["act_id"] for a in acts], as_of)
            return Read(
                [_timeline_entry(act, trail.get(act["act_id"], [])) for act in acts], position
            )

    def corrections(self, pin: str) -> Read:
        """The correction trail of every act of the person: each field's original and changes."""
        with self.db.transaction() as tx:
            position = self._position(tx)
            acts = tx.rows(
                "SELECT a.act_id, a.kind, a.authority, a.book, a.number, a.original "
                "FROM ll_act_person ap JOIN ll_act a ON a.act_id = ap.act_id WHERE ap.pin = %s "
                "ORDER BY a.fact_sort",
                (pin,),
            )
            if not acts:
                return Read(None, position)
            trail = self._corrections_of(tx, [a["act_id"] for a in acts], None)
            return Read(
                [
                    _field_histories(act, trail[act["act_id"]])
                    for act in acts
                    if act["act_id"] in trail
                ],
                position,
            )

    def _corrections_of(
        self,
        tx: Tx,
        act_ids: list[str],
        as_of: str | None,
    ) -> dict[str, list[dict[str, Any]]]:
        where, params = tx.any_of("c.target_id", act_ids)
        found: dict[str, list[dict[str, Any]]] = {}
        for row in tx.rows(
            "SELECT c.target_id, c.field, c.before, c.after, c.position, k.authority, k.book, "
            "k.number, k.registered_on, k.content, k.recorded_by, k.recorded_at "
            "FROM ll_correction c JOIN ll_act k ON k.act_id = c.correction_id "
            f"WHERE {where} ORDER BY c.position, c.seq",
            params,
        ):
            if as_of is None or row["registered_on"] <= as_of:
                found.setdefault(row["target_id"], []).append(_correction(row))
        return found


def _correction(row: Row) -> dict[str, Any]:
    content = json.loads(row["content"])
    return {
        "field": row["field"],
        "before": json.loads(row["before"]),
        "after": json.loads(row["after"]),
        "kind": content.get("correction_kind"),
        "reason": content.get("reason"),
        "basis": content.get("basis"),
        "registration": {
            "authority": row["authority"],
            "book": row["book"],
            "number": row["number"],
            "registered_on": row["registered_on"],
        },
        "recorded_by": json.loads(row["recorded_by"]),
        "recorded_at": row["recorded_at"],
        "position": row["position"],
    }


def _timeline_entry(act: Row, corrections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "act_id": act["act_id"],
        "kind": act["kind"],
        "role": act["role"],
        "occurred_on": act["fact_date"],
        "registration": {
            "authority": act["authority"],
            "book": act["book"],
            "number": act["number"],
            "registered_on": act["registered_on"],
        },
        "source": json.loads(act["source"]),
        "revoked": bool(act["revoked"]),
        "content": json.loads(act["content"]),
        "corrections": corrections,
    }


def _field_histories(act: Row, corrections: list[dict[str, Any]]) -> dict[str, Any]:
    original = json.loads(act["original"])
    fields: dict[str, dict[str, Any]] = {}
    for change in corrections:
        history = fields.setdefault(
            change["field"],
            {
                "field": change["field"],
                "original": get_path(original, change["field"]),
                "changes": [],
            },
        )
        history["changes"].append(change)
        history["current"] = change["after"]
    return {
        "act_id": act["act_id"],
        "kind": act["kind"],
        "registration": {
            "authority": act["authority"],
            "book": act["book"],
            "number": act["number"],
        },
        "fields": list(fields.values()),
    }
