"""An import over HTTP by a provincial user: each line of another province's office is
rejected on its own (`outside-jurisdiction`), checked on the act as the importer reads it,
whatever whitespace or byte order mark the line carries; the rest of the file goes in."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from tests.api.conftest import Api, Caller, import_recorded
from tests.builders import a_birth, a_pin

HANOI = "001-PHUONG-HANGBAC"
MARKS = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()] + ["\ufeff", " \ufeff"]
"""Everything `str.strip` and the reader take off a line's start (and newlines, which the
reader splits on), and the byte order mark it drops too."""


def _lines() -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """An export where each mark starts a line of Hà Nội (001) and a line of Thái Bình."""
    outside, inside, text = [], [], ""
    for mark in MARKS:
        hanoi = a_birth(a_pin(province="001"), "1990-01-01", authority=HANOI)
        home = a_birth(a_pin(province="034"), "1990-01-01")
        text += mark + json.dumps(hanoi, ensure_ascii=False) + "\n"
        text += mark + json.dumps(home, ensure_ascii=False) + "\n"
        outside.append(hanoi)
        inside.append(home)
    return text, outside, inside


def _import(
    api: Api, caller: Caller, export: bytes, filename: str, approve: bool
) -> dict[str, Any]:
    """Staged by `caller`; with `approve`, approved at once by a second 034 approver."""
    if approve:
        return import_recorded(api, caller, api.approver2, files={"file": (filename, export)})
    response = caller.post("/v1/imports", files={"file": (filename, export)})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _staged_authorities(api: Api, position: int) -> list[str]:
    """The registering offices of every pending entry, as a national user sees them."""
    pending = api.everyone.get(
        "/v1/entries", params={"status": "pending", "min_position": position, "limit": 1000}
    )
    assert pending.status_code == 200, pending.text
    authorities = []
    for entry in pending.json()["entries"]:
        content = entry["content"]
        content = json.loads(content) if isinstance(content, str) else content
        authorities.append(content["register"]["authority"])
    return authorities


def _recorded(api: Api, entry: dict[str, Any], position: int) -> bool:
    register = entry["register"]
    found = api.national_auditor.get(
        f"/v1/registrations/{register['authority']}/{register['book']}/{register['number']}",
        params={"min_position": position},
    )
    assert found.status_code in (200, 404), found.text
    return found.status_code == 200


@pytest.mark.parametrize("approve", [False, True], ids=["staged-by-officer", "approved"])
def test_a_line_of_another_province_is_rejected_whatever_marks_start_it(
    api: Api, approve: bool
) -> None:
    text, outside, inside = _lines()
    caller = api.approver if approve else api.officer
    result = _import(api, caller, text.encode(), "mixed.jsonl", approve)

    assert result["counts"]["lines"] == 2 * len(MARKS)
    assert result["counts"]["accepted" if approve else "staged"] == len(MARKS)
    assert result["counts"]["rejected"] == len(MARKS)
    assert {r["code"] for r in result["report"]} == {"outside-jurisdiction"}
    assert all("office of province 001" in r["reason"] for r in result["report"])
    position = result["position"]
    if approve:
        assert not any(_recorded(api, entry, position) for entry in outside)
        assert all(_recorded(api, entry, position) for entry in inside)
    else:
        staged = _staged_authorities(api, position)
        assert len(staged) == len(inside) and set(staged) == {"034-XA-DONGHOA"}


@pytest.mark.parametrize("approve", [False, True], ids=["staged-by-officer", "approved"])
def test_a_csv_row_of_another_province_is_rejected_and_the_others_go_in(
    api: Api, approve: bool
) -> None:
    header = (
        "kind,register.authority,register.province,register.book,register.number,"
        "register.registered_on,child.pin,child.full_name,child.sex,child.birth_date"
    )
    hanoi, home = a_pin("M", 1945, province="001"), a_pin("M", 1945)
    rows = [
        f"birth,{HANOI},001,01/1945,7,1945-02-02,{hanoi},Lê Văn Tám,M,1945-02-02",
        f"birth,034-XA-DONGHOA,034,01/1945,77,1945-02-02,{home},Lê Văn Tám,M,1945-02-02",
    ]
    caller = api.approver if approve else api.officer
    result = _import(api, caller, "\n".join([header, *rows, ""]).encode(), "rows.csv", approve)

    assert result["counts"]["accepted" if approve else "staged"] == 1
    assert result["counts"]["rejected"] == 1
    assert [(r["line"], r["code"]) for r in result["report"]] == [(2, "outside-jurisdiction")]
    position = result["position"]
    if approve:
        hanoi_entry = {"register": {"authority": HANOI, "book": "01/1945", "number": "7"}}
        assert not _recorded(api, hanoi_entry, position)
        home_entry = {"register": {"authority": "034-XA-DONGHOA", "book": "01/1945"}}
        assert _recorded(api, {"register": {**home_entry["register"], "number": "77"}}, position)
    else:
        assert _staged_authorities(api, position) == ["034-XA-DONGHOA"]


def test_a_line_naming_its_province_as_ours_is_still_of_its_office(api: Api) -> None:
    """`register.province` cannot move another office's act into the user's provinces."""
    hanoi = a_birth(a_pin(province="001"), "1990-01-01", authority=HANOI)
    hanoi["register"]["province"] = "034"
    result = _import(api, api.approver, json.dumps(hanoi).encode() + b"\n", "x.jsonl", approve=True)
    assert result["counts"]["rejected"] == 1 and result["counts"]["accepted"] == 0
    assert not _recorded(api, hanoi, result["position"])


def test_a_national_user_imports_every_province(api: Api) -> None:
    text, _, _ = _lines()
    result = _import(api, api.everyone, text.encode(), "all.jsonl", approve=False)
    assert result["counts"]["staged"] == 2 * len(MARKS)
    assert len(_staged_authorities(api, result["position"])) == 2 * len(MARKS)
