"""Digitized entries waiting for a second user (four-eyes): list, approve, reject.

The jurisdiction of an entry is its registering authority's province; a provincial
approver sees and decides only the entries of its provinces."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from lifeledger.api.answers import Answer, answer_once, fingerprint, read_response
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import (
    Approver,
    Context,
    EntryReader,
    IdempotencyKey,
    MinPosition,
    authorize,
)
from lifeledger.api.problems import ledger_problem
from lifeledger.api.routers.acts import event_ids
from lifeledger.api.schemas.acts import RejectionIn
from lifeledger.api.schemas.common import problems
from lifeledger.api.schemas.out import DecisionOut, EntriesOut
from lifeledger.auth import Permission, Principal, province_of
from lifeledger.domain.acts import get_path
from lifeledger.domain.errors import EntryNotFound, ReferenceConflict
from lifeledger.ledger import CONFLICT, Outcome

router = APIRouter(prefix="/v1/entries", tags=["entries"])


def entry_province(entry: dict[str, Any]) -> str:
    content = entry.get("content")
    if isinstance(content, str):
        content = json.loads(content)
    if isinstance(content, dict) and isinstance(content.get("register"), dict):
        register = content["register"]
        return province_of(str(register.get("authority") or ""), register.get("province"))
    return province_of(str(entry.get("authority") or ""), entry.get("province"))


@router.get(
    "",
    response_model=EntriesOut,
    responses=problems(401, 403, 422, 503, refusals=("position-not-reached",)),
)
def list_entries(
    context: Context,
    user: EntryReader,
    status: Literal["pending", "conflict", "approved", "rejected"] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Position cursor")] = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    """Staged entries by status (pending or in the conflict queue), oldest first."""
    context.await_position(min_position)
    read = context.projections.entries(status, limit, after)
    page = list(read.data or [])
    entries = [e for e in page if user.covers(entry_province(e))]
    next_after = page[-1]["position"] if len(page) == limit else None
    return read_response({"entries": entries, "next_after": next_after}, read.position)


def _staged_province(context: ApiContext, entry_id: UUID) -> str:
    staged = context.ledger.staged_entry(entry_id)
    if staged is None:
        raise EntryNotFound(f"no staged entry {entry_id}", entry=str(entry_id))
    authority = str(get_path(staged.content, "register.authority") or "")
    return province_of(authority, get_path(staged.content, "register.province"))


def _decide(
    context: ApiContext,
    user: Principal,
    key: str | None,
    route: str,
    entry_id: UUID,
    action: Callable[[], Answer],
    payload: Any = None,
) -> JSONResponse:
    authorize(user, Permission.APPROVE, _staged_province(context, entry_id))
    return answer_once(context, user, key, fingerprint(route, [str(entry_id), payload]), action)


@router.post(
    "/{entry_id}/approve",
    response_model=DecisionOut,
    responses=problems(401, 403, 404, 409, 422, refusals=("idempotency-key-reused",)),
)
def approve_entry(
    entry_id: UUID, context: Context, user: Approver, key: IdempotencyKey = None
) -> JSONResponse:
    """Approve a staged entry: it becomes an act, or (409) goes to the conflict queue."""

    def approve() -> Answer:
        outcome = context.ledger.approve(entry_id, user.name, role="approver")
        if outcome.status == CONFLICT:
            context.metrics.wrote("approval", "conflict")
            error = outcome.error or ReferenceConflict(f"{outcome.reference} is taken")
            body = ledger_problem(error) | {"entry_id": str(entry_id), "entry_status": "conflict"}
            return Answer(409, body)
        context.metrics.wrote("approval", "approved")
        return Answer(200, _decision(entry_id, "approved", outcome, context))

    return _decide(context, user, key, "approve", entry_id, approve)


@router.post(
    "/{entry_id}/reject",
    response_model=DecisionOut,
    responses=problems(401, 403, 404, 409, 422, refusals=("idempotency-key-reused",)),
)
def reject_entry(
    entry_id: UUID,
    body: RejectionIn,
    context: Context,
    user: Approver,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Reject a staged entry, with the reason (it stays in the ledger, marked rejected)."""

    def reject() -> Answer:
        outcome = context.ledger.reject(entry_id, user.name, body.reason)
        context.metrics.wrote("approval", "rejected")
        return Answer(200, _decision(entry_id, "rejected", outcome, context))

    return _decide(context, user, key, "reject", entry_id, reject, body.reason)


def _decision(entry_id: UUID, status: str, outcome: Outcome, context: ApiContext) -> dict[str, Any]:
    return {
        "entry_id": str(entry_id),
        "status": status,
        "act_id": str(outcome.act_id) if outcome.act_id else None,
        "reference": outcome.reference,
        "position": outcome.position or context.ledger.position(),
        "event_ids": event_ids(outcome),
    }
