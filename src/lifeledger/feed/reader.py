"""What every channel of the feed hands out (the pull feed, the live stream, webhooks, the
relay): the events after a position, reduced to one reader's provinces and data profile, as
CloudEvents JSON. One place for that rule, so no channel can show more than another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lifeledger.database import ViewDatabase
from lifeledger.feed.envelopes import FeedEvent, to_json
from lifeledger.feed.profiles import sees_whole, visible
from lifeledger.projections import event_feed


@dataclass(frozen=True)
class Reader:
    """Who reads and what they asked for: `scope` the reader's provinces (empty: national),
    `provinces` and `types` the filters (empty: all the reader may see), `profile` their data
    profile, `source` the ledger's CloudEvents source."""

    scope: frozenset[str]
    profile: str
    source: str
    provinces: Sequence[str] = ()
    types: Sequence[str] = ()

    def __post_init__(self) -> None:
        # Nothing outside the reader's provinces: the filter can only narrow them.
        if self.scope and not set(self.provinces) <= self.scope:
            raise ValueError("a reader's province filter must lie within its provinces")

    @property
    def province_filter(self) -> list[str]:
        return sorted(self.provinces or self.scope)


@dataclass(frozen=True)
class Envelopes:
    """`items`: (position, the CloudEvents JSON) in ledger order; then as `event_feed.Page`."""

    items: list[tuple[int, bytes]]
    next_after: int
    position: int


def read(db: ViewDatabase, reader: Reader, after: int, limit: int) -> Envelopes:
    """Up to `limit` envelopes after `after` that `reader` may receive, gap-free (see
    `event_feed.page`): the database picks the reader's events."""
    page = event_feed.page(db, after, limit, reader.types, reader.province_filter)
    return Envelopes(_envelopes(page.events, reader), page.next_after, page.position)


def select(page: event_feed.Page, reader: Reader) -> Envelopes:
    """The envelopes `reader` may receive among an unfiltered `page` (one read shared by many
    readers at the same position: the live stream), as `read` would pick them: its types, and
    events concerning one of its provinces (all of its scope when it named none)."""
    types, provinces = set(reader.types), reader.province_filter
    candidates = page.events
    if provinces:
        concerning = {e.position: e for p in provinces for e in page.by_province.get(p, ())}
        candidates = [concerning[position] for position in sorted(concerning)]
    chosen = [event for event in candidates if not types or event.type in types]
    return Envelopes(_envelopes(chosen, reader), page.next_after, page.position)


def _envelopes(events: list[FeedEvent], reader: Reader) -> list[tuple[int, bytes]]:
    return [(event.position, _envelope(event, reader)) for event in events]


def _envelope(event: FeedEvent, reader: Reader) -> bytes:
    if sees_whole(event, reader.profile, reader.scope):
        return to_json(event, reader.source)  # a registered act's content as kept: unread
    data, subject = visible(event, reader.profile, reader.scope)
    return to_json(event, reader.source, data, subject)
