"""Who a person is, folded from what their acts say about them (`identity`): the person's own
birth act first, then the latest act; the first death; the PIN for what no act says. Pure
functions of facts, no database."""

from __future__ import annotations

from typing import Any

import pytest

from lifeledger.jsoncodec import dumps, loads
from lifeledger.projections.identity import (
    Fact,
    SourcesGuard,
    apply_fact,
    could_change,
    fold_identity,
    render,
    sources_of,
)

PIN = "034180000001"  # a woman born in 1980, province 034


def a_fact(
    kind: str = "birth",
    role: str = "child",
    on: str = "1980-03-02",
    registered: str | None = None,
    position: int = 1,
    **person: Any,
) -> Fact:
    """What one act says about the person: `person` holds the fields it gives."""
    registered = registered or on
    ref = ("034-HN-01", "01/1980", str(position), registered)
    return Fact.of(kind, role, on, (on, registered, position), ref, person)


OWN_BIRTH = a_fact(full_name="Trần Thị Lan", ethnicity="Kinh", position=1)
AS_MOTHER = a_fact(role="mother", on="2005-06-01", position=7, full_name="Trần Thị Lan Anh")
MARRIAGE = a_fact("marriage", "spouse", "2003-09-09", position=5, full_name="Trần T. Lan")
DEATH = a_fact("death", "deceased", "2040-01-01", position=9, full_name="Trần Thị Lan (mất)")

FOLDS = [
    # (what the case shows, the facts in the order the read model meets them, expected fields)
    (
        "no act: sex and birth year from the PIN, alive, no name",
        [],
        {"sex": "F", "birth_date": "1980", "status": "alive", "full_name": None},
    ),
    (
        "the own birth act gives the name, its date and its registration",
        [OWN_BIRTH],
        {
            "full_name": "Trần Thị Lan",
            "ethnicity": "Kinh",
            "birth_date": "1980-03-02",
            "birth_registration": {
                "authority": "034-HN-01",
                "book": "01/1980",
                "number": "1",
                "registered_on": "1980-03-02",
            },
        },
    ),
    (
        "the own birth act wins over a later act, whatever the order they come in",
        [AS_MOTHER, MARRIAGE, OWN_BIRTH],
        {"full_name": "Trần Thị Lan"},
    ),
    (
        "without a birth act, the latest act by fact date gives the name",
        [AS_MOTHER, MARRIAGE],
        {"full_name": "Trần Thị Lan Anh", "birth_date": "1980"},
    ),
    (
        "a later act gives a field the birth act did not",
        [OWN_BIRTH, a_fact("marriage", "spouse", "2003-09-09", hometown="xã Đông Lâm")],
        {"full_name": "Trần Thị Lan", "hometown": "xã Đông Lâm"},
    ),
    (
        "on the same fact date, the later registration wins",
        [
            a_fact("marriage", "spouse", "2003-09-09", "2003-10-01", 3, full_name="B"),
            a_fact("marriage", "spouse", "2003-09-09", "2003-09-10", 4, full_name="A"),
        ],
        {"full_name": "B"},
    ),
    (
        "on the same dates, the later position wins",
        [
            a_fact("marriage", "spouse", "2003-09-09", position=4, full_name="B"),
            a_fact("marriage", "spouse", "2003-09-09", position=3, full_name="A"),
        ],
        {"full_name": "B"},
    ),
    (
        "a death makes the person dead on its date; the birth act's name stays",
        [OWN_BIRTH, DEATH],
        {"status": "dead", "death_date": "2040-01-01", "full_name": "Trần Thị Lan"},
    ),
    (
        "of two deaths, the first counts",
        [DEATH, a_fact("death", "deceased", "2039-12-31", position=10)],
        {"death_date": "2039-12-31", "full_name": "Trần Thị Lan (mất)"},
    ),
    (
        "a correction or divorce describes nobody",
        [
            a_fact("correction", "subject", "2010-01-01", position=11, full_name="X"),
            a_fact("divorce", "spouse", "2011-01-01", position=12, full_name="Y"),
        ],
        {"full_name": None, "status": "alive"},
    ),
    (
        "a parent's part in a child's birth act is not their own birth",
        [AS_MOTHER],
        {"birth_date": "1980", "full_name": "Trần Thị Lan Anh"},
    ),
    (
        "a field that is not text, or empty, is not a fact",
        [a_fact(full_name="", ethnicity=5, hometown="Huế")],
        {"full_name": None, "hometown": "Huế"},
    ),
    (
        "sex given by an act overrides the PIN's",
        [a_fact("marriage", "spouse", "2003-09-09", sex="M")],
        {"sex": "M"},
    ),
]


@pytest.mark.parametrize(("case", "facts", "expected"), FOLDS, ids=[case for case, _, _ in FOLDS])
def test_identity_folded_from_facts(case: str, facts: list[Fact], expected: dict[str, Any]) -> None:
    found = fold_identity(PIN, facts)
    assert {key: found.get(key) for key in expected} == expected, case


@pytest.mark.parametrize(("case", "facts", "expected"), FOLDS, ids=[case for case, _, _ in FOLDS])
def test_the_order_facts_come_in_changes_nothing(
    case: str, facts: list[Fact], expected: dict[str, Any]
) -> None:
    assert fold_identity(PIN, facts[::-1]) == fold_identity(PIN, facts), case


APPLIED = [
    # (the facts already counted, one more fact, does it change what the identity stands on)
    ([], MARRIAGE, True),
    ([OWN_BIRTH], AS_MOTHER, False),  # the own birth act outranks the child's birth act
    ([OWN_BIRTH], a_fact("marriage", "spouse", "2003-09-09", hometown="Huế"), True),
    ([MARRIAGE], AS_MOTHER, True),  # a later act, without a birth act: its name wins
    ([MARRIAGE], a_fact("marriage", "spouse", "2001-01-01", position=2, full_name="Z"), False),
    ([OWN_BIRTH], DEATH, True),
    ([OWN_BIRTH, DEATH], a_fact("death", "deceased", "2041-01-01", position=20), False),
    ([OWN_BIRTH], a_fact("correction", "subject", "2010-01-01", full_name="X"), False),
]


@pytest.mark.parametrize(("counted", "more", "changes"), APPLIED)
def test_applying_a_fact_says_whether_it_changed_the_sources(
    counted: list[Fact], more: Fact, changes: bool
) -> None:
    sources = sources_of(counted)
    assert apply_fact(sources, more) is changes
    assert sources == sources_of([*counted, more])


@pytest.mark.parametrize(("counted", "more", "changes"), APPLIED)
def test_stored_sources_and_their_guard_hold_as_the_read_model_keeps_them(
    counted: list[Fact], more: Fact, changes: bool
) -> None:
    """The read model stores the sources and the guard as JSON text and applies later facts to
    what it reads back: the same answers as in memory, and a guard that says a fact cannot
    change the sources only when it does not."""
    stored = loads(dumps(sources_of(counted)))
    guard = SourcesGuard.read(SourcesGuard.of(stored).text())
    assert could_change(guard, more) or not changes
    assert apply_fact(stored, more) is changes
    assert fold_identity(PIN, [*counted, more]) == render(PIN, stored)


def test_a_fact_is_frozen() -> None:
    with pytest.raises(AttributeError):
        OWN_BIRTH.kind = "death"  # type: ignore[misc]
