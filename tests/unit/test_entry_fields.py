"""Fields of an entry given a JSON value of the wrong kind are refused, naming the field: a
value the rules or the read models cannot use must never be stored (a number as a name part
once stopped every projection at the act that held it)."""

from __future__ import annotations

from typing import Any

import pytest

from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import InvalidEntry, LedgerError
from tests.builders import a_birth, a_correction, a_parentage, a_pin

CHILD = a_pin("F", 1990)


def birth_with(path: str, value: Any) -> dict[str, Any]:
    entry = a_birth(CHILD, "1990-02-02", mother=a_pin("F", 1960))
    node = entry
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return entry


def correction_with(field: Any, after: Any) -> dict[str, Any]:
    change = {"field": field, "before": "as it was", "after": after}
    return a_correction(a_birth(CHILD, "1990-02-02"), CHILD, [change])


REFUSED = [
    (birth_with("source", "hotich158"), "source"),
    (birth_with("source", ["hotich158"]), "source"),
    (birth_with("child.given_name", 7), "child.given_name"),
    (birth_with("child.full_name", 0), "child.full_name"),
    (birth_with("child.family_name", {"a": 1}), "child.family_name"),
    (birth_with("mother.birth_place", True), "mother.birth_place"),
    (birth_with("mother.birth_year", 10**30), "mother.birth_year"),
    (birth_with("mother.birth_year", "19"), "mother.birth_year"),
    (birth_with("mother.birth_year", True), "mother.birth_year"),
    (birth_with("register.page", 10**30), "register.page"),
    (birth_with("register.page", 0), "register.page"),
    (birth_with("register.page", "12a"), "register.page"),
    (birth_with("register.page", "9" * 5000), "register.page"),  # past int()'s 4,300 digits
    (birth_with("register.page", "²"), "register.page"),  # "²".isdigit(), but no int()
    (birth_with("mother.birth_year", "١٩٦٠"), "mother.birth_year"),  # Arabic-Indic digits
    (correction_with(5, "Ân"), "changes.0.field"),
    (correction_with("child.given_name", 5), "changes.0.after"),
    (correction_with("child.birth_date", "soon"), "changes.0.after"),
    (correction_with("child.sex", "X"), "changes.0.after"),
    (correction_with("mother.birth_year", 10**30), "changes.0.after"),
]  # fmt: skip


@pytest.mark.parametrize(("entry", "field"), REFUSED)
def test_a_field_of_the_wrong_kind_is_refused_naming_it(entry: dict[str, Any], field: str) -> None:
    with pytest.raises(LedgerError) as refused:
        parse_act(entry)
    assert refused.value.facts.get("field") == field
    assert field in refused.value.message


ACCEPTED = [
    birth_with("register.page", 12),
    birth_with("register.page", "12"),
    birth_with("mother.birth_year", 1960),
    birth_with("mother.birth_year", "1960"),
    birth_with("source", {"system": "hotich158"}),
    birth_with("source", None),
    correction_with("child.given_name", "Ân"),
    correction_with("child.birth_date", "1990-02"),
    correction_with("child.birth_place", None),
]


@pytest.mark.parametrize("entry", ACCEPTED)
def test_fields_of_the_right_kind_pass(entry: dict[str, Any]) -> None:
    parse_act(entry)


def test_a_path_with_a_digit_of_another_script_finds_nothing() -> None:
    """`"²".isdigit()` is true but `int("²")` fails: a path from an entry (a correction's
    field) must not crash the reading."""
    from lifeledger.domain.acts import get_path

    assert get_path({"spouses": [{"pin": "x"}]}, "spouses.².pin") is None
    assert get_path({"spouses": [{"pin": "x"}]}, "spouses.٠.pin") is None
    assert get_path({"spouses": [{"pin": "x"}]}, "spouses.0.pin") == "x"


@pytest.mark.parametrize(
    ("kind", "role"), [("parentage", "adoptive_mother"), ("adoption", "father")]
)
def test_the_role_of_a_parentage_or_adoption_fits_its_kind(kind: str, role: str) -> None:
    entry = {**a_parentage("034060000201", "034090000301", role, "2000-01-01"), "kind": kind}
    with pytest.raises(InvalidEntry, match="role: a"):
        parse_act(entry)
