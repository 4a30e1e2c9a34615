"""Every rule of docs/domain.md ("What each act records, and the rules it must pass"), through
`Ledger.register` on both stores. Rules compare fact dates, never arrival order, so a block
of tests registers acts out of order. Every refusal is checked to write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from lifeledger.commands.decisions import Outcome
from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.acts import Reference
from lifeledger.domain.errors import (
    ActAfterDeath,
    ActBeforeBirth,
    ActNotFound,
    ActRevoked,
    Bigamy,
    BirthAlreadyRegistered,
    DeathAlreadyRegistered,
    DeathBeforeBirth,
    DivorceBeforeMarriage,
    FieldNotCorrectable,
    GuardianNotAdult,
    GuardianshipNotOpen,
    InvalidDate,
    InvalidPin,
    KinshipBan,
    LedgerError,
    MarriageNotOpen,
    ParentDeadAtBirth,
    ParentNotOlder,
    ParentRoleTaken,
    ParentSexMismatch,
    PartyDeceased,
    PinMismatch,
    PinNotCorrectable,
    ReferenceConflict,
    SameSexMarriage,
    StaleCorrection,
    UnderMarriageAge,
    WardNotMinor,
)
from lifeledger.ledger import Ledger
from tests.builders import (
    a_birth,
    a_correction,
    a_death,
    a_divorce,
    a_guardianship,
    a_marriage,
    a_parentage,
    a_pin,
)

Entry = dict[str, Any]


def ref(entry: Entry) -> str:
    """The registration reference label of an entry, as rule messages print it."""
    return Reference.at(entry, "register").label


def reference(entry: Entry) -> Reference:
    return Reference.at(entry, "register")


class Desk:
    """A registry officer's desk: register acts and check what the ledger answers."""

    def __init__(self, ledger: Ledger, officer: Recorder) -> None:
        self.ledger = ledger
        self.officer = officer

    def accept(self, entry: Entry) -> Outcome:
        before = self.ledger.position()
        outcome = self.ledger.register(entry, self.officer)
        assert outcome.status == "accepted", outcome
        assert self.ledger.position() > before
        return outcome

    def refuse(self, entry: Entry, error: type[LedgerError], *named: str) -> LedgerError:
        """The act is refused with exactly `error`, its message names `named`, nothing written."""
        before = self.ledger.position()
        with pytest.raises(LedgerError) as refused:
            self.ledger.register(entry, self.officer)
        assert type(refused.value) is error, refused.value
        for text in named:
            assert text in refused.value.message, (text, refused.value.message)
        assert self.ledger.position() == before, "a refused act must write nothing"
        return refused.value

    def born(self, sex: str, on: str, mother: str | None = None, father: str | None = None) -> str:
        """Register a birth and return the new person's PIN."""
        pin = a_pin(sex, int(on[:4]))
        self.accept(a_birth(pin, on, mother=mother, father=father))
        return pin

    def married(self, a: str, b: str, on: str) -> Entry:
        entry = a_marriage(a, b, on)
        self.accept(entry)
        return entry

    def died(self, pin: str, on: str) -> Entry:
        entry = a_death(pin, on)
        self.accept(entry)
        return entry

    def revoke(self, entry: Entry, on: str = "2021-01-01") -> Outcome:
        return self.ledger.revoke(
            reference(entry), "QĐ 9/2021", on, "UBND huyện Đông Hưng", "void", self.officer
        )


@pytest.fixture
def desk(ledger: Ledger, officer: Recorder) -> Desk:
    return Desk(ledger, officer)


# Birth


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


# Marriage


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


# Kinship (art. 5): direct line, within three generations, adoptive parent and child


def a_family(desk: Desk) -> dict[str, str]:
    """Four generations from one couple (gg = great-grandparents; no marriages recorded).

    gg_father + gg_mother ──┬── uncle (M 1925) ── cousin_m (M 1950) ── second_m (M 1975)
                            ├── aunt (F 1927) ─── cousin_f (F 1952) ── second_f (F 1977)
    other_man + gg_mother ──┴── half_sister (F 1932)
    """
    f: dict[str, str] = {}
    f["gg_father"] = desk.born("M", "1900-01-01")
    f["gg_mother"] = desk.born("F", "1903-01-01")
    f["other_man"] = desk.born("M", "1901-01-01")
    parents = {"mother": f["gg_mother"], "father": f["gg_father"]}
    f["uncle"] = desk.born("M", "1925-01-01", **parents)
    f["aunt"] = desk.born("F", "1927-01-01", **parents)
    f["half_sister"] = desk.born("F", "1932-01-01", f["gg_mother"], f["other_man"])
    f["cousin_m"] = desk.born("M", "1950-01-01", father=f["uncle"])
    f["cousin_f"] = desk.born("F", "1952-01-01", mother=f["aunt"])
    f["second_m"] = desk.born("M", "1975-01-01", father=f["cousin_m"])
    f["second_f"] = desk.born("F", "1977-01-01", mother=f["cousin_f"])
    return f


