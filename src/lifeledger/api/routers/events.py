"""The event feed for downstream systems: `GET /v1/events`, the ledger's act- and entry-level
events as CloudEvents envelopes, in ledger order, page by page (docs/events.md). A subscriber
receives only the events concerning their provinces, reduced to their data profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from lifeledger.api.answers import POSITION_HEADER
from lifeledger.api.deps import Context, needs
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import problems
from lifeledger.api.schemas.out import EventPageOut, EventType
from lifeledger.api.schemas.patterns import PROVINCE_PATTERN
from lifeledger.auth import Permission, Principal
from lifeledger.feed import reader as feed_reader
from lifeledger.feed.reader import Reader

router = APIRouter(prefix="/v1/events", tags=["events"])

Subscriber = Annotated[Principal, Depends(needs(Permission.EVENTS))]
MAX_LIMIT = 1000


@router.get(
    "",
    response_model=EventPageOut,
    responses=problems(
        401, 403, 422, refusals=("after-beyond-position", "province-not-subscribed")
    ),
)
def read_events(
    context: Context,
    user: Subscriber,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="Events after this ledger position (0: all)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Events at most")] = 100,
    type: Annotated[
        list[EventType] | None,
        Query(max_length=20, description="Only these types (docs/events.md)"),
    ] = None,
    province: Annotated[
        list[Annotated[str, Query(pattern=PROVINCE_PATTERN)]] | None,
        Query(max_length=63, description="Only events concerning these provinces"),
    ] = None,
) -> Response:
    """Events after `after`, in ledger order, as CloudEvents envelopes; the next page starts
    at `next_after`. Pages never skip an event: they end at the position the feed's read
    model has reached (`position`), and a page shorter than `limit` ends there."""
    provinces = _provinces(user, province or [])
    head = context.ledger.position()
    if after > head:
        raise ApiProblem(
            422,
            "after-beyond-position",
            "No such ledger position",
            f"after: {after} is beyond the ledger's position {head}",
            field="after",
        )
    reader = Reader(
        scope=frozenset(user.provinces),
        profile=user.profile,
        source=context.settings.event_source,
        provinces=provinces,
        types=type or [],
    )
    page = feed_reader.read(context.projections.db, reader, after, limit)
    body = b'{"events":[%b],"next_after":%d,"position":%d}' % (
        b",".join(envelope for _, envelope in page.items),
        page.next_after,
        page.position,
    )
    headers = {POSITION_HEADER: str(page.position)}
    return Response(body, media_type="application/json", headers=headers)


def _provinces(user: Principal, asked: list[str]) -> list[str]:
    """The provinces the page is limited to: those asked for, each of which the user must
    cover, else all of the user's (none: a national user, every province)."""
    chosen = sorted(set(asked))
    refused = [p for p in chosen if not user.covers(p)]
    if refused:
        # Names only what the caller sent: nothing about the other province's events.
        raise ApiProblem(
            422,
            "province-not-subscribed",
            "Not a province of the subscriber",
            f"province: {', '.join(refused)} is not among the subscriber's provinces "
            f"({', '.join(sorted(user.provinces))})",
            field="province",
        )
    return chosen or sorted(user.provinces)
