"""A person's family tree as officers draw it, read from the registry's edges as nodes and edges.

From the person, `depth` generations up (ancestors) and down (descendants); at each
generation above, the brothers and sisters of the line (every other child of an ancestor,
half-siblings included: aunts, uncles, great-aunts…; their children, the cousins, are not
in it); every child in the tree with all its parents (the other parent of the person's
children, a half-sibling's other parent); and the spouses of the line and of the siblings,
each marriage a couple edge with its span (`from`, `to`, `end_reason`) and registration.

One query per generation up, one per generation down (with the siblings and the other
parents), then the marriages and the persons: the size of the tree does not add queries.
"""

from __future__ import annotations

from typing import Any

from lifeledger.database import Row, Tx
from lifeledger.projections.graph import (
    MAX_GENERATIONS,
    PERSON_COLUMNS,
    couple_edge,
    couples,
    parent_edges,
    persons,
)


def family(tx: Tx, pin: str, depth: int) -> dict[str, Any] | None:
    """The person's family tree to `depth` generations up and down (see the module), or None
    for an unknown PIN.

    Nodes have an `id`: the PIN, or for a parent known only by name (pin null) a stable
    `name:<act id>:<role>`; edges name their ends by node id (so by PIN when there is one)."""
    depth = max(0, min(depth, MAX_GENERATIONS))
    up = _ancestors(tx, pin, depth)
    ancestors = sorted({e["parent_pin"] for e in up if e["parent_pin"]})
    down, blood = _below(tx, pin, ancestors, depth)
    marriages = couples(tx, sorted(blood))
    edges = _unique(up + down)
    pins = {e[end] for e in edges for end in ("child_pin", "parent_pin") if e[end]}
    pins |= blood | {c[end] for c in marriages for end in ("a", "b")}
    found = persons(tx, sorted(pins))
    if pin not in found:
        return None
    nodes = [_node(found[p]) for p in sorted(pins) if p in found]
    nodes += [_named_parent(e) for e in edges if not e["parent_pin"]]
    return {
        "root": pin,
        "nodes": nodes,
        "edges": [_parent_edge(e) for e in edges] + [couple_edge(c) for c in marriages],
    }


def _ancestors(tx: Tx, pin: str, depth: int) -> list[Row]:
    """The edges from the person up to their ancestors, one query per generation."""
    found: list[Row] = []
    frontier, seen = [pin], {pin}
    for _ in range(depth):
        step = parent_edges(tx, "child_pin", frontier)
        found += step
        frontier = sorted({e["parent_pin"] for e in step if e["parent_pin"]} - seen)
        seen.update(frontier)
        if not frontier:
            break
    return found


def _below(tx: Tx, pin: str, ancestors: list[str], depth: int) -> tuple[list[Row], set[str]]:
    """The edges down from the person (`depth` generations) and from each ancestor (one: the
    siblings), each child found with all its parents; and the blood relatives in the tree
    (the person, the ancestors, the descendants and the siblings). Each query asks for the
    children of one generation and the parents of the children found by the one before."""
    found: list[Row] = []
    blood = {pin, *ancestors}
    line, others = [pin], ancestors
    orphans: list[str] = []  # children found by the step before: their parents come next
    for level in range(depth + 1):
        wanted = sorted({*line, *others}) if level < depth else []
        if not wanted and not orphans:
            break
        step = _edges_of(tx, wanted, orphans)
        found += step
        children = {e["child_pin"] for e in step if e["parent_pin"] in wanted} - blood
        line = sorted({e["child_pin"] for e in step if e["parent_pin"] in line} & children)
        blood |= children
        others, orphans = [], sorted(children)
    return found, blood


def _edges_of(tx: Tx, parents: list[str], children: list[str]) -> list[Row]:
    """The counted parent–child edges from any of `parents` or to any of `children`."""
    if not children:
        return parent_edges(tx, "parent_pin", parents)
    if not parents:
        return parent_edges(tx, "child_pin", children)
    from_parents, params_p = tx.any_of("parent_pin", parents)
    to_children, params_c = tx.any_of("child_pin", children)
    return tx.rows(
        f"SELECT * FROM ll_parent WHERE ({from_parents} OR {to_children}) AND revoked = 0",
        params_p + params_c,
    )


def _unique(edges: list[Row]) -> list[Row]:
    """Parent edges once each, in a stable order."""
    found = {(e["act_id"], e["role"]): e for e in edges}
    return sorted(found.values(), key=lambda e: (e["child_pin"], e["role"], e["act_id"]))


def _node(person: Row) -> dict[str, Any]:
    return {"id": person["pin"], **{k: person[k] for k in PERSON_COLUMNS.split(", ")}}


def _parent_id(edge: Row) -> str:
    return str(edge["parent_pin"] or f"name:{edge['act_id']}:{edge['role']}")


def _named_parent(edge: Row) -> dict[str, Any]:
    year = edge["parent_birth_year"]
    return {
        "id": _parent_id(edge),
        "pin": None,
        "full_name": edge["parent_name"],
        "sex": "F" if edge["role"].endswith("mother") else "M",
        "birth_date": str(year) if year else None,
        "death_date": None,
        "status": None,
    }


def _parent_edge(edge: Row) -> dict[str, Any]:
    return {
        "type": "parent",
        "parent": _parent_id(edge),
        "child": edge["child_pin"],
        "kind": edge["kind"],
        "role": edge["role"],
    }