@pytest.mark.parametrize(
    ("man", "woman", "on", "relation"),
    [
        ("gg_father", "aunt", "1950-01-01", "direct line"),  # father and daughter
        ("gg_father", "cousin_f", "1975-01-01", "grandparent"),  # grandfather and granddaughter
        ("gg_father", "second_f", "1999-01-01", "great-grandparent"),
        ("uncle", "aunt", "1950-01-01", "siblings"),
        ("uncle", "half_sister", "1955-01-01", "half-siblings"),
        ("cousin_m", "cousin_f", "1975-01-01", "first cousins"),
        ("uncle", "cousin_f", "1975-01-01", "uncle/aunt and niece/nephew"),
        ("cousin_m", "half_sister", "1975-01-01", "uncle/aunt and niece/nephew"),  # half-aunt
    ],
)
def test_marriage_between_close_relatives_is_refused(
    desk: Desk, man: str, woman: str, on: str, relation: str
) -> None:
    family = a_family(desk)

    error = desk.refuse(
        a_marriage(family[man], family[woman], on), KinshipBan, family[man], family[woman], relation
    )
    assert set(error.facts["pins"]) == {family[man], family[woman]}


@pytest.mark.parametrize(
    ("man", "woman", "on"),
    [
        ("second_m", "second_f", "2000-01-01"),  # second cousins
        ("cousin_m", "second_f", "2000-01-01"),  # first cousins once removed: fourth generation
        ("other_man", "aunt", "1950-01-01"),  # her mother's other husband: not blood kin
    ],
)
def test_marriage_beyond_three_generations_is_accepted(
    desk: Desk, man: str, woman: str, on: str
) -> None:
    family = a_family(desk)

    desk.married(family[man], family[woman], on)


@pytest.mark.parametrize(
    ("parent_sex", "role"), [("M", "adoptive_father"), ("F", "adoptive_mother")]
)
def test_marriage_between_adoptive_parent_and_child_is_refused(
    desk: Desk, parent_sex: str, role: str
) -> None:
    parent = desk.born(parent_sex, "1950-01-01")
    child = desk.born("F" if parent_sex == "M" else "M", "1978-01-01")
    desk.accept(a_parentage(parent, child, role, "1985-01-01"))

    desk.refuse(a_marriage(parent, child, "2005-01-01"), KinshipBan, parent, child, "adoptive")


def test_a_birth_parent_link_from_a_recognition_counts_for_kinship(desk: Desk) -> None:
    father = desk.born("M", "1950-01-01")
    son = desk.born("M", "1975-01-01", mother=desk.born("F", "1952-01-01"))
    daughter = desk.born("F", "1977-01-01", father=father)
    desk.accept(a_parentage(father, son, "father", "1980-01-01"))

    desk.refuse(a_marriage(son, daughter, "2000-01-01"), KinshipBan, son, daughter, "siblings")


# Divorce


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


# Death


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


# Parentage recognition and adoption


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


# Guardianship


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


# Correction


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


# Revocation


def test_a_revoked_marriage_no_longer_blocks_a_new_marriage(desk: Desk) -> None:
    husband = desk.born("M", "1970-01-01")
    first_wife, second_wife = desk.born("F", "1972-01-01"), desk.born("F", "1975-01-01")
    first = desk.married(husband, first_wife, "2000-05-01")
    desk.refuse(a_marriage(husband, second_wife, "2005-05-01"), Bigamy, ref(first))

    assert desk.revoke(first).status == "accepted"
    assert desk.revoke(first).status == "duplicate"

    desk.married(husband, second_wife, "2005-05-01")
    registration = desk.ledger.registration(reference(first))
    assert registration is not None and registration.revoked  # it stays, flagged


def test_revocation_of_an_unknown_act_is_refused(desk: Desk) -> None:
    never = a_marriage(a_pin("M", 1970), a_pin("F", 1972), "2000-05-01")

    with pytest.raises(ActNotFound):
        desk.revoke(never)


# Out of order: rules compare the dates of the facts, never the order of arrival


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


# What a refusal or a repeat writes


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
