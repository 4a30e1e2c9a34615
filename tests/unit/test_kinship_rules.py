"""Relatives who may not marry (Marriage and Family Law 2014, art. 5(2)(d)): the direct line
at any depth, relatives "within three generations" (a common parent or grandparent: art.
3(17)), adoptive parent and child. In-law and step relations are not checked yet. Pure:
`rules.banned_kinship` and `rules.not_kin` over a family given as dicts, no ledger."""

from __future__ import annotations

import pytest

from lifeledger.domain.dates import PartialDate
from lifeledger.domain.errors import KinshipBan
from lifeledger.domain.person import MarriageSpan
from lifeledger.domain.rules import banned_kinship, marriages_stay_lawful, not_kin

# The family around `ego` (each person's parents by role in PARENTS):
#
# grandfather + grandmother ──┬── father + mother ──┬── ego ── child ── grandchild ── …
#                             │                     └── sister ── niece ── grandniece
#                             ├── aunt + aunt_husband ── cousin ── cousin_child
# step_grandfather + grandmother ── half_uncle ── half_cousin
# father + other_woman ── half_brother
GRANDPARENTS = {"father": "grandfather", "mother": "grandmother"}
PARENTS: dict[str, dict[str, str]] = {
    "father": GRANDPARENTS,
    "aunt": GRANDPARENTS,
    "half_uncle": {"father": "step_grandfather", "mother": "grandmother"},
    "ego": {"father": "father", "mother": "mother"},
    "sister": {"father": "father", "mother": "mother"},
    "half_brother": {"father": "father", "mother": "other_woman"},
    "cousin": {"father": "aunt_husband", "mother": "aunt"},
    "half_cousin": {"father": "half_uncle"},
    "cousin_child": {"father": "cousin"},
    "niece": {"mother": "sister"},
    "grandniece": {"mother": "niece"},
    "child": {"father": "ego"},
    "grandchild": {"father": "child"},
    "great_grandchild": {"mother": "grandchild"},
    "great_great_grandchild": {"father": "great_grandchild"},
}
ADOPTIVE = {"adopted": {"father": "ego"}}
"""Adoptive parents by role."""


def parents_of(pin: str) -> dict[str, str]:
    return PARENTS.get(pin, {})


def adoptive_of(pin: str) -> dict[str, str]:
    return ADOPTIVE.get(pin, {})


BANNED = [
    # a, b, how they are related
    pytest.param(
        "ego", "father", "direct line: father is the parent of ego", id="art. 5(2)(d) parent"
    ),
    pytest.param(
        "grandmother",
        "ego",
        "direct line: grandmother is the grandparent of ego",
        id="art. 5(2)(d) grandparent",
    ),
    pytest.param(
        "ego",
        "great_grandchild",
        "direct line: ego is the great-grandparent of great_grandchild",
        id="art. 5(2)(d) great-grandparent",
    ),
    pytest.param(
        "great_great_grandchild",
        "ego",
        "direct line: ego is the ancestor (4 generations up) of great_great_grandchild",
        id="art. 5(2)(d) direct line at any depth",
    ),
    pytest.param("ego", "sister", "siblings (common ancestor father)", id="art. 3(17) siblings"),
    pytest.param(
        "ego",
        "half_brother",
        "half-siblings (common ancestor father)",
        id="art. 3(17) half-siblings by the father",
    ),
    pytest.param(
        "ego",
        "aunt",
        "uncle/aunt and niece/nephew (common ancestor grandfather)",
        id="art. 3(17) aunt and nephew",
    ),
    pytest.param(
        "niece",
        "ego",
        "uncle/aunt and niece/nephew (common ancestor father)",
        id="art. 3(17) uncle and niece",
    ),
    pytest.param(
        "ego",
        "half_uncle",
        "uncle/aunt and niece/nephew (common ancestor grandmother)",
        id="art. 3(17) half-uncle",
    ),
    pytest.param(
        "ego",
        "cousin",
        "first cousins (common ancestor grandfather)",
        id="art. 3(17) first cousins",
    ),
    pytest.param(
        "half_cousin",
        "ego",
        "first cousins (common ancestor grandmother)",
        id="art. 3(17) first cousins through a half-uncle",
    ),
    pytest.param(
        "ego",
        "adopted",
        "adoptive parent and child: ego adopted adopted",
        id="art. 5(2)(d) adoptive",
    ),
    pytest.param(
        "adopted",
        "ego",
        "adoptive parent and child: ego adopted adopted",
        id="art. 5(2)(d) adoptive, either way round",
    ),
]

ALLOWED = [
    pytest.param(
        "ego", "cousin_child", id="art. 3(17) first cousin once removed: fourth generation"
    ),
    pytest.param("ego", "grandniece", id="art. 3(17) grandniece: fourth generation"),
    pytest.param(
        "ego", "aunt_husband", id="art. 5(2)(d) an aunt's husband: in-law, not checked yet"
    ),
    pytest.param("half_brother", "mother", id="art. 5(2)(d) a stepmother: not checked yet"),
    pytest.param("adopted", "child", id="an adopted child and the adopter's child: not checked"),
    pytest.param("ego", "stranger", id="no common ancestor"),
]


@pytest.mark.parametrize(("a", "b", "relation"), BANNED)
def test_relatives_named_by_the_law_may_not_marry(a: str, b: str, relation: str) -> None:
    assert banned_kinship(a, b, parents_of, adoptive_of) == relation


@pytest.mark.parametrize(("a", "b"), ALLOWED)
def test_persons_outside_the_banned_kinship_may_marry(a: str, b: str) -> None:
    assert banned_kinship(a, b, parents_of, adoptive_of) is None
    not_kin(a, b, parents_of, adoptive_of)


def test_the_refusal_names_both_persons_the_relation_and_the_registration() -> None:
    with pytest.raises(KinshipBan) as refused:
        not_kin("ego", "cousin", parents_of, adoptive_of, ref="HN/2020/7")

    assert refused.value.facts == {
        "pins": ["ego", "cousin"],
        "relation": "first cousins (common ancestor grandfather)",
    }
    assert refused.value.message == (
        "marriage refused: ego and cousin are relatives who may not marry: "
        "first cousins (common ancestor grandfather) (registration HN/2020/7)"
    )


def test_a_new_parent_link_may_not_make_a_recorded_marriage_one_between_kin() -> None:
    married = MarriageSpan(
        act="a1",
        ref="HN/2010/1",
        spouse="cousin",
        start=PartialDate.parse("2010"),
        divorced_on=None,
        divorce_ref=None,
    )

    def marriages_of(pin: str) -> list[MarriageSpan]:
        return [married] if pin == "ego" else []

    with pytest.raises(KinshipBan, match="birth refused: ego and cousin"):
        marriages_stay_lawful(["ego"], marriages_of, parents_of, adoptive_of, "birth refused")
