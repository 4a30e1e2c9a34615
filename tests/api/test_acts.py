"""Registering acts over HTTP: 201 with event ids and position, 200 for a duplicate, and
problems (409 for a rule, 422 for malformed input) that name what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.conftest import Api, is_problem, post_act
from tests.builders import (
    a_birth,
    a_correction,
    a_death,
    a_divorce,
    a_guardianship,
    a_marriage,
    a_parentage,
    a_pin,
    a_revocation,
)


def accepted(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "accepted"
    assert body["position"] > 0 and body["act_id"]
    assert body["event_ids"] and all(":" in e for e in body["event_ids"])
    assert response.headers["X-Ledger-Position"] == str(body["position"])
    return body


def couple(api: Api) -> tuple[str, str, dict[str, Any]]:
    husband, wife = a_pin("M", 1980), a_pin("F", 1982)
    accepted(post_act(api.officer, a_birth(husband, "1980-01-02")))
    accepted(post_act(api.officer, a_birth(wife, "1982-03-04")))
    marriage = a_marriage(husband, wife, "2005-06-01")
    accepted(post_act(api.officer, marriage))
    return husband, wife, marriage


def test_birth_is_registered_with_event_ids_and_position(api: Api) -> None:
    body = accepted(post_act(api.officer, a_birth(a_pin("F", 2001), "2001-02-03")))
    assert body["reference"].startswith("034-XA-DONGHOA/01/2001/")
    assert len(set(body["event_ids"])) == len(body["event_ids"])


def test_identical_repost_is_a_duplicate_with_the_same_act(api: Api) -> None:
    birth = a_birth(a_pin("M", 1999), "1999-09-09")
    first = accepted(post_act(api.officer, birth))
    again = post_act(api.officer, birth)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["act_id"] == first["act_id"]
    assert again.json()["event_ids"] == []


def test_same_reference_with_other_content_is_a_409_reference_conflict(api: Api) -> None:
    birth = a_birth(a_pin("M", 1999), "1999-09-09")
    accepted(post_act(api.officer, birth))
    other = {**birth, "child": {**birth["child"], "full_name": "Trần Văn Khác"}}
    is_problem(post_act(api.officer, other), 409, "reference-conflict")


def test_marriage_divorce_and_death(api: Api) -> None:
    husband, _, marriage = couple(api)
    accepted(post_act(api.officer, a_divorce(marriage, "2010-01-01")))
    accepted(post_act(api.officer, a_death(husband, "2020-05-05")))


def test_bigamy_is_refused_with_a_problem_naming_the_marriage(api: Api) -> None:
    husband, _, _ = couple(api)
    other = a_pin("F", 1985)
    accepted(post_act(api.officer, a_birth(other, "1985-01-01")))
    problem = is_problem(post_act(api.officer, a_marriage(husband, other, "2010-01-01")), 409)
    assert problem["code"] == "bigamy"
    assert husband in problem["detail"]


def test_parentage_and_adoption_share_a_route_chosen_by_role(api: Api) -> None:
    father, child, adopter = a_pin("M", 1970), a_pin("F", 2000), a_pin("F", 1975)
    for pin, born in ((father, "1970-01-01"), (child, "2000-01-01"), (adopter, "1975-01-01")):
        accepted(post_act(api.officer, a_birth(pin, born)))
    accepted(post_act(api.officer, a_parentage(father, child, "father", "2001-01-01")))
    accepted(post_act(api.officer, a_parentage(adopter, child, "adoptive_mother", "2005-01-01")))
    api.settle()
    timeline = api.auditor.get(f"/v1/persons/{child}/timeline").json()["events"]
    assert {"parentage", "adoption"} <= {e["kind"] for e in timeline}


def test_guardianship_opens_and_ends_with_action(api: Api) -> None:
    ward, guardian = a_pin("M", 2010), a_pin("F", 1970)
    accepted(post_act(api.officer, a_birth(ward, "2010-01-01")))
    accepted(post_act(api.officer, a_birth(guardian, "1970-01-01")))
    accepted(post_act(api.officer, a_guardianship(ward, guardian, "2015-01-01")))
    accepted(post_act(api.officer, a_guardianship(ward, guardian, "2020-01-01", ended=True)))
    ended_again = a_guardianship(ward, guardian, "2021-01-01", ended=True)
    is_problem(post_act(api.officer, ended_again), 409, "guardianship-not-open")


def test_correction_then_stale_correction(api: Api) -> None:
    pin = a_pin("M", 1990)
    birth = a_birth(pin, "1990-01-01")
    accepted(post_act(api.officer, birth))
    change = {"field": "child.given_name", "before": "An", "after": "Ân"}
    accepted(post_act(api.officer, a_correction(birth, pin, [change])))
    is_problem(post_act(api.officer, a_correction(birth, pin, [change])), 409, "stale-correction")


def test_revocation_flags_the_act_then_is_a_duplicate(api: Api) -> None:
    birth = a_birth(a_pin("M", 1990), "1990-01-01")
    act = accepted(post_act(api.officer, birth))
    body = a_revocation(birth["register"])
    revoked = api.officer.post("/v1/revocations", json=body)
    assert revoked.status_code == 201, revoked.text
    assert revoked.json()["act_id"] == act["act_id"]
    assert api.officer.post("/v1/revocations", json=body).status_code == 200


def test_revocation_of_an_unknown_act_is_404(api: Api) -> None:
    body = a_revocation({"authority": "034-XA-DONGHOA", "book": "01/1900", "number": "404"})
    is_problem(api.officer.post("/v1/revocations", json=body), 404, "act-not-found")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"child": {"pin": "034090", "full_name": "A", "sex": "M"}}, "child.pin"),
        ({"child": {"pin": "999090000001", "full_name": "A", "sex": "M"}}, "child.pin"),
        ({"child": {"pin": "034190000001", "full_name": "A", "sex": "M"}}, "child.pin"),
        (
            {"register": {"authority": "034-X", "book": "1", "number": "1"}},
            "register.registered_on",
        ),
        ({"occurred_on": "1990-13-45"}, "occurred_on"),
        ({"child": {"pin": "034090000001", "full_name": "A\u0000", "sex": "M"}}, "child.full_name"),
    ],
)
def test_malformed_birth_is_a_422_naming_the_field(
    api: Api, change: dict[str, Any], field: str | None
) -> None:
    birth = {**a_birth("034090000001", "1990-01-01"), **change}
    problem = is_problem(post_act(api.officer, birth), 422)
    if field is not None:
        assert problem["field"] == field, problem


def test_body_that_is_not_json_is_a_422(api: Api) -> None:
    response = api.officer.post(
        "/v1/births", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    is_problem(response, 422, "invalid-request")


def test_a_body_nested_too_deeply_is_a_422_not_a_crash(api: Api) -> None:
    response = api.officer.post(
        "/v1/births", content=b"[" * 100_000, headers={"Content-Type": "application/json"}
    )
    is_problem(response, 422, "invalid-request")
