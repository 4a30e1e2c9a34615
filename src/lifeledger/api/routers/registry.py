"""Registers and figures: an act by its registration reference, search by name and birth
date, and statistics. A provincial user sees its own provinces only."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from lifeledger.api.access_log import Access
from lifeledger.api.answers import read_response
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import Context, MinPosition, authorize, needs
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import Authority, Code, Text, problems
from lifeledger.api.schemas.out import RegistrationOut, SearchOut, StatsOut
from lifeledger.api.schemas.patterns import (
    FIRST_YEAR,
    LAST_YEAR,
    PARTIAL_DATE_PATTERN,
    PROVINCE_PATTERN,
)
from lifeledger.auth import Permission, Principal
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.errors import ActNotFound
from lifeledger.domain.jurisdiction import office_province

router = APIRouter(prefix="/v1", tags=["registers"])

RegistryReader = Annotated[Principal, Depends(needs(Permission.READ_REGISTRY))]
Searcher = Annotated[Principal, Depends(needs(Permission.SEARCH))]
StatsReader = Annotated[Principal, Depends(needs(Permission.STATS))]
Province = Annotated[str | None, Query(pattern=PROVINCE_PATTERN, description="A province code")]


def partial_date(description: str) -> Any:
    return Query(pattern=PARTIAL_DATE_PATTERN, description=description)


@router.get(
    "/registrations/{authority}/{book:path}/{number}",
    response_model=RegistrationOut,
    responses=problems(401, 403, 404, 422, 503, refusals=("position-not-reached",)),
)
def read_registration(
    authority: Authority,
    book: Code,
    number: Code,
    context: Context,
    user: RegistryReader,
    min_position: MinPosition = None,
) -> JSONResponse:
    """An act by its registration reference; `book` may contain `/` (e.g. `01/2009`)."""
    authorize(user, Permission.READ_REGISTRY, office_province(authority))
    context.await_position(min_position)
    read = context.projections.registration(authority, book, number)
    label = f"{authority}/{book}/{number}"
    if read.data is None:
        raise ActNotFound(f"no act registered as {label}", reference=label)
    log_reads(context, user, read.data.get("pins") or [], "registration", label)
    return read_response(dict(read.data), read.position)


def log_reads(
    context: ApiContext, user: Principal, pins: list[str], what: str, detail: str
) -> None:
    """Registers and searches answer personal data too: one access-log row per person they
    answered, or one without a person when they found none (the query is kept as `detail`)."""
    roles = ",".join(user.roles)
    context.access.record(*(Access(user.name, roles, pin, what, detail) for pin in pins or [""]))


def _provinces(user: Principal, province: str | None) -> list[str | None]:
    """The provinces a query runs over: the one asked for (if the user covers it), else all
    of the user's (None: national)."""
    if province is not None:
        authorize(user, Permission.SEARCH, province)
        return [province]
    return [*sorted(user.provinces)] if user.provinces else [None]


@router.get(
    "/search",
    response_model=SearchOut,
    responses=problems(401, 403, 422, 503, refusals=("search-too-broad", "position-not-reached")),
)
def search_persons(
    context: Context,
    user: Searcher,
    q: Annotated[
        Text | None, Query(max_length=200, description="Name, with or without diacritics")
    ] = None,
    birth_date: Annotated[
        str | None,
        partial_date(
            "Born on this day, in this month or in this year (`YYYY-MM-DD`, `YYYY-MM`, "
            "`YYYY`), as far as the record says: `1987` finds every birth date within 1987, "
            "`1987-05` those within May 1987 and the persons recorded as born only in 1987 "
            "(they may be born in May); `1987-05-14` also those recorded as born only in "
            "May 1987 or only in 1987"
        ),
    ] = None,
    birth_year: Annotated[
        int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="As `birth_date=YYYY`")
    ] = None,
    province: Province = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    min_position: MinPosition = None,
) -> JSONResponse:
    """Persons by name (with or without diacritics), birth date or year, and province."""
    if not (q and q.strip()) and birth_date is None and birth_year is None:
        raise ApiProblem(
            422,
            "search-too-broad",
            "Search needs a criterion",
            "q: give a name, a birth_date or a birth_year",
            field="q",
        )
    context.await_position(min_position)
    places = _provinces(user, province)
    asked = {"q": q, "birth_date": birth_date, "birth_year": birth_year, "province": province}
    query = urlencode({k: v for k, v in asked.items() if v is not None})
    if len(places) == 1:
        read = context.projections.search(q, birth_date, birth_year, places[0], limit, offset)
        found = _visible(user, read.data)
        log_reads(context, user, [i["pin"] for i in found["items"]], "search", query)
        return read_response(found, read.position)
    # A user of several provinces: each province's first pages, merged by rank.
    total, items, position = 0, list[dict[str, Any]](), 0
    for where in places:
        read = context.projections.search(q, birth_date, birth_year, where, limit + offset, 0)
        page = _visible(user, read.data)
        total, items = total + page["total"], items + page["items"]
        position = max(position, read.position)
    items.sort(key=lambda i: -int(i.get("score") or 0))
    shown = items[offset : offset + limit]
    log_reads(context, user, [i["pin"] for i in shown], "search", query)
    return read_response({"total": total, "items": shown}, position)


def _visible(user: Principal, data: Any) -> dict[str, Any]:
    """Search results the user may see (a reference search is not narrowed by province)."""
    data = data or {"total": 0, "items": []}
    items = [i for i in data["items"] if user.covers(str(i.get("province") or i["pin"][:3]))]
    hidden = len(data["items"]) - len(items)
    return {**data, "total": int(data["total"]) - hidden, "items": items}


@router.get(
    "/stats",
    response_model=StatsOut,
    responses=problems(401, 403, 422, 503, refusals=("province-required", "position-not-reached")),
)
def statistics(
    context: Context,
    user: StatsReader,
    province: Province = None,
    since: Annotated[
        str | None,
        partial_date("Registered on or after this day, or the first day of this month or year"),
    ] = None,
    until: Annotated[
        str | None,
        partial_date("Registered on or before this day, or the last day of this month or year"),
    ] = None,
    min_position: MinPosition = None,
) -> JSONResponse:
    """Counts of acts by kind, province, registration day and source."""
    if province is None and not user.national:
        if len(user.provinces) > 1:
            raise ApiProblem(
                422,
                "province-required",
                "Choose a province",
                f"province: one of {', '.join(sorted(user.provinces))}",
                field="province",
            )
        province = next(iter(user.provinces))
    if province is not None:
        authorize(user, Permission.STATS, province)
    context.await_position(min_position)
    first = PartialDate.parse(since, "since").earliest.isoformat() if since else None
    last = PartialDate.parse(until, "until").latest.isoformat() if until else None
    read = context.projections.statistics(province, first, last)
    data = read.data if isinstance(read.data, dict) else {"counts": read.data}
    return read_response(dict(data), read.position)
