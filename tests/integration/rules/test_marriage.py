"""Marriages: age, sex, bigamy, death of either spouse. Through `Ledger.register` on both stores;
every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

import pytest

from lifeledger.domain.errors import Bigamy, PartyDeceased, SameSexMarriage, UnderMarriageAge
from tests.builders import a_divorce, a_marriage, a_pin
from tests.integration.rules.desk import Desk, ref


def test_marriage_of_a_man_and_a_woman_of_age_is_accepted(desk: Desk) -> None:
    husband, wife = desk.born("M", "1988-01-01"), desk.born("F", "1990-01-01")

    marriage = desk.married(husband, wife, "2015-06-01")

    for pin, spouse in ((husband, wife), (wife, husband)):
        person = desk.ledger.person(pin)
        assert person is not None
        [span] = person.marriages()
        assert (span.spouse, span.ref, str(span.start)) == (spouse, ref(marriage), "2015-06-01")


@pytest.mark.parametrize(
    ("sex", "born", "on", "accepted"),
    [
        ("M", "1990-06-15", "2010-06-14", False),  # the day before his 20th birthday
        ("M", "1990-06-15", "2010-06-15", True),  # his 20th birthday
        ("M", "1990-06-15", "2009-12-31", False),  # 19
        ("F", "1992-03-10", "2010-03-09", False),  # the day before her 18th birthday
        ("F", "1992-03-10", "2010-03-10", True),  # her 18th birthday
        ("F", "1992-03-10", "2011-01-01", True),
    ],
)
def test_marriage_age_is_twenty_for_a_man_and_eighteen_for_a_woman_in_full_years(
    desk: Desk, sex: str, born: str, on: str, accepted: bool
) -> None:
    young = desk.born(sex, born)
    other = desk.born("F" if sex == "M" else "M", "1980-01-01")
    entry = a_marriage(young, other, on)

    if accepted:
        desk.accept(entry)
    else:
        error = desk.refuse(entry, UnderMarriageAge, young, born, on)
        assert error.facts["minimum"] == (20 if sex == "M" else 18)


def test_marriage_age_of_a_spouse_known_only_by_pin_uses_the_pin_year(desk: Desk) -> None:
    boy = a_pin("M", 2000)
    woman = desk.born("F", "1990-01-01")

    desk.refuse(a_marriage(boy, woman, "2015-06-01"), UnderMarriageAge, boy)


@pytest.mark.parametrize("sex", ["M", "F"])
def test_same_sex_marriage_is_refused(desk: Desk, sex: str) -> None:
    a, b = desk.born(sex, "1985-01-01"), desk.born(sex, "1986-01-01")

    desk.refuse(a_marriage(a, b, "2015-06-01"), SameSexMarriage, a, b)


def test_marriage_refused_while_spouse_alive_and_married(desk: Desk) -> None:
    husband = desk.born("M", "1970-01-01")
    first_wife, second_wife = desk.born("F", "1972-01-01"), desk.born("F", "1975-01-01")
    first = desk.married(husband, first_wife, "2000-05-01")

    error = desk.refuse(
        a_marriage(husband, second_wife, "2005-05-01"),
        Bigamy,
        husband,
        first_wife,
        ref(first),
        "since 2000-05-01",
    )
    assert error.facts["existing"] == ref(first)


def test_marriage_refused_when_the_bride_is_married(desk: Desk) -> None:
    wife, husband = desk.born("F", "1972-01-01"), desk.born("M", "1970-01-01")
    other_man = desk.born("M", "1968-01-01")
    first = desk.married(husband, wife, "2000-05-01")

    desk.refuse(a_marriage(other_man, wife, "2005-05-01"), Bigamy, wife, husband, ref(first))


def test_remarriage_accepted_after_the_spouse_died(desk: Desk) -> None:
    husband = desk.born("M", "1970-01-01")
    first_wife, second_wife = desk.born("F", "1972-01-01"), desk.born("F", "1975-01-01")
    desk.married(husband, first_wife, "2000-05-01")
    desk.died(first_wife, "2003-01-01")

    desk.married(husband, second_wife, "2005-05-01")


@pytest.mark.parametrize("remarried", ["2005-05-01", "2003-01-01"])  # the day it took effect too
def test_remarriage_accepted_after_a_divorce(desk: Desk, remarried: str) -> None:
    husband = desk.born("M", "1970-01-01")
    first_wife, second_wife = desk.born("F", "1972-01-01"), desk.born("F", "1975-01-01")
    first = desk.married(husband, first_wife, "2000-05-01")
    desk.accept(a_divorce(first, "2003-01-01"))

    desk.married(husband, second_wife, remarried)
    desk.married(first_wife, desk.born("M", "1971-01-01"), "2004-01-01")


def test_remarriage_refused_when_the_divorce_takes_effect_after_it(desk: Desk) -> None:
    husband = desk.born("M", "1970-01-01")
    first_wife, second_wife = desk.born("F", "1972-01-01"), desk.born("F", "1975-01-01")
    first = desk.married(husband, first_wife, "2000-05-01")
    desk.accept(a_divorce(first, "2006-01-01"))

    desk.refuse(a_marriage(husband, second_wife, "2005-05-01"), Bigamy, husband, ref(first))


def test_marriage_refused_after_the_groom_s_own_death(desk: Desk) -> None:
    groom, bride = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    death = desk.died(groom, "2003-01-01")

    desk.refuse(a_marriage(groom, bride, "2005-05-01"), PartyDeceased, groom, ref(death))


def test_marriage_refused_after_the_bride_s_death(desk: Desk) -> None:
    groom, bride = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    death = desk.died(bride, "2003-01-01")

    desk.refuse(a_marriage(groom, bride, "2005-05-01"), PartyDeceased, bride, ref(death))
