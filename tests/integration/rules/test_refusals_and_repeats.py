"""What a refusal or a repeat writes: nothing, a duplicate, a conflict. Through `Ledger.register`
on both stores; every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

from lifeledger.domain.errors import Bigamy, InvalidDate, ReferenceConflict
from tests.builders import a_birth, a_death, a_marriage, a_pin
from tests.integration.rules.desk import Desk, ref, reference


def test_a_refused_act_writes_nothing(desk: Desk) -> None:
    husband = desk.born("M", "1970-01-01")
    wife, other = desk.born("F", "1972-01-01"), a_pin("F", 1975)
    desk.married(husband, wife, "2000-05-01")
    position = desk.ledger.position()
    refused = a_marriage(husband, other, "2005-05-01")

    desk.refuse(refused, Bigamy)

    assert desk.ledger.position() == position
    assert desk.ledger.registration(reference(refused)) is None
    assert desk.ledger.person(other) is None
    husband_now = desk.ledger.person(husband)
    assert husband_now is not None and len(husband_now.marriages()) == 1


def test_the_identical_entry_again_is_a_duplicate_and_writes_nothing(desk: Desk) -> None:
    birth = a_birth(a_pin("F", 2001), "2001-02-03")
    first = desk.accept(birth)
    position = desk.ledger.position()

    again = desk.ledger.register(dict(birth), desk.officer)
    retyped = desk.ledger.register({**birth, "entered_by": "op-99"}, desk.officer)

    assert again.status == retyped.status == "duplicate"
    assert again.act_id == first.act_id and again.events == []
    assert desk.ledger.position() == position


def test_the_same_reference_with_different_content_is_a_conflict(desk: Desk) -> None:
    pin = a_pin("F", 2001)
    birth = a_birth(pin, "2001-02-03")
    desk.accept(birth)
    different = a_birth(pin, "2001-02-03", name="Lê Thị Hoa")
    different["register"] = dict(birth["register"])

    desk.refuse(different, ReferenceConflict, ref(birth))


def test_a_death_dated_with_month_00_is_refused_as_an_invalid_date(desk: Desk) -> None:
    pin = desk.born("M", "1960-01-01")
    death = a_death(pin, "2020-00", registered_on="2020-02-01")

    desk.refuse(death, InvalidDate, "death.date")
