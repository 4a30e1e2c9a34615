"""The NATS JetStream relay (`lifeledger relay`): every feed event, in ledger order, published
to one subject per province and type, each copy reduced by `feed.reader.read()` to that one
province, so NATS permissions per province subject enforce the rule of every other channel.

Where the relay stands is read back from the stream, never kept beside it: each message
carries its ledger position and province (`Lifeledger-Position`, `Lifeledger-Province`), and
each is published with `Nats-Expected-Last-Sequence`, so JetStream stores a message only
right after the one before it. The stream is therefore always a gap-free prefix of the
relay's output, and its last message says exactly where to go on: after a SIGKILL, a lost
ack or a refused publish, the relay asks the stream and publishes what follows, nothing twice.
`Nats-Msg-Id` (`{event id}@{province}`) is the second guard: JetStream drops a message it has
stored within the duplicate window. docs/subscribers.md has the reasons.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import Header, StorageType
from nats.js.errors import NotFoundError

from lifeledger.database import ViewDatabase
from lifeledger.domain.provinces import PROVINCES as PROVINCE_NAMES
from lifeledger.feed.envelopes import PREFIX, FeedEvent
from lifeledger.feed.reader import Reader, read
from lifeledger.feed.wakeup import FeedWaiter
from lifeledger.projections import event_feed

POSITION = "Lifeledger-Position"
PROVINCE = "Lifeledger-Province"
PROFILE = "Lifeledger-Profile"
PROVINCES = "Lifeledger-Provinces"
DUPLICATE_WINDOW_SECONDS = 600.0
"""JetStream drops a message whose `Nats-Msg-Id` it stored this recently: ten minutes covers
a relay restarted by hand after a crash."""
ACK_SECONDS = 10.0
"""How long a batch's acks may take before the relay asks the stream where it stands."""
CONNECT_SECONDS = 5.0
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)
WAIT_SECONDS = 1.0
"""Longest sleep between looks at the feed (PostgreSQL wakes the relay sooner): also how
long a stop request may wait."""

T = TypeVar("T")


class RelayError(Exception):
    """The relay cannot start or go on: NATS unreachable, a stream it must not write to."""


@dataclass(frozen=True)
class Options:
    """One relay: where it publishes, what it publishes (`profile`, `provinces`: empty for
    all), and the CloudEvents `source`."""

    url: str
    stream: str
    prefix: str
    profile: str
    source: str
    provinces: frozenset[str] = frozenset()
    batch_size: int = 1000

    @property
    def selection(self) -> str:
        """The provinces relayed, as the `Lifeledger-Provinces` header names them."""
        return ",".join(sorted(self.provinces)) or "all"


@dataclass(frozen=True)
class Copy:
    """One province's copy of one feed event, as `read()` made it for that province."""

    position: int
    province: str
    event_id: str
    type: str
    body: bytes

    def subject(self, prefix: str) -> str:
        """`<prefix>.<province>.<type>`, the type without `vn.lifeledger.`: its dots are
        subject tokens (`lifeledger.034.birth.registered.v1`)."""
        return f"{prefix}.{self.province}.{self.type.removeprefix(PREFIX)}"


@dataclass(frozen=True)
class Mark:
    """Where the stream stands: its last message's ledger position, province and sequence
    (all zero for an empty stream)."""

    position: int = 0
    province: str = ""
    sequence: int = 0

    def passed(self, position: int, province: str) -> bool:
        """Whether that copy is already in the stream: copies go in (position, province)
        order."""
        return (position, province) <= (self.position, self.province)


def copies_after(db: ViewDatabase, options: Options, mark: Mark) -> list[Copy]:
    """The next copies to publish after `mark`, in (position, province) order: up to a batch
    of feed events, each copied once for each of its provinces the relay serves."""
    after = max(mark.position - 1, 0)  # the mark's event may have copies still to publish
    limit = options.batch_size + 1  # at least one event past the mark's own
    chosen = sorted(options.provinces)
    page = event_feed.page(db, after, limit, provinces=chosen)
    if not page.events:
        return []
    bodies = _bodies(db, options, page.events, after)
    return [
        Copy(event.position, province, event.event_id, event.type, bodies[event.position, province])
        for event in page.events
        for province in _served(event, options.provinces)
        if not mark.passed(event.position, province)
    ]


def _served(event: FeedEvent, provinces: frozenset[str]) -> list[str]:
    """The event's provinces the relay serves: known codes only, so a subject token is never
    a stray office code's characters."""
    return sorted(set(event.provinces) & (provinces or PROVINCE_NAMES.keys()))


def _bodies(
    db: ViewDatabase, options: Options, events: list[FeedEvent], after: int
) -> dict[tuple[int, str], bytes]:
    """Each province's envelopes of `events`, made by `read()` for a reader of that province
    alone. The page holds every event after `after` up to its last, so a province's events
    in it are the first ones `read()` finds for that province: as many as it reads."""
    counts = Counter(p for event in events for p in _served(event, options.provinces))
    bodies: dict[tuple[int, str], bytes] = {}
    for province, count in sorted(counts.items()):
        reader = Reader(scope=frozenset({province}), profile=options.profile, source=options.source)
        for position, body in read(db, reader, after, count).items:
            bodies[position, province] = body
    return bodies


