"""Relation names from the shape of the path between two persons: "b is a's <relation>"."""

from __future__ import annotations

import pytest

from lifeledger.projections.relation_names import (
    blood_relation,
    former,
    relatives_spouse,
    spouse_relation,
    spouses_relative,
)

BLOOD = [
    # up (a to the common ancestor), down (ancestor to b), b's sex, half siblings, name
    (0, 0, "M", False, "self"),
    (1, 0, "M", False, "father"),
    (1, 0, "F", False, "mother"),
    (1, 0, None, False, "parent"),
    (2, 0, "M", False, "grandfather"),
    (2, 0, "F", False, "grandmother"),
    (3, 0, "F", False, "great-grandmother"),
    (4, 0, "M", False, "great-great-grandfather"),
    (0, 1, "M", False, "son"),
    (0, 1, "F", False, "daughter"),
    (0, 2, "F", False, "granddaughter"),
    (0, 2, "M", False, "grandson"),
    (0, 3, "M", False, "great-grandson"),
    (1, 1, "M", False, "brother"),
    (1, 1, "F", False, "sister"),
    (1, 1, "M", True, "half-brother"),
    (1, 1, "F", True, "half-sister"),
    (2, 1, "M", False, "uncle"),
    (2, 1, "F", False, "aunt"),
    (3, 1, "M", False, "great-uncle"),
    (1, 2, "M", False, "nephew"),
    (1, 2, "F", False, "niece"),
    (1, 3, "F", False, "grandniece"),
    (1, 4, "M", False, "great-grandnephew"),
    (2, 2, "F", False, "first cousins"),
    (3, 3, "M", False, "second cousins"),
    (4, 4, "M", False, "third cousins"),
    (2, 3, "F", False, "first cousins once removed"),
    (3, 2, "M", False, "first cousins once removed"),
    (2, 4, "M", False, "first cousins twice removed"),
    (3, 5, "M", False, "second cousins twice removed"),
]


@pytest.mark.parametrize(("up", "down", "sex", "half", "name"), BLOOD)
def test_blood_relation_names(up: int, down: int, sex: str | None, half: bool, name: str) -> None:
    assert blood_relation(up, down, sex, half) == name


SPOUSES = [
    ("M", None, "husband"),
    ("F", None, "wife"),
    ("F", "death", "wife"),
    ("M", "divorce", "former husband"),
    ("F", "annulment", "former wife"),
]


@pytest.mark.parametrize(("sex", "end_reason", "name"), SPOUSES)
def test_spouse_names(sex: str, end_reason: str | None, name: str) -> None:
    assert spouse_relation(sex, end_reason) == name


IN_LAWS = [
    # b is a relative (up, down) of a's spouse: b's sex, the spouse's sex
    (spouses_relative, 1, 0, "F", "F", "mother-in-law"),
    (spouses_relative, 1, 0, "M", "M", "father-in-law"),
    (spouses_relative, 1, 1, "M", "F", "brother-in-law"),
    (spouses_relative, 1, 1, "F", "M", "sister-in-law"),
    (spouses_relative, 0, 1, "M", "F", "stepson"),
    (spouses_relative, 2, 0, "F", "F", "wife's grandmother"),
    (spouses_relative, 2, 2, "M", "M", "husband's first cousin"),
    # b is the spouse of a's relative (up, down): the relative's sex, b's sex
    (relatives_spouse, 0, 1, "M", "F", "daughter-in-law"),
    (relatives_spouse, 0, 1, "F", "M", "son-in-law"),
    (relatives_spouse, 1, 1, "F", "M", "brother-in-law"),
    (relatives_spouse, 1, 1, "M", "F", "sister-in-law"),
    (relatives_spouse, 1, 0, "M", "F", "stepmother"),
    (relatives_spouse, 0, 2, "F", "M", "grandson-in-law"),
    (relatives_spouse, 2, 1, "F", "M", "aunt's husband"),
    (relatives_spouse, 2, 2, "M", "F", "first cousin's wife"),
]


@pytest.mark.parametrize(("name_of", "up", "down", "first", "second", "name"), IN_LAWS)
def test_in_law_names(
    name_of: object, up: int, down: int, first: str, second: str, name: str
) -> None:
    assert name_of(up, down, first, second) == name  # type: ignore[operator]


def test_in_laws_through_a_dissolved_marriage_are_former() -> None:
    assert former("mother-in-law", "divorce") == "former mother-in-law"
    assert former("mother-in-law", "death") == "mother-in-law"
