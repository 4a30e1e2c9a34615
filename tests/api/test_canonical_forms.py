"""One canonical form over HTTP, attacked as a hostile insider would: a PIN is twelve ASCII
digits in import lines, bodies, paths and queries; text is NFC, without control or invisible
characters, and a name of only spaces is missing; no date is after today or after its
registration; an authority's province is its own; fields are bounded. Every refused line or
body changes nothing in the ledger."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from tests.api.conftest import Api, import_recorded, is_problem, post_act
from tests.builders import a_birth, a_death, a_divorce, a_marriage, a_person, a_pin

from lifeledger.domain.dates import today

NAME = "Nguyễn Thu Trang"
DIGITS = [
    chr(code)
    for code in range(0x110000)
    if unicodedata.digit(chr(code), None) is not None and not "0" <= chr(code) <= "9"
]
"""Every character with a digit value but 0-9: every script's digits (Nd) and the others
(No: '²', '³', circled and parenthesized digits, ...)."""
ZEROS = [c for c in DIGITS if unicodedata.category(c) == "Nd" and unicodedata.digit(c) == 0]
AROUND = [" ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\ufeff", "\u200b", "\u2028"]
INVISIBLE = [
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\n",
    "\t",
    "\r",
    "\x1b",
    "\x7f",
    "\u2028",
    "\u2029",
]


def hostile_pins(pin: str) -> list[str]:
    """`pin` spoiled in every way a PIN can look like one: one digit of every other kind
    (after the province code: the sex digit, and the last), the whole PIN in every other
    script, and spaces or invisible characters around it."""
    return [
        *(pin[:3] + digit + pin[4:] for digit in DIGITS),
        *(pin[:11] + digit for digit in DIGITS),
        *("".join(chr(ord(zero) + int(d)) for d in pin) for zero in ZEROS),
        *(f"{space}{pin}" for space in AROUND),
        *(f"{pin}{space}" for space in AROUND),
    ]


def import_lines(api: Api, *entries: dict[str, Any] | str) -> dict[str, Any]:
    """Import the lines, staged and approved at once by two national users."""
    text = "".join(
        (e if isinstance(e, str) else json.dumps(e, ensure_ascii=False)) + "\n" for e in entries
    )
    return import_recorded(
        api, content=text.encode(), headers={"Content-Type": "application/x-ndjson"}
    )


@contextmanager
def unchanged(api: Api) -> Iterator[None]:
    """The block writes nothing to the ledger."""
    before = api.context.ledger.position()
    yield
    assert api.context.ledger.position() == before


def test_a_pin_in_any_digits_but_ascii_is_refused_on_every_line_body_path_and_query(
    api: Api,
) -> None:
    pin = a_pin("F", 1990)
    hostile = hostile_pins(pin)
    assert len(hostile) > 1400
    with unchanged(api):
        result = import_lines(api, *(a_birth(h, "1990-01-01", "F") for h in hostile))
        assert result["counts"]["rejected"] == len(hostile), result["counts"]
        assert {(line["code"], line["field"]) for line in result["report"]} == {
            ("invalid-pin", "child.pin")
        }
        for h in hostile[:: len(DIGITS) // 8] + [h for h in hostile if h.strip() != h]:
            is_problem(post_act(api.officer, a_birth(h, "1990-01-01", "F")), 422)
            mother = a_birth(a_pin("M", 2010), "2010-01-01", mother=h)
            is_problem(post_act(api.officer, mother), 422)
            divorce = a_divorce(a_marriage(pin, a_pin("M", 1990), "2015-01-01"), "2016-01-01")
            del divorce["marriage"]
            divorce["spouses"] = [h, pin]
            is_problem(post_act(api.officer, divorce), 422)
            is_problem(api.auditor.get("/v1/audit/access", params={"pin": h}), 422)
            is_problem(api.auditor.get(f"/v1/persons/{quote(h, safe='')}"), 422)


def test_the_pin_that_crashed_the_import_is_one_rejected_line(api: Api) -> None:
    good = a_birth(a_pin("M", 2024), "2024-01-07")
    result = import_lines(api, a_birth("034³24007003", "2024-01-07", "F"), good)
    assert result["counts"]["accepted"] == 1 and result["counts"]["rejected"] == 1


def blank(entry: dict[str, Any], path: str, value: str = " ") -> dict[str, Any]:
    node = entry
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    return entry


def test_a_required_field_of_only_spaces_is_a_rejected_line_not_a_lost_import(api: Api) -> None:
    husband, wife = a_pin("M", 1960), a_pin("F", 1962)
    marriage = a_marriage(husband, wife, "1985-01-01")
    blanks = [
        (a_birth(a_pin("F", 1990), "1990-01-01"), "register.registered_on"),
        (a_birth(a_pin("F", 1990), "1990-01-01"), "register.number"),
        (a_birth(a_pin("F", 1990), "1990-01-01"), "child.full_name"),
        (a_marriage(a_pin("M"), a_pin("F"), "2015-01-01"), "occurred_on"),
        (a_divorce(marriage, "1990-01-01"), "court.decision"),
        (a_death(a_pin("M", 1950), "2000-01-01"), "death.date"),
    ]
    good = a_birth(a_pin("M", 1991), "1991-01-01")
    result = import_lines(api, *(blank(e, path) for e, path in blanks), good)
    assert result["counts"]["accepted"] == 1
    assert [(line["field"], line["reason"]) for line in result["report"]] == [
        (path, f"{path}: required field is missing") for _, path in blanks
    ]
    with unchanged(api):
        entry = a_birth(a_pin("F", 1990), "1990-01-01")
        problem = is_problem(post_act(api.officer, blank(entry, "child.full_name", "   ")), 422)
        assert problem["field"] == "child.full_name"


def test_a_name_with_a_control_or_invisible_character_is_refused(api: Api) -> None:
    with unchanged(api):
        lines = []
        for char in INVISIBLE:
            entry = a_birth(a_pin("F", 1990), "1990-01-01", name=f"Nguyễn Thu{char}Trang")
            problem = is_problem(post_act(api.officer, entry), 422)  # the schema says so
            assert problem["field"] == "child.full_name"
            lines.append(a_birth(a_pin("F", 1990), "1990-01-01", name=f"{char}{NAME}"))
        result = import_lines(api, *lines)
        assert result["counts"]["rejected"] == len(INVISIBLE)
        assert {line["code"] for line in result["report"]} == {"invalid-text"}


def test_a_name_typed_decomposed_or_with_stray_spaces_is_the_same_act(api: Api) -> None:
    pin = a_pin("F", 1995)
    decomposed = a_birth(pin, "1995-05-05", name=unicodedata.normalize("NFD", NAME), number="9")
    first = post_act(api.officer, decomposed)
    assert first.status_code == 201, first.text
    composed = a_birth(pin, "1995-05-05", name=NAME, number="9")
    again = post_act(api.officer, composed)
    assert again.status_code == 200 and again.json()["status"] == "duplicate", again.text
    spaced = a_birth(pin, "1995-05-05", name=NAME, number="9")
    spaced["child"]["full_name"] = "  Nguyễn\u00a0 Thu   Trang "
    line = {key: value for key, value in spaced.items() if value is not None}  # as the body
    assert import_lines(api, line)["counts"]["duplicate"] == 1
    api.settle()
    person = api.auditor.get(f"/v1/persons/{pin}")
    assert person.status_code == 200, person.text
    assert person.json()["full_name"] == NAME


def test_dates_after_today_or_after_the_registration_are_refused(api: Api) -> None:
    pin = a_pin("M", 1950)
    with unchanged(api):
        way_off = a_birth(a_pin("F", 2026), "2026-01-01", registered_on="9999-12-31")
        problem = is_problem(post_act(api.officer, way_off), 422)  # beyond the schema's years
        assert problem["field"] == "register.registered_on"
        future = a_birth(a_pin("F", 2026), "2026-01-01", registered_on="2099-12-31")
        problem = is_problem(post_act(api.officer, future), 422, "date-in-future")
        assert problem["field"] == "register.registered_on"
        dead = a_death(pin, "2099-12-30", registered_on="2099-12-31")
        is_problem(post_act(api.officer, dead), 422, "date-in-future")
        dead = a_death(pin, "2099-12-30", registered_on="2020-01-01")
        problem = is_problem(post_act(api.officer, dead), 422, "date-after-registration")
        assert problem["field"] == "death.date"
        result = import_lines(api, future, dead)
        assert [line["code"] for line in result["report"]] == [
            "date-in-future",
            "date-after-registration",
        ]
    born = today().isoformat()
    newborn = post_act(api.officer, a_birth(a_pin("F", int(born[:4])), born))
    assert newborn.status_code == 201, newborn.text


def test_register_province_is_the_authority_s_own(api: Api) -> None:
    with unchanged(api):
        hanoi = a_birth(a_pin("F", 1990), "1990-01-01", authority="001-PH-HANGBAC")
        hanoi["register"]["province"] = "034"
        problem = is_problem(post_act(api.officer, hanoi), 422, "province-mismatch")
        assert problem["field"] == "register.province"
        nowhere = a_birth(a_pin("F", 1990), "1990-01-01", authority="XA-DONGHOA")
        nowhere["register"]["province"] = "034"
        problem = is_problem(post_act(api.officer, nowhere), 422)  # the schema says so
        assert problem["field"] == "register.authority"


def test_a_huge_field_or_a_body_of_many_keys_is_refused(api: Api) -> None:
    with unchanged(api):
        huge = {**a_birth(a_pin("F", 1990), "1990-01-01"), "note": "x" * 200_000}
        assert "note" in is_problem(post_act(api.officer, huge), 422)["detail"]
        larger = {**a_birth(a_pin("F", 1990), "1990-01-01"), "note": "x" * 1_000_000}
        is_problem(post_act(api.officer, larger), 413, "body-too-large")
        keys = a_birth(a_pin("F", 1990), "1990-01-01")
        keys["child"].update({f"k{i}": i for i in range(2_000)})
        is_problem(post_act(api.officer, keys), 422)
        person = a_person(a_pin("F", 1990), "Nguyễn " + "Văn " * 100 + "An", "F", "1990-01-01")
        long_name = {**a_birth(a_pin("F", 1990), "1990-01-01"), "child": person}
        is_problem(post_act(api.officer, long_name), 422)


def test_a_csv_column_numbered_in_other_digits_is_a_rejected_line(api: Api) -> None:
    """`spouses.².pin`: '²'.isdigit() is true, but no int() reads it (it crashed the import)."""
    husband, wife = a_pin("M", 1980), a_pin("F", 1982)
    header = "kind,register.authority,register.book,register.number,register.registered_on"
    columns = ",spouses.0.pin,spouses.0.full_name,spouses.².pin,spouses.².full_name,occurred_on"
    row = f"marriage,034-XA-DONGHOA,01/2005,77,2005-06-01,{husband},An,{wife},Bích,2005-06-01"
    with unchanged(api):
        result = import_recorded(
            api,
            content=f"{header}{columns}\n{row}\n".encode(),
            headers={"Content-Type": "text/csv"},
        )
        (line,) = result["report"]
        assert line["field"] == "spouses"
