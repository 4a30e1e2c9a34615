"""The marriage age (Marriage and Family Law 2014, art. 8(1)(a)): a man from full 20 years,
a woman from full 18, counted in full years; with partial dates, refused only when certain.
Pure: `rules.marriage_age` on dates, no ledger."""

from __future__ import annotations

import pytest

from lifeledger.domain.dates import PartialDate
from lifeledger.domain.errors import UnderMarriageAge
from lifeledger.domain.rules import MARRIAGE_AGE, marriage_age

PIN = "034090000001"
"""Only named in the message: the rule reads the sex and dates it is given."""

ALLOWED = [
    # sex, born, married on
    pytest.param("M", "2000-05-01", "2020-05-01", id="art. 8(1)(a) a man on his 20th birthday"),
    pytest.param("M", "2000-05-01", "2035-01-01", id="art. 8(1)(a) a man well over 20"),
    pytest.param("F", "2002-05-01", "2020-05-01", id="art. 8(1)(a) a woman on her 18th birthday"),
    pytest.param("F", "2002-05-01", "2021-01-01", id="art. 8(1)(a) a woman of 18"),
    pytest.param(
        "F", "2000-05-01", "2019-06-01", id="art. 8(1)(a) a woman of 19, under a man's 20"
    ),
    pytest.param("M", "2000", "2020-01-01", id="art. 8(1)(a) birth year only: may be 20"),
    pytest.param("M", "2000-06", "2020-06", id="art. 8(1)(a) months only: may be 20"),
    pytest.param("M", "2000-05-01", "2020", id="art. 8(1)(a) marriage year only: may be 20"),
    pytest.param("M", "2000-02-29", "2020-02-29", id="art. 8(1)(a) born on 29 February, 20 on it"),
]

REFUSED = [
    pytest.param("M", "2000-05-01", "2020-04-30", id="art. 8(1)(a) a man the day before 20"),
    pytest.param("M", "2002-05-01", "2020-05-01", id="art. 8(1)(a) a man of 18"),
    pytest.param("F", "2002-05-01", "2020-04-30", id="art. 8(1)(a) a woman the day before 18"),
    pytest.param("F", "2005-01-01", "2020-01-01", id="art. 8(1)(a) a woman of 15"),
    pytest.param("M", "2000", "2019-12-31", id="art. 8(1)(a) birth year only: surely 19"),
    pytest.param("M", "2000-06", "2020-05", id="art. 8(1)(a) months only: surely 19"),
    pytest.param(
        "M", "2000-02-29", "2020-02-28", id="art. 8(1)(a) born on 29 February, a day short"
    ),
]


def test_the_marriage_age_is_twenty_for_a_man_and_eighteen_for_a_woman() -> None:
    assert MARRIAGE_AGE == {"M": 20, "F": 18}


@pytest.mark.parametrize(("sex", "born", "on"), ALLOWED)
def test_marriage_allowed_from_the_age_of_the_law(sex: str, born: str, on: str) -> None:
    marriage_age(PIN, sex, PartialDate.parse(born), PartialDate.parse(on))


@pytest.mark.parametrize(("sex", "born", "on"), REFUSED)
def test_marriage_refused_under_the_age_of_the_law(sex: str, born: str, on: str) -> None:
    with pytest.raises(UnderMarriageAge) as refused:
        marriage_age(PIN, sex, PartialDate.parse(born), PartialDate.parse(on))

    assert refused.value.facts == {"pin": PIN, "born": born, "on": on, "minimum": MARRIAGE_AGE[sex]}
    assert f"under {MARRIAGE_AGE[sex]} on {on}" in refused.value.message


def test_the_refusal_names_the_registration_it_was_checked_against() -> None:
    with pytest.raises(UnderMarriageAge) as refused:
        marriage_age(PIN, "F", PartialDate.parse("2010"), PartialDate.parse("2020"), "HN/2020/7")

    assert refused.value.message.endswith("(registration HN/2020/7)")
