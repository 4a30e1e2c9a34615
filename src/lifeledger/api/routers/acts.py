"""Registering acts: one route per kind, each body in the register export format.

201 with the event ids and the ledger position; 200 when the very same act (same
reference, same content) is already recorded; a refusal is a problem naming the rule.
The jurisdiction of a write is the registering office's province, and that of every act it
changes (see `domain.jurisdiction`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from lifeledger.api.access_log import Access
from lifeledger.api.answers import Answer, answer_once, fingerprint
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import Context, IdempotencyKey, Officer
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
from lifeledger.auth import Principal
from lifeledger.commands.decisions import ACCEPTED, Outcome
from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.acts import REFERENCE_KEYS, Reference
from lifeledger.domain.canonical import canonical_entry
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import LedgerError
from lifeledger.domain.jurisdiction import check_office, check_write, undisclosed

router = APIRouter(prefix="/v1", tags=["acts"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": WriteOut, "description": "The same act was already recorded (duplicate)"},
    **problems(
        401,
        403,
        404,
        409,
        422,
        refusals=(
            "pin-mismatch",
            "invalid-date",
            "date-in-future",
            "date-after-registration",
            "province-mismatch",
            "invalid-text",
            "limit-exceeded",
            "invalid-entry",
            "idempotency-key-reused",
        ),
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
    """Read the act, check the user's jurisdiction before anything is looked up, then record
    it once per Idempotency-Key. A refusal that concerns persons the user may not read names
    no fact; every attempt that reached the ledger is in the access log (a refusal tells
    something of the persons named)."""
    act = parse_act(entry)
    check_write(act, user.provinces)

    def record() -> Answer:
        recorder = Recorder(
            user.name, "officer", office=act.reference.authority, provinces=user.provinces
        )
        try:
            outcome = context.ledger.register(act, recorder)
        except LedgerError as error:
            context.metrics.wrote(act.kind, outcome_label(error))
            log_write(context, user, act.kind, act.pins, error.code)
            raise undisclosed(error, user.provinces, act.pins) from None
        context.metrics.wrote(act.kind, outcome.status)
        log_write(context, user, act.kind, act.pins, outcome.status)
        return written(context, outcome)

    return answer_once(context, user, key, fingerprint(route, entry), record)


def log_write(
    context: ApiContext, user: Principal, kind: str, pins: list[str], outcome: str
) -> None:
    """An attempt to write about persons, in the access log beside the reads."""
    roles = ",".join(user.roles)
    context.access.record(
        *(Access(user.name, roles, pin, f"write:{kind}", outcome) for pin in pins)
    )


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
    responses={
        **RESPONSES,
        **problems(422, refusals=("invalid-text", "limit-exceeded", "idempotency-key-reused")),
    },
)
def revoke_act(
    body: RevocationIn, context: Context, user: Officer, key: IdempotencyKey = None
) -> JSONResponse:
    """Declare an act void by a competent decision; it stays in the ledger, flagged."""
    request = canonical_entry(body.model_dump(mode="json"))  # its text as an act's is kept
    target = Reference(*(request["target"][key] for key in REFERENCE_KEYS))
    check_office(user.provinces, target.authority, target.label, "revocation refused")
    decision, decided_on, authority = request["decision"], body.decided_on, request["authority"]

    def revoke() -> Answer:
        recorder = Recorder(user.name, "officer", office=authority, provinces=user.provinces)
        try:
            outcome = context.ledger.revoke(
                target, decision, decided_on, authority, request["reason"], recorder
            )
        except LedgerError as error:
            context.metrics.wrote("revocation", outcome_label(error))
            raise
        context.metrics.wrote("revocation", outcome.status)
        return written(context, outcome)

    return answer_once(context, user, key, fingerprint("revocations", request), revoke)
