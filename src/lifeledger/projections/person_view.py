"""A person as officers read them: identity, status, parents, children, spouses, siblings.

`load` reads the rows of some persons at once (a handful of queries, whatever their number);
`build` folds them into documents. Documents are assembled when read, from the person's acts,
the family graph's edges and the relatives' `ll_person` rows, so a new act never rewrites the
documents of every relative. The same code reads "as of" a past date, when only acts
registered by that day count, and corrections registered later are undone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lifeledger.database import Row, Tx
from lifeledger.domain.provinces import PROVINCES
from lifeledger.domain.vocabulary import BLOOD_ROLES
from lifeledger.jsoncodec import loads
from lifeledger.projections.acts_in_force import in_force_on, load_acts
from lifeledger.projections.family_edges import marriage_registration
from lifeledger.projections.identity import describing, identity_of, render, year_of

__all__ = ["Rows", "build", "load", "related_query"]


@dataclass
class Rows:
    """Everything needed to build the documents of some persons, indexed by PIN when read."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # the persons built
    parent_edges: list[Row] = field(default_factory=list)
    couples: list[Row] = field(default_factory=list)
    guardianships: list[Row] = field(default_factory=list)
    known: dict[str, Row] = field(default_factory=dict)

    @cached_property
    def parents_of(self) -> dict[str, list[Row]]:
        return _index(self.parent_edges, "child_pin")

    @cached_property
    def children_of(self) -> dict[str, list[Row]]:
        return _index(self.parent_edges, "parent_pin")

    @cached_property
    def couples_of(self) -> dict[str, list[Row]]:
        return _index(self.couples, "a", "b")

    @cached_property
    def guardianships_of(self) -> dict[str, list[Row]]:
        return _index(self.guardianships, "ward", "guardian")


def _index(rows: list[Row], *columns: str) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        for key in {row[column] for column in columns}:
            if key:
                found[key].append(row)
    return found


def load(tx: Tx, pins: set[str], as_of: str | None = None) -> Rows:
    """The rows of `pins` and of their relatives: now (identities from `ll_person`), or as
    of a past date (identities from the acts registered by then). Unknown persons are left
    out of `people`."""
    rows, wanted = Rows(), sorted(pins)
    if as_of is not None:
        acts = load_acts(tx, wanted, as_of)
        rows.people = {pin: identity_of(pin, acts[pin]) for pin in wanted if _described(acts, pin)}
    children_of, params_c = tx.any_of("child_pin", wanted)
    parent_of, params_p = tx.any_of("parent_pin", wanted)
    edges = tx.rows(
        f"SELECT * FROM ll_parent WHERE {children_of} OR {parent_of}", params_c + params_p
    )
    parents = sorted({e["parent_pin"] for e in edges if e["parent_pin"] and e["child_pin"] in pins})
    if parents:
        of_parents, params_s = tx.any_of("parent_pin", parents)
        edges += tx.rows(f"SELECT * FROM ll_parent WHERE {of_parents}", params_s)
    unique = {(e["act_id"], e["role"]): e for e in edges}
    rows.parent_edges = [e for e in unique.values() if in_force_on(e, as_of)]
    in_a, params_a = tx.any_of("a", wanted)
    in_b, params_b = tx.any_of("b", wanted)
    couples = tx.rows(f"SELECT * FROM ll_couple WHERE {in_a} OR {in_b}", params_a + params_b)
    rows.couples = [c for c in couples if in_force_on(c, as_of)]
    for couple in rows.couples:
        if as_of is not None and (couple["divorce_registered_on"] or "") > as_of:
            couple.update(divorce_act=None, divorced_on=None, annulment=0)
    ward, params_w = tx.any_of("ward", wanted)
    guardian, params_g = tx.any_of("guardian", wanted)
    guardianships = tx.rows(
        f"SELECT * FROM ll_guardianship WHERE {ward} OR {guardian}", params_w + params_g
    )
    rows.guardianships = [g for g in guardianships if in_force_on(g, as_of)]
    _load_known(tx, rows, pins, as_of)
    return rows


