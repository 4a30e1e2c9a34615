"""The PIN `PPP C YY RRRRRR`: 12 digits, a known province, and a century/sex digit and year
digits that agree with what is known of the person. A refusal names the wrong part."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from lifeledger.domain.errors import InvalidInput, InvalidPin, PinMismatch
from lifeledger.domain.pin import Pin
from lifeledger.domain.provinces import PROVINCES


@pytest.mark.parametrize(
    ("text", "province", "sex", "year"),
    [
        ("034090012345", "034", "M", 1990),
        ("001199000001", "001", "F", 1999),
        ("079205123456", "079", "M", 2005),
        ("096300000001", "096", "F", 2000),
        ("034468000001", "034", "M", 2168),
        ("034599000001", "034", "F", 2199),
        ("034600000001", "034", "M", 2200),
        ("034712000001", "034", "F", 2212),
        ("034850000001", "034", "M", 2350),
        ("034999000001", "034", "F", 2399),
    ],
)
def test_parse_reads_province_sex_and_birth_year(
    text: str, province: str, sex: str, year: int
) -> None:
    pin = Pin.parse(text)

    assert pin.value == text
    assert str(pin) == text
    assert pin.province == province
    assert pin.sex == sex
    assert pin.birth_year == year


GOOD = "034090012345"
OTHER_DIGITS = [
    chr(code)
    for code in range(sys.maxunicode + 1)
    if unicodedata.digit(chr(code), None) is not None and not "0" <= chr(code) <= "9"
]
"""Every character Unicode gives a digit value but 0-9: other scripts' digits (category Nd:
full-width, Arabic-Indic, Devanagari, ...) and others (No: '²', '³', circled digits, ...)."""
SPACES = ["", " ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u200b", "\ufeff", "\u2028"]


def in_script(zero: str) -> str:
    """GOOD written in the digits of the script whose zero is `zero`."""
    return "".join(chr(ord(zero) + int(d)) for d in GOOD)


def test_every_digit_but_ascii_is_refused_in_a_pin() -> None:
    zeros = [
        c for c in OTHER_DIGITS if unicodedata.category(c) == "Nd" and unicodedata.digit(c) == 0
    ]
    assert len(OTHER_DIGITS) > 500 and len(zeros) > 50  # the whole class, not a sample
    texts = [GOOD[:3] + c + GOOD[4:] for c in OTHER_DIGITS] + [in_script(z) for z in zeros]
    for text in texts:
        with pytest.raises(InvalidPin) as refused:
            Pin.parse(text, field="child.pin")
        assert refused.value.facts["field"] == "child.pin", text


@pytest.mark.parametrize("before", SPACES)
@pytest.mark.parametrize("after", SPACES)
def test_a_pin_with_anything_around_it_is_refused(before: str, after: str) -> None:
    if before == after == "":
        assert Pin.parse(GOOD).value == GOOD
        return
    with pytest.raises(InvalidPin):
        Pin.parse(before + GOOD + after)


def test_a_pin_that_is_no_text_is_refused() -> None:
    for value in (34090012345, 134090012345, ["034090012345"], {"pin": GOOD}, True):
        with pytest.raises(InvalidPin):
            Pin.parse(value)


def test_a_pin_given_as_a_number_loses_its_leading_zero_and_is_refused() -> None:
    with pytest.raises(InvalidPin):
        Pin.parse(34090012345)


@pytest.mark.parametrize(
    "text",
    ["", "03409001234", "0340900123456", "03409001234a", "034-09-001234", "034 090 0123", None],
)
def test_parse_refuses_anything_but_twelve_digits(text: object) -> None:
    with pytest.raises(InvalidPin) as refused:
        Pin.parse(text, field="child.pin")

    assert "12 digits" in refused.value.message
    assert refused.value.facts["field"] == "child.pin"
    assert refused.value.code == "invalid-pin"


@pytest.mark.parametrize("province", ["000", "003", "005", "099", "100", "999"])
def test_parse_refuses_an_unknown_province_code_naming_it(province: str) -> None:
    text = f"{province}090012345"

    with pytest.raises(InvalidPin) as refused:
        Pin.parse(text, field="mother.pin")

    assert refused.value.facts["part"] == "province"
    assert refused.value.facts["pin"] == text
    assert refused.value.facts["field"] == "mother.pin"
    assert f"province code {province}" in refused.value.message
    assert "mother.pin" in refused.value.message


def test_all_63_pre_merger_province_codes_are_known() -> None:
    assert len(PROVINCES) == 63
    for code in PROVINCES:
        assert Pin.parse(f"{code}090012345").province == code


@pytest.mark.parametrize(
    ("text", "sex", "year"),
    [
        ("034090012345", "M", 1990),
        ("034190012345", "F", 1990),
        ("034205012345", "M", 2005),
        ("034305012345", "F", 2005),
        ("034090012345", None, 1990),
        ("034090012345", "M", None),
        ("034090012345", None, None),
    ],
)
def test_check_agrees_accepts_matching_sex_and_year(
    text: str, sex: str | None, year: int | None
) -> None:
    Pin.parse(text).check_agrees(sex, year)


@pytest.mark.parametrize(
    ("text", "sex", "year", "part"),
    [
        ("034090012345", "F", 1990, "sex"),  # digit 0 is a man
        ("034190012345", "M", 1990, "sex"),  # digit 1 is a woman
        ("034090012345", "M", 1991, "birth_year"),  # YY disagrees
        ("034090012345", "M", 2090, "birth_year"),  # century disagrees (0 = 1900s)
        ("034290012345", "M", 1990, "birth_year"),  # century disagrees (2 = 2000s)
    ],
)
def test_check_agrees_names_the_part_that_disagrees(
    text: str, sex: str, year: int, part: str
) -> None:
    with pytest.raises(PinMismatch) as refused:
        Pin.parse(text).check_agrees(sex, year, field="child.pin")

    error = refused.value
    assert isinstance(error, InvalidInput)
    assert error.code == "pin-mismatch"
    assert error.facts["part"] == part
    assert error.facts["pin"] == text
    assert text in error.message and "child.pin" in error.message


def test_sex_mismatch_message_says_the_digit_and_both_sexes() -> None:
    with pytest.raises(PinMismatch) as refused:
        Pin.parse("034190012345").check_agrees("M", None)

    assert "century/sex digit 1 (F)" in refused.value.message
    assert "sex is M" in refused.value.message


def test_year_mismatch_message_says_both_years() -> None:
    with pytest.raises(PinMismatch) as refused:
        Pin.parse("034090012345").check_agrees(None, 1989)

    assert "1990" in refused.value.message and "1989" in refused.value.message


def test_pins_are_values() -> None:
    assert Pin.parse("034090012345") == Pin.parse("034090012345")
    assert len({Pin.parse("034090012345"), Pin("034090012345")}) == 1
