"""A person as officers read them: identity, status, parents, children, spouses, siblings.

`load` reads the rows of many persons at once (a handful of queries per batch, whatever
its size); `build` folds them into documents. The same code serves the stored current
document (refreshed after each projection batch) and reads "as of" a past date, when
only acts registered by that day count, and corrections registered later are undone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from unidecode import unidecode

from lifeledger.domain.pin import Pin
from lifeledger.domain.provinces import PROVINCES
from lifeledger.domain.registration import set_path
from lifeledger.projections.database import Row, Tx

BLOOD = ("mother", "father")
IDENTITY_FIELDS = (
    "full_name",
    "family_name",
    "middle_name",
    "given_name",
    "sex",
    "birth_date",
    "birth_place",
    "hometown",
    "ethnicity",
    "nationality",
)


def fold(text: str) -> str:
    """Lower-case ASCII for matching names with or without diacritics ("Đặng" -> "dang")."""
    return " ".join(unidecode(text.replace("Đ", "D").replace("đ", "d")).lower().split())


def counts(row: Row, as_of: str | None, registered: str = "registered_on") -> bool:
    """Did the ledger know this row on `as_of` (registered by then, not yet revoked)?"""
    if as_of is None:
        return not row.get("revoked")
    if row[registered] is None or row[registered] > as_of:
        return False
    return not row.get("revoked") or (row.get("revoked_on") or "") > as_of


@dataclass
class Rows:
    """Everything needed to build the documents of some persons."""

    acts: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    parent_edges: list[Row] = field(default_factory=list)
    couples: list[Row] = field(default_factory=list)
    guardianships: list[Row] = field(default_factory=list)
    known: dict[str, Row] = field(default_factory=dict)


def load(tx: Tx, pins: set[str], as_of: str | None = None) -> Rows:
    rows, wanted = Rows(), sorted(pins)
    rows.acts = _load_acts(tx, wanted, as_of)
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
    rows.parent_edges = [e for e in unique.values() if counts(e, as_of)]
    in_a, params_a = tx.any_of("a", wanted)
    in_b, params_b = tx.any_of("b", wanted)
    couples = tx.rows(f"SELECT * FROM ll_couple WHERE {in_a} OR {in_b}", params_a + params_b)
    rows.couples = [c for c in couples if counts(c, as_of)]
    for couple in rows.couples:
        if as_of is not None and (couple["divorce_registered_on"] or "") > as_of:
            couple.update(divorce_act=None, divorced_on=None, annulment=0)
    ward, params_w = tx.any_of("ward", wanted)
    guardian, params_g = tx.any_of("guardian", wanted)
    guardianships = tx.rows(
        f"SELECT * FROM ll_guardianship WHERE {ward} OR {guardian}", params_w + params_g
    )
    rows.guardianships = [g for g in guardianships if counts(g, as_of)]
    _load_known(tx, rows, pins, as_of)
    return rows


def _load_acts(tx: Tx, pins: list[str], as_of: str | None) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = defaultdict(list)
    where, params = tx.any_of("ap.pin", pins)
    for act in tx.rows(
        "SELECT ap.pin, ap.role, a.act_id, a.kind, a.authority, a.book, a.number, "
        "a.registered_on, a.fact_date, a.fact_sort, a.content, a.original, a.revoked, "
        f"a.revoked_on, a.source FROM ll_act_person ap JOIN ll_act a ON a.act_id = ap.act_id "
        f"WHERE {where} ORDER BY a.fact_sort, a.registered_on, a.position",
        params,
    ):
        if counts(act, as_of):
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
        content = json.loads(act["original"])
        for change in applied.get(act["act_id"], []):
            set_path(content, change["field"], json.loads(change["after"]))
        act["content"] = json.dumps(content)


def _load_known(tx: Tx, rows: Rows, pins: set[str], as_of: str | None) -> None:
    """Name, birth and death of the relatives that are not being built themselves: as stored
    now, or, for a read as of a past date, as their own acts stood then."""
    related = {e["parent_pin"] for e in rows.parent_edges} | {
        e["child_pin"] for e in rows.parent_edges
    }
    related |= {c["a"] for c in rows.couples} | {c["b"] for c in rows.couples}
    related |= {g["ward"] for g in rows.guardianships} | {g["guardian"] for g in rows.guardianships}
    others = sorted(p for p in related - pins if p)
    if not others:
        return
    if as_of is not None:
        acts = _load_acts(tx, others, as_of)
        rows.known = {pin: identity(pin, acts[pin]) for pin in others if acts.get(pin)}
        return
    where, params = tx.any_of("pin", others)
    for row in tx.rows(
        f"SELECT pin, full_name, sex, birth_date, death_date, status FROM ll_person WHERE {where}",
        params,
    ):
        rows.known[row["pin"]] = row


def identity(pin: str, acts: list[Row]) -> dict[str, Any]:
    """Who the person is, from their birth act, else from the latest act that describes them."""
    found: dict[str, Any] = {"pin": pin, "sex": Pin(pin).sex, "birth_date": None}
    described = sorted((a for a in acts if _describes(a)), key=_is_own_birth)
    for act in described:
        person = _person_in(json.loads(act["content"]), pin) or {}
        found.update({k: person[k] for k in IDENTITY_FIELDS if person.get(k) not in (None, "")})
    birth = next((a for a in acts if _is_own_birth(a)), None)
    death = next((a for a in acts if a["kind"] == "death"), None)
    if birth is not None:
        found["birth_date"] = birth["fact_date"]
        found["birth_registration"] = _reference(birth)
    found["birth_date"] = found.get("birth_date") or str(Pin(pin).birth_year)
    found["death_date"] = death["fact_date"] if death else None
    found["status"] = "dead" if death else "alive"
    found.setdefault("full_name", None)
    return found


def _describes(act: Row) -> bool:
    return act["kind"] not in ("correction", "divorce")


def _is_own_birth(act: Row) -> bool:
    """The person's own birth act describes them best; it is read last so it wins."""
    return bool(act["kind"] == "birth" and act["role"] == "child")


