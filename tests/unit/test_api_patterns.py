"""The OpenAPI document's patterns take exactly what the server takes: every calendar day
from 1800 to 2099 and nothing else, every PIN `Pin.parse` takes and nothing else, names with
something visible and nothing invisible."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

import pytest

from lifeledger.api.schemas import patterns
from lifeledger.domain.errors import InvalidPin
from lifeledger.domain.pin import Pin


def matches(pattern: str, text: str) -> bool:
    return re.match(pattern, text) is not None


def test_the_date_pattern_takes_every_calendar_day_from_1800_to_2099_and_nothing_else() -> None:
    day = date(1798, 1, 1)
    while day <= date(2101, 12, 31):
        text = day.isoformat()
        assert matches(patterns.DATE_PATTERN, text) == (1800 <= day.year <= 2099), text
        day += timedelta(days=1)
    for text in ("1900-02-29", "2100-02-29", "2001-04-31", "2001-00-10", "2001-01-00", "1999-1-1"):
        assert not matches(patterns.DATE_PATTERN, text), text
    assert matches(patterns.DATE_PATTERN, "2000-02-29")


def test_the_partial_date_pattern_takes_years_months_and_days() -> None:
    for text in ("1800", "2099", "1987-05", "1987-12", "1987-05-14", "2000-02-29"):
        assert matches(patterns.PARTIAL_DATE_PATTERN, text), text
    for text in ("1799", "2100", "1987-13", "1987-00", "1987-5", "1987-02-30", "0", "19870514"):
        assert not matches(patterns.PARTIAL_DATE_PATTERN, text), text


def pin_parses(text: str) -> bool:
    try:
        Pin.parse(text)
    except InvalidPin:
        return False
    return True


def test_the_pin_pattern_takes_exactly_the_known_province_codes() -> None:
    for prefix in range(1000):
        pin = f"{prefix:03d}087000401"
        assert matches(patterns.PIN_PATTERN, pin) == pin_parses(pin), pin


@pytest.mark.parametrize(
    "pin",
    [
        "０３４０８７０００４０１",
        "٠٣٤٠٨٧٠٠٠٤٠١",
        "०३४०८७०००४०१",
        "034³87000401",
        " 034087000401",
        "03408700040",
    ],
)
def test_the_pin_pattern_takes_no_other_digits_nor_spaces(pin: str) -> None:
    assert not matches(patterns.PIN_PATTERN, pin)


def test_invisible_characters_lie_only_where_the_pattern_looks_for_them() -> None:
    """The class is built from planes 0, 1 and 14 (a scan of all of them costs a second)."""
    invisible = re.compile(f"[{patterns.INVISIBLE}]")
    for code in range(0x110000):
        char = chr(code)
        expected = unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
        assert bool(invisible.match(char)) == expected, hex(code)


@pytest.mark.parametrize(
    "name",
    ["Trang\u202e", "Tr\u200bang", "\ufeffTrang", "Thu\nTrang", "Thu\tTrang", "   ", "", "\u2028"],
)
def test_a_name_with_something_invisible_or_nothing_visible_does_not_match(name: str) -> None:
    assert not matches(patterns.NAME_PATTERN, name)


@pytest.mark.parametrize(
    "name",
    ["Nguyễn Thu Trang", unicodedata.normalize("NFD", "Nguyễn Thu Trang"), " Lê ", "Đinh Thị Nga"],
)
def test_a_name_in_either_normal_form_and_with_spaces_around_matches(name: str) -> None:
    assert matches(patterns.NAME_PATTERN, name)
