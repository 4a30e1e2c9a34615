"""Answers of the routes: reads with their ledger position, and writes that an
`Idempotency-Key` makes safe to retry.

A write with a key runs once: the request claims (user, key) in the database, runs, and
stores its answer (status and body, refusals included) with a fingerprint of the request;
the same key with the same request gets that answer again (header `Idempotent-Replayed:
true`), the same key with another request a 422 problem, at once. A request whose key is
held by one still running waits for its answer (up to `idempotency_wait_seconds`), then
answers 409 `idempotency-key-in-use`; it never runs the action itself while the key is
held. Transient answers (5xx, `concurrent-write`) and exceptions release the key, so a
retry runs again.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse, Response

from lifeledger.api.context import ApiContext
from lifeledger.api.idempotency import IdempotencyStore, Remembered
from lifeledger.api.problems import MEDIA_TYPE, ApiProblem, ledger_problem
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
    store, claim = context.idempotency, uuid.uuid4().hex
    wait = context.settings.idempotency_wait_seconds
    seen = _claim(store, user.name, key, request_fingerprint, claim, wait)
    if seen is not None:
        return Answer(seen.status, seen.body).response(replayed=True)
    try:
        answer = attempt(action)
    except BaseException:
        store.release(user.name, key, claim)
        raise
    if answer.status >= 500 or answer.body.get("code") in TRANSIENT_CODES:
        store.release(user.name, key, claim)
    else:
        stored = remembered(answer)
        store.complete(
            user.name, key, claim, Remembered(request_fingerprint, stored.status, stored.body)
        )
    return answer.response()


def _claim(
    store: IdempotencyStore,
    user: str,
    key: str,
    request_fingerprint: str,
    claim: str,
    wait: float,
) -> Remembered | None:
    """Hold the key for this request (None), or the answer stored for the same request,
    waited for (up to `wait` seconds) while another request holds the key."""
    deadline = time.monotonic() + wait
    pause = 0.005
    seen = store.claim(user, key, request_fingerprint, claim)
    while seen is not None:
        if seen.fingerprint != request_fingerprint:
            raise ApiProblem(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused with another request",
                f"Idempotency-Key {key!r} was first used with a different request",
                field="Idempotency-Key",
            )
        if not seen.pending:
            return seen
        if time.monotonic() >= deadline:
            raise ApiProblem(
                409,
                "idempotency-key-in-use",
                "Idempotency-Key in use by a request still running",
                f"Idempotency-Key {key!r} is held by another request that has not answered "
                "yet; retry shortly to get its answer",
                headers={"Retry-After": "1"},
                field="Idempotency-Key",
            )
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.2)  # polled: the holder may be another worker process
        seen = store.find(user, key)
        if seen is None:  # released, or its holder died: this request may take it
            seen = store.claim(user, key, request_fingerprint, claim)
    return None


def read_response(body: dict[str, Any], position: int) -> JSONResponse:
    """A read's answer, with the position it reflects in the body and a header."""
    body["position"] = position
    return JSONResponse(body, headers={POSITION_HEADER: str(position)})


def read_json_response(document: str, position: int) -> Response:
    """`read_response` for a JSON object already encoded (a stored document), sent as is
    with the position added."""
    body = f'{{"position":{position},{document.removeprefix("{")}'
    return Response(body, media_type="application/json", headers={POSITION_HEADER: str(position)})
