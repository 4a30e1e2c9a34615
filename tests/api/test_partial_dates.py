"""Partial dates wherever a date is taken over HTTP, as in the register format: `YYYY`,
`YYYY-MM` or `YYYY-MM-DD`. A search by a year or a month finds every birth date within it
(and, for a month or a day, the persons recorded only with the year or month that holds it:
they may be born then); `as_of` reads the ledger as it stood at the end of the day, month or
year; `since` and `until` of the statistics take the first and last day. Anything else (a
number, a datetime, a month 13) is refused naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.conftest import Api, is_problem, post_act
from tests.api.test_reads import family
from tests.builders import a_birth, a_pin


def born_in_1987(api: Api) -> dict[str, str]:
    """Persons recorded as born on 1987-03-03, in May 1987, in 1987, and on 1988-01-01."""
    pins = {
        "day": a_pin("M", 1987),
        "month": a_pin("F", 1987),
        "year": a_pin("M", 1987),
        "next year": a_pin("F", 1988),
    }
    births = [
        a_birth(pins["day"], "1987-03-03"),
        a_birth(pins["month"], "1987-05", registered_on="1987-06-01"),
        a_birth(pins["year"], "1987", registered_on="1988-01-10"),
        a_birth(pins["next year"], "1988-01-01"),
    ]
    for birth in births:
        response = post_act(api.national_officer, birth)
        assert response.status_code == 201, response.text
    api.settle()
    return pins


def found(api: Api, **params: Any) -> set[str]:
    response = api.officer.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return {item["pin"] for item in response.json()["items"]}


def test_search_by_a_year_finds_every_birth_date_within_it(api: Api) -> None:
    pins = born_in_1987(api)
    assert found(api, birth_date="1987") == {pins["day"], pins["month"], pins["year"]}


def test_search_by_a_month_finds_that_month_and_the_year_only_records(api: Api) -> None:
    pins = born_in_1987(api)
    assert found(api, birth_date="1987-05") == {pins["month"], pins["year"]}
    assert found(api, birth_date="1987-03-03") == {pins["day"], pins["year"]}


@pytest.mark.parametrize("day", ["0", "1987-13", "1987-02-29", "1987-05-01T00:00:00", "87"])
def test_search_by_what_is_no_date_is_a_422_naming_it(api: Api, day: str) -> None:
    response = api.officer.get("/v1/search", params={"birth_date": day})
    assert is_problem(response, 422, "invalid-request")["field"] == "birth_date"


def test_as_of_a_year_or_month_reads_the_ledger_at_its_end(api: Api) -> None:
    people = family(api)  # the father's death was registered on 2015-06-06
    api.settle()

    def status(as_of: str) -> str:
        response = api.officer.get(f"/v1/persons/{people['father']}", params={"as_of": as_of})
        assert response.status_code == 200, response.text
        return str(response.json()["status"])

    assert [status(d) for d in ("2014", "2015-05", "2015-06", "2015")] == [
        "alive",
        "alive",
        "dead",
        "dead",
    ]
    events = api.officer.get(f"/v1/persons/{people['father']}/timeline", params={"as_of": "2015"})
    assert events.json()["events"][-1]["kind"] == "death"


@pytest.mark.parametrize("read", ["", "/timeline"])
def test_as_of_before_the_first_registration_says_so(api: Api, read: str) -> None:
    people = family(api)  # the son's birth was registered on 1987-03-03
    api.settle()
    response = api.officer.get(f"/v1/persons/{people['son']}{read}", params={"as_of": "1986"})
    problem = is_problem(response, 404, "not-yet-registered")
    assert problem["first_registered_on"] == "1987-03-03"
    assert "1987-03-03" in problem["detail"] and "1986-12-31" in problem["detail"]
    later = api.officer.get(f"/v1/persons/{people['son']}{read}", params={"as_of": "1987-03"})
    assert later.status_code == 200, later.text
    unknown = api.officer.get(f"/v1/persons/{a_pin('M', 1950)}{read}", params={"as_of": "1986"})
    is_problem(unknown, 404, "person-not-found")


def test_statistics_since_and_until_a_year(api: Api) -> None:
    family(api)  # births in 1960, 1962, 1987, 1990; a marriage in 1985; a death in 2015
    api.settle()
    response = api.officer.get("/v1/stats", params={"since": "2015", "until": "2015"})
    assert response.status_code == 200, response.text
    assert response.json()["by_kind"] == {"death": 1}
    eighties = api.officer.get("/v1/stats", params={"since": "1985-05", "until": "1987"})
    assert eighties.json()["by_kind"] == {"marriage": 1, "birth": 1}


@pytest.mark.parametrize("until", ["0", "2015-06-06T00:00:00", "20150606"])
def test_statistics_until_what_is_no_date_is_a_422(api: Api, until: str) -> None:
    response = api.officer.get("/v1/stats", params={"until": until})
    assert is_problem(response, 422, "invalid-request")["field"] == "until"