def _person_in(content: dict[str, Any], pin: str) -> dict[str, Any] | None:
    for key in ("child", "deceased", "parent", "ward", "guardian", "mother", "father"):
        person = content.get(key)
        if isinstance(person, dict) and person.get("pin") == pin:
            return person
    for person in content.get("spouses") or []:
        if isinstance(person, dict) and person.get("pin") == pin:
            return person
    return None


def _reference(act: Row) -> dict[str, Any]:
    return {
        "authority": act["authority"],
        "book": act["book"],
        "number": act["number"],
        "registered_on": act["registered_on"],
    }


def build(pins: set[str], rows: Rows) -> dict[str, dict[str, Any]]:
    """The documents of `pins` from their rows."""
    people = {pin: identity(pin, rows.acts.get(pin, [])) for pin in pins}
    known = {**rows.known, **people}
    return {pin: _document(pin, people[pin], rows, known) for pin in pins}


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
    for edge in rows.parent_edges:
        if edge["child_pin"] == pin:
            parents[edge["role"]] = {
                **_named(edge["parent_pin"], known, edge["parent_name"]),
                "birth_year": edge["parent_birth_year"],
                "kind": edge["kind"],
            }
    return parents


def _children(pin: str, rows: Rows, known: dict[str, Any]) -> list[dict[str, Any]]:
    found = {}
    for edge in rows.parent_edges:
        if edge["parent_pin"] == pin:
            child = known.get(edge["child_pin"]) or {}
            found[edge["child_pin"]] = {
                **_named(edge["child_pin"], known),
                "kind": edge["kind"],
                "role": edge["role"],
                "birth_date": child.get("birth_date"),
            }
    return sorted(found.values(), key=lambda c: (c["birth_date"] or "", c["pin"]))