def _load_known(tx: Tx, rows: Rows, pins: set[str], as_of: str | None) -> None:
    """Name, birth and death of the relatives (and, now, of the persons themselves): as
    stored, or, for a read as of a past date, as their own acts stood then."""
    related = {e["parent_pin"] for e in rows.parent_edges} | {
        e["child_pin"] for e in rows.parent_edges
    }
    related |= {c["a"] for c in rows.couples} | {c["b"] for c in rows.couples}
    related |= {g["ward"] for g in rows.guardianships} | {g["guardian"] for g in rows.guardianships}
    if as_of is not None:
        others = sorted(p for p in related - pins if p)
        acts = load_acts(tx, others, as_of) if others else {}
        rows.known = {pin: identity_of(pin, acts[pin]) for pin in others if _described(acts, pin)}
        return
    where, params = tx.any_of("pin", sorted(p for p in related | pins if p))
    for row in tx.rows(f"SELECT pin, sources FROM ll_person WHERE {where}", params):
        person = render(row["pin"], loads(row["sources"]))
        (rows.people if row["pin"] in pins else rows.known)[row["pin"]] = person


def _described(acts: dict[str, list[Row]], pin: str) -> bool:
    """Does an act in force say who the person is (as `person_rows.refresh` keeps `ll_person`)?"""
    return bool(describing(acts.get(pin, [])))


def related_query(tx: Tx, wanted: list[str]) -> tuple[str, list[Any]]:
    """One SELECT of a `pin` column: the persons whose documents name any of `wanted`, that
    is their parents, children, siblings (their parents' children), spouses, guardians and
    wards (revoked edges included: they named them until the revocation)."""
    selects = [
        ("parent_pin", "ll_parent", "child_pin"),
        ("child_pin", "ll_parent", "parent_pin"),
        ("b", "ll_couple", "a"),
        ("a", "ll_couple", "b"),
        ("guardian", "ll_guardianship", "ward"),
        ("ward", "ll_guardianship", "guardian"),
    ]
    statements, params = [], []
    for column, table, key in selects:
        where, values = tx.any_of(key, wanted)
        statements.append(f"SELECT {column} AS pin FROM {table} WHERE {where}")
        params += values
    where, values = tx.any_of("mine.child_pin", wanted)
    statements.append(
        "SELECT e.child_pin AS pin FROM ll_parent e JOIN ll_parent mine "
        f"ON e.parent_pin = mine.parent_pin WHERE {where}"
    )
    return " UNION ALL ".join(statements), params + values


def build(pins: set[str], rows: Rows) -> dict[str, dict[str, Any]]:
    """The documents of those of `pins` that are known, from their rows."""
    known = {**rows.known, **rows.people}
    return {pin: _document(pin, rows.people[pin], rows, known) for pin in pins & rows.people.keys()}


def _document(
    pin: str, person: dict[str, Any], rows: Rows, known: dict[str, Any]
) -> dict[str, Any]:
    spouses = _spouses(pin, person, rows, known)
    return {
        **person,
        "province": pin[:3],
        "province_name": PROVINCES.get(pin[:3]),
        "marital_status": _marital_status(person, spouses),
        "parents": _parents(pin, rows, known),
        "children": _children(pin, rows, known),
        "spouses": spouses,
        "siblings": _siblings(pin, rows, known),
        "guardianships": _guardianships(pin, rows, known),
    }


