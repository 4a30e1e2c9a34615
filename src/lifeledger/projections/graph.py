"""The family graph read from the registry's edges: the rows the family tree (`family_tree`)
and the relationship share, and how two persons are related (by blood, marriage or through
a spouse).

Both walk `ll_parent` one generation at a time, one query per generation whatever its size.
Revoked acts' edges do not count (docs/adr/0002-revoked-acts.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lifeledger.database import Row, Tx
from lifeledger.domain.vocabulary import BLOOD_ROLES, ActKind
from lifeledger.projections import relation_names
from lifeledger.projections.family_edges import marriage_registration

MAX_GENERATIONS = 8
IN_LAW_GENERATIONS = 2
PERSON_COLUMNS = "pin, full_name, sex, birth_date, death_date, status"


def persons(tx: Tx, pins: list[str]) -> dict[str, Row]:
    """The `ll_person` rows of some PINs (the unknown ones are left out)."""
    if not pins:
        return {}
    where, params = tx.any_of("pin", pins)
    rows = tx.rows(f"SELECT {PERSON_COLUMNS} FROM ll_person WHERE {where}", params)
    return {row["pin"]: row for row in rows}


def parent_edges(tx: Tx, column: str, pins: list[str]) -> list[Row]:
    """The counted parent–child edges whose `column` (child_pin or parent_pin) is in `pins`."""
    if not pins:
        return []
    where, params = tx.any_of(column, pins)
    rows = tx.rows(f"SELECT * FROM ll_parent WHERE {where} AND revoked = 0", params)
    return sorted(rows, key=lambda e: (e["child_pin"], e["role"], e["act_id"]))


def couples(tx: Tx, pins: list[str]) -> list[Row]:
    """Counted marriages of any of `pins`, each with its end."""
    if not pins:
        return []
    in_a, params_a = tx.any_of("c.a", pins)
    in_b, params_b = tx.any_of("c.b", pins)
    rows = tx.rows(
        "SELECT c.*, pa.death_date AS a_died, pb.death_date AS b_died FROM ll_couple c "
        "LEFT JOIN ll_person pa ON pa.pin = c.a LEFT JOIN ll_person pb ON pb.pin = c.b "
        f"WHERE ({in_a} OR {in_b}) AND c.revoked = 0",
        params_a + params_b,
    )
    return sorted((_with_end(row) for row in rows), key=lambda c: (c["since"], c["act_id"]))


def _with_end(couple: Row) -> Row:
    """A marriage ends at its divorce or annulment, or at the first death of a spouse."""
    ends = []
    if couple["divorced_on"]:
        ends.append((couple["divorced_on"], "annulment" if couple["annulment"] else "divorce"))
    ends += [(died, "death") for died in (couple["a_died"], couple["b_died"]) if died]
    couple["to"], couple["end_reason"] = min(ends) if ends else (None, None)
    return couple


def couple_edge(couple: Row) -> dict[str, Any]:
    """A marriage as an edge: its spouses, span and registration."""
    return {
        "type": "couple",
        "a": couple["a"],
        "b": couple["b"],
        "from": couple["since"],
        "to": couple["to"],
        "end_reason": couple["end_reason"],
        "registration": marriage_registration(couple),
    }


# How two persons are related


@dataclass
class Climb:
    """The ancestors of one person found so far: each one's distance and the child it was
    reached through, grown one generation per query."""

    start: str
    limit: int
    level: int = 0
    distance: dict[str, int] = field(default_factory=dict)
    through: dict[str, str] = field(default_factory=dict)
    adopted: set[str] = field(default_factory=set)  # ancestors reached through an adoption
    blood_parents: dict[str, set[str]] = field(default_factory=dict)
    frontier: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.distance[self.start] = 0
        self.frontier = [self.start]

    @property
    def exhausted(self) -> bool:
        return not self.frontier or self.level >= self.limit

    def grow(self, tx: Tx) -> None:
        found = []
        for edge in parent_edges(tx, "child_pin", self.frontier):
            parent, child = edge["parent_pin"], edge["child_pin"]
            if not parent:
                continue
            if edge["role"] in BLOOD_ROLES:
                self.blood_parents.setdefault(child, set()).add(parent)
            if parent not in self.distance:
                self.distance[parent] = self.level + 1
                self.through[parent] = child
                if edge["kind"] == ActKind.ADOPTION or child in self.adopted:
                    self.adopted.add(parent)
                found.append(parent)
        self.level += 1
        self.frontier = sorted(found)

    def line(self, ancestor: str) -> list[str]:
        """The PINs from the start up to `ancestor`."""
        line = [ancestor]
        while line[-1] != self.start:
            line.append(self.through[line[-1]])
        return line[::-1]


@dataclass(frozen=True)
class Blood:
    up: int
    down: int
    ancestor: str
    path: list[str]
    half: bool
    adoption: bool  # an adoption is on the path


def blood(tx: Tx, a: str, b: str, limit: int = MAX_GENERATIONS) -> Blood | None:
    """The nearest common ancestor of a and b (either may be it) within `limit` generations
    each way: climb from both ends, always the less advanced one, until no unexplored pair
    of generations could give a shorter path."""
    sides = Climb(a, limit), Climb(b, limit)
    best: tuple[int, int, str] | None = None
    while True:
        common = sides[0].distance.keys() & sides[1].distance.keys()
        for pin in common:
            up, down = sides[0].distance[pin], sides[1].distance[pin]
            if best is None or (up + down, up, pin) < best:
                best = (up + down, up, pin)
        growing = [side for side in sides if not side.exhausted]
        if not growing or (best and best[0] <= min(s.level for s in growing) + 1):
            break
        min(growing, key=lambda s: (s.level, len(s.frontier))).grow(tx)
    if best is None:
        return None
    total, up, ancestor = best
    path = sides[0].line(ancestor) + sides[1].line(ancestor)[::-1][1:]
    shared = sides[0].blood_parents.get(a, set()) & sides[1].blood_parents.get(b, set())
    half = (up, total - up) == (1, 1) and len(shared) < 2
    adoption = any(ancestor in side.adopted for side in sides)
    return Blood(up, total - up, ancestor, path, half, adoption)


def relationship(tx: Tx, a: str, b: str) -> dict[str, Any] | None:
    """How b is related to a, named from a's point of view ("b is a's <relation>"): as a's
    spouse, by descent from the nearest common ancestor (kind "blood", or "adoption" when an
    adoption is on the path: an adoptive parent or child is named "adoptive father" …), or
    as the blood relative of a's spouse or the spouse of a's blood relative ("in-law").
    None when either PIN is unknown."""
    known = persons(tx, sorted({a, b}))
    if a not in known or b not in known:
        return None
    answer: dict[str, Any] = {"a": a, "b": b}
    if a == b:
        return {**answer, "relation": "self", "kind": "self", "path": [a], "common_ancestor": a}
    marriages = couples(tx, sorted({a, b}))
    found = _as_spouse(a, b, known[b], marriages) or _by_blood(tx, a, b, known[b])
    found = found or _in_law(tx, a, b, known, marriages)
    return {**answer, **(found or _unrelated())}


def _unrelated() -> dict[str, Any]:
    return {
        "relation": relation_names.NOT_RELATED,
        "kind": None,
        "path": [],
        "common_ancestor": None,
    }


def _spouses_of(pin: str, marriages: list[Row]) -> list[tuple[str, Row]]:
    return [(c["b"] if c["a"] == pin else c["a"], c) for c in marriages if pin in (c["a"], c["b"])]


def _as_spouse(a: str, b: str, person: Row, marriages: list[Row]) -> dict[str, Any] | None:
    ours = [c for spouse, c in _spouses_of(a, marriages) if spouse == b]
    if not ours:
        return None
    last = ours[-1]
    return {
        "relation": relation_names.spouse_relation(person["sex"], last["end_reason"]),
        "kind": "marriage",
        "path": [a, b],
        "common_ancestor": None,
        "marriage": couple_edge(last),
    }


def _by_blood(tx: Tx, a: str, b: str, person: Row) -> dict[str, Any] | None:
    found = blood(tx, a, b)
    if found is None:
        return None
    name = relation_names.blood_relation(found.up, found.down, person["sex"], found.half)
    direct = found.adoption and min(found.up, found.down) == 0 and found.up + found.down == 1
    return {
        "relation": f"adoptive {name}" if direct else name,
        "kind": "adoption" if found.adoption else "blood",
        "path": found.path,
        "common_ancestor": found.ancestor,
        "generations": {"a": found.up, "b": found.down},
    }


def _in_law(
    tx: Tx, a: str, b: str, known: dict[str, Row], marriages: list[Row]
) -> dict[str, Any] | None:
    """Through one marriage at either end, the closest first (a's spouse's side on a tie)."""
    candidates = []
    spouses = [(s, c, "a") for s, c in _spouses_of(a, marriages)]
    spouses += [(s, c, "b") for s, c in _spouses_of(b, marriages)]
    sexes = persons(tx, sorted({s for s, _, _ in spouses}))
    for spouse, couple, end in spouses:
        found = blood(tx, spouse, b, IN_LAW_GENERATIONS) if end == "a" else None
        found = found or (blood(tx, a, spouse, IN_LAW_GENERATIONS) if end == "b" else None)
        if found is not None and spouse not in (a, b):
            candidates.append((found.up + found.down, end, spouse, couple, found))
    if not candidates:
        return None
    _, end, spouse, couple, found = min(candidates, key=lambda c: c[:3])
    spouse_sex = (sexes.get(spouse) or {}).get("sex")
    if end == "a":
        name = relation_names.spouses_relative(found.up, found.down, known[b]["sex"], spouse_sex)
        path = [a, *found.path]
    else:
        name = relation_names.relatives_spouse(found.up, found.down, spouse_sex, known[b]["sex"])
        path = [*found.path, b]
    return {
        "relation": relation_names.former(name, couple["end_reason"]),
        "kind": "in-law",
        "path": path,
        "common_ancestor": found.ancestor,
        "through": spouse,
        "marriage": couple_edge(couple),
    }
