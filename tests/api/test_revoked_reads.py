"""What a revoked act means for the reads (docs/adr/0002-revoked-acts.md): it stops counting
in every civil-status read (document, family, relationship, search, statistics; `as_of` a
day after the decision), so a person whose only act is revoked reads as a 404 that says so;
and it stays, flagged with its revocation, in every history read (the timeline of everyone it
named, the correction trail, the registration), on both stores, live and after a rebuild."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, is_problem, post_act
from tests.builders import a_birth, a_marriage, a_pin, a_revocation

DECIDED = "2021-01-01"


def write(api: Api, entry: dict[str, Any]) -> dict[str, Any]:
    response = post_act(api.national_officer, entry)
    assert response.status_code == 201, response.text
    return entry


def revoke(api: Api, entry: dict[str, Any]) -> None:
    response = api.officer.post("/v1/revocations", json=a_revocation(entry["register"], DECIDED))
    assert response.status_code == 201, response.text
    api.settle()
    api.context.projections.runner.settle()  # the stored documents too


def label(entry: dict[str, Any]) -> str:
    register = entry["register"]
    return f"{register['authority']}/{register['book']}/{register['number']}"


def a_child_of_two(api: Api) -> dict[str, Any]:
    """Mother, father and their child, each with a birth act; returns PINs and the acts."""
    mother, father, child = a_pin("F", 1960), a_pin("M", 1958), a_pin("F", 1990)
    write(api, a_birth(mother, "1960-02-02", name="Trần Thị Bích"))
    write(api, a_birth(father, "1958-03-03", name="Nguyễn Văn Bình"))
    birth = write(
        api, a_birth(child, "1990-04-04", name="Nguyễn Thị Hoa", mother=mother, father=father)
    )
    return {"mother": mother, "father": father, "child": child, "birth": birth}


def revoked_events(api: Api, pin: str, **params: str) -> list[dict[str, Any]]:
    response = api.officer.get(f"/v1/persons/{pin}/timeline", params=params)
    assert response.status_code == 200, response.text
    return [e for e in response.json()["events"] if e["revoked"]]


def test_a_person_whose_only_act_is_revoked_is_a_404_that_names_the_revocation(
    api: Api,
) -> None:
    people = a_child_of_two(api)
    child, birth = people["child"], people["birth"]
    revoke(api, birth)
    for path in ("", "/family"):
        problem = is_problem(api.officer.get(f"/v1/persons/{child}{path}"), 404, "person-not-found")
        assert label(birth) in problem["detail"] and "QĐ 9/2021" in problem["detail"], path
    after = api.officer.get(f"/v1/persons/{child}", params={"as_of": "2021-06-01"})
    is_problem(after, 404, "person-not-found")
    pair = {"a": people["mother"], "b": child}
    is_problem(api.officer.get("/v1/relationship", params=pair), 404, "person-not-found")
    before = api.officer.get(f"/v1/persons/{child}", params={"as_of": "2020-12-31"})
    assert before.status_code == 200, before.text
    assert (before.json()["full_name"], before.json()["status"]) == ("Nguyễn Thị Hoa", "alive")
    assert before.json()["parents"]["mother"]["pin"] == people["mother"]


def test_a_revoked_birth_is_flagged_in_the_timeline_of_the_child_and_each_parent(
    api: Api,
) -> None:
    people = a_child_of_two(api)
    revoke(api, people["birth"])
    for who, role in (("child", "child"), ("mother", "mother"), ("father", "father")):
        events = revoked_events(api, people[who])
        assert [(e["kind"], e["role"], e["registration"]["number"]) for e in events] == [
            ("birth", role, people["birth"]["register"]["number"])
        ], who
        revocation = events[0]["revocation"]
        assert revocation["decision"] == "QĐ 9/2021", who
        assert revocation["decided_on"] == DECIDED
        assert revocation["authority"] == "UBND huyện Đông Hưng"
    before = api.officer.get(
        f"/v1/persons/{people['child']}/timeline", params={"as_of": "2020-12-31"}
    ).json()["events"]
    assert [(e["kind"], e["revoked"], e["revocation"]) for e in before] == [("birth", False, None)]


def test_the_parents_documents_no_longer_count_a_revoked_birth(api: Api) -> None:
    people = a_child_of_two(api)
    revoke(api, people["birth"])
    mother = api.officer.get(f"/v1/persons/{people['mother']}").json()
    assert (mother["full_name"], mother["children"]) == ("Trần Thị Bích", [])
    graph = api.officer.get(f"/v1/persons/{people['mother']}/family").json()
    assert [n["pin"] for n in graph["nodes"]] == [people["mother"]]
    searched = api.officer.get("/v1/search", params={"q": "Nguyễn Thị Hoa"}).json()
    assert searched["items"] == []
    by_reference = api.officer.get("/v1/search", params={"q": label(people["birth"])}).json()
    assert by_reference["items"] == []
    stats = api.officer.get("/v1/stats", params={"province": "034"}).json()
    assert stats["by_kind"] == {"birth": 2}


def test_a_revocation_is_in_the_correction_trail_and_the_registration(api: Api) -> None:
    people = a_child_of_two(api)
    revoke(api, people["birth"])
    for who in ("child", "mother"):
        trail = api.auditor.get(f"/v1/persons/{people[who]}/corrections")
        assert trail.status_code == 200, trail.text
        acts = trail.json()["acts"]
        assert [(a["kind"], a["revoked"], a["fields"]) for a in acts] == [("birth", True, [])]
        assert acts[0]["revocation"]["decision"] == "QĐ 9/2021"
    register = people["birth"]["register"]
    act = api.officer.get(
        f"/v1/registrations/{register['authority']}/{register['book']}/{register['number']}"
    ).json()
    assert act["revoked"] is True and act["revocation"]["decided_on"] == DECIDED


def test_a_revoked_marriage_is_flagged_for_both_spouses_and_ends_nothing(api: Api) -> None:
    husband, wife = a_pin("M", 1980), a_pin("F", 1982)
    write(api, a_birth(husband, "1980-01-01"))
    write(api, a_birth(wife, "1982-01-01", name="Lê Thị Mai"))
    marriage = write(api, a_marriage(husband, wife, "2005-05-05"))
    revoke(api, marriage)
    for pin in (husband, wife):
        person = api.officer.get(f"/v1/persons/{pin}").json()
        assert (person["marital_status"], person["spouses"]) == ("single", [])
        events = revoked_events(api, pin)
        assert [(e["kind"], e["role"]) for e in events] == [("marriage", "spouse")]
    then = api.officer.get(f"/v1/persons/{wife}", params={"as_of": "2020-01-01"}).json()
    assert [s["pin"] for s in then["spouses"]] == [husband]
    relation = api.officer.get("/v1/relationship", params={"a": husband, "b": wife}).json()
    assert relation["relation"] == "not related"


def test_a_rebuild_answers_as_the_live_follower_did(api: Api) -> None:
    people = a_child_of_two(api)
    marriage = write(api, a_marriage(people["father"], people["mother"], "1985-01-01"))
    revoke(api, people["birth"])
    revoke(api, marriage)
    paths = [
        f"/v1/persons/{pin}{suffix}"
        for pin in (people["child"], people["mother"], people["father"])
        for suffix in ("", "/timeline", "/family", "?as_of=2020-12-31")
    ]
    paths += ["/v1/search?q=Nguyen", f"/v1/relationship?a={people['mother']}&b={people['child']}"]
    live = {path: (r.status_code, r.json()) for path in paths if (r := api.officer.get(path))}
    projections = api.context.projections
    projections.runner.rebuild()
    projections.runner.settle()
    rebuilt = {path: (r.status_code, r.json()) for path in paths if (r := api.officer.get(path))}
    assert rebuilt == live
    assert live[f"/v1/persons/{people['child']}"][0] == 404
