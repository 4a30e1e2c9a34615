"""Parentage recognitions and adoptions: one parent per role, older than the child. Through
`Ledger.register` on both stores; every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

from lifeledger.domain.errors import ParentNotOlder, ParentRoleTaken, ParentSexMismatch
from tests.builders import a_birth, a_parentage, a_pin
from tests.integration.rules.desk import Desk, ref


def test_recognition_of_a_father_is_accepted(desk: Desk) -> None:
    mother, father = desk.born("F", "1970-01-01"), desk.born("M", "1968-01-01")
    child = desk.born("M", "1995-01-01", mother=mother)

    desk.accept(a_parentage(father, child, "father", "2000-01-01"))

    person = desk.ledger.person(child)
    assert person is not None and person.parents() == {"mother": mother, "father": father}


def test_a_second_father_is_refused(desk: Desk) -> None:
    first_father, second_father = desk.born("M", "1968-01-01"), desk.born("M", "1969-01-01")
    child = desk.born("M", "1995-01-01", mother=desk.born("F", "1970-01-01"))
    first = a_parentage(first_father, child, "father", "2000-01-01")
    desk.accept(first)

    error = desk.refuse(
        a_parentage(second_father, child, "father", "2001-01-01"),
        ParentRoleTaken,
        child,
        first_father,
        ref(first),
    )
    assert error.facts["existing"] == first_father


def test_a_second_father_is_accepted_once_the_first_recognition_is_revoked(desk: Desk) -> None:
    first_father, second_father = desk.born("M", "1968-01-01"), desk.born("M", "1969-01-01")
    child = desk.born("M", "1995-01-01")
    first = a_parentage(first_father, child, "father", "2000-01-01")
    desk.accept(first)

    assert desk.revoke(first).status == "accepted"
    desk.accept(a_parentage(second_father, child, "father", "2001-01-01"))

    person = desk.ledger.person(child)
    assert person is not None and person.parents() == {"father": second_father}


def test_recognition_refused_when_the_birth_names_another_father(desk: Desk) -> None:
    father, other = desk.born("M", "1968-01-01"), desk.born("M", "1969-01-01")
    birth = a_birth(child := a_pin("F", 1995), "1995-01-01", father=father)
    desk.accept(birth)

    desk.refuse(
        a_parentage(other, child, "father", "2000-01-01"), ParentRoleTaken, father, ref(birth)
    )


def test_recognition_refused_when_the_parent_is_not_older(desk: Desk) -> None:
    child = desk.born("M", "1995-01-01")
    too_young = desk.born("F", "1996-01-01")

    desk.refuse(
        a_parentage(too_young, child, "mother", "2020-01-01"), ParentNotOlder, too_young, child
    )


def test_recognition_refused_when_the_parent_s_sex_does_not_fit_the_role(desk: Desk) -> None:
    child = desk.born("M", "1995-01-01")
    woman = desk.born("F", "1970-01-01")

    desk.refuse(a_parentage(woman, child, "father", "2000-01-01"), ParentSexMismatch, woman)


def test_a_second_adoptive_father_is_refused(desk: Desk) -> None:
    first, second = desk.born("M", "1960-01-01"), desk.born("M", "1961-01-01")
    child = desk.born("F", "1995-01-01")
    adoption = a_parentage(first, child, "adoptive_father", "2000-01-01")
    desk.accept(adoption)

    desk.refuse(
        a_parentage(second, child, "adoptive_father", "2001-01-01"),
        ParentRoleTaken,
        first,
        ref(adoption),
    )
