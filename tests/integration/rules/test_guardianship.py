"""Guardianships: an adult guardian, a minor ward (or an adult lacking capacity). Through
`Ledger.register` on both stores; every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

from lifeledger.domain.errors import (
    GuardianNotAdult,
    GuardianshipNotOpen,
    PartyDeceased,
    WardNotMinor,
)
from tests.builders import a_guardianship, a_pin
from tests.integration.rules.desk import Desk, ref


def test_guardianship_of_a_minor_by_an_adult_is_accepted_and_ended(desk: Desk) -> None:
    ward, guardian = desk.born("M", "2010-01-01"), desk.born("F", "1980-01-01")
    desk.accept(a_guardianship(ward, guardian, "2015-01-01"))

    desk.accept(a_guardianship(ward, guardian, "2020-01-01", ended=True))


def test_guardianship_refused_when_the_guardian_is_a_minor(desk: Desk) -> None:
    ward, guardian = desk.born("M", "2010-01-01"), desk.born("F", "2000-06-01")

    desk.refuse(a_guardianship(ward, guardian, "2018-05-31"), GuardianNotAdult, guardian)


def test_guardianship_accepted_on_the_guardian_s_eighteenth_birthday(desk: Desk) -> None:
    ward, guardian = desk.born("M", "2010-01-01"), desk.born("F", "2000-06-01")

    desk.accept(a_guardianship(ward, guardian, "2018-06-01"))


def test_guardianship_refused_when_a_guardian_known_only_by_pin_is_a_child(desk: Desk) -> None:
    ward, guardian = desk.born("M", "2012-01-01"), a_pin("F", 2010)

    desk.refuse(a_guardianship(ward, guardian, "2020-01-01"), GuardianNotAdult, guardian)


def test_guardianship_refused_when_the_guardian_has_died(desk: Desk) -> None:
    ward, guardian = desk.born("M", "2010-01-01"), desk.born("F", "1980-01-01")
    death = desk.died(guardian, "2014-01-01")

    desk.refuse(a_guardianship(ward, guardian, "2015-01-01"), PartyDeceased, guardian, ref(death))


def test_guardianship_of_an_adult_as_a_minor_is_refused(desk: Desk) -> None:
    ward, guardian = desk.born("M", "1990-01-01"), desk.born("F", "1960-01-01")

    desk.refuse(a_guardianship(ward, guardian, "2015-01-01"), WardNotMinor, ward)


def test_guardianship_of_an_adult_lacking_capacity_is_accepted(desk: Desk) -> None:
    ward, guardian = desk.born("M", "1990-01-01"), desk.born("F", "1960-01-01")

    desk.accept(a_guardianship(ward, guardian, "2015-01-01", kind="incapacity"))


def test_guardianship_end_refused_when_none_is_open(desk: Desk) -> None:
    ward, guardian = desk.born("M", "2010-01-01"), desk.born("F", "1980-01-01")
    other = desk.born("M", "1975-01-01")
    desk.accept(a_guardianship(ward, guardian, "2015-01-01"))
    desk.accept(a_guardianship(ward, guardian, "2016-01-01", ended=True))

    desk.refuse(
        a_guardianship(ward, guardian, "2017-01-01", ended=True),
        GuardianshipNotOpen,
        ward,
        guardian,
    )
    desk.refuse(
        a_guardianship(ward, other, "2017-01-01", ended=True), GuardianshipNotOpen, ward, other
    )
