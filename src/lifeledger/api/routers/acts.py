"""Registering acts: one route per kind, each body in the register export format.

201 with the event ids and the ledger position; 200 when the very same act (same
reference, same content) is already recorded; a refusal is a problem naming the rule.
The jurisdiction of a write is the registering authority's province."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from lifeledger.api.answers import Answer, answer_once, fingerprint
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import Context, IdempotencyKey, Officer, authorize
from lifeledger.api.problems import status_of
from lifeledger.api.schemas.acts import (
    BirthIn,
    CorrectionIn,
    DeathIn,
    DivorceIn,
    GuardianshipIn,
    MarriageIn,
    ParentageIn,
    RevocationIn,
)
from lifeledger.api.schemas.common import problems
from lifeledger.api.schemas.out import WriteOut
from lifeledger.auth import Permission, Principal, province_of
from lifeledger.commands import Recorder
from lifeledger.domain.acts import Reference
from lifeledger.domain.errors import LedgerError
from lifeledger.ledger import ACCEPTED, Outcome

router = APIRouter(prefix="/v1", tags=["acts"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": WriteOut, "description": "The same act was already recorded (duplicate)"},
    **problems(
        401,
        403,
        404,
        409,
        422,
        refusals=("pin-mismatch", "invalid-date", "invalid-entry", "idempotency-key-reused"),
    ),
}


def event_ids(outcome: Outcome) -> list[str]:
    return [f"{aggregate}:{version}" for aggregate, version in outcome.events]


def written(context: ApiContext, outcome: Outcome) -> Answer:
    accepted = outcome.status == ACCEPTED
    body = {
        "status": "accepted" if accepted else "duplicate",
        "act_id": str(outcome.act_id) if outcome.act_id else None,
        "reference": outcome.reference,
        "position": outcome.position if outcome.position else context.ledger.position(),
        "event_ids": event_ids(outcome),
    }
    return Answer(201 if accepted else 200, body)


def outcome_label(error: LedgerError) -> str:
    return {404: "not_found", 409: "refused", 422: "invalid"}.get(status_of(error), "error")


def register(
    context: ApiContext, user: Principal, key: str | None, route: str, entry: dict[str, Any]
) -> JSONResponse:
    """Authorize, then record the act once per Idempotency-Key."""
    register_part = entry["register"]
    authorize(
        user,
        Permission.REGISTER,
        province_of(register_part["authority"], register_part.get("province")),
    )

    def record() -> Answer:
        recorder = Recorder(user.name, "officer", office=register_part["authority"])
        kind = str(entry["kind"])
        try:
            outcome = context.ledger.register(entry, recorder)
        except LedgerError as error:
            context.metrics.wrote(kind, outcome_label(error))
            raise
        context.metrics.wrote(kind, outcome.status)
        return written(context, outcome)

    return answer_once(context, user, key, fingerprint(route, entry), record)


@router.post("/births", status_code=201, response_model=WriteOut, responses=RESPONSES)
def register_birth(
    body: BirthIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Register a birth: the child (PIN, name, sex, date and place) and the parents."""
    return register(context, user, key, "births", body.entry("birth"))


@router.post("/marriages", status_code=201, response_model=WriteOut, responses=RESPONSES)
def register_marriage(
    body: MarriageIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Register a marriage of two spouses, checked against age, bigamy and kinship rules."""
    return register(context, user, key, "marriages", body.entry("marriage"))


@router.post("/divorces", status_code=201, response_model=WriteOut, responses=RESPONSES)
def register_divorce(
    body: DivorceIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Register a divorce or annulment of an open marriage (court decision, effective date)."""
    return register(context, user, key, "divorces", body.entry("divorce"))


@router.post("/deaths", status_code=201, response_model=WriteOut, responses=RESPONSES)
def register_death(
    body: DeathIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Register a death; the person's open marriages end on that date."""
    return register(context, user, key, "deaths", body.entry("death"))


@router.post("/parentages", status_code=201, response_model=WriteOut, responses=RESPONSES)
def register_parentage(
    body: ParentageIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Register a parentage recognition (mother/father) or an adoption (adoptive_*)."""
    return register(context, user, key, "parentages", body.entry(body.kind()))


@router.post("/guardianships", status_code=201, response_model=WriteOut, responses=RESPONSES)
def register_guardianship(
    body: GuardianshipIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Open a guardianship (`action: open`, the default) or end one (`action: end`)."""
    return register(context, user, key, "guardianships", body.entry())


@router.post("/corrections", status_code=201, response_model=WriteOut, responses=RESPONSES)
def register_correction(
    body: CorrectionIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Correct fields of an act; each change's `before` must be the current value."""
    return register(context, user, key, "corrections", body.entry("correction"))


@router.post(
    "/revocations",
    status_code=201,
    response_model=WriteOut,
    responses={**RESPONSES, **problems(422, refusals=("idempotency-key-reused",))},
)
def revoke_act(
    body: RevocationIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Declare an act void by a competent decision; it stays in the ledger, flagged."""
    target = Reference(body.target.authority, body.target.book, body.target.number)
    authorize(user, Permission.REGISTER, province_of(target.authority))
    request = body.model_dump(mode="json")

    def revoke() -> Answer:
        recorder = Recorder(user.name, "officer", office=body.authority)
        try:
            outcome = context.ledger.revoke(
                target, body.decision, body.decided_on, body.authority, body.reason, recorder
            )
        except LedgerError as error:
            context.metrics.wrote("revocation", outcome_label(error))
            raise
        context.metrics.wrote("revocation", outcome.status)
        return written(context, outcome)

    return answer_once(context, user, key, fingerprint("revocations", request), revoke)
