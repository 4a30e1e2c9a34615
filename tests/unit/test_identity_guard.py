"""A person's guard (`identity.SourcesGuard`) lets a batch skip reading and weighing the sources of
a person no new fact changes: it may let through a fact that changes nothing, never stop one
that changes something."""

from __future__ import annotations

import copy
import dataclasses
import random
from typing import Any

from lifeledger.projections.identity import (
    IDENTITY_FIELDS,
    Fact,
    SourcesGuard,
    apply_fact,
    could_change,
    sources_of,
)
from lifeledger.projections.person_rows import PersonRowCache, StoredRow

KINDS = ["birth", "death", "marriage", "divorce", "parentage", "adoption", "correction"]
ROLES = ["child", "mother", "father", "deceased", "spouse", "subject"]


def random_fact(rng: random.Random) -> Fact:
    year = rng.randint(1950, 2020)
    on = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    registered = f"{year + rng.randint(0, 3)}-01-15"
    fields = rng.sample(IDENTITY_FIELDS, rng.randint(0, 4))
    return Fact.of(
        rng.choice(KINDS),
        rng.choice(ROLES),
        on,
        (on, registered, rng.randint(1, 10_000)),
        ("001-XA-A", "01/2000", str(rng.randint(1, 99)), registered),
        {key: f"{key}-{rng.randint(1, 3)}" for key in fields},
    )


def test_a_fact_the_guard_stops_changes_nothing() -> None:
    rng = random.Random(7)
    let_through = stopped = 0
    for _ in range(5_000):
        sources = sources_of(random_fact(rng) for _ in range(rng.randint(0, 4)))
        each = random_fact(rng)
        changes = apply_fact(copy.deepcopy(sources), each)
        if could_change(stored_guard(sources), each):
            let_through += 1
        else:
            stopped += 1
            assert not changes, (sources, each)
    assert stopped > 500 and let_through > 500  # both ways are exercised


def stored_guard(sources: dict[str, Any]) -> SourcesGuard:
    """The guard as a batch reads it back from the person's row."""
    return SourcesGuard.read(SourcesGuard.of(sources).text())


def birth(child_fields: dict[str, Any], on: str, position: int) -> Fact:
    return Fact.of("birth", "child", on, (on, on, position), ("a", "b", "1", on), child_fields)


def test_a_parent_named_in_a_childs_birth_act_is_not_read_again() -> None:
    """The common case in a catch-up: the parent's own birth act gave every field the child's
    act repeats, so the child's act cannot change the parent."""
    own = birth({"full_name": "Trần Thị Lan", "sex": "F", "ethnicity": "Kinh"}, "1950-02-01", 1)
    sources = sources_of([own])
    as_mother = Fact.of(
        "birth", "mother", "1975-05-05", ("1975-05-05", "1975-05-06", 9),
        ("a", "b", "2", "1975-05-06"), {"full_name": "Trần Thị Lan", "ethnicity": "Kinh"},
    )  # fmt: skip
    assert not could_change(stored_guard(sources), as_mother)
    # …unless it gives a field her own birth act did not
    with_hometown = {**as_mother.person, "hometown": "xã Đông Lâm"}
    as_mother = dataclasses.replace(as_mother, person=with_hometown)
    assert could_change(stored_guard(sources), as_mother)
    assert apply_fact(sources, as_mother)


def test_cached_rows_hold_only_at_the_position_their_runner_left_the_projection() -> None:
    known = PersonRowCache()
    row: StoredRow = ("tran thi lan", SourcesGuard(None, frozenset()))
    known.begin(0)  # a rebuild: the table is empty, so known rows are all of it
    assert known.has_all() and known.get("034180000001") is None
    known.written("034180000001", row)
    assert known.get("034180000001") is None  # counts once committed
    known.end(40)
    known.begin(40)
    assert known.get("034180000001") == row and known.has_all()
    known.end(None)  # the batch failed: forget
    known.begin(40)
    assert known.get("034180000001") is None and not known.has_all()
    known.remember("034180000001", row)  # read from the table
    known.end(80)
    known.begin(95)  # another runner applied 81-95: forget
    assert known.get("034180000001") is None and not known.has_all()
    known.end(120)
    assert known.get("034180000001") is None  # outside a batch: never


def test_cached_rows_beyond_the_limit_go_oldest_first_and_are_no_longer_all() -> None:
    known = PersonRowCache(limit=2)
    known.begin(0)
    for n in range(3):
        known.written(f"03418000000{n}", (f"p{n}", SourcesGuard(None, frozenset())))
    known.end(10)
    known.begin(10)
    assert not known.has_all()
    assert [known.get(f"03418000000{n}") is not None for n in range(3)] == [False, True, True]
