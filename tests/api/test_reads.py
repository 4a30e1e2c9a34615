"""Reads over HTTP: the person document of the contract, the life chain, the family, the
correction trail, search, registrations and statistics; each with the position it reflects,
and `min_position` to read one's own write."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.conftest import Api, api_settings, is_problem, post_act, running_api
from tests.builders import a_birth, a_correction, a_death, a_marriage, a_pin

PERSON_FIELDS = {
    "pin",
    "full_name",
    "sex",
    "birth_date",
    "death_date",
    "status",
    "marital_status",
    "parents",
    "children",
    "spouses",
    "siblings",
    "position",
}


def family(api: Api) -> dict[str, Any]:
    """Parents married in 1985, two children, the father dead in 2015; returns the PINs and
    the last write's position."""
    father, mother = a_pin("M", 1960), a_pin("F", 1962)
    son, daughter = a_pin("M", 1987), a_pin("F", 1990)
    entries = [
        a_birth(father, "1960-01-01", name="Nguyễn Văn Bình"),
        a_birth(mother, "1962-02-02", name="Trần Thị Bích"),
        a_marriage(father, mother, "1985-05-20"),
        a_birth(son, "1987-03-03", mother=mother, father=father, name="Nguyễn Minh Đức"),
        a_birth(daughter, "1990-04-04", mother=mother, father=father, name="Nguyễn Thu Trang"),
        a_death(father, "2015-06-06"),
    ]
    position = 0
    for entry in entries:
        response = post_act(api.national_officer, entry)
        assert response.status_code == 201, response.text
        position = response.json()["position"]
    births = {e["child"]["pin"]: e for e in entries if e["kind"] == "birth"}
    return {
        "father": father,
        "mother": mother,
        "son": son,
        "daughter": daughter,
        "position": position,
        "births": births,
        "marriage": entries[2],
    }


def test_read_your_write_with_min_position(api: Api) -> None:
    pin = a_pin("F", 1995)
    written = post_act(api.officer, a_birth(pin, "1995-05-05")).json()
    response = api.officer.get(f"/v1/persons/{pin}", params={"min_position": written["position"]})
    assert response.status_code == 200, response.text
    assert response.json()["position"] >= written["position"]
    assert int(response.headers["X-Ledger-Position"]) == response.json()["position"]


def test_min_position_beyond_the_ledger_is_a_422(api: Api) -> None:
    response = api.officer.get("/v1/persons/034090000001", params={"min_position": 10**9})
    assert is_problem(response, 422, "position-not-reached")["field"] == "min_position"


def test_person_document_has_the_contract_shape(api: Api) -> None:
    people = family(api)
    response = api.officer.get(
        f"/v1/persons/{people['son']}", params={"min_position": people["position"]}
    )
    person = response.json()
    assert set(person) >= PERSON_FIELDS
    assert person["full_name"] == "Nguyễn Minh Đức"
    assert person["parents"]["father"]["pin"] == people["father"]
    assert person["parents"]["mother"]["full_name"] == "Trần Thị Bích"
    assert [(s["pin"], s["kind"]) for s in person["siblings"]] == [(people["daughter"], "full")]
    mother = api.officer.get(f"/v1/persons/{people['mother']}").json()
    assert {c["pin"] for c in mother["children"]} == {people["son"], people["daughter"]}
    assert mother["spouses"][0]["pin"] == people["father"]
    assert mother["spouses"][0]["end_reason"] == "death"


def test_person_as_of_a_date_before_the_death(api: Api) -> None:
    people = family(api)
    api.settle()
    now = api.officer.get(f"/v1/persons/{people['father']}").json()
    then = api.officer.get(f"/v1/persons/{people['father']}", params={"as_of": "2010-01-01"})
    assert now["status"] == "dead"
    assert then.json()["status"] == "alive"
    bad_day = api.officer.get(f"/v1/persons/{people['father']}", params={"as_of": "2010-02-30"})
    is_problem(bad_day, 422)


def test_unknown_pin_is_a_404_and_a_malformed_one_a_422(api: Api) -> None:
    is_problem(api.officer.get("/v1/persons/034090999999"), 404, "person-not-found")
    is_problem(api.officer.get("/v1/persons/999090999999"), 422, "invalid-pin")
    is_problem(api.officer.get("/v1/persons/12345"), 422, "invalid-pin")


def test_timeline_in_fact_date_order(api: Api) -> None:
    people = family(api)
    api.settle()
    events = api.officer.get(f"/v1/persons/{people['father']}/timeline").json()["events"]
    assert [e["kind"] for e in events] == ["birth", "marriage", "birth", "birth", "death"]
    assert events[0]["registration"]["authority"] == "034-XA-DONGHOA"


