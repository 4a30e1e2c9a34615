"""The OpenAPI document's parts that no single route states: the answers every route may
give besides its own (413 for a body over the limit, 503 while the store is unavailable),
the problem document's schema, and the 405 for a method a path does not have (a component:
an undocumented method has no operation to list it under)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lifeledger.api.body_limit import CODE as BODY_TOO_LARGE
from lifeledger.api.schemas.common import PROBLEM, PROBLEM_SCHEMA, TEXTS, Problem

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def complete(document: dict[str, Any], max_body_bytes: int) -> dict[str, Any]:
    """Add the shared answers to `document` (FastAPI's, which it keeps: done once)."""
    components = document.setdefault("components", {})
    if "MethodNotAllowed" in components.setdefault("responses", {}):
        return document
    components.setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
    components["responses"]["MethodNotAllowed"] = {
        "description": "The path does not have this method (`method-not-allowed`)",
        "headers": {
            "Allow": {"description": "The methods the path has", "schema": {"type": "string"}}
        },
        "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}},
    }
    too_large = f"The request body is larger than {max_body_bytes} bytes (`{BODY_TOO_LARGE}`)"
    for operation in _operations(document):
        responses = operation.setdefault("responses", {})
        responses.setdefault("413", _problem(too_large))
        if operation.get("security"):  # every credential is looked up in the store
            responses.setdefault("503", _problem(TEXTS[503]))
    return document


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in document.get("paths", {}).values():
        for method, operation in path.items():
            if method in METHODS:
                yield operation


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}
