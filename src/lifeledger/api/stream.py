"""The live stream's machinery (`GET /v1/events/stream`, docs/subscribers.md): one `FeedHub`
per app process learns that the feed moved (a LISTEN connection on PostgreSQL, polling on
SQLite) and wakes the connected clients; those caught up share one read of the new events
and each picks its own in it (`SharedReads`), a client catching up reads its own pages with
`feed.reader.read()` in a thread; each sends what it got as Server-Sent Events.

So a hundred clients cost one database connection waiting for news, not a hundred, and
nobody polls the database on a timer but the hub (on SQLite). A client's stream holds at
most one page (`stream_buffer_events`); one that stops reading blocks only its own send,
which sse-starlette gives up after `stream_send_timeout_seconds`, dropping the connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import anyio.to_thread
from sse_starlette import EventSourceResponse, ServerSentEvent
from sse_starlette.sse import SendTimeoutError
from starlette.types import Receive, Scope, Send

from lifeledger.database import ViewDatabase
from lifeledger.feed import reader as feed_reader
from lifeledger.feed.reader import Envelopes, Reader
from lifeledger.following import Follower
from lifeledger.projections import event_feed

log = logging.getLogger(__name__)


class FeedHub:
    """Knows the feed's tracked position and wakes the streams waiting for it to pass theirs.
    `start()` on the app's event loop, `close()` at shutdown (which also ends every stream)."""

    def __init__(self, db: ViewDatabase, poll_seconds: float = 0.05) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.position = 0
        self.closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._moved = asyncio.Event()
        self._follower: Follower | None = None
        self.reads = SharedReads()

    def start(self) -> None:
        """Start watching the feed; called on the event loop that serves the streams."""
        self._loop = asyncio.get_running_loop()
        self._moved = asyncio.Event()
        self._follower = Follower(
            "feed-hub", self._look, self.db, event_feed.CHANNEL, self.poll_seconds
        ).start()

    def close(self) -> None:
        if self._follower is not None:
            self._follower.stop()
        self._publish_threadsafe(self.position, closing=True)

    async def wait_beyond(self, position: int) -> None:
        """Return once the feed's tracked position is beyond `position` (or the hub closes)."""
        while self.position <= position and not self.closed:
            await self._moved.wait()

    def _look(self) -> bool:
        """The hub's thread, at each notification (or poll): tell the event loop if the feed
        moved. Never more to do at once: it waits for the next news."""
        position = event_feed.tracked_position(self.db)
        if position != self.position:
            self._publish_threadsafe(position)
        return False

    def _publish_threadsafe(self, position: int, closing: bool = False) -> None:
        if self._loop is None or self._loop.is_closed():
            self.position, self.closed = position, self.closed or closing
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            self._loop.call_soon_threadsafe(self._publish, position, closing)

    def _publish(self, position: int, closing: bool) -> None:
        """On the event loop: record the position and wake every waiting stream."""
        self.position = position
        self.closed = self.closed or closing
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()


ReadKey = tuple[frozenset[str], str, str, tuple[str, ...], tuple[str, ...], int, int]


class SharedReads:
    """The streams woken together by the hub share their reads. Caught up, they all stand at
    the position the hub last saw, so one unfiltered page of the new events is read once and
    each reader picks its own in it (`reader.select`): a hundred subscribers of fifty
    provinces cost one query per wake-up, not a hundred. A stream catching up reads its own
    pages, filtered by the database (`reader.read`). Streams of the same reader at the same
    position share the envelopes too."""

    def __init__(self) -> None:
        self._pages: dict[tuple[int, int], asyncio.Future[event_feed.Page]] = {}
        self._reading: dict[ReadKey, asyncio.Future[Envelopes]] = {}

    async def read(
        self, db: ViewDatabase, reader: Reader, after: int, limit: int, live: bool = False
    ) -> Envelopes:
        key = (reader.scope, reader.profile, reader.source, tuple(reader.provinces),
               tuple(reader.types), after, limit)  # fmt: skip
        if key not in self._reading:
            work = (
                self._select(db, reader, after, limit)
                if live
                else anyio.to_thread.run_sync(feed_reader.read, db, reader, after, limit)
            )
            self._share(self._reading, key, work)
        # One stream's end must not cancel the read the others wait for.
        return await asyncio.shield(self._reading[key])

    async def _select(self, db: ViewDatabase, reader: Reader, after: int, limit: int) -> Envelopes:
        if (after, limit) not in self._pages:
            work = anyio.to_thread.run_sync(event_feed.page, db, after, limit)
            self._share(self._pages, (after, limit), work)
        page = await asyncio.shield(self._pages[(after, limit)])
        # On the event loop: picking is cheap next to a hop to a thread and back for each of
        # fifty readers, each waiting for the interpreter's lock while the projections run.
        return feed_reader.select(page, reader)

    @staticmethod
    def _share(
        reading: dict[Any, asyncio.Future[Any]], key: Any, work: Coroutine[Any, Any, Any]
    ) -> None:
        future = asyncio.ensure_future(work)
        reading[key] = future
        future.add_done_callback(lambda _: reading.pop(key, None))


def message(position: int, envelope: bytes) -> bytes:
    """One SSE message: `id` the event's ledger position, `data` its CloudEvents JSON (one
    line: the JSON has no raw newline). No `event:` field, so a browser's `onmessage` gets
    every event; the CloudEvents `type` says what it is."""
    return b"id: %d\ndata: %b\n\n" % (position, envelope)


async def messages(
    hub: FeedHub, db: ViewDatabase, reader: Reader, after: int, page_events: int
) -> AsyncIterator[bytes]:
    """The stream's body: every event after `after` that `reader` may receive, page by page,
    then each new one as the hub says the feed moved. Each page is one chunk."""
    cursor, live = after, False
    while not hub.closed:
        page = await hub.reads.read(db, reader, cursor, page_events, live)
        if page.items:
            yield b"".join(message(position, envelope) for position, envelope in page.items)
        cursor = page.next_after
        if cursor >= page.position:  # caught up with the feed: wait for it to move, then
            # read what came with the others woken at the same position, page after page
            # (a burst longer than a page too), as long as the stream keeps up
            live = True
            await hub.wait_beyond(page.position)


class FeedStream(EventSourceResponse):
    """sse-starlette's response, cutting off a client that takes nothing for the send
    timeout with a warning rather than a traceback: it is the client's doing, and it resumes
    with `Last-Event-ID`. No farewell comment can reach it (its sends are what block);
    uvicorn closes the connection once what it has buffered is gone."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            client = scope.get("client") or ("?", 0)
            log.warning(
                "live stream to %s:%s cut off: the client took nothing for %s s",
                *client,
                self.send_timeout,
            )


def heartbeat() -> ServerSentEvent:
    return ServerSentEvent(comment="heartbeat")


def event_stream(
    hub: FeedHub,
    db: ViewDatabase,
    reader: Reader,
    after: int,
    page_events: int,
    heartbeat_seconds: float,
    send_timeout_seconds: float,
) -> FeedStream:
    """The SSE response: the events, a comment every `heartbeat_seconds`, and the connection
    dropped when a send (an event or a heartbeat) waits more than `send_timeout_seconds`."""
    return FeedStream(
        messages(hub, db, reader, after, page_events),
        ping=heartbeat_seconds,
        ping_message_factory=heartbeat,
        send_timeout=send_timeout_seconds,
        sep="\n",
    )
