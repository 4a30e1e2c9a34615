"""The event feed for downstream systems: `GET /v1/events`, the ledger's act- and entry-level
events as CloudEvents envelopes, in ledger order, page by page (docs/events.md). A subscriber
receives only the events concerning their provinces, reduced to their data profile. The
same events live: `GET /v1/events/stream` (Server-Sent Events, `api/stream.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from sse_starlette import EventSourceResponse

from lifeledger.api.answers import POSITION_HEADER
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import Context, needs
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import MAX_POSITION, problems
from lifeledger.api.schemas.out import EventPageOut, EventType
from lifeledger.api.schemas.patterns import PROVINCE_PATTERN
from lifeledger.api.stream import event_stream
from lifeledger.auth import Permission, Principal
from lifeledger.feed import reader as feed_reader
from lifeledger.feed.reader import Reader

router = APIRouter(prefix="/v1/events", tags=["events"])

Subscriber = Annotated[Principal, Depends(needs(Permission.EVENTS))]
MAX_LIMIT = 1000
After = Annotated[
    int, Query(ge=0, le=MAX_POSITION, description="Events after this ledger position (0: all)")
]
Types = Annotated[
    list[EventType] | None,
    Query(max_length=20, description="Only these types (docs/events.md)"),
]
Provinces = Annotated[
    list[Annotated[str, Query(pattern=PROVINCE_PATTERN)]] | None,
    Query(max_length=63, description="Only events concerning these provinces"),
]


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
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Events at most")] = 100,
    type: Types = None,
    province: Provinces = None,
) -> Response:
    """Events after `after`, in ledger order, as CloudEvents envelopes; the next page starts
    at `next_after`. Pages never skip an event: they end at the position the feed's read
    model has reached (`position`), and a page shorter than `limit` ends there."""
    reader = _reader(context, user, type or [], province or [])
    _refuse_beyond_position(context, after, "after")
    page = feed_reader.read(context.projections.db, reader, after, limit)
    body = b'{"events":[%b],"next_after":%d,"position":%d}' % (
        b",".join(envelope for _, envelope in page.items),
        page.next_after,
        page.position,
    )
    headers = {POSITION_HEADER: str(page.position)}
    return Response(body, media_type="application/json", headers=headers)


STREAM_ANSWER = {
    "description": "An endless `text/event-stream`: per event `id:` its ledger position and "
    "`data:` its CloudEvents JSON (no `event:` field); a `: heartbeat` comment on a quiet "
    "stream (docs/subscribers.md)",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={
        200: STREAM_ANSWER,
        **problems(
            401,
            403,
            422,
            refusals=("after-beyond-position", "province-not-subscribed", "invalid-last-event-id"),
        ),
    },
)
def stream_events(
    context: Context,
    user: Subscriber,
    after: After = 0,
    type: Types = None,
    province: Provinces = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=40,
            description="Resume after this event (the `id` last received); wins over `after`",
        ),
    ] = None,
) -> EventSourceResponse:
    """The events after `after` (or after `Last-Event-ID`, which wins: a reconnecting
    EventSource keeps its first URL), then each new one within moments of its commit, as
    Server-Sent Events; the same events, reduced the same way, as `GET /v1/events`."""
    reader = _reader(context, user, type or [], province or [])
    start, field = (after, "after") if last_event_id is None else (_resumed(last_event_id), "")
    _refuse_beyond_position(context, start, field or "Last-Event-ID")
    settings = context.settings
    return event_stream(
        context.hub,
        context.projections.db,
        reader,
        start,
        page_events=settings.stream_buffer_events,
        heartbeat_seconds=settings.stream_heartbeat_seconds,
        send_timeout_seconds=settings.stream_send_timeout_seconds,
    )


def _resumed(last_event_id: str) -> int:
    """The position a `Last-Event-ID` names: the `id` of an event the stream sent."""
    if not (last_event_id.isascii() and last_event_id.isdigit()) or (
        int(last_event_id) > MAX_POSITION
    ):
        raise ApiProblem(
            422,
            "invalid-last-event-id",
            "Not an event id of the stream",
            "Last-Event-ID: an event id of the stream is a ledger position, a non-negative "
            f"integer; got {last_event_id[:40]!r}",
            field="Last-Event-ID",
        )
    return int(last_event_id)


def _refuse_beyond_position(context: ApiContext, after: int, field: str) -> None:
    head = context.ledger.position()
    if after > head:
        raise ApiProblem(
            422,
            "after-beyond-position",
            "No such ledger position",
            f"{field}: {after} is beyond the ledger's position {head}",
            field=field,
        )


def _reader(
    context: ApiContext, user: Principal, types: list[EventType], asked: list[str]
) -> Reader:
    """What `user` reads with these filters (`subscribed_provinces` refuses a province not
    theirs)."""
    return Reader(
        scope=frozenset(user.provinces),
        profile=user.profile,
        source=context.settings.event_source,
        provinces=subscribed_provinces(user, asked),
        types=types,
    )


def subscribed_provinces(user: Principal, asked: list[str]) -> list[str]:
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
