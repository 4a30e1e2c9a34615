"""Importing register exports over HTTP and the four-eyes approval of staged entries."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.api.conftest import Api, import_recorded, is_problem, jsonl, post_act, stage, staged_id
from tests.builders import a_birth, a_marriage, a_pin

from lifeledger.domain.acts import Reference
from lifeledger.importers.register import import_files


def test_multipart_import_stages_lines_and_can_be_read_again(api: Api) -> None:
    entries = [a_birth(a_pin("M", 1950), "1950-01-01"), a_birth(a_pin("F", 1952), "1952-01-01")]
    result = stage(api.approver, *entries)
    assert result["counts"] == {
        "lines": 2,
        "accepted": 0,
        "staged": 2,
        "duplicate": 0,
        "rejected": 0,
        "conflict": 0,
    }
    assert result["status"] == "done" and result["filename"] == "export.jsonl"
    again = api.approver.get(f"/v1/imports/{result['id']}")
    assert again.status_code == 200
    assert again.json() == {**result, "entries": {**again.json()["entries"], "pending": 2}}
    is_problem(api.approver.get("/v1/imports/" + "0" * 32), 404, "import-not-found")


def test_raw_body_import_staged_then_approved_records_acts(api: Api) -> None:
    pin = a_pin("F", 1960)
    result = import_recorded(
        api,
        api.approver,
        api.approver2,
        content=gzip.compress(jsonl(a_birth(pin, "1960-06-06"))),
        headers={"Content-Type": "application/gzip"},
    )
    assert result["counts"]["accepted"] == 1
    api.settle()
    assert api.national_auditor.get(f"/v1/persons/{pin}").status_code == 200


def test_rejected_lines_are_reported_with_their_reason(api: Api) -> None:
    bad = a_birth("034090000001", "1990-01-01")
    bad["child"]["pin"] = "034190000001"
    result = stage(api.approver, bad, {"kind": "birth"})
    assert result["counts"]["rejected"] == 2
    assert {line["code"] for line in result["report"]} == {"pin-mismatch", "invalid-entry"}


def test_an_import_sent_over_http_is_never_recorded_by_its_sender_alone(api: Api) -> None:
    """Four-eyes: `approve_as` (the sender approving their own upload) is refused; the
    sender cannot approve the import's entries either, a second approver can."""
    entry = a_birth(a_pin(), "1990-01-01")
    export = {"file": ("x.jsonl", jsonl(entry))}
    alone = api.approver.post("/v1/imports", params={"approve_as": "approver"}, files=export)
    assert is_problem(alone, 422, "invalid-request")["field"] == "approve_as"
    staged = stage(api.approver, entry)
    own = api.approver.post(f"/v1/imports/{staged['id']}/approve").json()
    assert own["counts"] == {"entries": 1, "approved": 0, "conflict": 0, "refused": 1}
    assert [line["code"] for line in own["report"]] == ["four-eyes"]
    second = api.approver2.post(f"/v1/imports/{staged['id']}/approve").json()
    assert second["counts"] == {"entries": 1, "approved": 1, "conflict": 0, "refused": 0}
    params = {"min_position": second["position"]}
    again = api.approver2.get(f"/v1/imports/{staged['id']}", params=params).json()
    assert again["entries"] == {"pending": 0, "approved": 1, "rejected": 0, "conflict": 0}
    listed = api.approver2.get(
        "/v1/entries",
        params={"status": "approved", "import_id": staged["id"], "min_position": 0},
    ).json()["entries"]
    assert [e["number"] for e in listed] == [entry["register"]["number"]]
    assert listed[0]["batch"] == staged["id"]


def test_an_import_is_read_only_by_its_sender_and_those_covering_its_provinces(api: Api) -> None:
    hanoi = a_birth(a_pin(province="001"), "1990-01-01", authority="001-PH-HANGBAC")
    home = a_birth(a_pin(), "1990-01-01")
    national = stage(api.everyone, hanoi, home)
    local = stage(api.officer, a_birth(a_pin("M", 1991), "1991-01-01"))
    for caller in (api.approver, api.auditor):
        is_problem(caller.get(f"/v1/imports/{national['id']}"), 404, "import-not-found")
        assert caller.get(f"/v1/imports/{local['id']}").status_code == 200
    assert api.national_auditor.get(f"/v1/imports/{national['id']}").status_code == 200
    assert api.everyone.get(f"/v1/imports/{national['id']}").json()["provinces"] == ["001", "034"]