def blood_parents(pin: str, rows: Rows) -> frozenset[str]:
    return frozenset(
        e["parent_pin"]
        for e in rows.parent_edges
        if e["child_pin"] == pin and e["role"] in BLOOD and e["parent_pin"]
    )


def _siblings(pin: str, rows: Rows, known: dict[str, Any]) -> list[dict[str, Any]]:
    mine = blood_parents(pin, rows)
    found = {}
    for edge in rows.parent_edges:
        other = edge["child_pin"]
        if edge["parent_pin"] in mine and edge["role"] in BLOOD and other != pin:
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
    for couple in rows.couples:
        if pin not in (couple["a"], couple["b"]):
            continue
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
                "registration": couple["act_id"],
                "spouse_died": bool((known.get(spouse) or {}).get("death_date")),
            }
        )
    return sorted(found, key=lambda s: s["from"])


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
    for g in rows.guardianships:
        role, other = ("ward", g["guardian"]) if g["ward"] == pin else ("guardian", g["ward"])
        if pin not in (g["ward"], g["guardian"]):
            continue
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


def refresh(tx: Tx, dirty: set[str], position: int) -> None:
    """Rebuild the stored documents of the changed persons and of everyone who lists them."""
    if not dirty:
        return
    pins = with_neighbours(tx, dirty)
    documents = build(pins, load(tx, pins))
    tx.executemany(
        "INSERT INTO ll_person (pin, full_name, name_folded, family_name, given_name, sex, "
        "birth_date, birth_year, province, status, death_date, doc, position) "
        "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (pin) DO UPDATE SET "
        "full_name = excluded.full_name, name_folded = excluded.name_folded, "
        "family_name = excluded.family_name, given_name = excluded.given_name, "
        "sex = excluded.sex, birth_date = excluded.birth_date, birth_year = excluded.birth_year,"
        " province = excluded.province, status = excluded.status, "
        "death_date = excluded.death_date, doc = excluded.doc, position = excluded.position",
        [_person_row(doc, position) for doc in documents.values()],
    )


def _person_row(doc: dict[str, Any], position: int) -> tuple[Any, ...]:
    name = doc.get("full_name") or ""
    return (
        doc["pin"],
        doc.get("full_name"),
        fold(name),
        fold(doc.get("family_name") or ""),
        fold(doc.get("given_name") or name.split(" ")[-1]),
        doc["sex"],
        doc["birth_date"],
        int(str(doc["birth_date"])[:4]),
        doc["province"],
        doc["status"],
        doc["death_date"],
        json.dumps(doc, ensure_ascii=False, sort_keys=True),
        position,
    )


def with_neighbours(tx: Tx, pins: set[str]) -> set[str]:
    """The persons plus their parents, children, spouses and siblings (whose documents name
    them)."""
    wanted = sorted(pins)
    children_of, params_c = tx.any_of("child_pin", wanted)
    parent_of, params_p = tx.any_of("parent_pin", wanted)
    edges = tx.rows(
        f"SELECT child_pin, parent_pin FROM ll_parent WHERE {children_of} OR {parent_of}",
        params_c + params_p,
    )
    found = set(pins) | {e["child_pin"] for e in edges} | {e["parent_pin"] for e in edges}
    parents = sorted({e["parent_pin"] for e in edges if e["child_pin"] in pins and e["parent_pin"]})
    if parents:
        of_parents, params = tx.any_of("parent_pin", parents)
        found |= {
            e["child_pin"]
            for e in tx.rows(f"SELECT child_pin FROM ll_parent WHERE {of_parents}", params)
        }
    in_a, params_a = tx.any_of("a", wanted)
    in_b, params_b = tx.any_of("b", wanted)
    for couple in tx.rows(
        f"SELECT a, b FROM ll_couple WHERE {in_a} OR {in_b}", params_a + params_b
    ):
        found |= {couple["a"], couple["b"]}
    found.discard(None)  # type: ignore[arg-type,unused-ignore]
    return found
