"""Small helpers that build register entries (import format) for tests."""

from __future__ import annotations

import itertools
from typing import Any

_numbers = itertools.count(1)
_serials = itertools.count(1)


def a_pin(
    sex: str = "M", year: int = 1990, province: str = "034", serial: int | None = None
) -> str:
    century = (year // 100 - 19) * 2 + (0 if sex == "M" else 1)
    return f"{province}{century}{year % 100:02d}{serial or next(_serials):06d}"


def a_register(
    on: str, authority: str = "034-XA-DONGHOA", book: str | None = None, number: str | None = None
) -> dict[str, Any]:
    return {
        "authority": authority,
        "authority_name": "UBND xã Đông Hòa",
        "province": authority[:3],
        "book": book or f"01/{on[:4]}",
        "number": number or str(next(_numbers)),
        "registered_on": on,
    }


def a_person(
    pin: str | None, name: str = "Nguyễn Văn An", sex: str | None = None, born: str | None = None
) -> dict[str, Any]:
    person: dict[str, Any] = {"full_name": name}
    family, *middle, given = name.split()
    person.update(family_name=family, middle_name=" ".join(middle), given_name=given)
    if pin is not None:
        person["pin"] = pin
    if sex is not None:
        person["sex"] = sex
    if born is not None:
        person["birth_date"] = born
    return person


def a_birth(
    pin: str,
    born: str,
    sex: str | None = None,
    name: str = "Nguyễn Văn An",
    mother: str | None = None,
    father: str | None = None,
    **register: Any,
) -> dict[str, Any]:
    sex = sex or ("M" if int(pin[3]) % 2 == 0 else "F")
    return {
        "kind": "birth",
        "register": a_register(register.pop("registered_on", born), **register),
        "occurred_on": born,
        "source": {"system": "hotich158", "regime": "ND158"},
        "entered_by": "op-01",
        "child": a_person(pin, name, sex, born),
        "mother": a_person(mother, "Trần Thị Bích", "F") if mother else None,
        "father": a_person(father, "Nguyễn Văn Bình", "M") if father else None,
    }


def a_marriage(a: str, b: str, on: str, **register: Any) -> dict[str, Any]:
    spouses = [a_person(p, sex="M" if int(p[3]) % 2 == 0 else "F") for p in (a, b)]
    return {
        "kind": "marriage",
        "register": a_register(register.pop("registered_on", on), **register),
        "occurred_on": on,
        "entered_by": "op-01",
        "spouses": spouses,
    }


def a_divorce(marriage: dict[str, Any], effective: str, **register: Any) -> dict[str, Any]:
    ref = marriage["register"]
    return {
        "kind": "divorce",
        "register": a_register(register.pop("registered_on", effective), **register),
        "entered_by": "op-01",
        "marriage": {k: ref[k] for k in ("authority", "book", "number")},
        "court": {
            "decision": "12/2015/HNGĐ-ST",
            "name": "TAND huyện Đông Hưng",
            "effective_on": effective,
        },
    }


def a_death(pin: str, on: str, **register: Any) -> dict[str, Any]:
    return {
        "kind": "death",
        "register": a_register(register.pop("registered_on", on), **register),
        "entered_by": "op-01",
        "deceased": a_person(pin),
        "death": {"date": on, "place": "Trạm y tế xã", "cause": "bệnh"},
    }


def a_parentage(parent: str, child: str, role: str, on: str, **register: Any) -> dict[str, Any]:
    kind = "adoption" if role.startswith("adoptive") else "parentage"
    return {
        "kind": kind,
        "register": a_register(register.pop("registered_on", on), **register),
        "occurred_on": on,
        "entered_by": "op-01",
        "role": role,
        "parent": a_person(parent),
        "child": a_person(child),
        "decision": "QĐ 5/2020",
    }


def a_guardianship(
    ward: str, guardian: str, on: str, kind: str = "minor", ended: bool = False, **register: Any
) -> dict[str, Any]:
    return {
        "kind": "guardianship_ended" if ended else "guardianship_opened",
        "register": a_register(register.pop("registered_on", on), **register),
        "occurred_on": on,
        "entered_by": "op-01",
        "ward": a_person(ward),
        "guardian": a_person(guardian),
        "guardianship": {"kind": kind},
    }


def a_correction(
    target: dict[str, Any],
    subject: str,
    changes: list[dict[str, Any]],
    on: str = "2020-01-01",
    **register: Any,
) -> dict[str, Any]:
    ref = target["register"]
    return {
        "kind": "correction",
        "register": a_register(register.pop("registered_on", on), **register),
        "entered_by": "op-01",
        "target": {k: ref[k] for k in ("authority", "book", "number")},
        "subject_pin": subject,
        "correction_kind": "correct",
        "changes": changes,
        "reason": "sai chính tả",
        "basis": "QĐ 17/2020/UBND",
    }


def a_revocation(target: dict[str, Any], decided_on: str = "2021-01-01") -> dict[str, Any]:
    """A body of `POST /v1/revocations`: a decision declaring the act at `target` (an act's
    `register`, or just its authority, book and number) void."""
    return {
        "target": {k: target[k] for k in ("authority", "book", "number")},
        "decision": "QĐ 9/2021",
        "decided_on": decided_on,
        "authority": "UBND huyện Đông Hưng",
        "reason": "đăng ký trái luật",
    }
