"""Answers of the routes: reads with their ledger position, and writes that an
`Idempotency-Key` makes safe to retry.

A write with a key runs once: its answer (status and body, refusals included) is stored
under (user, key) with a fingerprint of the request; the same key with the same request
gets that answer again (header `Idempotent-Replayed: true`), the same key with another
request a 422 problem. Transient answers (5xx, `concurrent-write`) are not stored, so a
retry runs again. Two concurrent first requests with one key both run; the ledger makes
the second a duplicate, and both get the answer stored first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse, Response

from lifeledger.api.context import ApiContext
from lifeledger.api.problems import MEDIA_TYPE, ApiProblem, ledger_problem
from lifeledger.api.records import Remembered
from lifeledger.auth import Principal
from lifeledger.domain.errors import LedgerError

POSITION_HEADER = "X-Ledger-Position"
TRANSIENT_CODES = ("concurrent-write",)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    def response(self, replayed: bool = False) -> JSONResponse:
        headers = {}
        if isinstance(self.body.get("position"), int):
            headers[POSITION_HEADER] = str(self.body["position"])
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        media_type = MEDIA_TYPE if self.status >= 400 else "application/json"
        return JSONResponse(self.body, self.status, headers, media_type=media_type)


def fingerprint(route: str, payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


def attempt(action: Callable[[], Answer]) -> Answer:
    """Run a write; a refusal by the ledger becomes its problem answer."""
    try:
        return action()
    except LedgerError as error:
        problem = ledger_problem(error)
        return Answer(problem["status"], problem)


def answer_once(
    context: ApiContext,
    user: Principal,
    key: str | None,
    request_fingerprint: str,
    action: Callable[[], Answer],
    remembered: Callable[[Answer], Answer] = lambda answer: answer,
) -> JSONResponse:
    """Run `action` at most once per (user, Idempotency-Key); `remembered` shapes what is
    stored (e.g. without a secret shown only once)."""
    if key is None:
        return attempt(action).response()
    seen = context.idempotency.find(user.name, key)
    if seen is None:
        answer = attempt(action)
        if answer.status >= 500 or answer.body.get("code") in TRANSIENT_CODES:
            return answer.response()
        stored = remembered(answer)
        seen = context.idempotency.remember(
            user.name, key, Remembered(request_fingerprint, stored.status, stored.body)
        )
        if seen.fingerprint == request_fingerprint and seen.body == stored.body:
            return answer.response()
    if seen.fingerprint != request_fingerprint:
        raise ApiProblem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused with another request",
            f"Idempotency-Key {key!r} was first used with a different request",
            field="Idempotency-Key",
        )
    return Answer(seen.status, seen.body).response(replayed=True)


def read_response(body: dict[str, Any], position: int) -> JSONResponse:
    """A read's answer, with the position it reflects in the body and a header."""
    body["position"] = position
    return JSONResponse(body, headers={POSITION_HEADER: str(position)})


def read_json_response(document: str, position: int) -> Response:
    """`read_response` for a JSON object already encoded (a stored document), sent as is
    with the position added."""
    body = f'{{"position":{position},{document.removeprefix("{")}'
    return Response(body, media_type="application/json", headers={POSITION_HEADER: str(position)})
