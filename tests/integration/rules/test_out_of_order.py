"""Acts arriving out of order: rules compare the dates of the facts, never the order of arrival.
Through `Ledger.register` on both stores; every refusal is checked to write nothing (see
`desk`)."""

from __future__ import annotations

import pytest

from lifeledger.domain.errors import (
    ActAfterDeath,
    ActBeforeBirth,
    Bigamy,
    KinshipBan,
    UnderMarriageAge,
)
from tests.builders import a_birth, a_death, a_divorce, a_marriage, a_parentage, a_pin
from tests.integration.rules.desk import Desk, ref


def test_an_earlier_marriage_arriving_after_a_remarriage_is_refused(desk: Desk) -> None:
    husband = desk.born("M", "1955-01-01")
    first_wife, second_wife = desk.born("F", "1957-01-01"), desk.born("F", "1960-01-01")
    remarriage = desk.married(husband, second_wife, "1990-06-01")

    error = desk.refuse(
        a_marriage(husband, first_wife, "1980-06-01"), Bigamy, husband, second_wife, ref(remarriage)
    )
    assert error.facts["existing"] == ref(remarriage)


def test_an_earlier_marriage_arriving_late_is_accepted_when_it_ended_by_death(desk: Desk) -> None:
    husband = desk.born("M", "1955-01-01")
    first_wife, second_wife = desk.born("F", "1957-01-01"), desk.born("F", "1960-01-01")
    desk.married(husband, second_wife, "1990-06-01")
    desk.died(first_wife, "1985-01-01")

    desk.married(husband, first_wife, "1980-06-01")


def test_a_late_birth_revealing_that_spouses_are_siblings_is_refused(desk: Desk) -> None:
    brother, sister = a_pin("M", 1990), a_pin("F", 1992)
    marriage = desk.married(brother, sister, "2015-06-01")
    mother = desk.born("F", "1965-01-01")
    desk.accept(a_birth(brother, "1990-02-01", mother=mother))

    desk.refuse(
        a_birth(sister, "1992-02-01", mother=mother),
        KinshipBan,
        brother,
        sister,
        "siblings",
        ref(marriage),
    )
    spouse = desk.ledger.person(sister)
    assert spouse is not None and spouse.birth is None  # known as a spouse, still unborn


def test_a_late_recognition_revealing_that_spouses_are_siblings_is_refused(desk: Desk) -> None:
    father = desk.born("M", "1960-01-01")
    son, daughter = desk.born("M", "1985-01-01"), desk.born("F", "1987-01-01", father=father)
    marriage = desk.married(son, daughter, "2010-01-01")

    desk.refuse(
        a_parentage(father, son, "father", "2012-01-01"), KinshipBan, son, daughter, ref(marriage)
    )


def test_a_late_birth_of_a_grandparent_link_revealing_cousins_is_refused(desk: Desk) -> None:
    grandmother = desk.born("F", "1930-01-01")
    aunt = desk.born("F", "1955-01-01", mother=grandmother)
    cousin_f = desk.born("F", "1980-01-01", mother=aunt)
    uncle = a_pin("M", 1952)
    cousin_m = desk.born("M", "1978-01-01", father=uncle)
    marriage = desk.married(cousin_m, cousin_f, "2005-01-01")

    desk.refuse(
        a_birth(uncle, "1952-01-01", mother=grandmother),
        KinshipBan,
        cousin_m,
        cousin_f,
        "first cousins",
        ref(marriage),
    )


def test_a_late_birth_that_makes_a_recorded_marriage_under_age_is_refused(desk: Desk) -> None:
    groom, bride = a_pin("M", 1990), desk.born("F", "1985-01-01")
    marriage = desk.married(groom, bride, "2010-03-01")  # PIN year 1990: he may be 20

    desk.refuse(a_birth(groom, "1990-06-01"), UnderMarriageAge, groom, ref(marriage))
    desk.accept(a_birth(groom, "1990-03-01"))  # born on the day twenty years before


def test_a_late_death_dated_before_a_recorded_marriage_is_refused(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    marriage = desk.married(husband, wife, "2010-05-01")

    desk.refuse(a_death(husband, "2005-01-01"), ActAfterDeath, husband, ref(marriage))
    desk.refuse(a_death(wife, "2010-04-30"), ActAfterDeath, wife, ref(marriage))
    desk.died(wife, "2010-05-01")


def test_a_late_death_of_a_mother_before_her_child_s_birth_is_refused(desk: Desk) -> None:
    mother = desk.born("F", "1960-01-01")
    birth = a_birth(a_pin("M", 1990), "1990-06-15", mother=mother)
    desk.accept(birth)

    desk.refuse(a_death(mother, "1990-06-01"), ActAfterDeath, mother, ref(birth))


@pytest.mark.parametrize(("died", "accepted"), [("1989-11-27", True), ("1989-05-11", False)])
def test_a_late_death_of_a_father_allows_about_300_days_before_the_birth(
    desk: Desk, died: str, accepted: bool
) -> None:
    father = desk.born("M", "1960-01-01")
    birth = a_birth(a_pin("M", 1990), "1990-06-15", father=father)
    desk.accept(birth)

    if accepted:
        desk.died(father, died)
    else:
        desk.refuse(a_death(father, died), ActAfterDeath, father, ref(birth))


def test_a_late_death_before_a_divorce_is_refused(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    marriage = desk.married(husband, wife, "2000-05-01")
    divorce = a_divorce(marriage, "2005-01-01")
    desk.accept(divorce)

    desk.refuse(a_death(wife, "2004-01-01"), ActAfterDeath, wife, ref(divorce))


def test_a_late_birth_dated_after_the_death_is_refused(desk: Desk) -> None:
    pin = a_pin("M", 1990)
    death = a_death(pin, "1990-03-01")
    desk.accept(death)

    desk.refuse(a_birth(pin, "1990-06-01"), ActBeforeBirth, pin, ref(death))
