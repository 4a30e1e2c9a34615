"""What no store can hold, or what exceeds the bounds (length, count, nesting, size), is
refused, naming the field; everything else passes."""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

import pytest

from lifeledger.domain.canonical import MAX_DEPTH, MAX_LABEL, MAX_TEXT, MAX_VALUES, check_storable
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import InvalidEntry, LimitExceeded
from tests.builders import a_birth, a_pin


def nested(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"child": {"full_name": "An\x00"}}, "child.full_name"),
        ({"child": {"n\x00te": "x"}}, "child"),
        ({"spouses": [{}, {"full_name": "\ud800"}]}, "spouses.1.full_name"),
        ({"extra": {"weight": float("nan")}}, "extra.weight"),
        ({"extra": [1.0, float("-inf")]}, "extra.1"),
        (nested(MAX_DEPTH + 1), "a." * MAX_DEPTH + "a"),
        ({"child": {"note": {"_type_": "uuid_hex", "_data_": "0" * 32}}}, "child.note"),
        ({"extra": [{"_type_": "anything"}]}, "extra.0"),
    ],
)
def test_unstorable_values_are_refused_naming_the_field(entry: object, field: str) -> None:
    with pytest.raises(InvalidEntry) as refused:
        check_storable(entry)
    assert refused.value.facts.get("field") == field


@pytest.mark.parametrize(
    "entry",
    [nested(MAX_DEPTH), {"child": {"full_name": "Nguyễn Thị Ánh", "page": 4, "w": 2.5}}],
)
def test_storable_entries_pass(entry: object) -> None:
    check_storable(entry)


BIRTH = a_birth(a_pin("F", 1990), "1990-02-02")


def with_value(path: str, value: object) -> dict[str, Any]:
    entry = copy.deepcopy(BIRTH)
    node = entry
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return entry


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("child.full_name", "A" * (MAX_LABEL + 1)),
        ("register.number", "7" * (MAX_LABEL + 1)),
        ("extra.note", "x" * (MAX_TEXT + 1)),
        ("extra.scan", "x" * 100_000_000),  # a 100 MB field, refused before it is read through
        ("extra.keys", {str(i): i for i in range(MAX_VALUES)}),
        ("extra.items", list(range(MAX_VALUES))),
        ("extra.big", 2**63),
        ("extra.small", -(2**63)),
        ("extra." + "k" * (MAX_LABEL + 1), 1),
    ],
)
def test_a_value_beyond_the_bounds_is_refused_naming_the_field(path: str, value: object) -> None:
    entry = with_value(path, value)
    field = "extra" if len(path) > MAX_LABEL else path  # a bad key: its object is named
    for check in (check_storable, parse_act):
        with pytest.raises(LimitExceeded) as refused:
            check(entry)
        assert refused.value.facts.get("field") == field
        assert refused.value.code == "limit-exceeded"


def test_values_within_the_bounds_pass() -> None:
    entry = with_value("child.full_name", "Ánh" * (MAX_LABEL // 3))
    entry["extra"] = {"note": "ờ" * MAX_TEXT, "many": list(range(MAX_VALUES - 100))}
    entry["extra"]["ints"] = [2**63 - 1, -(2**63) + 1]
    check_storable(entry)
    parse_act(entry)


def test_length_is_counted_in_composed_characters() -> None:
    name = unicodedata.normalize("NFD", "Ánh" * (MAX_LABEL // 3))
    assert len(name) > MAX_LABEL
    parse_act(with_value("child.full_name", name))
