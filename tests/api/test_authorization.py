"""The authorization matrix: each role × each endpoint family × inside or outside the
user's jurisdiction. Provincial users act in Thái Bình (034); "outside" is Hà Nội (001).

`ALLOWED` is written out here on purpose (not derived from `auth.GRANTS`), so a change of
the grants that this table does not expect fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.conftest import Api, Caller, api_settings, is_problem, jsonl, running_api, staged_id
from tests.builders import a_birth, a_pin
from tests.conftest import _new_postgres_url, _require_postgres

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.database_url import create_database, drop_database
from lifeledger.domain.entry_reader import parse_act

PROVINCE = {"in": "034", "out": "001"}
ROLES = ("officer", "approver", "auditor", "subscriber", "admin")
ALLOWED = {
    "register": {"officer"},
    "read_person": {"officer", "auditor"},
    "timeline": {"officer", "auditor"},
    "corrections": {"auditor"},
    "import": {"officer", "approver"},
    "approve": {"approver"},
    "registration": {"officer", "approver", "auditor"},
    "entries": {"approver", "auditor"},
    "audit": {"auditor"},
    "users": {"admin"},
    "metrics": {"admin"},
    "events": {"subscriber"},
}
BY_JURISDICTION = {
    "register",
    "read_person",
    "timeline",
    "corrections",
    "import",
    "approve",
    "registration",
    "audit",
    "events",
}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """One app per store for the whole matrix, with a person born in each province."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / Path('ledger.db')}"
    else:
        _require_postgres()
        url = _new_postgres_url()
        create_database(url)
    try:
        for api in running_api(api_settings(url)):
            for where, province in PROVINCE.items():
                born = a_birth(PERSON[where], "1990-01-01", authority=f"{province}-XA-BIRTH")
                api.context.ledger.register(born, Recorder("seed"))
                BIRTHS[where] = born
            api.settle()
            yield api
    finally:
        if url.startswith("postgresql"):
            drop_database(url)


PERSON = {where: a_pin("M", 1990, province) for where, province in PROVINCE.items()}
BIRTHS: dict[str, dict[str, Any]] = {}


def fresh_birth(where: str) -> dict[str, Any]:
    province = PROVINCE[where]
    return a_birth(a_pin("F", 2000, province), "2000-01-01", authority=f"{province}-XA-NEW")


def _register(api: Api, caller: Caller, where: str) -> httpx.Response:
    body = {k: v for k, v in fresh_birth(where).items() if k != "kind" and v is not None}
    return caller.post("/v1/births", json=body)


def _import(api: Api, caller: Caller, where: str) -> httpx.Response:
    return caller.post("/v1/imports", files={"file": ("x.jsonl", jsonl(fresh_birth(where)))})


def _approve(api: Api, caller: Caller, where: str) -> httpx.Response:
    entry = fresh_birth(where)
    api.context.ledger.stage_many([parse_act(entry)], Recorder("op-01", "operator"))
    return caller.post(f"/v1/entries/{staged_id(entry)}/approve")


def _registration(api: Api, caller: Caller, where: str) -> httpx.Response:
    register = BIRTHS[where]["register"]
    return caller.get(
        f"/v1/registrations/{register['authority']}/{register['book']}/{register['number']}"
    )


FAMILIES: dict[str, Callable[[Api, Caller, str], httpx.Response]] = {
    "register": _register,
    "read_person": lambda api, caller, where: caller.get(f"/v1/persons/{PERSON[where]}"),
    "timeline": lambda api, caller, where: caller.get(f"/v1/persons/{PERSON[where]}/timeline"),
    "corrections": lambda api, caller, where: caller.get(
        f"/v1/persons/{PERSON[where]}/corrections"
    ),
    "import": _import,
    "approve": _approve,
    "registration": _registration,
    "entries": lambda api, caller, where: caller.get("/v1/entries"),
    "audit": lambda api, caller, where: caller.get(
        "/v1/audit/access", params={"pin": PERSON[where]}
    ),
    "users": lambda api, caller, where: caller.get("/v1/users"),
    "metrics": lambda api, caller, where: caller.get("/metrics"),
    "events": lambda api, caller, where: caller.get(
        "/v1/events", params={"province": PROVINCE[where]}
    ),
}


def cases() -> Iterator[Any]:
    for family in FAMILIES:
        places = ("in", "out") if family in BY_JURISDICTION else ("in",)
        for role in ROLES:
            for where in places:
                allowed = role in ALLOWED[family] and where == "in"
                yield pytest.param(role, family, where, allowed, id=f"{role}-{family}-{where}")


@pytest.mark.parametrize(("role", "family", "where", "allowed"), list(cases()))
def test_role_and_jurisdiction(
    shared: Api, role: str, family: str, where: str, allowed: bool
) -> None:
    response = FAMILIES[family](shared, shared.callers[role], where)
    if allowed:
        assert response.status_code < 400, response.text
    elif role not in ALLOWED[family]:
        is_problem(response, 403, "forbidden")
    elif family in OUTSIDE_ANSWER:
        OUTSIDE_ANSWER[family](response)
    else:
        is_problem(response, 403, "outside-jurisdiction")


def _line_rejected_outside(response: httpx.Response) -> None:
    """An import goes on; its line of another province's office is rejected."""
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["counts"] == {**body["counts"], "lines": 1, "rejected": 1}
    assert body["report"][0]["code"] == "outside-jurisdiction"


OUTSIDE_ANSWER: dict[str, Callable[[httpx.Response], Any]] = {
    # Another province's staged entry answers as a missing one (ids come from references).
    "approve": lambda response: is_problem(response, 404, "entry-not-found"),
    "import": _line_rejected_outside,
    # A feed filter naming another province is refused as the request's own mistake.
    "events": lambda response: is_problem(response, 422, "province-not-subscribed"),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_needs_a_credential(shared: Api, family: str) -> None:
    anonymous = Caller(shared.client, "")
    response = FAMILIES[family](shared, anonymous, "in")
    assert response.status_code == 401, response.text


def test_national_users_read_every_province(shared: Api) -> None:
    for where in PROVINCE:
        assert shared.national_officer.get(f"/v1/persons/{PERSON[where]}").status_code == 200
        response = _register(shared, shared.national_officer, where)
        assert response.status_code == 201, response.text


def test_disabled_user_is_refused(shared: Api) -> None:
    made = shared.admin.post("/v1/users", json={"name": "temp", "roles": ["officer"]})
    assert made.status_code == 201, made.text
    temp = Caller(shared.client, made.json()["api_key"])
    assert temp.get(f"/v1/persons/{PERSON['in']}").status_code == 200
    assert shared.admin.post("/v1/users/temp/disable").status_code == 200
    is_problem(temp.get(f"/v1/persons/{PERSON['in']}"), 401, "invalid-credential")
