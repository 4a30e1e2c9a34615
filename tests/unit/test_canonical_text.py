"""Text in one canonical form: a name typed composed or decomposed, or with stray spaces, is
one name with one content hash; control and invisible characters are refused wherever they
are, naming the field; a field of only spaces is missing."""

from __future__ import annotations

import sys
import unicodedata
from typing import Any

import pytest

from lifeledger.domain.canonical import LABEL_KEYS
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import InvalidEntry, InvalidText
from lifeledger.domain.text import REFUSED_CATEGORIES
from tests.builders import a_birth, a_correction, a_divorce, a_marriage, a_pin

NAME = "Nguyễn Thu Trang"
CHILD, MOTHER = a_pin("F", 1990), a_pin("F", 1960)


def birth_named(name: str, **child: Any) -> dict[str, Any]:
    """The same birth each time but for the child's name."""
    entry = a_birth(CHILD, "1990-02-02", name=name, mother=MOTHER, number="7")
    entry["child"].update(full_name=name, **child)
    return entry


def refused_characters() -> list[str]:
    """One character of every code point Unicode puts in a refused category but Cn/Co/Cs
    (which are sampled: there are about a million of them)."""
    every = (chr(code) for code in range(sys.maxunicode + 1))
    found = [c for c in every if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    return [*found, "\ue000", "\U000f0000", "\U0010ffff", "\u0378"]  # Co, Co, Cn, Cn


REFUSED = refused_characters()


def test_every_control_and_invisible_character_is_refused_in_a_name() -> None:
    assert {"\t", "\n", "\r", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e"} <= set(
        REFUSED
    )
    assert {"\u00ad", "\u2028", "\u2029", "\x7f", "\x85"} <= set(REFUSED)
    for char in REFUSED:
        if char == "\x00":
            continue  # refused too, as text no store holds (tests/unit/test_storable.py)
        for name in (f"Nguyễn Thu{char}Trang", f"{char}{NAME}", f"{NAME}{char}"):
            with pytest.raises(InvalidText) as refused:
                parse_act(birth_named(name))
            assert refused.value.facts["field"] == "child.full_name", repr(char)
            assert f"U+{ord(char):04X}" in refused.value.message


@pytest.mark.parametrize(
    "path",
    [
        "child.given_name",
        "child.birth_place",
        "mother.ethnicity",
        "register.authority_name",
        "register.book",
        "source.system",
        "entered_by",
        "extra.note",
    ],
)
def test_control_and_invisible_characters_are_refused_in_every_text(path: str) -> None:
    entry = birth_named(NAME)
    node = entry
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = "Đông\u202eHòa"
    with pytest.raises(InvalidText) as refused:
        parse_act(entry)
    assert refused.value.facts["field"] == path
    assert refused.value.code == "invalid-text"


def test_a_name_typed_decomposed_is_stored_composed_with_the_same_content_hash() -> None:
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME
    composed = parse_act(birth_named(NAME, given_name="Trang", birth_place="Thái Bình"))
    typed = parse_act(
        birth_named(
            decomposed,
            given_name=unicodedata.normalize("NFD", "Trang"),
            birth_place=unicodedata.normalize("NFD", "Thái Bình"),
        )
    )
    assert typed.content["child"]["full_name"] == NAME
    assert typed.persons["child"].full_name == NAME
    assert typed.content_hash == composed.content_hash
    assert typed.content == composed.content


@pytest.mark.parametrize(
    "typed",
    [
        "  Nguyễn Thu Trang ",
        "Nguyễn  Thu   Trang",
        "Nguyễn\u00a0Thu\u3000Trang",
        "\u2003Nguyễn Thu Trang\u00a0",
    ],
)
def test_spaces_in_a_name_are_single_ascii_spaces_and_none_around_it(typed: str) -> None:
    act = parse_act(birth_named(typed))
    assert act.content["child"]["full_name"] == NAME
    assert act.content_hash == parse_act(birth_named(NAME)).content_hash


def test_reference_parts_are_trimmed_and_single_spaced() -> None:
    entry = birth_named(NAME)
    entry["register"].update(authority=" 034-XA-DONGHOA ", book="01/1990 ", number=" 7")
    act = parse_act(entry)
    assert (act.reference.authority, act.reference.book, act.reference.number) == (
        "034-XA-DONGHOA",
        "01/1990",
        "7",
    )
    assert act.content["register"]["book"] == "01/1990"


def test_other_text_is_composed_but_kept_as_typed() -> None:
    entry = birth_named(NAME)
    entry["extra"] = {"note": unicodedata.normalize("NFD", "  ghi chú  ")}
    act = parse_act(entry)
    assert act.content["extra"]["note"] == "  ghi chú  "


def test_the_entry_given_is_not_changed() -> None:
    entry = birth_named(unicodedata.normalize("NFD", NAME) + " ")
    parse_act(entry)
    assert entry["child"]["full_name"] == unicodedata.normalize("NFD", NAME) + " "


def test_a_correction_s_before_and_after_of_a_name_take_the_name_s_form() -> None:
    change = {
        "field": "child.given_name",
        "before": unicodedata.normalize("NFD", " Trang "),
        "after": "Thu  Trang",
    }
    act = parse_act(a_correction(birth_named(NAME), CHILD, [change]))
    assert act.content["changes"] == [
        {"field": "child.given_name", "before": "Trang", "after": "Thu Trang"}
    ]


def blank(path: str, value: str) -> dict[str, Any]:
    husband, wife = a_pin("M", 1960), a_pin("F", 1962)
    marriage = a_marriage(husband, wife, "1985-01-01")
    entries = {
        "birth": birth_named(NAME),
        "divorce": a_divorce(marriage, "1990-01-01"),
        "correction": a_correction(birth_named(NAME), CHILD, [{"field": "x", "after": 1}]),
    }
    kind = {"court": "divorce", "marriage": "divorce", "basis": "correction"}
    entry = entries[kind.get(path.split(".")[0], "birth")]
    node = entry
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    return entry


@pytest.mark.parametrize("value", ["", " ", "   ", "\u00a0", "\u3000 "])
@pytest.mark.parametrize(
    "path",
    [
        "register.registered_on",
        "register.authority",
        "register.book",
        "register.number",
        "child.full_name",
        "child.pin",
        "court.decision",
        "court.effective_on",
        "marriage.number",
        "basis",
    ],
)
def test_a_required_field_of_only_spaces_is_missing(path: str, value: str) -> None:
    with pytest.raises(InvalidEntry) as refused:
        parse_act(blank(path, value))
    assert refused.value.facts["field"] == path
    assert refused.value.message == f"{path}: required field is missing"


def test_every_person_text_field_is_a_label() -> None:
    from lifeledger.domain.acts import PERSON_TEXT_FIELDS, REFERENCE_KEYS

    assert {*PERSON_TEXT_FIELDS, "full_name", *REFERENCE_KEYS} <= LABEL_KEYS


def test_refused_categories_are_the_control_and_invisible_ones() -> None:
    assert set(REFUSED_CATEGORIES) == {"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"}