def test_corrections_trail_for_auditors(api: Api) -> None:
    people = family(api)
    son = people["son"]
    change = {"field": "child.given_name", "before": "Đức", "after": "Đạt"}
    corrected = post_act(api.officer, a_correction(people["births"][son], son, [change]))
    assert corrected.status_code == 201, corrected.text
    response = api.auditor.get(
        f"/v1/persons/{son}/corrections", params={"min_position": corrected.json()["position"]}
    )
    assert response.status_code == 200, response.text
    fields = response.json()["acts"][0]["fields"]
    assert fields[0]["original"] == "Đức" and fields[0]["current"] == "Đạt"


def test_family_graph(api: Api) -> None:
    people = family(api)
    api.settle()
    graph = api.officer.get(f"/v1/persons/{people['son']}/family", params={"depth": 2}).json()
    pins = {node.get("pin") for node in graph["nodes"]}
    assert {people["son"], people["father"], people["mother"]} <= pins
    assert graph["edges"]


def registration_of(entry: dict[str, Any]) -> dict[str, str]:
    return {k: entry["register"][k] for k in ("authority", "book", "number", "registered_on")}


def test_family_tree_has_siblings_and_spouses_with_their_marriage(api: Api) -> None:
    people = family(api)
    api.settle()
    graph = api.officer.get(f"/v1/persons/{people['son']}/family").json()
    assert graph["depth"] == 2
    assert {n["pin"] for n in graph["nodes"]} == {
        people[key] for key in ("son", "daughter", "father", "mother")
    }
    assert {(e["parent"], e["child"]) for e in graph["edges"] if e["type"] == "parent"} == {
        (people[parent], people[child])
        for parent in ("father", "mother")
        for child in ("son", "daughter")
    }
    couples = [e for e in graph["edges"] if e["type"] == "couple"]
    assert [(c["from"], c["to"], c["end_reason"]) for c in couples] == [
        ("1985-05-20", "2015-06-06", "death")
    ]
    assert couples[0]["registration"] == registration_of(people["marriage"])
    description = api.client.get("/openapi.json").json()["paths"]["/v1/persons/{pin}/family"]
    depth = next(p for p in description["get"]["parameters"] if p["name"] == "depth")
    assert depth["schema"]["default"] == 2 and "default 2" in depth["description"]


def test_person_document_gives_parents_years_and_marriage_references(api: Api) -> None:
    people = family(api)
    api.settle()
    son = api.officer.get(f"/v1/persons/{people['son']}").json()
    years = {role: parent["birth_year"] for role, parent in son["parents"].items()}
    assert years == {"father": 1960, "mother": 1962}
    mother = api.officer.get(f"/v1/persons/{people['mother']}").json()
    assert [s["registration"] for s in mother["spouses"]] == [registration_of(people["marriage"])]


def test_relationship_of_siblings(api: Api) -> None:
    people = family(api)
    api.settle()
    pair = {"a": people["son"], "b": people["daughter"]}
    response = api.officer.get("/v1/relationship", params=pair)
    assert response.status_code == 200, response.text
    assert response.json()["relation"] == "sister"


def test_search_with_and_without_diacritics(api: Api) -> None:
    people = family(api)
    api.settle()
    for q in ("Nguyễn Minh Đức", "nguyen minh duc"):
        results = api.officer.get("/v1/search", params={"q": q}).json()["items"]
        assert people["son"] in {r["pin"] for r in results}, q
    is_problem(api.officer.get("/v1/search"), 422, "search-too-broad")


def test_registration_by_reference_with_a_slash_in_the_book(api: Api) -> None:
    people = family(api)
    api.settle()
    register = people["births"][people["son"]]["register"]
    path = f"/v1/registrations/{register['authority']}/{register['book']}/{register['number']}"
    response = api.officer.get(path)
    assert response.status_code == 200, response.text
    assert people["son"] in response.text
    is_problem(api.officer.get("/v1/registrations/034-XA-DONGHOA/01/1900/9999"), 404)


def test_statistics(api: Api) -> None:
    family(api)
    api.settle()
    response = api.officer.get("/v1/stats", params={"province": "034"})
    assert response.status_code == 200, response.text
    assert response.json()["position"] > 0


@pytest.mark.parametrize("path", ["/v1/persons/034090000001", "/v1/search?q=an", "/v1/stats"])
def test_reads_need_a_credential(api: Api, path: str) -> None:
    response = api.client.get(path)
    is_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad = api.client.get(path, headers={"Authorization": "Bearer nope"})
    is_problem(bad, 401, "invalid-credential")


def test_min_position_not_reached_in_time_is_a_503_with_retry_after(database_url: str) -> None:
    for api in running_api(api_settings(database_url, read_wait_seconds=0.3)):
        follower = api.context.projections.follower
        assert follower is not None
        follower.stop()  # the read models stop following the ledger
        written = post_act(api.officer, a_birth(a_pin("F", 1995), "1995-05-05")).json()
        response = api.officer.get(
            "/v1/persons/034195000001", params={"min_position": written["position"]}
        )
        is_problem(response, 503, "projection-behind")
        assert response.headers["Retry-After"] == "1"
