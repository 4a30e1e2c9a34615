"""The OpenAPI document says exactly what the server takes, and the server takes exactly
that: a PIN names a known province, a date is a calendar day (or a year or month where a
partial date is meant), a name shows something and hides nothing, a number is a number, an
unknown field is refused naming it; a method a path does not have is a 405 whose `Allow`
lists the methods the path has."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.api.conftest import ROUTES, Api, body_of, is_problem
from tests.builders import a_birth

from lifeledger.api.schemas.patterns import PARTIAL_DATE_PATTERN, PIN_PATTERN


def parameters(document: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    found = document["paths"][path][method].get("parameters", [])
    return {p["name"]: p["schema"] for p in found}


def pattern_of(schema: dict[str, Any]) -> str:
    """The pattern of a parameter's schema (`anyOf` [string, null] for an optional one)."""
    for option in [schema, *schema.get("anyOf", [])]:
        if "pattern" in option:
            return str(option["pattern"])
    raise AssertionError(f"no pattern in {schema}")


def test_every_pin_of_the_document_names_a_known_province(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    pins = [
        parameters(document, "/v1/persons/{pin}")["pin"],
        parameters(document, "/v1/relationship")["a"],
        parameters(document, "/v1/audit/access")["pin"],
        document["components"]["schemas"]["SubjectIn"]["properties"]["pin"],
    ]
    for schema in pins:
        assert pattern_of(schema) == PIN_PATTERN
        assert not re.match(pattern_of(schema), "000000000000")  # shaped right, no province


def test_every_date_of_the_document_is_a_day_month_or_year_and_never_a_number(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    dates = [
        parameters(document, "/v1/persons/{pin}")["as_of"],
        parameters(document, "/v1/persons/{pin}/timeline")["as_of"],
        parameters(document, "/v1/search")["birth_date"],
        parameters(document, "/v1/stats")["since"],
        parameters(document, "/v1/stats")["until"],
    ]
    for schema in dates:
        assert pattern_of(schema) == PARTIAL_DATE_PATTERN
        assert not re.match(pattern_of(schema), "0")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/v1/users", "GET, POST"),
        ("DELETE", "/v1/users", "GET, POST"),
        ("PUT", "/v1/births", "POST"),
        ("DELETE", "/v1/persons/034087000401", "GET"),
    ],
)
def test_a_method_the_path_lacks_is_a_405_whose_allow_lists_the_paths_methods(
    api: Api, method: str, path: str, allow: str
) -> None:
    response = api.officer.client.request(method, path, headers=api.officer.headers())
    problem = is_problem(response, 405, "method-not-allowed")
    assert response.headers["Allow"] == allow
    assert allow in problem["detail"]


def test_the_405_is_documented(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    answer = document["components"]["responses"]["MethodNotAllowed"]
    assert "Allow" in answer["headers"]
    assert "405" in document["info"]["description"]


def a_birth_with(**changes: Any) -> dict[str, Any]:
    birth = body_of(a_birth("034090000001", "1990-01-01"))
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = birth
        for part in parents:
            node = node[part]
        node[leaf] = value
    return birth


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"child__full_name": "Nguyễn Thu Trang\u202e"}, "child.full_name"),
        ({"child__full_name": "Nguyễn\u200b Thu Trang"}, "child.full_name"),
        ({"child__given_name": "\ufeffTrang"}, "child.given_name"),
        ({"child__full_name": "Nguyễn\nThu Trang"}, "child.full_name"),
        ({"child__full_name": "   "}, "child.full_name"),
        ({"register__registerd_on": "1990-01-02"}, "register.registerd_on"),
        ({"child__nickname": "Bé"}, "child.nickname"),
        ({"register__page": "42"}, "register.page"),
        ({"register__page": 42.5}, "register.page"),
        ({"child__birth_year": True}, "child.birth_year"),
        ({"register__authority": "999-XA-DONGHOA"}, "register.authority"),
        ({"register__province": "999"}, "register.province"),
        ({"occurred_on": 1990}, "occurred_on"),
        ({"register__registered_on": "1990-01-01T00:00:00"}, "register.registered_on"),
    ],
)
def test_a_body_the_document_refuses_is_refused_naming_the_field(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    response = api.officer.post(ROUTES["birth"], json=a_birth_with(**changes))
    assert is_problem(response, 422, "invalid-request")["field"] == field
    is_problem(api.officer.get("/v1/persons/034090000001"), 404, "person-not-found")


def test_an_integer_written_with_a_point_zero_is_an_integer(api: Api) -> None:
    """JSON Schema's integer: 42.0 is 42 (the document may not refuse what it allows)."""
    response = api.officer.post(ROUTES["birth"], json=a_birth_with(register__page=42.0))
    assert response.status_code == 201, response.text
