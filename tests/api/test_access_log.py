"""The access log: every read of a person records who read whom, when and what; auditors
query it by person and by user."""

from __future__ import annotations

from tests.api.conftest import Api, is_problem, post_act
from tests.builders import a_birth, a_pin


def test_reads_of_a_person_are_logged_and_queryable(api: Api) -> None:
    pin, other = a_pin("M", 1980), a_pin("F", 1981)
    for person, born in ((pin, "1980-01-01"), (other, "1981-01-01")):
        assert post_act(api.officer, a_birth(person, born)).status_code == 201
    api.settle()
    api.officer.get(f"/v1/persons/{pin}")
    api.officer.get(f"/v1/persons/{pin}/timeline")
    api.officer.get(f"/v1/persons/{pin}", params={"as_of": "2000-01-01"})
    api.national_auditor.get(f"/v1/persons/{pin}/corrections")
    api.officer.get(f"/v1/persons/{other}")
    log = api.auditor.get("/v1/audit/access", params={"pin": pin})
    assert log.status_code == 200, log.text
    rows = log.json()["entries"]
    assert [(r["user"], r["what"]) for r in rows] == [
        ("officer", "write:birth"),
        ("officer", "person"),
        ("officer", "timeline"),
        ("officer", "person"),
        ("national_auditor", "corrections"),
    ]
    assert rows[0]["detail"] == "accepted" and rows[3]["detail"] == "2000-01-01"
    assert all(r["at"] and r["pin"] == pin for r in rows)
    by_user = api.auditor.get("/v1/audit/access", params={"user": "national_auditor"}).json()
    assert [r["what"] for r in by_user["entries"]] == ["corrections"]


def test_the_log_pages_with_a_cursor(api: Api) -> None:
    pin = a_pin("M", 1980)
    for _ in range(3):
        api.officer.get(f"/v1/persons/{pin}")
    first = api.auditor.get("/v1/audit/access", params={"limit": 2}).json()
    assert len(first["entries"]) == 2 and first["next_after"] is not None
    rest = api.auditor.get("/v1/audit/access", params={"after": first["next_after"]}).json()
    assert len(rest["entries"]) == 1 and rest["next_after"] is None


def test_a_provincial_auditor_sees_its_provinces_only(api: Api) -> None:
    api.national_officer.get("/v1/persons/001090000001")
    api.national_officer.get("/v1/persons/034090000001")
    pins = {r["pin"] for r in api.auditor.get("/v1/audit/access").json()["entries"]}
    assert pins == {"034090000001"}
    is_problem(
        api.auditor.get("/v1/audit/access", params={"pin": "001090000001"}),
        403,
        "outside-jurisdiction",
    )


def test_refused_reads_are_not_logged(api: Api) -> None:
    api.officer.get("/v1/persons/001090000001")
    assert api.national_auditor.get("/v1/audit/access").json()["entries"] == []


def test_searches_and_registration_reads_are_logged(api: Api) -> None:
    """Both answer personal data: the log keeps the query and each person answered."""
    pin = a_pin("F", 1984)
    birth = a_birth(pin, "1984-04-04", name="Lê Thị Hoa")
    assert post_act(api.officer, birth).status_code == 201
    api.settle()
    assert api.officer.get("/v1/search", params={"q": "le thi hoa"}).json()["total"] == 1
    api.officer.get("/v1/search", params={"q": "nobody at all"})
    ref = birth["register"]
    api.officer.get(f"/v1/registrations/{ref['authority']}/{ref['book']}/{ref['number']}")
    rows = api.national_auditor.get("/v1/audit/access", params={"user": "officer"}).json()
    reads = [(r["pin"], r["what"], r["detail"]) for r in rows["entries"]]
    label = f"{ref['authority']}/{ref['book']}/{ref['number']}"
    assert reads[1:] == [
        (pin, "search", "q=le+thi+hoa"),
        ("", "search", "q=nobody+at+all"),
        (pin, "registration", label),
    ]
