"""Reads of the read models. Every answer carries the ledger position it reflects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lifeledger.database import Row, Tx, ViewDatabase
from lifeledger.domain.acts import get_path
from lifeledger.jsoncodec import dumps, loads
from lifeledger.projections import (
    documents,
    family_tree,
    graph,
    lookups,
    person_view,
    search,
)
from lifeledger.projections.acts_in_force import load_acts
from lifeledger.projections.identity import describing
from lifeledger.projections.runner import Runner


@dataclass(frozen=True)
class Read:
    """An answer and the ledger position it reflects."""

    data: Any
    position: int


class Queries:
    """Person, life chain, family, search, registry and statistics lookups."""

    def __init__(self, db: ViewDatabase, runner: Runner) -> None:
        self.db = db
        self.runner = runner

    def _position(self, tx: Tx, name: str = "registry") -> int:
        row = tx.row("SELECT position FROM ll_tracking WHERE name = %s", (name,))
        return int(row["position"]) if row else 0

    def person(self, pin: str, as_of: str | None = None) -> Read:
        """The person's document now, or as the ledger stood on `as_of` (None: unknown).
        It is assembled from the person's acts and the family graph's rows at read time."""
        with self.db.transaction() as tx:
            position = self._position(tx)
            documents = person_view.build({pin}, person_view.load(tx, {pin}, as_of))
            return Read(documents.get(pin), position)

    def person_json(self, pin: str, as_of: str | None = None) -> Read:
        """`person` as JSON text: now, the stored document when it is up to date (one
        statement, no decoding); otherwise assembled as `person` does."""
        if as_of is None:
            found = documents.stored(self.db, pin)
            if found is not None:
                return Read(*found)
        read = self.person(pin, as_of)
        return Read(None if read.data is None else dumps(read.data), read.position)

    def timeline(self, pin: str, as_of: str | None = None) -> Read:
        """The person's acts in fact-date order, each with its reference, source and corrections;
        an act revoked (by `as_of`) is there too, flagged with its revocation."""
        with self.db.transaction() as tx:
            position = self._position(tx)
            acts = load_acts(tx, [pin], as_of, revoked=True).get(pin, [])
            if not acts:
                return Read(None, position)
            trail = self._corrections_of(tx, [a["act_id"] for a in acts], as_of)
            return Read(
                [_timeline_entry(act, trail.get(act["act_id"], [])) for act in acts], position
            )

    def first_registered(self, pin: str) -> str | None:
        """The day the first act naming the person was registered (revoked acts included:
        the ledger knew the person from then on), or None if no act names them."""
        with self.db.transaction() as tx:
            row = tx.row(
                "SELECT min(a.registered_on) AS first FROM ll_act_person ap "
                "JOIN ll_act a ON a.act_id = ap.act_id WHERE ap.pin = %s",
                (pin,),
            )
            return str(row["first"]) if row and row["first"] else None

    def corrections(self, pin: str) -> Read:
        """The correction trail of the person's acts: each corrected field's original and
        changes, and each revoked act with its revocation."""
        with self.db.transaction() as tx:
            position = self._position(tx)
            acts = tx.rows(
                "SELECT a.act_id, a.kind, a.authority, a.book, a.number, a.registered_on, "
                "a.original, a.content, a.revoked, a.revocation FROM ll_act_person ap "
                "JOIN ll_act a ON a.act_id = ap.act_id WHERE ap.pin = %s "
                "ORDER BY a.fact_sort, a.position",
                (pin,),
            )
            if not acts:
                return Read(None, position)
            trail = self._corrections_of(tx, [a["act_id"] for a in acts], None)
            return Read(
                [
                    _field_histories(act, trail.get(act["act_id"], []))
                    for act in acts
                    if act["act_id"] in trail or act["revoked"]
                ],
                position,
            )

    def revocations(self, pin: str, as_of: str | None = None) -> list[dict[str, Any]]:
        """Why a person the ledger has acts about reads as unknown (on `as_of`): the
        revocations of the acts that described them, when none of those is in force (else
        none: the person is known, or was never described)."""
        with self.db.transaction() as tx:
            acts = describing(load_acts(tx, [pin], as_of, revoked=True).get(pin, []))
        if not acts or not all(act["revoked"] for act in acts):
            return []
        return [
            {"kind": act["kind"], "registration": _registration(act), **_revocation(act)}
            for act in acts
        ]

    def family(self, pin: str, depth: int = 2) -> Read:
        """The family tree to `depth` generations as a graph (see `family_tree`)."""
        with self.db.transaction() as tx:
            return Read(family_tree.family(tx, pin, depth), self._position(tx))

    def relationship(self, a: str, b: str) -> Read:
        """How b is related to a, named from a's point of view: "b is a's <relation>"
        (e.g. a's "mother", "first cousins", "brother-in-law"; see `graph.relationship`)."""
        with self.db.transaction() as tx:
            return Read(graph.relationship(tx, a, b), self._position(tx))

    def search(
        self,
        q: str | None,
        birth_date: str | None = None,
        birth_year: int | None = None,
        province: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> Read:
        """Persons by name (with or without diacritics) or registration reference, ranked and
        paginated: {"total", "items"} (see `search`)."""
        wanted = search.criteria(q, birth_date, birth_year, province)
        reference = search.reference_in(q)
        with self.db.transaction() as tx:
            if reference is not None:
                return Read(search.by_reference(tx, *reference), self._position(tx))
            return Read(search.by_name(tx, wanted, limit, offset), self._position(tx))

    def registration(self, authority: str, book: str, number: str) -> Read:
        """The act registered under this reference, with its persons and corrections."""
        with self.db.transaction() as tx:
            act = lookups.registration(tx, authority, book, number)
            if act is not None:
                act["corrections"] = self._corrections_of(tx, [act["act_id"]], None).get(
                    act["act_id"], []
                )
            return Read(act, self._position(tx))

    def book(self, authority: str, book: str) -> Read:
        """A registration book's numbers: present, missing, duplicated (see `lookups.book`)."""
        with self.db.transaction() as tx:
            return Read(lookups.book(tx, authority, book), self._position(tx))

    def statistics(
        self, province: str | None = None, since: str | None = None, until: str | None = None
    ) -> Read:
        """Counts of acts by kind, province, registration day and source, with the rows."""
        with self.db.transaction() as tx:
            data = lookups.statistics(tx, province, since, until)
            return Read(data, self._position(tx, "statistics"))

    def entries(
        self,
        status: str,
        limit: int = 50,
        after: int | None = 0,
        provinces: frozenset[str] = frozenset(),
        import_id: str | None = None,
    ) -> Read:
        """Staged entries with this status (pending|conflict|approved|rejected) in ledger order,
        after position `after`, of offices in `provinces` (empty: all), of one import or all:
        a list; the next page is after the last one's position."""
        with self.db.transaction() as tx:
            found = lookups.entries(tx, status, limit, after or 0, provinces, import_id)
            return Read(found, self._position(tx))

    def pending_entry_ids(self, import_id: str, provinces: frozenset[str]) -> Read:
        """The ids of an import's pending entries, of offices in `provinces` (empty: all)."""
        with self.db.transaction() as tx:
            found = lookups.pending_entry_ids(tx, import_id, provinces)
            return Read(found, self._position(tx))

    def entries_of_import(self, import_id: str) -> Read:
        """How many of an import's staged entries are in each state now."""
        with self.db.transaction() as tx:
            return Read(lookups.entries_of_import(tx, import_id), self._position(tx))

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
    content = loads(row["content"])
    return {
        "field": row["field"],
        "before": loads(row["before"]),
        "after": loads(row["after"]),
        "kind": content.get("correction_kind"),
        "reason": content.get("reason"),
        "basis": content.get("basis"),
        "registration": {
            "authority": row["authority"],
            "book": row["book"],
            "number": row["number"],
            "registered_on": row["registered_on"],
        },
        "recorded_by": loads(row["recorded_by"]),
        "recorded_at": row["recorded_at"],
        "position": row["position"],
    }


def _registration(act: Row) -> dict[str, Any]:
    """An act's registration reference, as every read writes it."""
    return {
        "authority": act["authority"],
        "book": act["book"],
        "number": act["number"],
        "registered_on": act["registered_on"],
    }


def _revocation(act: Row) -> dict[str, Any]:
    """Whether the act is revoked (on the day read) and the decision that revoked it
    (decision, decided_on, authority, reason, recorded_by; None when it is not)."""
    revocation: dict[str, Any] | None = loads(act["revocation"]) if act["revoked"] else None
    return {"revoked": bool(act["revoked"]), "revocation": revocation}


def _timeline_entry(act: Row, corrections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "act_id": act["act_id"],
        "kind": act["kind"],
        "role": act["role"],
        "occurred_on": act["fact_date"],
        "registration": _registration(act),
        "source": loads(act["source"]),
        **_revocation(act),
        "content": loads(act["content"]),
        "corrections": corrections,
    }


def _field_histories(act: Row, corrections: list[dict[str, Any]]) -> dict[str, Any]:
    original = loads(act["original"] or act["content"])
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
        "registration": _registration(act),
        "fields": list(fields.values()),
        **_revocation(act),
    }
