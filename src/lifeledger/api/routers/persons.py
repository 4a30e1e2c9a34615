"""Reading persons: civil status, life chain, family graph, relationship, correction trail.

The jurisdiction of a read about a person is the PIN's province (its first three digits:
where the birth was registered). Every read is written to the access log (who read whom,
when, what), whether the person was found or not. Relatives outside a provincial reader's
provinces are shown by relation and name only (`api/disclosure.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from lifeledger.api.access_log import Access
from lifeledger.api.answers import read_json_response, read_response
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import Context, CurrentUser, MinPosition, Reader, authorize
from lifeledger.api.disclosure import visible
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import problems
from lifeledger.api.schemas.out import (
    CorrectionsOut,
    FamilyOut,
    PersonOut,
    RelationshipOut,
    TimelineOut,
)
from lifeledger.api.schemas.patterns import PARTIAL_DATE_PATTERN, PIN_PATTERN
from lifeledger.auth import Permission, Principal
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.errors import PersonNotFound
from lifeledger.domain.pin import Pin
from lifeledger.jsoncodec import loads

router = APIRouter(prefix="/v1", tags=["persons"])

PIN = "12 ASCII digits, the first three a known province code"
PinPath = Annotated[str, Path(pattern=PIN_PATTERN, description=PIN)]
PinQuery = Annotated[str, Query(pattern=PIN_PATTERN, description=PIN)]
AsOf = Annotated[
    str | None,
    Query(
        pattern=PARTIAL_DATE_PATTERN,
        description="The person as the ledger stood at the end of this day, month or year "
        "(`YYYY-MM-DD`, `YYYY-MM`, `YYYY`): `2016` reads it as of 2016-12-31. Before the "
        "person's first act was registered: 404 `not-yet-registered`",
    ),
]
READ = problems(401, 403, 404, 422, 503, refusals=("position-not-reached",))


def end_of(as_of: str | None) -> str | None:
    """The last day of the day, month or year `as_of` names."""
    return None if as_of is None else PartialDate.parse(as_of, "as_of").latest.isoformat()


def look_up(
    context: ApiContext,
    user: Principal,
    pins: dict[str, str],
    what: str,
    min_position: int | None,
    permission: Permission = Permission.READ_PERSONS,
    detail: str | None = None,
) -> None:
    """Check each PIN (`field -> PIN`), the user's right to read it, log the read, and wait
    for `min_position`."""
    for field, text in pins.items():
        pin = Pin.parse(text, field)
        authorize(user, permission, pin.province)
    roles = ",".join(user.roles)
    context.access.record(
        *(Access(user.name, roles, pin, what, detail) for pin in dict.fromkeys(pins.values()))
    )
    context.await_position(min_position)


def found(data: Any, context: ApiContext, *pins: str, as_of: str | None = None) -> Any:
    """`data`, unless the read found nothing: then the 404 of the persons it is about."""
    if data is None:
        raise absent(context, pins, as_of)
    return data


def absent(context: ApiContext, pins: tuple[str, ...], as_of: str | None) -> Exception:
    """The 404 of a read that found nothing, saying why: a day (`as_of`) before the person's
    first registration; every act that described them revoked (docs/adr/0002-revoked-acts.md,
    naming each revocation); else no person with that PIN."""
    for pin in pins:
        first = context.projections.first_registered(pin) if as_of is not None else None
        if as_of is not None and first is not None and first > as_of:
            return ApiProblem(
                404,
                "not-yet-registered",
                "Not yet registered on that day",
                f"as_of: on {as_of} no act of {pin} was registered yet; the first was "
                f"registered on {first}",
                field="as_of",
                first_registered_on=first,
            )
        revoked = context.projections.revocations(pin, as_of)
        if revoked:
            acts = "; ".join(f"{r['kind']} {_revoked_by(r)}" for r in revoked)
            return PersonNotFound(
                f"PIN {pin} has no act in force: {acts}; its timeline shows them", pin=pin
            )
    either = " or ".join(pins)
    return PersonNotFound(f"no person with PIN {either} in the ledger", pin=either)


def _revoked_by(act: dict[str, Any]) -> str:
    ref, decision = act["registration"], act["revocation"]
    return (
        f"{ref['authority']}/{ref['book']}/{ref['number']} revoked by {decision['decision']} "
        f"of {decision['decided_on']} ({decision['authority']})"
    )


@router.get("/persons/{pin}", response_model=PersonOut, responses=READ)
def read_person(
    pin: PinPath,
    context: Context,
    user: Reader,
    as_of: AsOf = None,
    min_position: MinPosition = None,
) -> Response:
    """A person's civil status: identity, parents, children, spouses and siblings."""
    day = end_of(as_of)
    look_up(context, user, {"pin": pin}, "person", min_position, detail=as_of)
    read = context.projections.person_json(pin, day)
    data = found(read.data, context, pin, as_of=day)
    if not user.national:
        return read_response(visible(user, loads(data)), read.position)
    return read_json_response(data, read.position)


