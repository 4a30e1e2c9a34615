"""Auditors' reads: the access log (who read which person, when, and what they looked at),
the users who read unusually many persons in an hour, and corrections by office."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, Response

from lifeledger.api.access_log import ReadScope
from lifeledger.api.answers import POSITION_HEADER
from lifeledger.api.deps import Auditor, Context, authorize
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.audit import CorrectionReportOut, ReadingFlagsOut
from lifeledger.api.schemas.common import MAX_POSITION, UserName, problems
from lifeledger.api.schemas.out import AccessLogOut
from lifeledger.api.schemas.patterns import (
    AUTHORITY_PATTERN,
    DATE_PATTERN,
    PARTIAL_DATE_PATTERN,
    PIN_PATTERN,
    PROVINCE_PATTERN,
)
from lifeledger.audit import corrections
from lifeledger.auth import Permission, Principal
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.jurisdiction import office_province
from lifeledger.domain.pin import Pin

router = APIRouter(prefix="/v1/audit", tags=["audit"])

CSV = "text/csv"


@router.get(
    "/access",
    response_model=AccessLogOut | ReadingFlagsOut,
    responses=problems(401, 403, 422, refusals=("period-reversed",)),
)
def access_log(
    context: Context,
    user: Auditor,
    pin: Annotated[
        str | None, Query(pattern=PIN_PATTERN, description="Reads of this person")
    ] = None,
    by: Annotated[UserName | None, Query(alias="user", description="Reads by this user")] = None,
    since: Annotated[
        str | None, Query(pattern=DATE_PATTERN, description="Reads on or after this day (UTC)")
    ] = None,
    until: Annotated[
        str | None, Query(pattern=DATE_PATTERN, description="Reads on or before this day (UTC)")
    ] = None,
    flagged: Annotated[
        bool,
        Query(
            description="Instead of the reads: the users who read more distinct persons in one "
            "hour than `LIFELEDGER_UNUSUAL_READS_PER_HOUR` (with `pin`: the hours that person "
            "was among them); `after` does not apply"
        ),
    ] = False,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION, description="Cursor: the last id seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AccessLogOut | ReadingFlagsOut:
    """Reads of persons, oldest first, or (`flagged=true`) the users who read unusually many
    in an hour; a provincial auditor sees (and counts) only reads of its provinces' persons."""
    if pin is not None:
        authorize(user, Permission.AUDIT, Pin.parse(pin, "pin").province)
    _check_period(since, until)
    scope = ReadScope(pin, by, user.provinces, since, until)
    if flagged:
        threshold = context.settings.unusual_reads_per_hour
        flags = context.access.flags(threshold, scope, limit + 1)
        return ReadingFlagsOut.model_validate(
            {"threshold": threshold, "flags": flags[:limit], "truncated": len(flags) > limit}
        )
    rows = context.access.query(scope, limit, after)
    next_after = rows[-1]["id"] if len(rows) == limit else None
    return AccessLogOut.model_validate({"entries": rows, "next_after": next_after})


@router.get(
    "/corrections",
    response_model=CorrectionReportOut,
    responses={
        200: {
            "content": {CSV: {"schema": {"type": "string"}}},
            "description": "The report as JSON, or as CSV (`format=csv` or `Accept: text/csv`)"
            ": one line per office, kind and month (see docs/audit.md)",
        },
        **problems(401, 403, 422, refusals=("period-reversed",)),
    },
)
def correction_report(
    context: Context,
    user: Auditor,
    office: Annotated[
        str | None,
        Query(pattern=AUTHORITY_PATTERN, max_length=100, description="Only this office"),
    ] = None,
    province: Annotated[
        str | None, Query(pattern=PROVINCE_PATTERN, description="Only this province's offices")
    ] = None,
    since: Annotated[
        str | None,
        Query(
            pattern=PARTIAL_DATE_PATTERN,
            description="Registered on or after this day, or the first day of this month or year",
        ),
    ] = None,
    until: Annotated[
        str | None,
        Query(
            pattern=PARTIAL_DATE_PATTERN,
            description="Registered on or before this day, or the last day of this month or year",
        ),
    ] = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="The answer's format; without it, `Accept: text/csv` chooses CSV"),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Corrections by registering office, kind of the corrected act and month, with each
    office's rate per 1,000 acts it registered in the period: highest rate first. A
    provincial auditor's report covers its provinces' offices only."""
    _check_jurisdiction(user, office, province)
    first = PartialDate.parse(since, "since").earliest.isoformat() if since else None
    last = PartialDate.parse(until, "until").latest.isoformat() if until else None
    _check_period(first, last)
    scope = corrections.Scope(office, province, user.provinces, first, last)
    position = context.projections.runner.position()
    offices = corrections.report(context.projections.db, scope)
    headers = {POSITION_HEADER: str(position)}
    if format == "csv" or (format is None and _wants_csv(accept)):
        body = corrections.to_csv(offices)
        return Response(body, media_type=f"{CSV}; charset=utf-8", headers=headers)
    answer: dict[str, Any] = {"since": first, "until": last, "offices": offices}
    return JSONResponse({**answer, "position": position}, headers=headers)


def _check_jurisdiction(user: Principal, office: str | None, province: str | None) -> None:
    """An office or a province outside a provincial auditor's: refused as the access log
    refuses another province's person (403 naming only the province of what was sent)."""
    if office is not None:
        authorize(user, Permission.AUDIT, office_province(office))
    if province is not None:
        authorize(user, Permission.AUDIT, province)


def _check_period(since: str | None, until: str | None) -> None:
    if since is not None and until is not None and since > until:
        raise ApiProblem(
            422,
            "period-reversed",
            "The period ends before it starts",
            f"since: {since} is after until: {until}",
            field="since",
        )


def _wants_csv(accept: str | None) -> bool:
    """CSV when the Accept header prefers it to JSON (absent, `*/*`: JSON)."""
    if not accept:
        return False
    media = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if CSV not in media:
        return False
    return "application/json" not in media or media.index(CSV) < media.index("application/json")
