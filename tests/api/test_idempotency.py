"""Idempotency-Key: a retried POST answers the first response again; the same key with
another body is a 422; keys belong to one user."""

from __future__ import annotations

from tests.api.conftest import Api, is_problem, post_act, stage, staged_id
from tests.builders import a_birth, a_marriage, a_pin, a_revocation

KEY = {"Idempotency-Key": "retry-1"}


def test_retry_with_the_same_key_replays_the_first_response(api: Api) -> None:
    birth = a_birth(a_pin("M", 1991), "1991-01-01")
    first = post_act(api.officer, birth, headers=KEY)
    again = post_act(api.officer, birth, headers=KEY)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    without_key = post_act(api.officer, birth)
    assert without_key.status_code == 200 and without_key.json()["status"] == "duplicate"


def test_same_key_with_another_body_is_a_422(api: Api) -> None:
    post_act(api.officer, a_birth(a_pin("M", 1991), "1991-01-01"), headers=KEY)
    other = post_act(api.officer, a_birth(a_pin("F", 1992), "1992-01-01"), headers=KEY)
    problem = is_problem(other, 422, "idempotency-key-reused")
    assert problem["field"] == "Idempotency-Key"


def test_a_refusal_is_replayed_too(api: Api) -> None:
    too_young = a_marriage(a_pin("M", 1970), a_pin("F", 1970), "1980-01-01")
    first = post_act(api.officer, too_young, headers=KEY)
    again = post_act(api.officer, too_young, headers=KEY)
    assert first.status_code == again.status_code == 409
    assert first.json() == again.json()
    assert again.headers["content-type"].startswith("application/problem+json")


def test_keys_are_per_user(api: Api) -> None:
    birth = a_birth(a_pin("M", 1991), "1991-01-01")
    assert post_act(api.officer, birth, headers=KEY).status_code == 201
    other_user = post_act(api.national_officer, birth, headers=KEY)
    assert other_user.status_code == 200 and "Idempotent-Replayed" not in other_user.headers


def test_same_key_on_another_route_is_a_422(api: Api) -> None:
    birth = a_birth(a_pin("M", 1991), "1991-01-01")
    post_act(api.officer, birth, headers=KEY)
    body = a_revocation({"authority": "034-X", "book": "b", "number": "c"})
    is_problem(
        api.officer.post("/v1/revocations", json=body, headers=KEY), 422, "idempotency-key-reused"
    )


def test_replayed_user_creation_does_not_show_the_key_again(api: Api) -> None:
    body = {"name": "clerk", "roles": ["officer"], "provinces": ["034"]}
    first = api.admin.post("/v1/users", json=body, headers=KEY)
    assert first.status_code == 201 and first.json()["api_key"].startswith("ll_")
    again = api.admin.post("/v1/users", json=body, headers=KEY)
    assert again.status_code == 201 and again.json()["api_key"] is None
    stored = api.context.projections.db.rows("SELECT body FROM api_idempotency")
    assert first.json()["api_key"] not in str(stored)


def test_approval_retry_is_replayed(api: Api) -> None:
    entry = a_birth(a_pin("F", 1957), "1957-07-07")
    stage(api.approver, entry)
    url = f"/v1/entries/{staged_id(entry)}/approve"
    first = api.approver2.post(url, headers=KEY)
    again = api.approver2.post(url, headers=KEY)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
