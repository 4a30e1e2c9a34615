"""Every error as RFC 9457 `application/problem+json`, mapped here once.

The ledger's error categories (`domain/errors.py`) decide the status; the error's
stable `code` is the problem `type`; its message (naming the facts) is the `detail`.
A new rule therefore needs no new handler. The API's own refusals (401, 403, 503, a
reused Idempotency-Key) are `ApiProblem`s; request validation becomes a 422 naming the
offending field; anything unexpected is logged and answered as a 500 problem.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

import eventsourcing.persistence
import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from lifeledger.api.schemas.patterns import MEANINGS, PIN_PATTERN
from lifeledger.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidPin,
    LedgerError,
    NotFound,
    RuleViolation,
)
from lifeledger.domain.pin import Pin

log = logging.getLogger(__name__)

# The store is down, locked or out of connections: a retry later may succeed (503).
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    sqlite3.OperationalError,
    eventsourcing.persistence.OperationalError,
    psycopg_pool.PoolTimeout,
)

PROBLEM_BASE = "https://lifeledger.example/problems/"
MEDIA_TYPE = "application/problem+json"

CATEGORY_STATUS: tuple[tuple[type[LedgerError], int], ...] = (
    (InvalidInput, 422),
    (NotFound, 404),
    (Forbidden, 403),
    (RuleViolation, 409),
    (Conflict, 409),
)


class ApiProblem(Exception):
    """A refusal of the API itself (not of a rule of the ledger)."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers = headers or {}
        self.extra = extra


def status_of(error: LedgerError) -> int:
    for category, status in CATEGORY_STATUS:
        if isinstance(error, category):
            return status
    return 400


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    body = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def ledger_problem(error: LedgerError) -> dict[str, Any]:
    """The problem document of a refusal by the ledger."""
    facts = json.loads(json.dumps(error.facts, default=str, ensure_ascii=False))
    return problem(
        status_of(error),
        error.code,
        error.title,
        error.message,
        field=facts.pop("field", None),
        facts=facts or None,
    )


def api_problem(error: ApiProblem) -> dict[str, Any]:
    return problem(error.status, error.code, error.title, error.detail, **error.extra)


def response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=MEDIA_TYPE, headers=headers)


def field_of(location: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "child", "pin")` -> `child.pin`; `("query", "depth")` -> `depth`."""
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _location(error: dict[str, Any]) -> tuple[Any, ...] | list[Any]:
    """Where the error is: pydantic's location, or deeper inside a body checked as a whole,
    the place the ledger's storable check named."""
    cause = getattr(error.get("ctx", {}).get("error"), "__cause__", None)
    if isinstance(cause, InvalidInput) and cause.field:
        return cause.field.split(".")
    location: tuple[Any, ...] = error.get("loc", ())
    return location


def validation_problem(error: RequestValidationError) -> dict[str, Any]:
    """422 naming each field that does not match the OpenAPI document; a malformed PIN is
    `invalid-pin`, as everywhere else."""
    found = [(field_of(_location(e)), e) for e in error.errors()]
    errors = [{"field": field, "message": _message(field, e)} for field, e in found]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    if found and _pattern_of(found[0][1]) == PIN_PATTERN:
        return problem(
            422, InvalidPin.code, InvalidPin.title, first["message"], field=first["field"]
        )
    return problem(
        422,
        "invalid-request",
        "Invalid request",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


def _pattern_of(error: dict[str, Any]) -> str | None:
    if error.get("type") != "string_pattern_mismatch":
        return None
    pattern = error.get("ctx", {}).get("pattern")
    return str(pattern) if pattern is not None else None


def _message(field: str, error: dict[str, Any]) -> str:
    """The error's message; for a value that does not match a pattern, what it is not."""
    pattern = _pattern_of(error)
    if pattern is None:
        return str(error.get("msg", "invalid"))
    shown = repr(error.get("input"))
    if pattern == PIN_PATTERN:
        try:
            Pin.parse(error.get("input"), field)
        except InvalidPin as refusal:
            return refusal.message
        return f"{field}: {shown} {MEANINGS[pattern]}"
    return f"{shown} {MEANINGS.get(pattern) or _unlike(pattern)}"


def _unlike(pattern: str) -> str:
    return f"does not match {pattern}" if len(pattern) <= 80 else "is not in the expected form"


async def _on_ledger_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LedgerError)
    return response(ledger_problem(error))


async def _on_api_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiProblem)
    return response(api_problem(error), error.headers)


async def _on_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return response(validation_problem(error))


async def _on_http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if error.status_code == 400:  # a body that cannot be parsed at all is malformed input
        detail = f"body: {error.detail}"
        return response(problem(422, "invalid-request", "Invalid request", detail, field="body"))
    code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
    title = {404: "Not found", 405: "Method not allowed"}.get(error.status_code, "HTTP error")
    headers = dict(error.headers or {})
    detail = str(error.detail)
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        detail = f"{request.method} {request.url.path}: the path has {headers['Allow']}"
    return response(problem(error.status_code, code, title, detail), headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method of every route whose path matches (a path's GET and POST may be two
    routes: the router's own 405 names only the first one's). The app lists its routes in
    `state.routes` (FastAPI nests the included routers' routes)."""
    methods: set[str] = set()
    for route in getattr(request.app.state, "routes", request.app.routes):
        found, _ = route.matches(request.scope)
        if found != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _on_store_down(request: Request, error: Exception) -> JSONResponse:
    log.warning("store unavailable: %s", error)
    body = problem(503, "store-unavailable", "The store is unavailable", "try again shortly")
    return response(body, {"Retry-After": "1"})


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return response(
        problem(500, "internal-error", "Internal error", "an unexpected error was logged")
    )


def install(app: FastAPI) -> None:
    """Register the handlers: one per kind of error, none per rule."""
    app.add_exception_handler(LedgerError, _on_ledger_error)
    app.add_exception_handler(ApiProblem, _on_api_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    for unavailable in STORE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _on_store_down)
    app.add_exception_handler(Exception, _on_unexpected)
