"""No date an act states is after today or after the act's registration: not the fact, not a
named person's birth, not a death, a court's decision or a corrected date. Today is today
where it is latest (UTC+14), so a registration made this morning anywhere is accepted."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from lifeledger.domain.dates import today
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import DateAfterRegistration, DateInFuture, InvalidDate, InvalidInput
from tests.builders import a_birth, a_correction, a_death, a_divorce, a_marriage, a_pin

TWO_DAYS = timedelta(days=2)  # surely after today, even if the day turns during the test


def test_today_is_never_before_the_date_anywhere_on_earth() -> None:
    latest = today()
    for hours in range(-12, 15):
        assert datetime.now(timezone(timedelta(hours=hours))).date() <= latest


def test_a_birth_registered_on_9999_12_31_is_refused_naming_the_registration() -> None:
    entry = a_birth(a_pin("F", 2026), "2026-01-01", registered_on="9999-12-31")
    with pytest.raises(DateInFuture) as refused:
        parse_act(entry)
    assert refused.value.facts["field"] == "register.registered_on"
    assert refused.value.code == "date-in-future"


def test_a_death_dated_after_today_is_refused_whatever_its_registration() -> None:
    pin = a_pin("M", 1950)
    with pytest.raises(DateInFuture):
        parse_act(a_death(pin, "9999-12-30", registered_on="9999-12-31"))
    with pytest.raises(DateAfterRegistration) as refused:
        parse_act(a_death(pin, "9999-12-30", registered_on="2020-01-01"))
    assert refused.value.facts["field"] == "death.date"


def test_a_registration_of_today_in_vietnam_is_accepted_on_a_server_in_utc() -> None:
    vietnam = datetime.now(timezone(timedelta(hours=7))).date().isoformat()
    parse_act(a_birth(a_pin("F", int(vietnam[:4])), vietnam))
    latest = today().isoformat()
    parse_act(a_birth(a_pin("M", int(latest[:4])), latest))


def test_a_registration_after_today_is_refused() -> None:
    later = (today() + TWO_DAYS).isoformat()
    with pytest.raises(DateInFuture):
        parse_act(a_birth(a_pin("F", int(later[:4])), later))


def with_mother(**mother: Any) -> dict[str, Any]:
    entry = a_birth(a_pin("F", 2000), "2000-05-05", mother=a_pin("F", 1970))
    del entry["mother"]["pin"]  # known by name and birth date only
    entry["mother"].update(mother)
    return entry


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (with_mother(birth_date="2001-01-01"), "mother.birth_date"),
        (with_mother(birth_date="2000-06"), "mother.birth_date"),  # a month after
        (with_mother(birth_year=2001), "mother.birth_year"),
        ({**a_birth(a_pin("F", 2000), "2000-05-05"), "occurred_on": "2000-05-06"}, "occurred_on"),
        (a_divorce(a_marriage(a_pin(), a_pin("F"), "1995-01-01"), "2001-01-01", registered_on="2000-01-01"), "court.effective_on"),  # noqa: E501
    ],
)  # fmt: skip
def test_no_date_the_act_states_may_follow_its_registration(
    entry: dict[str, Any], field: str
) -> None:
    with pytest.raises(DateAfterRegistration) as refused:
        parse_act(entry)
    assert refused.value.facts["field"] == field
    assert field in refused.value.message
    assert isinstance(refused.value, InvalidDate)


def test_a_partial_date_is_after_only_when_its_first_day_is() -> None:
    parse_act(with_mother(birth_year=2000))  # born some day of 2000, registered 2000-05-05
    parse_act(with_mother(birth_date="2000-05"))


@pytest.mark.parametrize("after", ["9999-01-01", "2021"])
def test_a_corrected_date_may_not_follow_the_correction_s_registration(after: str) -> None:
    pin = a_pin("F", 1990)
    birth = a_birth(pin, "1990-02-02")
    change = {"field": "child.birth_date", "before": "1990-02-02", "after": after}
    with pytest.raises(DateAfterRegistration) as refused:
        parse_act(a_correction(birth, pin, [change], on="2020-01-01"))
    assert refused.value.facts["field"] == "changes.0.after"


@pytest.mark.parametrize(
    "text",
    [" 2000-05-05", "2000-05-05\n", "２０００-05-05", "2000-05-0５", "0000-00-00", "9999-99-99"],
)
def test_a_date_is_exactly_its_ascii_digits(text: str) -> None:
    entry = a_birth(a_pin("F", 2000), "2000-05-05")
    entry["register"]["registered_on"] = text
    with pytest.raises(InvalidInput) as refused:
        parse_act(entry)
    assert refused.value.facts["field"] == "register.registered_on"


def test_a_date_given_as_a_number_is_refused() -> None:
    entry = a_birth(a_pin("F", 2000), "2000-05-05")
    entry["occurred_on"] = 2000
    with pytest.raises(InvalidDate) as refused:
        parse_act(entry)
    assert refused.value.facts["field"] == "occurred_on"


def test_today_is_a_date() -> None:
    assert isinstance(today(), date)
