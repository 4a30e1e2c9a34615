"""API test fixtures: the app with its lifespan running, on each store, and callers holding
the credentials of each role (provincial users act in Thái Bình, 034)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from lifeledger.api.app import create_app
from lifeledger.api.context import ApiContext
from lifeledger.auth import UserStore
from lifeledger.database import ViewDatabase
from lifeledger.domain.acts import Reference
from lifeledger.domain.entry import entry_id
from lifeledger.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HOME = "034"
USERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "officer": (("officer",), (HOME,)),
    "approver": (("approver",), (HOME,)),
    "approver2": (("approver",), (HOME,)),
    "auditor": (("auditor",), (HOME,)),
    "subscriber": (("subscriber",), (HOME,)),
    "admin": (("admin",), ()),
    "national_officer": (("officer",), ()),
    "national_auditor": (("auditor",), ()),
    "everyone": (("officer", "approver", "auditor", "admin"), ()),
    "national_approver": (("approver",), ()),
}


@dataclass
class Caller:
    """Requests as one user."""

    client: TestClient
    key: str

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.headers(kwargs.pop("headers", None))
        response: httpx.Response = self.client.get(path, headers=headers, **kwargs)
        return response

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.headers(kwargs.pop("headers", None))
        response: httpx.Response = self.client.post(path, headers=headers, **kwargs)
        return response


@dataclass
class Api:
    """The running app, its services, and a caller per user of `USERS`."""

    client: TestClient
    callers: dict[str, Caller]

    def __getattr__(self, name: str) -> Caller:
        try:
            return self.callers[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def context(self) -> ApiContext:
        context: ApiContext = self.client.app.state.context  # type: ignore[attr-defined]
        return context

    def settle(self) -> None:
        """Wait until the read models have applied everything written so far."""
        context = self.context
        assert context.projections.runner.wait_for(context.ledger.position(), timeout=20)


def api_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "import_batch_size": 50,
        "auth_cache_seconds": 0,
        "read_wait_seconds": 10,
        **overrides,
    }
    return Settings(**values)


def make_users(settings: Settings) -> dict[str, str]:
    db = ViewDatabase(settings.database_url, pool_size=1)
    try:
        store = UserStore(db)
        store.setup()
        return {name: store.add(name, *grant) for name, grant in USERS.items()}
    finally:
        db.close()


def running_api(settings: Settings) -> Iterator[Api]:
    keys = make_users(settings)
    with TestClient(create_app(settings)) as client:
        yield Api(client, {name: Caller(client, key) for name, key in keys.items()})


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    """The app on a fresh database of each store, lifespan running."""
    yield from running_api(api_settings(database_url))


ROUTES = {
    "birth": "/v1/births",
    "marriage": "/v1/marriages",
    "divorce": "/v1/divorces",
    "death": "/v1/deaths",
    "parentage": "/v1/parentages",
    "adoption": "/v1/parentages",
    "guardianship_opened": "/v1/guardianships",
    "guardianship_ended": "/v1/guardianships",
    "correction": "/v1/corrections",
}


def body_of(entry: dict[str, Any]) -> dict[str, Any]:
    """The HTTP body of a register entry: the kind is implied by the route."""
    body = {k: v for k, v in entry.items() if k != "kind" and v is not None}
    if entry["kind"] == "guardianship_ended":
        body["action"] = "end"
    return body


def post_act(caller: Caller, entry: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return caller.post(ROUTES[entry["kind"]], json=body_of(entry), **kwargs)


def is_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status (and code); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"] == f"https://lifeledger.example/problems/{problem['code']}"
    assert problem["title"] and problem["detail"]
    if code is not None:
        assert problem["code"] == code, problem
    return problem


def jsonl(*entries: dict[str, Any]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode()


def staged_id(entry: dict[str, Any]) -> str:
    return str(entry_id(Reference.at(entry, "register")))


def stage(caller: Caller, *entries: dict[str, Any]) -> dict[str, Any]:
    response = caller.post("/v1/imports", files={"file": ("export.jsonl", jsonl(*entries))})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def import_recorded(
    api: Api, sender: Caller | None = None, approver: Caller | None = None, **upload: Any
) -> dict[str, Any]:
    """An export staged by `sender` (national `everyone`) and its entries approved at once by
    a second user (national `national_approver`): the import's result as if recorded at
    once (`accepted` counts the approved lines; conflicts at approval join the report)."""
    sent = (sender or api.everyone).post("/v1/imports", params={"entered_by": "op-07"}, **upload)
    assert sent.status_code == 201, sent.text
    result: dict[str, Any] = sent.json()
    approved = (approver or api.national_approver).post(f"/v1/imports/{result['id']}/approve")
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    counts = result["counts"]
    counts["accepted"] += decided["counts"]["approved"]
    counts["conflict"] += decided["counts"]["conflict"]
    counts["staged"] -= decided["counts"]["approved"] + decided["counts"]["conflict"]
    result["report"] += [{**line, "status": "conflict"} for line in decided["report"]]
    result["position"] = max(result["position"] or 0, decided["position"])
    return result
