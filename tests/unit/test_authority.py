"""A registering authority's code begins with a known province code and '-': that is its
province, and a stated `register.province` must be the same (a 034 officer cannot register
into a Hà Nội office's book by saying `province: 034`)."""

from __future__ import annotations

from typing import Any

import pytest

from lifeledger.domain.entry_reader import authority_province, parse_act
from lifeledger.domain.errors import InvalidAuthority, InvalidEntry, ProvinceMismatch
from tests.builders import a_birth, a_correction, a_divorce, a_marriage, a_pin


def birth_at(authority: str, province: Any = None) -> dict[str, Any]:
    entry = a_birth(a_pin("F", 1990), "1990-02-02", authority=authority)
    if province is None:
        entry["register"].pop("province")
    else:
        entry["register"]["province"] = province
    return entry


@pytest.mark.parametrize("authority", ["034-XA-DONGHOA", "001-PH-HANGBAC", "096-X"])
def test_an_authority_s_province_is_its_code_s_first_three_digits(authority: str) -> None:
    act = parse_act(birth_at(authority))
    assert act.reference.province == authority[:3] == authority_province(authority)
    parse_act(birth_at(authority, authority[:3]))


def test_a_province_other_than_the_authority_s_is_refused_naming_it() -> None:
    with pytest.raises(ProvinceMismatch) as refused:
        parse_act(birth_at("001-PH-HANGBAC", "034"))
    assert refused.value.facts["field"] == "register.province"
    assert refused.value.code == "province-mismatch"
    assert "001-PH-HANGBAC" in refused.value.message


@pytest.mark.parametrize("province", ["34", "０３４", " 034", "034 ", ""])
def test_a_province_that_is_not_a_three_digit_code_is_refused(province: str) -> None:
    with pytest.raises(InvalidEntry) as refused:
        parse_act(birth_at("034-XA-DONGHOA", province))
    assert refused.value.facts["field"] == "register.province"


@pytest.mark.parametrize(
    "authority",
    ["X", "034", "034-", "034XA", "003-XA-A", "999-XA-A", "０３４-XA", "UBND xã Đông Hòa", "34-XA"],
)
def test_an_authority_not_beginning_with_a_known_province_code_is_refused(
    authority: str,
) -> None:
    with pytest.raises(InvalidAuthority) as refused:
        parse_act(birth_at(authority))
    assert refused.value.facts["field"] == "register.authority"
    assert refused.value.code == "invalid-authority"


def test_the_authority_of_every_reference_is_checked() -> None:
    pin = a_pin("F", 1990)
    birth = a_birth(pin, "1990-02-02")
    correction = a_correction(birth, pin, [{"field": "child.given_name", "after": "An"}])
    correction["target"]["authority"] = "X-1"
    with pytest.raises(InvalidAuthority) as refused:
        parse_act(correction)
    assert refused.value.facts["field"] == "target.authority"
    divorce = a_divorce(a_marriage(a_pin(), a_pin("F"), "2000-01-01"), "2001-01-01")
    divorce["marriage"]["authority"] = "HANGBAC"
    with pytest.raises(InvalidAuthority) as refused:
        parse_act(divorce)
    assert refused.value.facts["field"] == "marriage.authority"
