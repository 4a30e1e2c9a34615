"""The import's sort stage keeps validated acts as plain values; they must come back equal."""

from __future__ import annotations

from typing import Any

import pytest

from lifeledger.domain.entry_reader import parse_act
from lifeledger.importers.validation import pack_act, unpack_act
from tests.builders import a_birth, a_correction, a_death, a_divorce, a_marriage, a_pin

MOTHER, FATHER, CHILD = a_pin("F", 1985), a_pin("M", 1983), a_pin("M", 2009)
BIRTH = a_birth(CHILD, "2009-03", mother=MOTHER, father=FATHER, registered_on="2009-04-02")
NAMED_FATHER = {**BIRTH, "father": {"full_name": "Nguyễn Văn Bình", "birth_year": 1983}}
MARRIAGE = a_marriage(FATHER, MOTHER, "2008", registered_on="2008-12-01")
ENTRIES: list[dict[str, Any]] = [
    BIRTH,
    NAMED_FATHER,
    MARRIAGE,
    a_divorce(MARRIAGE, "2015-06-01"),
    a_death(FATHER, "2020-02-29"),
    a_correction(BIRTH, CHILD, [{"field": "child.given_name", "before": "An", "after": "Ân"}]),
]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: str(e["kind"]))
def test_a_staged_act_reads_back_equal(entry: dict[str, Any]) -> None:
    act = parse_act(entry)
    assert unpack_act(pack_act(act)) == act
