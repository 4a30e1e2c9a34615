"""Births: parents, PINs, the life-span of each parent. Through `Ledger.register` on both stores;
every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

import pytest

from lifeledger.domain.errors import (
    BirthAlreadyRegistered,
    InvalidPin,
    ParentDeadAtBirth,
    ParentNotOlder,
    PinMismatch,
)
from tests.builders import a_birth, a_pin
from tests.integration.rules.desk import Desk, ref


def test_birth_with_both_parents_is_accepted_and_links_the_family(desk: Desk) -> None:
    mother, father = desk.born("F", "1962-04-01"), desk.born("M", "1960-02-02")

    child = desk.born("M", "1990-06-15", mother=mother, father=father)

    person = desk.ledger.person(child)
    assert person is not None and person.birth is not None
    assert person.parents() == {"mother": mother, "father": father}
    assert person.sex == "M" and str(person.born_on) == "1990-06-15"


def test_a_second_birth_of_the_same_pin_is_refused(desk: Desk) -> None:
    pin = a_pin("F", 1990)
    first = a_birth(pin, "1990-06-15")
    desk.accept(first)

    desk.refuse(
        a_birth(pin, "1990-06-15", name="Lê Thị Hoa"), BirthAlreadyRegistered, pin, ref(first)
    )


@pytest.mark.parametrize(
    ("pin", "born", "sex", "part"),
    [
        ("034090000101", "1990-06-15", "F", "sex"),  # digit 0: a man
        ("034190000102", "1990-06-15", "M", "sex"),  # digit 1: a woman
        ("034090000103", "1991-06-15", "M", "birth_year"),  # YY 90, born 1991
        ("034290000104", "1990-06-15", "M", "birth_year"),  # digit 2: the 2000s
    ],
)
def test_birth_refused_when_the_pin_disagrees_with_sex_or_year(
    desk: Desk, pin: str, born: str, sex: str, part: str
) -> None:
    error = desk.refuse(a_birth(pin, born, sex=sex), PinMismatch, pin, "child.pin")
    assert error.facts["part"] == part


def test_birth_refused_when_a_parent_pin_disagrees_with_the_role(desk: Desk) -> None:
    woman = a_pin("F", 1960)
    error = desk.refuse(
        a_birth(a_pin("M", 1990), "1990-06-15", father=woman), PinMismatch, woman, "father.pin"
    )
    assert error.facts["part"] == "sex"


def test_birth_refused_for_a_pin_of_an_unknown_province(desk: Desk) -> None:
    error = desk.refuse(a_birth("099090000001", "1990-06-15"), InvalidPin, "099", "child.pin")
    assert error.facts["part"] == "province"


def test_birth_refused_when_the_mother_is_not_older_than_the_child(desk: Desk) -> None:
    mother = desk.born("F", "1990-08-01")
    child = a_pin("M", 1990)

    desk.refuse(a_birth(child, "1990-06-15", mother=mother), ParentNotOlder, mother, child)


def test_birth_refused_when_a_parent_known_only_by_pin_is_younger(desk: Desk) -> None:
    father = a_pin("M", 1995)  # no birth on record: the PIN's year is what is known
    child = a_pin("F", 1990)

    desk.refuse(a_birth(child, "1990-06-15", father=father), ParentNotOlder, father, child)


def test_birth_refused_when_the_mother_had_died_before(desk: Desk) -> None:
    mother = desk.born("F", "1960-01-01")
    death = desk.died(mother, "1990-06-14")
    child = a_pin("M", 1990)

    desk.refuse(
        a_birth(child, "1990-06-15", mother=mother), ParentDeadAtBirth, mother, child, ref(death)
    )


def test_birth_accepted_when_the_mother_died_in_childbirth(desk: Desk) -> None:
    mother = desk.born("F", "1960-01-01")
    desk.died(mother, "1990-06-15")

    desk.born("M", "1990-06-15", mother=mother)


@pytest.mark.parametrize(
    ("father_died", "accepted"),
    [
        ("1989-11-27", True),  # 200 days before the birth
        ("1989-05-22", False),  # 389 days before
        ("1989-05-11", False),  # 400 days before
    ],
)
def test_a_father_may_have_died_up_to_about_300_days_before_the_birth(
    desk: Desk, father_died: str, accepted: bool
) -> None:
    father = desk.born("M", "1960-01-01")
    death = desk.died(father, father_died)
    child = a_pin("F", 1990)
    entry = a_birth(child, "1990-06-15", father=father)

    if accepted:
        desk.accept(entry)
    else:
        desk.refuse(entry, ParentDeadAtBirth, father, child, ref(death))