def _named(pin: str | None, known: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    other = known.get(pin or "") or {}
    return {"pin": pin, "full_name": other.get("full_name") or name}


def _parents(pin: str, rows: Rows, known: dict[str, Any]) -> dict[str, Any]:
    parents: dict[str, Any] = {"mother": None, "father": None}
    for edge in sorted(rows.parents_of.get(pin, ()), key=_edge_order):
        if edge["child_pin"] == pin:
            parent = known.get(edge["parent_pin"] or "")
            parents[edge["role"]] = {
                **_named(edge["parent_pin"], known, edge["parent_name"]),
                # The ledger's, when it knows the parent; else the year the act states.
                "birth_year": year_of(parent["birth_date"])
                if parent
                else edge["parent_birth_year"],
                "kind": edge["kind"],
            }
    return parents


def _children(pin: str, rows: Rows, known: dict[str, Any]) -> list[dict[str, Any]]:
    found = {}
    for edge in sorted(rows.children_of.get(pin, ()), key=_edge_order):
        if edge["parent_pin"] == pin:
            child = known.get(edge["child_pin"]) or {}
            found[edge["child_pin"]] = {
                **_named(edge["child_pin"], known),
                "kind": edge["kind"],
                "role": edge["role"],
                "birth_date": child.get("birth_date"),
            }
    return sorted(found.values(), key=lambda c: (c["birth_date"] or "", c["pin"]))


def _edge_order(edge: Row) -> tuple[str, str, str]:
    """Edges in the order they were registered, so a later one wins, whatever the load order."""
    return (edge["registered_on"], edge["act_id"], edge["role"])


def blood_parents(pin: str, rows: Rows) -> frozenset[str]:
    return frozenset(
        e["parent_pin"]
        for e in rows.parents_of.get(pin, ())
        if e["child_pin"] == pin and e["role"] in BLOOD_ROLES and e["parent_pin"]
    )


def _siblings(pin: str, rows: Rows, known: dict[str, Any]) -> list[dict[str, Any]]:
    mine = blood_parents(pin, rows)
    found = {}
    edges = [e for parent in sorted(mine) for e in rows.children_of.get(parent, ())]
    for edge in edges:
        other = edge["child_pin"]
        if edge["parent_pin"] in mine and edge["role"] in BLOOD_ROLES and other != pin:
            theirs = blood_parents(other, rows)
            kind = "full" if len(mine) == 2 and theirs == mine else "half"
            found[other] = {
                **_named(other, known),
                "kind": kind,
                "birth_date": (known.get(other) or {}).get("birth_date"),
            }
    return sorted(found.values(), key=lambda s: (s["birth_date"] or "", s["pin"]))


def _spouses(
    pin: str, person: dict[str, Any], rows: Rows, known: dict[str, Any]
) -> list[dict[str, Any]]:
    found = []
    for couple in rows.couples_of.get(pin, ()):
        spouse = couple["b"] if couple["a"] == pin else couple["a"]
        ends = []
        if couple["divorced_on"]:
            ends.append((couple["divorced_on"], "annulment" if couple["annulment"] else "divorce"))
        for who in (person, known.get(spouse) or {}):
            if who.get("death_date"):
                ends.append((who["death_date"], "death"))
        end = min(ends) if ends else (None, None)
        found.append(
            {
                **_named(spouse, known),
                "from": couple["since"],
                "to": end[0],
                "end_reason": end[1],
                "registration": marriage_registration(couple),
                "spouse_died": bool((known.get(spouse) or {}).get("death_date")),
            }
        )
    return sorted(found, key=lambda s: (s["from"], *s["registration"].values()))


def _marital_status(person: dict[str, Any], spouses: list[dict[str, Any]]) -> str:
    if not spouses:
        return "single"
    if any(s["to"] is None for s in spouses):
        return "married"
    last = spouses[-1]
    if last["end_reason"] == "death":
        return (
            "widowed"
            if last["spouse_died"] and last["to"] != person.get("death_date")
            else ("married")
        )
    return "divorced" if last["end_reason"] == "divorce" else "single"


def _guardianships(pin: str, rows: Rows, known: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for g in sorted(
        rows.guardianships_of.get(pin, ()), key=lambda g: (g["opened_on"], g["act_id"])
    ):
        role, other = ("ward", g["guardian"]) if g["ward"] == pin else ("guardian", g["ward"])
        found.append(
            {
                **_named(other, known),
                "role_of_person": role,
                "kind": g["kind"],
                "from": g["opened_on"],
                "to": g["ended_on"],
            }
        )
    return found
