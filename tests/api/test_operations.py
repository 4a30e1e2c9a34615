"""Health, readiness, metrics, the OpenAPI document, and problems for unknown routes."""

from __future__ import annotations

import re

import pytest
from tests.api.conftest import Api, is_problem, post_act
from tests.builders import a_birth, a_pin


def test_health_and_readiness_need_no_credential(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    api.settle()
    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["lag"] == 0


def test_readiness_is_503_while_projections_lag_beyond_the_bound(api: Api) -> None:
    post_act(api.officer, a_birth(a_pin(), "1990-01-01"))
    api.settle()
    api.context.settings.ready_max_lag = -1
    response = api.client.get("/readyz")
    is_problem(response, 503, "projections-lagging")
    assert response.headers["Retry-After"]


def test_metrics_count_requests_writes_and_lag(api: Api) -> None:
    post_act(api.officer, a_birth(a_pin(), "1990-01-01"))
    api.officer.get("/v1/persons/034090999999")
    text = api.admin.get("/metrics").text
    assert 'lifeledger_writes_total{kind="birth",outcome="accepted"} 1.0' in text
    assert 'route="/v1/persons/{pin}"' in text
    assert "lifeledger_projection_lag_events" in text
    is_problem(api.officer.get("/metrics"), 403, "forbidden")


def test_openapi_and_docs_are_served(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert "/v1/persons/{pin}" in schema["paths"]
    assert "/v1/registrations/{authority}/{book}/{number}" in schema["paths"]
    assert api.client.get("/docs").status_code == 200


def test_unknown_route_and_method_are_problems(api: Api) -> None:
    is_problem(api.officer.get("/v1/nothing"), 404, "not-found")
    is_problem(api.officer.client.delete("/v1/births"), 405, "method-not-allowed")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_with_no_outside_request(api: Api, page: str) -> None:
    """Registry offices often have no internet: the documentation pages and every script,
    style and image they load come from this server."""
    html = api.client.get(page)
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assets = re.findall(r"""(?:src|href|url)\s*[=:(]\s*['"]([^'"]+)['"]""", html.text)
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert not re.match(r"^(?:[a-z]+:)?//", asset), f"{page} loads {asset} from outside"
        loaded = api.client.get(asset)
        assert loaded.status_code == 200 and loaded.content, asset
    assert "googleapis" not in html.text and "jsdelivr" not in html.text
