"""Deaths: one per person, never before birth; a death ends an open marriage. Through
`Ledger.register` on both stores; every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

from lifeledger.domain.errors import DeathAlreadyRegistered, DeathBeforeBirth
from tests.builders import a_death, a_pin
from tests.integration.rules.desk import Desk, ref


def test_death_is_accepted_and_recorded_on_the_person(desk: Desk) -> None:
    pin = desk.born("M", "1940-01-01")

    desk.died(pin, "2010-02-03")

    person = desk.ledger.person(pin)
    assert person is not None and str(person.died_on) == "2010-02-03"


def test_a_second_death_of_the_same_pin_is_refused(desk: Desk) -> None:
    pin = desk.born("M", "1940-01-01")
    first = desk.died(pin, "2010-02-03")

    desk.refuse(a_death(pin, "2011-01-01"), DeathAlreadyRegistered, pin, ref(first))


def test_death_refused_before_birth(desk: Desk) -> None:
    pin = desk.born("M", "1990-06-15")

    desk.refuse(a_death(pin, "1990-06-14"), DeathBeforeBirth, pin, "1990-06-15")


def test_death_accepted_on_the_day_of_birth(desk: Desk) -> None:
    pin = desk.born("M", "1990-06-15")

    desk.died(pin, "1990-06-15")


def test_death_refused_before_the_birth_year_of_a_pin_with_no_other_record(desk: Desk) -> None:
    pin = a_pin("M", 1990)

    desk.refuse(a_death(pin, "1985-01-01"), DeathBeforeBirth, pin, "1990")


def test_an_open_marriage_ends_at_death_and_the_widow_may_remarry(desk: Desk) -> None:
    husband, wife = desk.born("M", "1950-01-01"), desk.born("F", "1952-01-01")
    desk.married(husband, wife, "1975-01-01")
    desk.died(husband, "2000-01-01")

    desk.married(desk.born("M", "1955-01-01"), wife, "2001-01-01")
