"""What no store can hold is refused, naming the field; everything else passes."""

from __future__ import annotations

import pytest

from lifeledger.domain.acts import MAX_DEPTH, check_storable
from lifeledger.domain.errors import InvalidEntry


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