def test_unreadable_or_empty_exports_are_refused(api: Api) -> None:
    latin1 = {"file": ("x.jsonl", '{"kind": "birth", "x": "é"}\n'.encode("latin-1"))}
    is_problem(api.approver.post("/v1/imports", files=latin1), 422, "unreadable-export")
    is_problem(
        api.approver.post("/v1/imports", files={"file": ("x.csv", b"")}), 422, "empty-export"
    )


def test_csv_import(api: Api) -> None:
    pin = a_pin("M", 1945)
    csv_text = (
        "kind,register.authority,register.province,register.book,register.number,"
        "register.registered_on,child.pin,child.full_name,child.sex,child.birth_date\n"
        f"birth,034-XA-DONGHOA,034,01/1945,77,1945-02-02,{pin},Lê Văn Tám,M,1945-02-02\n"
    )
    response = api.approver.post(
        "/v1/imports", content=csv_text.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["staged"] == 1


def test_a_csv_whose_header_nests_a_column_inside_another_is_a_422_naming_the_file(
    api: Api,
) -> None:
    csv_text = "kind,child,child.pin\nbirth,Lê Văn Tám,034045000077\n"
    response = api.approver.post(
        "/v1/imports", files={"file": ("register-1945.csv", csv_text.encode())}
    )
    detail = is_problem(response, 422, "unreadable-export")["detail"]
    assert detail.startswith("register-1945.csv: ") and "'child.pin'" in detail


def test_second_user_approves_a_staged_entry(api: Api) -> None:
    pin = a_pin("M", 1955)
    entry = a_birth(pin, "1955-05-05")
    entry["entered_by"] = "approver"
    stage(api.approver, entry)
    own = api.approver.post(f"/v1/entries/{staged_id(entry)}/approve")
    is_problem(own, 409, "four-eyes")
    approved = api.approver2.post(f"/v1/entries/{staged_id(entry)}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["act_id"]
    again = api.approver2.post(f"/v1/entries/{staged_id(entry)}/approve")
    is_problem(again, 409, "entry-not-pending")
    person = api.officer.get(
        f"/v1/persons/{pin}", params={"min_position": approved.json()["position"]}
    )
    assert person.status_code == 200


def test_rule_failure_at_approval_moves_the_entry_to_the_conflict_queue(api: Api) -> None:
    husband, wife, other = a_pin("M", 1970), a_pin("F", 1972), a_pin("F", 1973)
    for pin, born in ((husband, "1970-01-01"), (wife, "1972-01-01"), (other, "1973-01-01")):
        assert post_act(api.officer, a_birth(pin, born)).status_code == 201
    bigamous = a_marriage(husband, other, "1996-01-01")
    assert stage(api.approver, bigamous)["counts"]["staged"] == 1  # lawful when staged
    assert post_act(api.officer, a_marriage(husband, wife, "1995-01-01")).status_code == 201
    response = api.approver2.post(f"/v1/entries/{staged_id(bigamous)}/approve")
    problem = is_problem(response, 409, "bigamy")
    assert problem["entry_status"] == "conflict"


def test_a_staged_line_the_rules_refuse_now_is_rejected_at_once(api: Api) -> None:
    """Staging checks every rule against the ledger as it stands, so the import's counts say
    what will not pass, with the reason, instead of calling it accepted."""
    husband, wife, other = a_pin("M", 1970), a_pin("F", 1972), a_pin("F", 1973)
    for pin, born in ((husband, "1970-01-01"), (wife, "1972-01-01"), (other, "1973-01-01")):
        assert post_act(api.officer, a_birth(pin, born)).status_code == 201
    assert post_act(api.officer, a_marriage(husband, wife, "1995-01-01")).status_code == 201
    fine = a_birth(a_pin("M", 1999), "1999-01-01")
    result = stage(api.approver, a_marriage(husband, other, "1996-01-01"), fine)
    assert result["counts"] == {**result["counts"], "lines": 2, "staged": 1, "rejected": 1}
    assert result["counts"]["accepted"] == 0
    assert [line["code"] for line in result["report"]] == ["bigamy"]
    listed = api.approver2.get("/v1/entries", params={"min_position": result["position"]})
    assert [e["number"] for e in listed.json()["entries"]] == [fine["register"]["number"]]


def test_rejecting_an_entry_needs_a_reason(api: Api) -> None:
    entry = a_birth(a_pin("F", 1958), "1958-08-08")
    stage(api.approver, entry)
    url = f"/v1/entries/{staged_id(entry)}/reject"
    is_problem(api.approver2.post(url, json={}), 422, "invalid-request")
    rejected = api.approver2.post(url, json={"reason": "illegible line"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"


def test_unknown_entry_is_a_404(api: Api) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    is_problem(api.approver.post(f"/v1/entries/{missing}/approve"), 404, "entry-not-found")
    is_problem(api.approver.post("/v1/entries/not-a-uuid/approve"), 422)


def test_the_entry_queue_waits_for_min_position(api: Api) -> None:
    """A data-entry team stages a file and lists the queue at once: with the import's
    position the list already holds its entry."""
    imported = stage(api.approver, a_birth(a_pin("F", 1951), "1951-05-05"))
    ledger = api.approver.get("/readyz").json()["ledger_position"]
    assert imported["position"] == ledger > 0  # nothing else wrote meanwhile
    pending = api.approver.get(
        "/v1/entries", params={"status": "pending", "min_position": imported["position"]}
    )
    assert pending.status_code == 200, pending.text
    assert len(pending.json()["entries"]) == 1
    assert int(pending.headers["X-Ledger-Position"]) >= imported["position"]
    beyond = {"status": "pending", "min_position": ledger + 1000}  # the parameter is heeded
    is_problem(api.approver.get("/v1/entries", params=beyond), 422, "position-not-reached")


def test_entries_by_status(api: Api) -> None:
    entry = a_birth(a_pin("M", 1949), "1949-04-04")
    stage(api.approver, entry)
    api.settle()
    pending = api.approver.get("/v1/entries", params={"status": "pending"})
    assert pending.status_code == 200, pending.text
    assert len(pending.json()["entries"]) == 1
    assert api.approver.get("/v1/entries", params={"status": "conflict"}).json()["entries"] == []


def test_lines_no_store_or_answer_can_carry_are_rejected_and_reported_as_text(
    api: Api,
) -> None:
    """A NUL character, NaN or a lone surrogate in a line: that line is rejected (as the CLI
    rejects it), its entry kept in the result as the text it was, and nothing is stored."""
    entry = a_birth(a_pin("M", 1990), "1990-01-01")
    entry["child"]["full_name"] = "An\u0000"
    text = json.dumps(a_birth(a_pin("F", 1990), "1990-01-01"))
    lines = [text[:-1] + ', "note": NaN}', text[:-1] + ', "note": "\\ud800"}']
    export = jsonl(entry) + "\n".join(lines).encode() + b"\n"
    response = api.approver.post("/v1/imports", files={"file": ("x.jsonl", export)})
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["counts"]["rejected"] == 3 and result["counts"]["accepted"] == 0
    assert [r["line"] for r in result["report"]] == [1, 2, 3]
    assert "NUL" in result["report"][0]["reason"]
    assert [r["entry"] for r in result["report"][1:]] == lines
    again = api.approver.get(f"/v1/imports/{result['id']}").json()
    assert again == {**result, "entries": dict.fromkeys(again["entries"], 0)}
    assert api.approver.get("/v1/entries", params={"status": "pending"}).json()["entries"] == []


def test_corrupt_or_deeply_nested_exports_are_answered_not_crashes(api: Api) -> None:
    """A gzip that cannot be read to its end is a 422 (nothing imported); a line nested too
    deeply to parse is one rejected line."""
    corrupt = bytearray(gzip.compress(b'{"kind": "birth"}\n' * 1000))
    corrupt[20:40] = b"\xff" * 20
    response = api.approver.post(
        "/v1/imports", content=bytes(corrupt), headers={"Content-Type": "application/gzip"}
    )
    is_problem(response, 422, "unreadable-export")
    nested = api.approver.post(
        "/v1/imports",
        content=b"[" * 100_000 + b"\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert nested.status_code == 201, nested.text
    (line,) = nested.json()["report"]
    assert line["code"] == "invalid-entry" and "nested too deeply" in line["reason"]


def test_an_entry_recorded_meanwhile_by_another_typist_is_approved_as_that_act(
    api: Api, tmp_path: Path
) -> None:
    """Who typed an entry is not part of the act: the same line staged over HTTP and imported
    by the CLI with another `entered_by` is one act, and approving the entry is no conflict."""
    entry = a_birth(a_pin("M", 1975), "1975-05-05")
    stage(api.officer, {**entry, "entered_by": "op-07"})
    export = tmp_path / "same.jsonl"
    export.write_bytes(jsonl({**entry, "entered_by": "op-99"}))
    recorded = import_files(
        api.context.ledger, [export], approve_as="approver-9", entered_by="op-99"
    )
    assert recorded.as_dict()["accepted"] == 1
    response = api.approver.post(f"/v1/entries/{staged_id(entry)}/approve")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    assert response.json()["act_id"] == str(Reference.at(entry, "register").act_id)
    assert [i.split(":")[0] for i in response.json()["event_ids"]] == [staged_id(entry)]
