"""Corrections: a current `before`, never a PIN, the life-span rules checked again. Through
`Ledger.register` on both stores; every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

import pytest

from lifeledger.domain.errors import (
    ActAfterDeath,
    ActRevoked,
    FieldNotCorrectable,
    ParentDeadAtBirth,
    PinNotCorrectable,
    StaleCorrection,
)
from tests.builders import a_birth, a_correction, a_pin
from tests.integration.rules.desk import Desk, Entry, ref, reference


def a_born_child(desk: Desk, given: str = "An") -> tuple[Entry, str]:
    pin = a_pin("M", 2009)
    birth = a_birth(pin, "2009-03-01", name=f"Nguyễn Văn {given}")
    desk.accept(birth)
    return birth, pin


def test_correction_with_the_current_before_changes_the_registration(desk: Desk) -> None:
    birth, pin = a_born_child(desk)
    change = {"field": "child.given_name", "before": "An", "after": "Anh"}

    desk.accept(a_correction(birth, pin, [change]))

    registration = desk.ledger.registration(reference(birth))
    assert registration is not None
    assert registration.current("child.given_name") == "Anh"
    assert registration.current("child.full_name") == "Nguyễn Văn Anh"
    assert birth["child"]["given_name"] == "An"  # what was registered stays as it was


def test_correction_refused_when_its_before_is_stale(desk: Desk) -> None:
    birth, pin = a_born_child(desk)
    desk.accept(
        a_correction(birth, pin, [{"field": "child.given_name", "before": "An", "after": "Anh"}])
    )

    error = desk.refuse(
        a_correction(birth, pin, [{"field": "child.given_name", "before": "An", "after": "Ân"}]),
        StaleCorrection,
        "child.given_name",
        ref(birth),
        "'Anh'",
    )
    assert error.facts["current"] == "Anh"


@pytest.mark.parametrize("field", ["child.pin", "mother.pin", "pin"])
def test_correction_never_changes_a_pin(desk: Desk, field: str) -> None:
    birth, pin = a_born_child(desk)
    change = {"field": field, "before": pin, "after": a_pin("M", 2009)}

    desk.refuse(a_correction(birth, pin, [change]), PinNotCorrectable, field)


@pytest.mark.parametrize("field", ["child.shoe_size", "spouses.0.given_name", "register.book"])
def test_correction_of_an_unknown_field_is_refused(desk: Desk, field: str) -> None:
    birth, pin = a_born_child(desk)
    change = {"field": field, "before": None, "after": "x"}

    desk.refuse(a_correction(birth, pin, [change]), FieldNotCorrectable, field, ref(birth))


def test_correction_of_a_child_s_birth_date_keeps_the_parents_facts(desk: Desk) -> None:
    mother, father = desk.born("F", "1962-01-01"), desk.born("M", "1960-01-01")
    desk.married(father, mother, "1985-05-05")
    child = a_pin("M", 1990)
    birth = a_birth(child, "1990-03-03", mother=mother, father=father)
    desk.accept(birth)
    change = {"field": "child.birth_date", "before": "1990-03-03", "after": "1990-03-04"}

    desk.accept(a_correction(birth, child, [change]))

    person = desk.ledger.person(child)
    assert person is not None and str(person.born_on) == "1990-03-04"


def test_correction_refused_when_it_moves_a_birth_after_the_mother_s_death(desk: Desk) -> None:
    mother = desk.born("F", "1962-01-01")
    child = a_pin("M", 1990)
    birth = a_birth(child, "1990-03-03", mother=mother)
    desk.accept(birth)
    desk.died(mother, "1990-03-10")
    change = {"field": "child.birth_date", "before": "1990-03-03", "after": "1990-03-20"}

    desk.refuse(a_correction(birth, child, [change]), ParentDeadAtBirth, mother, child)


@pytest.mark.parametrize("after", ["2010-04-01", "2010-06-01"])
def test_correction_may_move_a_death_date_either_way(desk: Desk, after: str) -> None:
    pin = desk.born("M", "1950-01-01")
    death = desk.died(pin, "2010-05-01")
    change = {"field": "death.date", "before": "2010-05-01", "after": after}

    desk.accept(a_correction(death, pin, [change]))

    person = desk.ledger.person(pin)
    assert person is not None and str(person.died_on) == after


def test_correction_refused_when_it_moves_a_death_before_a_recorded_marriage(desk: Desk) -> None:
    husband, wife = desk.born("M", "1950-01-01"), desk.born("F", "1952-01-01")
    marriage = desk.married(husband, wife, "2005-01-01")
    death = desk.died(husband, "2010-05-01")
    change = {"field": "death.date", "before": "2010-05-01", "after": "2004-12-31"}

    desk.refuse(a_correction(death, husband, [change]), ActAfterDeath, husband, ref(marriage))


def test_correction_of_a_revoked_act_is_refused(desk: Desk) -> None:
    birth, pin = a_born_child(desk)
    desk.revoke(birth)
    change = {"field": "child.given_name", "before": "An", "after": "Anh"}

    desk.refuse(a_correction(birth, pin, [change]), ActRevoked, ref(birth))
