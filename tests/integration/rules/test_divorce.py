"""Divorces: of an open marriage, never before it or after a spouse's death. Through
`Ledger.register` on both stores; every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

from lifeledger.domain.errors import ActNotFound, ActRevoked, DivorceBeforeMarriage, MarriageNotOpen
from tests.builders import a_divorce, a_marriage
from tests.integration.rules.desk import Desk, ref


def test_divorce_of_an_open_marriage_is_accepted(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    marriage = desk.married(husband, wife, "2000-05-01")
    divorce = a_divorce(marriage, "2003-01-01")

    desk.accept(divorce)

    person = desk.ledger.person(wife)
    assert person is not None
    [span] = person.marriages()
    assert str(span.divorced_on) == "2003-01-01" and span.divorce_ref == ref(divorce)


def test_divorce_accepted_on_the_day_of_the_marriage(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    marriage = desk.married(husband, wife, "2000-05-01")

    desk.accept(a_divorce(marriage, "2000-05-01"))


def test_divorce_naming_the_spouses_is_accepted(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    desk.married(husband, wife, "2000-05-01")
    divorce = a_divorce(a_marriage(husband, wife, "2000-05-01"), "2003-01-01")
    del divorce["marriage"]
    divorce["spouses"] = [husband, wife]

    desk.accept(divorce)


def test_divorce_refused_when_no_such_marriage_is_registered(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    never_registered = a_marriage(husband, wife, "2000-05-01")

    desk.refuse(a_divorce(never_registered, "2003-01-01"), ActNotFound, ref(never_registered))


def test_divorce_refused_when_the_spouses_never_married(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    divorce = a_divorce(a_marriage(husband, wife, "2000-05-01"), "2003-01-01")
    del divorce["marriage"]
    divorce["spouses"] = [husband, wife]

    desk.refuse(divorce, MarriageNotOpen, husband, wife)


def test_divorce_refused_when_the_marriage_was_already_dissolved(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    marriage = desk.married(husband, wife, "2000-05-01")
    first = a_divorce(marriage, "2003-01-01")
    desk.accept(first)

    desk.refuse(a_divorce(marriage, "2004-01-01"), MarriageNotOpen, ref(marriage), ref(first))


def test_divorce_refused_after_a_spouse_died(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    marriage = desk.married(husband, wife, "2000-05-01")
    desk.died(husband, "2002-01-01")

    desk.refuse(a_divorce(marriage, "2003-01-01"), MarriageNotOpen, ref(marriage), "2002-01-01")


def test_divorce_refused_when_effective_before_the_marriage(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    marriage = desk.married(husband, wife, "2000-05-01")

    desk.refuse(a_divorce(marriage, "2000-04-30"), DivorceBeforeMarriage, ref(marriage))


def test_divorce_refused_for_a_revoked_marriage(desk: Desk) -> None:
    husband, wife = desk.born("M", "1970-01-01"), desk.born("F", "1972-01-01")
    marriage = desk.married(husband, wife, "2000-05-01")
    desk.revoke(marriage)

    desk.refuse(a_divorce(marriage, "2003-01-01"), ActRevoked, ref(marriage))