class Publisher:
    """Publishes a batch of copies without waiting for each ack, then awaits them all.

    Each message says which sequence the stream's last message must have
    (`Nats-Expected-Last-Sequence`), and JetStream stores it only then: a message refused or
    lost makes every later one refused too, so the stream's n-th message is always the n-th
    copy of the relay's output, even with two relays of the same options writing at once.

    Its own reply futures rather than nats-py's `publish_async`: that leaves a future
    unresolved when JetStream answers with an error (nats-py 2.16), and a refused publish
    must be seen at once."""

    def __init__(self, nc: Client, options: Options) -> None:
        self.nc = nc
        self.options = options
        self.inbox = nc.new_inbox()
        self.pending: dict[str, asyncio.Future[int]] = {}
        self.tokens = itertools.count()

    async def start(self) -> None:
        await self.nc.subscribe(f"{self.inbox}.*", cb=self._on_ack)

    async def publish(self, copies: Sequence[Copy], mark: Mark) -> Mark:
        """Publish `copies` after `mark`; the new mark once JetStream stored every one, in
        order. Raises if any was refused or not acked in time: the caller then asks the
        stream where it stands."""
        acks: list[asyncio.Future[int]] = []
        try:
            for offset, copy in enumerate(copies):
                acks.append(await self._send(copy, mark.sequence + offset))
            sequences = await asyncio.wait_for(asyncio.gather(*acks), ACK_SECONDS)
        finally:
            for ack in acks:
                ack.cancel()  # no-op once done; drops those a failure left waiting
            self.pending.clear()
        expected = list(range(mark.sequence + 1, mark.sequence + len(copies) + 1))
        if sequences != expected:
            raise RelayError(f"stored at sequences {sequences[:3]}…, expected {expected[:3]}…")
        last = copies[-1]
        return Mark(last.position, last.province, expected[-1])

    async def _send(self, copy: Copy, last_sequence: int) -> asyncio.Future[int]:
        token = str(next(self.tokens))
        ack: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.pending[token] = ack
        headers = {
            Header.MSG_ID.value: f"{copy.event_id}@{copy.province}",
            Header.EXPECTED_STREAM.value: self.options.stream,
            Header.EXPECTED_LAST_SEQUENCE.value: str(last_sequence),
            POSITION: str(copy.position),
            PROVINCE: copy.province,
            PROFILE: self.options.profile,
            PROVINCES: self.options.selection,
        }
        subject = copy.subject(self.options.prefix)
        await self.nc.publish(subject, copy.body, reply=f"{self.inbox}.{token}", headers=headers)
        return ack

    async def _on_ack(self, msg: Msg) -> None:
        ack = self.pending.pop(msg.subject.rsplit(".", 1)[-1], None)
        if ack is None or ack.done():
            return
        if not msg.data:  # a status without a body: no stream listens on the subject
            status = (msg.headers or {}).get(Header.STATUS.value, "")
            ack.set_exception(RelayError(f"no stream took the message (status {status})"))
            return
        answer = json.loads(msg.data)
        if "error" in answer:
            ack.set_exception(RelayError(answer["error"].get("description", str(answer))))
        elif answer.get("duplicate"):  # not stored: the sequences after it are off
            ack.set_exception(RelayError("JetStream had the message already"))
        else:
            ack.set_result(int(answer["seq"]))


async def connect(url: str, say: Callable[[str], None] = lambda line: None) -> Client:
    """A connection that reconnects on its own once made; `RelayError` if none can be made."""

    async def quiet(error: Exception) -> None:  # reconnection attempts: not worth a traceback
        pass

    async def lost() -> None:
        say(f"lost the connection to NATS at {url}; reconnecting")

    async def back() -> None:
        say("reconnected to NATS")

    try:
        return await asyncio.wait_for(
            nats.connect(
                url,
                max_reconnect_attempts=-1,
                error_cb=quiet,
                disconnected_cb=lost,
                reconnected_cb=back,
            ),
            CONNECT_SECONDS,
        )
    except (TimeoutError, OSError, nats.errors.Error) as error:
        raise RelayError(f"cannot reach NATS at {url} ({type(error).__name__})") from None


async def ensure_stream(js: JetStreamContext, options: Options) -> None:
    """The stream, created if missing, with the relay's subjects and a duplicate window; an
    existing stream must take `<prefix>.>` already."""
    subjects = [f"{options.prefix}.>"]
    try:
        info = await js.stream_info(options.stream)
    except NotFoundError:
        try:
            await js.add_stream(
                name=options.stream,
                subjects=subjects,
                duplicate_window=DUPLICATE_WINDOW_SECONDS,
                storage=StorageType.FILE,
                description="lifeledger feed events, one copy per province (lifeledger relay)",
            )
        except nats.js.errors.APIError as error:
            raise RelayError(f"cannot create the stream {options.stream}: {error}") from None
        return
    if info.config.subjects != subjects:
        raise RelayError(
            f"the stream {options.stream} takes {info.config.subjects}, not {subjects}: "
            "choose another LIFELEDGER_NATS_STREAM or LIFELEDGER_NATS_SUBJECT_PREFIX"
        )


