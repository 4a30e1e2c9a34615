"""A hostile insider with a valid provincial key (Thái Bình, 034) against other provinces'
data (Hà Nội, 001): writes about another province's acts are refused before anything is
looked up, refusals name no fact of a person the caller may not read, probing writes are in
the access log, and reads show relatives outside the caller's provinces by relation and name
only."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, is_problem, jsonl, post_act, stage, staged_id
from tests.builders import (
    a_birth,
    a_correction,
    a_death,
    a_divorce,
    a_marriage,
    a_pin,
    a_revocation,
)

HANOI = "001-PH-HANGBAC"
HOME = "034-XA-DONGHOA"


def recorded(api: Api, entry: dict[str, Any]) -> dict[str, Any]:
    response = post_act(api.national_officer, entry)
    assert response.status_code == 201, response.text
    return entry


def a_hanoi_couple(api: Api) -> tuple[str, str, dict[str, Any]]:
    """Two Hà Nội persons, married in Hà Nội."""
    husband, wife = a_pin("M", 1980, "001"), a_pin("F", 1982, "001")
    recorded(api, a_birth(husband, "1980-01-01", authority=HANOI))
    recorded(api, a_birth(wife, "1982-01-01", authority=HANOI))
    marriage = recorded(api, a_marriage(husband, wife, "2005-05-05", authority=HANOI))
    return husband, wife, marriage


def facts_absent(problem: dict[str, Any], *facts: str) -> None:
    text = str(problem)
    for fact in facts:
        assert fact not in text, f"{fact} disclosed in {problem}"


def test_a_correction_of_another_provinces_act_is_refused_before_it_is_read(api: Api) -> None:
    child = a_pin("F", 2000, "001")
    birth = recorded(api, a_birth(child, "2000-01-01", authority=HANOI))
    correct_before = {"field": "child.given_name", "before": "An", "after": "Bình"}
    wrong_before = {**correct_before, "before": "guess"}
    answers = []
    for change in (correct_before, wrong_before):
        correction = a_correction(birth, child, [change], authority=HOME)
        answers.append(is_problem(post_act(api.officer, correction), 403, "outside-jurisdiction"))
    missing = a_correction(birth, child, [wrong_before], authority=HOME)
    missing["target"]["number"] = "no-such-act"
    answers.append(is_problem(post_act(api.officer, missing), 403, "outside-jurisdiction"))
    assert {a["detail"].split(":")[0] for a in answers} == {"correction refused"}
    for answer in answers:
        facts_absent(answer, "An", "current", "stale")
    api.settle()
    person = api.national_officer.get(f"/v1/persons/{child}").json()
    assert person["given_name"] == "An"


def test_revoking_another_provinces_act_is_refused(api: Api) -> None:
    birth = recorded(api, a_birth(a_pin("F", 2000, "001"), "2000-01-01", authority=HANOI))
    response = api.officer.post("/v1/revocations", json=a_revocation(birth["register"]))
    is_problem(response, 403, "outside-jurisdiction")


def test_a_divorce_of_another_provinces_marriage_is_refused_and_says_nothing(api: Api) -> None:
    husband, wife, marriage = a_hanoi_couple(api)
    by_reference = a_divorce(marriage, "2020-01-01", authority=HOME)
    is_problem(post_act(api.officer, by_reference), 403, "outside-jurisdiction")
    by_pins = {**a_divorce(marriage, "2020-01-01", authority=HOME), "marriage": None}
    married = {**by_pins, "spouses": [husband, wife]}
    strangers = {**by_pins, "spouses": [a_pin("M", 1970, "001"), a_pin("F", 1971, "001")]}
    strangers["register"] = {**by_pins["register"], "number": "another"}
    answers = [
        is_problem(post_act(api.officer, divorce), 409, "refused-outside-jurisdiction")
        for divorce in (married, strangers)
    ]
    assert answers[0]["detail"] == answers[1]["detail"]
    facts_absent(answers[0], marriage["register"]["number"], HANOI, "2005")
    api.settle()
    spouses = api.national_officer.get(f"/v1/persons/{husband}").json()["spouses"]
    assert [s["to"] for s in spouses] == [None]


def test_refusals_about_persons_of_another_province_name_no_fact(api: Api) -> None:
    husband, wife, _ = a_hanoi_couple(api)
    recorded(api, a_death(wife, "2015-03-03", authority=HANOI))
    other = a_pin("F", 1985)
    recorded(api, a_birth(other, "1985-01-01", authority=HOME))
    refusals = [
        post_act(api.officer, a_death(wife, "2016-01-01", authority=HOME)),
        post_act(api.officer, a_marriage(husband, other, "2010-01-01", authority=HOME)),
    ]
    for response in refusals:
        problem = is_problem(response, 409, "refused-outside-jurisdiction")
        facts_absent(problem, "2015-03-03", "2005-05-05", HANOI, wife, husband, "bigamy")
    national = post_act(api.national_officer, a_death(wife, "2016-01-01", authority=HOME))
    assert "2015-03-03" in is_problem(national, 409, "death-already-registered")["detail"]


def test_a_refusal_about_the_callers_own_persons_keeps_its_reason(api: Api) -> None:
    pin = a_pin("M", 1990)
    recorded(api, a_birth(pin, "1990-01-01", authority=HOME))
    recorded(api, a_death(pin, "2010-01-01", authority=HOME))
    again = post_act(api.officer, a_death(pin, "2011-01-01", authority=HOME))
    assert "2010-01-01" in is_problem(again, 409, "death-already-registered")["detail"]


def test_probing_writes_are_in_the_access_log(api: Api) -> None:
    _, wife, _ = a_hanoi_couple(api)
    recorded(api, a_death(wife, "2015-03-03", authority=HANOI))
    post_act(api.officer, a_death(wife, "2016-01-01", authority=HOME))
    rows = api.national_auditor.get("/v1/audit/access", params={"pin": wife}).json()["entries"]
    probes = [r for r in rows if r["user"] == "officer"]
    assert [(r["what"], r["detail"]) for r in probes] == [
        ("write:death", "death-already-registered")
    ]


def test_relatives_outside_the_readers_provinces_show_relation_and_name_only(api: Api) -> None:
    mother = a_pin("F", 1960, "001")
    recorded(api, a_birth(mother, "1960-02-02", name="Trần Thị Bích", authority=HANOI))
    child = a_pin("M", 1990)
    recorded(api, a_birth(child, "1990-01-01", authority=HOME, mother=mother))
    api.settle()
    person = api.officer.get(f"/v1/persons/{child}").json()
    shown = person["parents"]["mother"]
    assert shown["pin"] is None and shown["outside_jurisdiction"] is True
    assert shown["full_name"] == "Trần Thị Bích" and "birth_year" not in shown
    for path in ("", "/timeline", "/family"):
        text = api.officer.get(f"/v1/persons/{child}{path}").text
        assert mother not in text and "1960-02-02" not in text, path
    family = api.officer.get(f"/v1/persons/{child}/family").json()
    hidden = [n for n in family["nodes"] if n.get("outside_jurisdiction")]
    assert [n["full_name"] for n in hidden] == ["Trần Thị Bích"]
    assert any(e["parent"] == hidden[0]["id"] for e in family["edges"])
    national = api.national_officer.get(f"/v1/persons/{child}").json()
    assert national["parents"]["mother"]["pin"] == mother


def test_a_family_trees_spouses_and_siblings_outside_show_relation_and_name_only(
    api: Api,
) -> None:
    mother, father = a_pin("F", 1960, "001"), a_pin("M", 1958)
    recorded(api, a_birth(mother, "1960-02-02", name="Trần Thị Bích", authority=HANOI))
    recorded(api, a_birth(father, "1958-03-03", name="Nguyễn Văn Bình", authority=HOME))
    marriage = recorded(api, a_marriage(father, mother, "1985-05-05", authority=HOME))
    sister = a_pin("F", 1988, "001")
    recorded(api, a_birth(sister, "1988-01-01", name="Nguyễn Thị Lan", authority=HANOI,
                          mother=mother, father=father))  # fmt: skip
    child = a_pin("M", 1990)
    recorded(api, a_birth(child, "1990-01-01", authority=HOME, mother=mother, father=father))
    api.settle()
    response = api.officer.get(f"/v1/persons/{father}/family")
    for fact in (mother, sister, "1960-02-02", "1988-01-01"):
        assert fact not in response.text, fact
    graph = response.json()
    hidden = {n["id"]: n["full_name"] for n in graph["nodes"] if n.get("outside_jurisdiction")}
    assert sorted(hidden.values()) == ["Nguyễn Thị Lan", "Trần Thị Bích"]
    couple = next(e for e in graph["edges"] if e["type"] == "couple")
    wife = next(key for key, name in hidden.items() if name == "Trần Thị Bích")
    assert {couple["a"], couple["b"]} == {father, wife}
    assert (couple["from"], couple["registration"]["number"]) == (
        "1985-05-05",
        marriage["register"]["number"],
    )
    daughter = next(key for key, name in hidden.items() if name == "Nguyễn Thị Lan")
    assert {(e["parent"], e["child"]) for e in graph["edges"] if e["type"] == "parent"} == {
        (father, child), (wife, child), (father, daughter), (wife, daughter)
    }  # fmt: skip
    child_tree = api.officer.get(f"/v1/persons/{child}/family").json()  # a sibling outside
    names = [n["full_name"] for n in child_tree["nodes"] if n.get("outside_jurisdiction")]
    assert sorted(names) == ["Nguyễn Thị Lan", "Trần Thị Bích"]


def test_one_user_cannot_stage_and_approve_an_entry(api: Api) -> None:
    entry = a_birth(a_pin("F", 1995), "1995-01-01", authority=HOME)
    entry["entered_by"] = "clerk"
    response = api.approver.post(
        "/v1/imports",
        params={"entered_by": "clerk"},
        files={"file": ("x.jsonl", jsonl(entry))},
    )
    assert response.status_code == 201, response.text
    alone = api.approver.post(f"/v1/entries/{staged_id(entry)}/approve")
    is_problem(alone, 409, "four-eyes")
    second = api.approver2.post(f"/v1/entries/{staged_id(entry)}/approve")
    assert second.status_code == 200, second.text
    api.settle()
    register = entry["register"]
    act = api.approver2.get(
        f"/v1/registrations/{register['authority']}/{register['book']}/{register['number']}"
    ).json()
    assert act["recorded_by"]["user"] == "approver"
    assert act["recorded_by"]["approved_by"] == "approver2"
    assert act["recorded_by"]["typed_by"] == "clerk"


def test_another_provinces_staged_entry_answers_as_a_missing_one(api: Api) -> None:
    entry = a_birth(a_pin("F", 1995, "001"), "1995-01-01", authority=HANOI)
    stage(api.everyone, entry)
    foreign = api.approver.post(f"/v1/entries/{staged_id(entry)}/approve")
    absent = api.approver.post("/v1/entries/00000000-0000-0000-0000-000000000000/approve")
    assert (
        is_problem(foreign, 404, "entry-not-found")["title"]
        == is_problem(absent, 404, "entry-not-found")["title"]
    )
    listed = api.approver.get("/v1/entries").json()["entries"]
    assert listed == []