@router.get("/persons/{pin}/timeline", response_model=TimelineOut, responses=READ)
def read_timeline(
    pin: PinPath,
    context: Context,
    user: Reader,
    as_of: AsOf = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    """The person's acts in fact-date order, with registration, source and corrections; a
    revoked act stays, with `revoked: true` and its `revocation`."""
    day = end_of(as_of)
    look_up(context, user, {"pin": pin}, "timeline", min_position, detail=as_of)
    read = context.projections.timeline(pin, day)
    events = visible(user, found(read.data, context, pin, as_of=day))
    return read_response({"pin": pin, "events": events}, read.position)


@router.get("/persons/{pin}/family", response_model=FamilyOut, responses=READ)
def read_family(
    pin: PinPath,
    context: Context,
    user: Reader,
    depth: Annotated[
        int, Query(ge=1, le=6, description="Generations up and down (default 2: grandparents)")
    ] = 2,
    min_position: MinPosition = None,
) -> JSONResponse:
    """The family tree as a graph of `nodes` and `edges`: ancestors and descendants to `depth`
    generations, the brothers and sisters at each generation above, and the spouses of all of
    them (couple edges with the marriage's `from`, `to`, `end_reason` and `registration`)."""
    look_up(context, user, {"pin": pin}, "family", min_position, detail=f"depth={depth}")
    read = context.projections.family(pin, depth)
    graph = visible(user, dict(found(read.data, context, pin)))
    return read_response({"pin": pin, "depth": depth, **graph}, read.position)


@router.get("/relationship", response_model=RelationshipOut, responses=READ)
def read_relationship(
    a: PinQuery,
    b: PinQuery,
    context: Context,
    user: Reader,
    min_position: MinPosition = None,
) -> JSONResponse:
    """How two persons are related (by blood, marriage or adoption), if at all."""
    look_up(context, user, {"a": a, "b": b}, "relationship", min_position, detail=f"{a}~{b}")
    read = context.projections.relationship(a, b)
    relation = found(read.data, context, a, b)
    body = visible(user, relation) if isinstance(relation, dict) else {"relationship": relation}
    return read_response({**body, "a": a, "b": b}, read.position)


@router.get("/persons/{pin}/corrections", response_model=CorrectionsOut, responses=READ)
def read_corrections(
    pin: PinPath,
    context: Context,
    user: CurrentUser,
    min_position: MinPosition = None,
) -> JSONResponse:
    """The correction trail: each corrected field's original, changes, basis and user, and
    each revoked act with its `revocation`."""
    look_up(context, user, {"pin": pin}, "corrections", min_position, Permission.READ_CORRECTIONS)
    read = context.projections.corrections(pin)
    return read_response(
        {"pin": pin, "acts": visible(user, found(read.data, context, pin))}, read.position
    )