async def stream_mark(js: JetStreamContext, options: Options) -> Mark:
    """Where the stream stands, from its last message. A stream whose last message the relay
    did not write, or wrote with another profile or provinces, is refused: a subject must
    never carry a fuller profile than its subscribers were promised, and the stream's n-th
    message must be the n-th copy of one relay's output (see `Publisher`)."""
    state = (await js.stream_info(options.stream)).state
    if state.messages == 0:  # new, or purged by an operator: the relay starts over
        return Mark(sequence=state.last_seq)
    last = await js.get_msg(options.stream, state.last_seq)
    headers = last.headers or {}
    if POSITION not in headers or PROVINCE not in headers:
        raise RelayError(
            f"the last message of the stream {options.stream} ({last.subject}) was not "
            "published by the relay: only the relay may publish on its subjects"
        )
    if headers.get(PROFILE) != options.profile:
        raise RelayError(
            f"the stream {options.stream} carries the {headers.get(PROFILE)} profile, not "
            f"{options.profile}: each profile needs its own stream and subject prefix"
        )
    if headers.get(PROVINCES) != options.selection:
        raise RelayError(
            f"the stream {options.stream} relays the provinces {headers.get(PROVINCES)}, not "
            f"{options.selection}: each choice of provinces needs its own stream"
        )
    return Mark(int(headers[POSITION]), headers[PROVINCE], state.last_seq)


class Relay:
    """Follows the feed and publishes it (`run`); one per stream."""

    def __init__(self, db: ViewDatabase, options: Options, say: Callable[[str], None]) -> None:
        self.db = db
        self.options = options
        self.say = say
        self.relayed = 0
        # One thread for the database and the waiter: SQLite connections and `FeedWaiter`
        # belong to one thread, and the event loop keeps taking acks meanwhile.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-feed")

    async def _blocking(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, call, *args)

    async def run(self, stop: asyncio.Event, until_caught_up: bool = False) -> int:
        """Relay until `stop` is set (or, with `until_caught_up`, until the feed has nothing
        more); the number of copies published. Raises `RelayError` if it cannot start."""
        nc = await connect(self.options.url, self.say)
        waiter = await self._blocking(FeedWaiter, self.db)
        try:
            js = nc.jetstream()
            publisher, mark = await self._start(nc, js)
            self.say(f"relaying to {self.options.stream} after ledger position {mark.position}")
            await self._follow(js, publisher, mark, waiter, stop, until_caught_up)
        finally:
            await self._blocking(waiter.close)
            await nc.drain()
            self._thread.shutdown()
        return self.relayed

    async def _start(self, nc: Client, js: JetStreamContext) -> tuple[Publisher, Mark]:
        """The stream made sure of, the publisher ready, and where the stream stands."""
        try:
            await ensure_stream(js, self.options)
            publisher = Publisher(nc, self.options)
            await publisher.start()
            return publisher, await stream_mark(js, self.options)
        except (TimeoutError, nats.errors.Error) as error:
            raise RelayError(
                f"JetStream at {self.options.url} did not answer ({error or type(error).__name__}):"
                " is the server started with JetStream (-js)?"
            ) from None

    async def _follow(
        self,
        js: JetStreamContext,
        publisher: Publisher,
        mark: Mark,
        waiter: FeedWaiter,
        stop: asyncio.Event,
        until_caught_up: bool,
    ) -> None:
        failures = 0
        while not stop.is_set():
            copies = await self._blocking(copies_after, self.db, self.options, mark)
            if not copies:
                if until_caught_up:
                    return
                await self._blocking(waiter.wait, WAIT_SECONDS)
                continue
            try:
                mark = await publisher.publish(copies, mark)
                self.relayed += len(copies)
                failures = 0
            except (RelayError, TimeoutError, nats.errors.Error) as error:
                # Retried, never skipped: the stream says what it holds, and the relay goes
                # on right after it.
                failures += 1
                self.say(f"publishing failed ({error or type(error).__name__}); retrying")
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])
                mark = await self._resync(js, stop, mark)

    async def _resync(self, js: JetStreamContext, stop: asyncio.Event, mark: Mark) -> Mark:
        """The stream's mark, asked until NATS answers (it may be reconnecting)."""
        for attempt in itertools.count():
            if stop.is_set():
                return mark
            try:
                return await stream_mark(js, self.options)
            except (TimeoutError, nats.errors.Error) as error:
                self.say(f"cannot read the stream's position yet ({type(error).__name__})")
                await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
        raise AssertionError("unreachable")


def relay_until_stopped(db: ViewDatabase, options: Options, say: Callable[[str], None]) -> int:
    """Run a relay until SIGTERM or Ctrl-C, which let it finish its batch (its acks) and
    close the connection; the number of copies published."""

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        return await Relay(db, options, say).run(stop)

    return asyncio.run(main())
