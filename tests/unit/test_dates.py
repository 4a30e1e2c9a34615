"""Partial dates of old records (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) and age arithmetic on them."""

from __future__ import annotations

from datetime import date

import pytest

from lifeledger.domain.dates import (
    PartialDate,
    full_years,
    greatest_possible_age,
    least_possible_age,
    parse_optional,
    surely_after,
    surely_before,
)
from lifeledger.domain.errors import InvalidDate, InvalidInput


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1990", (1990, None, None)),
        ("1990-02", (1990, 2, None)),
        ("1990-02-28", (1990, 2, 28)),
        ("2020-02-29", (2020, 2, 29)),
        ("1800", (1800, None, None)),
    ],
)
def test_parse_reads_year_month_and_day(
    text: str, parts: tuple[int, int | None, int | None]
) -> None:
    parsed = PartialDate.parse(text)

    assert (parsed.year, parsed.month, parsed.day) == parts
    assert str(parsed) == text


@pytest.mark.parametrize(
    "text",
    [
        "2020-02-30",  # no such day
        "2019-02-29",  # not a leap year
        "1900-02-29",  # not a leap year either (century)
        "2020-13",  # no such month
        "2020-00",
        "2020-04-31",
        "2020-01-00",
        "abc",
        "",
        "20",
        "2020-1",
        "2020-01-1",
        "01/02/2020",
        "2020-01-01T00:00",
        "1799-12-31",  # before the oldest registers
        " 2001-12-31",  # a date is exactly its digits: every reader must see the same text
        "2001-12-31\n",
        "２００１-12-31",  # full-width digits
        "٢٠٠١-12-31",  # Arabic-Indic digits
        "२००१",  # Devanagari digits
        "0000-00-00",
    ],
)
def test_parse_refuses_what_is_not_a_date_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidDate) as refused:
        PartialDate.parse(text, field="death.date")

    assert isinstance(refused.value, InvalidInput)
    assert refused.value.facts["field"] == "death.date"
    assert refused.value.message.startswith("death.date:")


def test_parse_optional_treats_missing_as_unknown() -> None:
    assert parse_optional(None, "x") is None
    assert parse_optional("", "x") is None
    assert parse_optional("1990-05", "x") == PartialDate(1990, 5)


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("1990", date(1990, 1, 1), date(1990, 12, 31)),
        ("1990-02", date(1990, 2, 1), date(1990, 2, 28)),
        ("1992-02", date(1992, 2, 1), date(1992, 2, 29)),
        ("1990-04", date(1990, 4, 1), date(1990, 4, 30)),
        ("1990-12", date(1990, 12, 1), date(1990, 12, 31)),
        ("1990-06-15", date(1990, 6, 15), date(1990, 6, 15)),
    ],
)
def test_a_partial_date_stands_for_an_interval_of_days(
    text: str, earliest: date, latest: date
) -> None:
    parsed = PartialDate.parse(text)

    assert parsed.earliest == earliest
    assert parsed.latest == latest
    assert parsed.is_exact == (earliest == latest)


def test_of_makes_an_exact_date() -> None:
    assert PartialDate.of(date(2009, 3, 1)) == PartialDate(2009, 3, 1)
    assert PartialDate.of(date(2009, 3, 1)).is_exact


@pytest.mark.parametrize(
    ("born", "on", "years"),
    [
        (date(2000, 6, 15), date(2020, 6, 15), 20),  # the birthday itself counts
        (date(2000, 6, 15), date(2020, 6, 14), 19),  # the day before does not
        (date(2000, 6, 15), date(2020, 5, 31), 19),
        (date(2000, 6, 15), date(2020, 7, 1), 20),
        (date(2000, 1, 1), date(2017, 12, 31), 17),
        (date(2000, 1, 1), date(2018, 1, 1), 18),
        (date(2000, 2, 29), date(2018, 2, 28), 17),  # leap-day birthday: not yet on 28 Feb
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
        (date(2000, 6, 15), date(2000, 6, 15), 0),
    ],
)
def test_full_years_counts_completed_years(born: date, on: date, years: int) -> None:
    assert full_years(born, on) == years


def test_greatest_and_least_possible_age_bracket_the_truth() -> None:
    born, on = PartialDate(2000), PartialDate(2018)

    assert greatest_possible_age(born, on) == 18  # born 1 Jan 2000, measured 31 Dec 2018
    assert least_possible_age(born, on) == 17  # born 31 Dec 2000, measured 1 Jan 2018

    exact = PartialDate(2000, 6, 15)
    assert greatest_possible_age(exact, PartialDate(2018, 6)) == 18
    assert least_possible_age(exact, PartialDate(2018, 6)) == 17


@pytest.mark.parametrize(
    ("a", "b", "before"),
    [
        ("1990", "1991", True),
        ("1990-12-31", "1991", True),
        ("1990", "1990-12-31", False),  # may be the same day
        ("1990-05", "1990-06-01", True),
        ("1990-05", "1990-05-31", False),
        ("1991", "1990", False),
    ],
)
def test_surely_before_only_when_every_possible_day_is_before(a: str, b: str, before: bool) -> None:
    assert surely_before(PartialDate.parse(a), PartialDate.parse(b)) is before


def test_surely_after_with_slack_days() -> None:
    died = PartialDate(2020, 1, 1)

    assert surely_after(PartialDate(2020, 1, 2), died)
    assert not surely_after(PartialDate(2020, 1, 1), died)
    assert not surely_after(PartialDate(2020, 10, 27), died, slack_days=300)  # day 300
    assert surely_after(PartialDate(2020, 10, 28), died, slack_days=300)  # day 301
    assert not surely_after(PartialDate(2020), PartialDate(2020, 6, 1))
