"""Kinship bans on marriage (art. 5): direct line, within three generations, adoptive parent and
child. Through `Ledger.register` on both stores; every refusal is checked to write nothing (see
`desk`)."""

from __future__ import annotations

import pytest

from lifeledger.domain.errors import KinshipBan
from tests.builders import a_marriage, a_parentage
from tests.integration.rules.desk import Desk


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
