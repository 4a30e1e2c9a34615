"""Digitized entries waiting for a second user (four-eyes): list, approve, reject.

The jurisdiction of an entry is its registering office's province; a provincial approver
sees and decides only the entries of its provinces (another province's entry answers as a
missing one), and an entry is approved by a user other than the one who staged it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from lifeledger.api.answers import Answer, answer_once, fingerprint, read_response
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import Approver, Context, EntryReader, IdempotencyKey, MinPosition
from lifeledger.api.problems import ledger_problem
from lifeledger.api.routers.acts import event_ids, log_write
from lifeledger.api.schemas.acts import RejectionIn
from lifeledger.api.schemas.common import MAX_POSITION, problems
from lifeledger.api.schemas.out import DecisionOut, EntriesOut
from lifeledger.auth import Principal
from lifeledger.commands.decisions import CONFLICT, Outcome
from lifeledger.domain.acts import get_path
from lifeledger.domain.entry import StagedEntry
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import EntryNotFound, LedgerError, ReferenceConflict
from lifeledger.domain.jurisdiction import office_province, outside, pins_in, undisclosed

router = APIRouter(prefix="/v1/entries", tags=["entries"])


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
    after: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="Position cursor")
    ] = None,
    import_id: Annotated[
        str | None, Query(pattern=r"^[0-9a-f]{32}$", description="Only this import's entries")
    ] = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    """Staged entries by status (pending or in the conflict queue), oldest first, of the
    offices in the user's provinces."""
    context.await_position(min_position)
    read = context.projections.entries(status, limit, after, user.provinces, import_id)
    entries = [_as_seen_by(user, entry) for entry in read.data or []]
    next_after = entries[-1]["position"] if len(entries) == limit else None
    return read_response({"entries": entries, "next_after": next_after}, read.position)


def _as_seen_by(user: Principal, entry: dict[str, Any]) -> dict[str, Any]:
    """An entry of the user's office, whose conflict reason (the ledger's refusal at
    approval) names no fact of a person outside the user's provinces."""
    reason = entry.get("reason")
    if not reason or not outside(user.provinces, pins_in(reason)):
        return entry
    withheld = undisclosed(LedgerError(str(reason.get("detail"))), user.provinces, ())
    return {**entry, "reason": {"code": withheld.code, "detail": withheld.message}}


def _staged(context: ApiContext, user: Principal, entry_id: UUID) -> StagedEntry:
    """The staged entry, if it is of an office in the user's provinces: another province's
    entry answers as a missing one (entry ids are derived from registration references)."""
    staged = context.ledger.staged_entry(entry_id)
    authority = str(get_path(staged.content, "register.authority") or "") if staged else ""
    if staged is None or not user.covers(office_province(authority)):
        raise EntryNotFound(f"no staged entry {entry_id}", entry=str(entry_id))
    return staged


def _decide(
    context: ApiContext,
    user: Principal,
    key: str | None,
    route: str,
    entry_id: UUID,
    action: Callable[[StagedEntry], Answer],
    payload: Any = None,
) -> JSONResponse:
    staged = _staged(context, user, entry_id)
    request = fingerprint(route, [str(entry_id), payload])
    return answer_once(context, user, key, request, lambda: action(staged))


@router.post(
    "/{entry_id}/approve",
    response_model=DecisionOut,
    responses=problems(401, 403, 404, 409, 422, refusals=("idempotency-key-reused",)),
)
def approve_entry(
    entry_id: UUID, context: Context, user: Approver, key: IdempotencyKey = None
) -> JSONResponse:
    """Approve a staged entry: it becomes an act, or (409) goes to the conflict queue."""

    def approve(staged: StagedEntry) -> Answer:
        pins = _pins_of(staged)
        try:
            outcome = context.ledger.approve(entry_id, user.name, "approver", user.provinces)
        except LedgerError as error:
            log_write(context, user, "approval", pins, error.code)
            raise undisclosed(error, user.provinces, pins) from None
        log_write(context, user, "approval", pins, outcome.status)
        if outcome.status == CONFLICT:
            context.metrics.wrote("approval", "conflict")
            refusal = outcome.error or ReferenceConflict(f"{outcome.reference} is taken")
            shown = undisclosed(refusal, user.provinces, pins)
            body = ledger_problem(shown) | {"entry_id": str(entry_id), "entry_status": "conflict"}
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

    def reject(staged: StagedEntry) -> Answer:
        outcome = context.ledger.reject(entry_id, user.name, body.reason)
        context.metrics.wrote("approval", "rejected")
        return Answer(200, _decision(entry_id, "rejected", outcome, context))

    return _decide(context, user, key, "reject", entry_id, reject, body.reason)


def _pins_of(staged: StagedEntry) -> list[str]:
    try:
        return parse_act(staged.content).pins
    except LedgerError:  # staged before a check that now refuses it: its PINs as written
        return sorted(pins_in(staged.content))


def _decision(entry_id: UUID, status: str, outcome: Outcome, context: ApiContext) -> dict[str, Any]:
    return {
        "entry_id": str(entry_id),
        "status": status,
        "act_id": str(outcome.act_id) if outcome.act_id else None,
        "reference": outcome.reference,
        "position": outcome.position or context.ledger.position(),
        "event_ids": event_ids(outcome),
    }
